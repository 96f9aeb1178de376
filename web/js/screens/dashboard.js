// Dashboard: the figures of GET /api/v1/stats as hand-written SVG charts.
import { get } from '../api.js';
import { h, section, notice, errorNotice, time, fmtNumber, isStaff } from '../ui.js';
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
}
