// Dashboard: the figures of GET /api/v1/stats as hand-written SVG charts, and the incidents'
// reaction times from GET /api/v1/incidents/metrics (what `ermes stats incidents` prints).
import { get, url } from '../api.js';
import { h, section, notice, errorNotice, time, fmtNumber, isStaff, table } from '../ui.js';
import { s, perDayChart } from '../charts.js';
import { classifications } from './events.js';

// Horizontal bars: a list whose items carry their own small SVG bar, readable on a phone.
function barList(items, label, hrefOf, wrap) {
  if (!items.length) return notice('Nothing in this period.');
  const max = Math.max(1, ...items.map((i) => i.count));
  return h('ul', { class: 'hbars chart' + (wrap ? ' wrap' : ''), 'aria-label': label }, items.map((it) => {
    const svg = s('svg', { viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
      s('rect', { class: 'bar', x: 0, y: 0, height: 10, width: Math.max(0.5, (100 * it.count) / max) }));
    const href = hrefOf ? hrefOf(it) : null;
    return h('li', null, h('span', { class: 'name', title: it.name }, href ? h('a', { href }, it.name) : it.name), svg,
      h('span', { class: 'n' }, fmtNumber(it.count)));
  }));
}

// The RSIT words of a classification ("Vulnerable: Vulnerable System"), never a code: a class
// or type the taxonomy does not name (IntelMQ's own) is written out in words.
function words(code) {
  return String(code || '').replace(/[-_]+/g, ' ').trim();
}
function fullClassName(tax, type, rsit) {
  const c = (rsit.classes || []).find((x) => x.value === tax);
  const t = c && (c.types || []).find((x) => x.value === type);
  const cls = c && c.name ? c.name : (words(tax) || 'Unclassified').replace(/^./, (x) => x.toUpperCase());
  if (!type) return cls;
  return cls + ': ' + (t && t.name ? t.name : words(type));
}

function figure(label, n, href, bad) {
  const inner = [h('span', { class: 'n' }, fmtNumber(n)), label];
  return href ? h('a', { class: 'figure' + (bad ? ' bad' : ''), href }, ...inner)
    : h('div', { class: 'figure' + (bad ? ' bad' : '') }, ...inner);
}

// The reaction times the metrics give, in the API's words and the dashboard's.
const MEASURES = [['time_to_acknowledge', 'Acknowledge'], ['time_to_triage', 'Triage'],
  ['time_to_notify', 'Notify'], ['time_to_contain', 'Contain'], ['time_to_resolve', 'Resolve']];
const METRIC_DAYS = [7, 30, 90, 365];
const TOP_CONSTITUENTS = 10;

// A duration of whole seconds, readable ("3 h 05 min"); the exact seconds in data-seconds.
function duration(sec) {
  if (sec === null || sec === undefined) return h('span', { class: 'muted', dataset: { seconds: '' } }, '—');
  const d = Math.floor(sec / 86400), hr = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60);
  const txt = sec < 60 ? sec + ' s'
    : sec < 3600 ? m + ' min' + (sec % 60 ? ' ' + (sec % 60) + ' s' : '')
      : sec < 86400 ? hr + ' h ' + String(m).padStart(2, '0') + ' min'
        : d + ' d ' + hr + ' h';
  return h('span', { class: 'dur', dataset: { seconds: String(sec) } }, txt);
}

function percent(rate) {
  if (rate === null || rate === undefined) return h('span', { class: 'muted', dataset: { rate: '' } }, '—');
  return h('span', { dataset: { rate: String(rate) } }, (rate * 100).toFixed(1) + ' %');
}

// The dashboard's address with some of its query changed (the other selectors kept).
function withQuery(ctx, changes) {
  const q = new URLSearchParams(ctx.query);
  for (const [k, v] of Object.entries(changes)) q.set(k, String(v));
  return '/?' + q.toString();
}

// One row per group: incidents, "median / p90" of each reaction time, SLA compliance.
function groupTable(groups, nameOf, label, cls) {
  return table([
    { label, cell: (g) => nameOf(g) },
    { label: 'Incidents', cell: (g) => fmtNumber(g.incidents), class: 'num' },
    ...MEASURES.map(([k, name]) => ({
      label: name + ' (median / p90)',
      cell: (g) => h('span', { dataset: { metric: k } }, duration(g[k].median_seconds), ' / ', duration(g[k].p90_seconds)),
    })),
    { label: 'SLA compliance', cell: (g) => percent(g.sla.compliance_rate) },
  ], groups, { class: cls, caption: label + ': reaction times', empty: 'No incident opened in this period.' });
}

// The incidents' reaction times over the chosen period (last 30 days by default) on the wall
// clock or in business hours: the same API the CLI's `ermes stats incidents` answers from, so
// the figures are the same. A constituent's people get their own organisation's (the API).
async function incidentMetrics(ctx) {
  const asked = Number(ctx.query.get('mdays'));
  const mdays = METRIC_DAYS.includes(asked) ? asked : 30;
  const basis = ctx.query.get('basis') === 'business' ? 'business' : 'wall';
  const since = new Date(Date.now() - mdays * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const q = { since, period: 'all', basis };
  let all, byClass, byOrg;
  try {
    [all, byClass, byOrg] = await Promise.all([get('incidents/metrics', { ...q, by: 'none' }),
      get('incidents/metrics', { ...q, by: 'rsit_class' }), get('incidents/metrics', { ...q, by: 'constituent' })]);
  } catch (e) {
    return section('Incident reaction times', errorNotice(e));
  }
  const choose = (list, cur, key, text) => list.flatMap((v, i) => [i ? ' · ' : '',
    v === cur ? h('strong', { 'aria-current': 'true' }, text(v)) : h('a', { href: withQuery(ctx, { [key]: v }) }, text(v))]);
  const sel = h('p', { class: 'muted metrics-select' }, 'Opened in the last ', choose(METRIC_DAYS, mdays, 'mdays', (d) => d + ' days'),
    '; ', choose(['wall', 'business'], basis, 'basis', (b) => (b === 'wall' ? 'wall clock' : 'business hours')));
  const g = (all.groups || [])[0];
  const overall = table([
    { label: 'Reaction', cell: (r) => r[1] },
    { label: 'Incidents measured', cell: (r) => fmtNumber(g ? g[r[0]].count : 0), class: 'num' },
    { label: 'Median', cell: (r) => h('span', { dataset: { metric: r[0], stat: 'median' } }, duration(g ? g[r[0]].median_seconds : null)) },
    { label: '90th percentile', cell: (r) => h('span', { dataset: { metric: r[0], stat: 'p90' } }, duration(g ? g[r[0]].p90_seconds : null)) },
  ], MEASURES, { class: 'metrics-overall', caption: 'Reaction times of the incidents opened in the period' });
  const sla = g ? g.sla : {};
  const figs = h('div', { class: 'figures metrics-sla' },
    h('div', { class: 'figure' }, h('span', { class: 'n' }, fmtNumber(g ? g.incidents : 0)), 'incidents opened'),
    h('div', { class: 'figure', dataset: { sla: 'compliance_rate' } }, h('span', { class: 'n' }, percent(sla.compliance_rate)), 'SLA compliance'),
    ...[['first_response', 'first response'], ['containment', 'containment'], ['resolution', 'resolution']].map(([k, name]) =>
      h('div', { class: 'figure', dataset: { sla: k } }, h('span', { class: 'n' }, percent(sla[k] ? sla[k].rate : null)), name + ' on time')));
  const orgs = (byOrg.groups || []).slice().sort((a, b) => b.incidents - a.incidents || String(a.constituent).localeCompare(String(b.constituent)))
    .slice(0, TOP_CONSTITUENTS);
  const csv = url('incidents/metrics', { ...q, by: 'both', format: 'csv' });
  return section('Incident reaction times', sel, figs, overall,
    h('h3', null, 'Per RSIT class'), groupTable(byClass.groups || [], (x) => x.rsit_class || 'unclassified', 'RSIT class', 'metrics-class'),
    h('h3', null, 'Per constituent (top ' + TOP_CONSTITUENTS + ' by incidents)'), groupTable(orgs, (x) => x.constituent, 'Constituent', 'metrics-constituent'),
    h('p', null, h('a', { href: csv, class: 'metrics-csv', download: 'incident-metrics.csv' }, 'These figures as CSV'), ' (per RSIT class and constituent).'));
}

export async function render(view, ctx) {
  ctx.title('Dashboard');
  const days = Number(ctx.query.get('days')) || 14;
  const periods = [7, 14, 30, 90].flatMap((d, i) => [i ? ' · ' : '',
    d === days ? h('strong', { 'aria-current': 'true' }, d + ' days') : h('a', { href: '/?days=' + d }, d + ' days')]);
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Dashboard'), h('p', { class: 'muted' }, 'Last ', periods)));
  let st;
  try {
    st = await get('stats', { days });
  } catch (e) {
    if (e.status === 404) {
      view.append(notice('This server does not give dashboard figures (GET /api/v1/stats).'));
      return;
    }
    view.append(errorNotice(e));
    return;
  }
  const total = (st.events_per_day || []).reduce((a, d) => a + d.count, 0);
  const staff = isStaff(ctx.user);
  const figs = h('div', { class: 'figures' }, figure('events in ' + days + ' days', total, '/events?since=' + encodeURIComponent(st.from || '')));
  if (staff && st.notifications) {
    figs.append(figure('notifications pending', st.notifications.pending || 0, '/notifications?state=pending'),
      figure('notifications failed', st.notifications.failed || 0, '/notifications?state=failed', (st.notifications.failed || 0) > 0),
      figure('notifications sent', st.notifications.sent || 0, '/notifications?state=sent'));
  }
  // sightings_per_day: every day of the period, zeros included (indicators seen in logs).
  const sightDays = Array.isArray(st.sightings_per_day) ? st.sightings_per_day : null;
  if (sightDays && ctx.features.sightings) {
    figs.append(figure('sightings in ' + days + ' days', sightDays.reduce((a, d) => a + d.count, 0),
      '/sightings?since=' + encodeURIComponent(st.from || '')));
  }
  if (staff && st.quarantine) figs.append(figure('quarantined rows open', st.quarantine.open || 0, '/quarantine', (st.quarantine.open || 0) > 0));
  if (staff && st.stale_feeds) figs.append(figure('stale feeds', st.stale_feeds.length, null, st.stale_feeds.length > 0));
  view.append(figs);

  const rsit = await classifications();
  const cards = h('div', { class: 'cards' });
  // The days are those the events happened (time.source); the server says how many had
  // none and were counted by when they were observed.
  const byObs = st.events_by_observation || 0;
  const note = 'Counted by the day each event happened (time.source, UTC)' + (byObs
    ? '; ' + fmtNumber(byObs) + ' event' + (byObs === 1 ? '' : 's') + ' without time.source counted by time.observation (when the feed saw ' + (byObs === 1 ? 'it' : 'them') + ').'
    : '.');
  cards.append(section('Events per day (when they happened)', perDayChart(st.events_per_day || [],
    'Events per day by time.source, ' + (st.from || '').slice(0, 10) + ' to ' + (st.to || '').slice(0, 10), { unit: 'events', note })));
  cards.append(section('Events per classification', barList((st.events_per_classification || []).map((c) => ({
    name: fullClassName(c.taxonomy, c.type, rsit), count: c.count, taxonomy: c.taxonomy, type: c.type,
  })), 'Events per classification', (c) => '/events?taxonomy=' + encodeURIComponent(c.taxonomy) + '&type=' + encodeURIComponent(c.type), true)));
  cards.append(section('Events per constituent', barList((st.events_per_constituent || []).map((c) => ({
    name: c.org, count: c.count, id: c.org_id,
  })), 'Events per constituent (top 20)', (c) => '/constituents/' + encodeURIComponent(c.name))));
  if (sightDays && sightDays.length && ctx.features.sightings) {
    cards.append(section('Sightings per day', perDayChart(sightDays, 'Sightings per day, ' + (st.from || '').slice(0, 10) + ' to ' + (st.to || '').slice(0, 10), { unit: 'sightings' }),
      h('p', null, h('a', { href: '/sightings?since=' + encodeURIComponent(st.from || '') }, 'The sightings of this period'))));
  }
  if (staff && st.stale_feeds) {
    cards.append(section('Stale feeds', st.stale_feeds.length
      ? h('ul', null, st.stale_feeds.map((f) => h('li', null, h('strong', null, f.feed), ': last report ', time(f.last_report_at),
        f.usual_interval_s ? ' (usually every ' + Math.round(f.usual_interval_s / 3600) + ' h)' : '')))
      : notice('Every feed has reported on time.', 'ok')));
  }
  view.append(cards);
  view.append(await incidentMetrics(ctx));
}
