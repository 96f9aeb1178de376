// Events: a filterable table, paginated by the server's cursor; detail with the raw row;
// exports (CSV and NDJSON) of everything that matches the filters.
import { get, url } from '../api.js';
import { h, tlp, time, field, input, select, table, dl, section, notice, errorNotice, showError, isStaff } from '../ui.js';
import { correlationSection } from '../correlations.js';
import { selection, selectColumn, stateColumn, bulkBar } from './triage.js';

const FILTERS = ['since', 'until', 'org', 'feed', 'taxonomy', 'type', 'ip', 'domain', 'report'];
// Newest first unless the URL says order=oldest (the API's own default is oldest first).
const ORDERS = { newest: 'Newest stored first', oldest: 'Oldest stored first' };
const PAGE = 50;

// datetime-local (the viewer's time) <-> RFC 3339 UTC in the URL and the API.
function toLocalInput(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
function fromLocalInput(v) {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

// The RSIT classes and types with their full names (GET /api/v1/classifications), read once.
let classificationsP = null;
export function classifications() {
  if (!classificationsP) classificationsP = get('classifications').catch(() => ({ classes: [] }));
  return classificationsP;
}
// "Vulnerable: Vulnerable System" for taxonomy/type values, the values themselves when the
// taxonomy does not name them (IntelMQ's additions to "other").
export function classificationName(tax, type, rsit) {
  const c = (rsit.classes || []).find((x) => x.value === tax);
  const t = c && (c.types || []).find((x) => x.value === type);
  return (c ? c.name : tax || '') + (type ? ': ' + (t ? t.name : type) : '');
}

// A header that sorts the list by its column: the first click ascending, the next descending.
function sortHead(label, col, opts) {
  if (!opts.sortHref) return {};
  const cur = opts.sort || '';
  const on = cur === col || cur === '-' + col;
  const desc = cur === '-' + col;
  const next = on && !desc ? '-' + col : col;
  return {
    sort: on ? (desc ? 'descending' : 'ascending') : undefined,
    head: h('a', { href: opts.sortHref(next), class: 'sort-link', id: 'sort-' + col, title: 'Sort by ' + label.toLowerCase() + (next[0] === '-' ? ', descending' : ', ascending') },
      label, on ? (desc ? ' ▼' : ' ▲') : ''),
  };
}

export function eventRows(items, opts = {}) {
  const rsit = opts.rsit || { classes: [] };
  const sel = opts.triage; // staff: a checkbox and the triage state per row (triage.js)
  const describe = (r) => 'event ' + r.id;
  return table([
    { label: 'Time (source)', ...sortHead('Time (source)', 'time', opts), cell: (r) => h('a', { href: '/events/' + r.id, 'aria-label': 'Event ' + r.id }, time(r.event['time.source'] || r.event['time.observation'])) },
    opts.noOrg ? null : { label: 'Constituent', cell: (r) => r.event.constituency ? h('a', { href: '/constituents/' + encodeURIComponent(r.event.constituency) }, r.event.constituency) : h('span', { class: 'muted' }, 'nobody') },
    { label: 'Classification', ...sortHead('Classification', 'type', opts), cell: (r) => h('span', { title: (r.event['classification.taxonomy'] || '') + ' / ' + (r.event['classification.type'] || '') }, classificationName(r.event['classification.taxonomy'], r.event['classification.type'], rsit)) },
    { label: 'Source', cell: (r) => h('span', { class: 'mono' }, r.event['source.ip'] || r.event['source.fqdn'] || r.event['source.url'] || '—', r.event['source.port'] ? ':' + r.event['source.port'] : '') },
    { label: 'Host', cell: (r) => r.event['source.fqdn'] || r.event['source.reverse_dns'] || '' },
    { label: 'Feed', ...sortHead('Feed', 'feed', opts), cell: (r) => r.event['feed.name'] || '' },
    { label: 'TLP', cell: (r) => tlp(r.event.tlp) },
    sel ? stateColumn(sel, describe) : null,
    // Last: the tests and readers find the time in the first column.
    sel ? selectColumn(sel, describe) : null,
  ].filter(Boolean), items, { caption: opts.caption || 'Events', empty: opts.empty || 'No events match.' });
}

async function list(view, ctx) {
  ctx.title('Events');
  const q = ctx.query;
  const form = h('form', { class: 'card filters-form', 'aria-label': 'Filter events' });
  const ctl = {
    since: input('since', { type: 'datetime-local', value: toLocalInput(q.get('since')) }),
    until: input('until', { type: 'datetime-local', value: toLocalInput(q.get('until')) }),
    org: input('org', { value: q.get('org') || '', placeholder: 'short name', maxlength: 64 }),
    feed: input('feed', { value: q.get('feed') || '', placeholder: 'feed.name', maxlength: 128 }),
    taxonomy: select('taxonomy', [['', 'any']], q.get('taxonomy') || ''),
    type: select('type', [['', 'any']], q.get('type') || ''),
    ip: input('ip', { value: q.get('ip') || '', placeholder: '192.0.2.0/24', maxlength: 64, spellcheck: 'false' }),
    domain: input('domain', { value: q.get('domain') || '', placeholder: 'example.org', maxlength: 255, spellcheck: 'false' }),
  };
  if (!isStaff(ctx.user)) ctl.org.disabled = true;
  // RSIT class and type as choices, by their full names; the types those of the class chosen.
  const rsit = await classifications();
  function fillTypes() {
    const want = ctl.type.value || q.get('type') || '';
    const cls = (rsit.classes || []).filter((c) => !ctl.taxonomy.value || c.value === ctl.taxonomy.value);
    const opts = [['', 'any']];
    for (const c of cls) for (const t of c.types || []) opts.push([t.value, (ctl.taxonomy.value ? '' : c.name + ': ') + t.name]);
    if (want && !opts.some(([v]) => v === want)) opts.push([want, want]);
    ctl.type.replaceChildren(...opts.map(([v, text]) => h('option', { value: v, selected: v === want }, text)));
  }
  {
    const want = q.get('taxonomy') || '';
    const opts = [['', 'any'], ...(rsit.classes || []).map((c) => [c.value, c.name])];
    if (want && !opts.some(([v]) => v === want)) opts.push([want, want]);
    ctl.taxonomy.replaceChildren(...opts.map(([v, text]) => h('option', { value: v, selected: v === want }, text)));
    fillTypes();
    ctl.taxonomy.addEventListener('change', () => { ctl.type.value = ''; fillTypes(); });
  }
  form.append(h('div', { class: 'filters' },
    field('From (your time)', ctl.since), field('Until (exclusive)', ctl.until),
    field('Constituent', ctl.org), field('Feed', ctl.feed),
    field('Class (RSIT)', ctl.taxonomy), field('Type', ctl.type),
    field('IP or CIDR', ctl.ip), field('Domain (and below)', ctl.domain)),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter'), h('a', { href: '/events', class: 'button' }, 'Clear')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const k of Object.keys(ctl)) {
      const v = k === 'since' || k === 'until' ? fromLocalInput(ctl[k].value) : ctl[k].value.trim();
      if (v) p.set(k, v);
    }
    if (q.get('report')) p.set('report', q.get('report'));
    if (q.get('sort')) p.set('sort', q.get('sort'));
    else if (q.get('order') === 'oldest') p.set('order', 'oldest');
    ctx.navigate('/events' + (p.toString() ? '?' + p : ''));
  });
  const order = q.get('order') === 'oldest' ? 'oldest' : 'newest';
  // A column sort (the headers) replaces the stored order; the cursor is dropped with it.
  const sort = /^-?(time|feed|taxonomy|type|stored)$/.test(q.get('sort') || '') ? q.get('sort') : '';
  const sortHref = (col) => { const p = new URLSearchParams(q); p.delete('cursor'); p.delete('order'); p.set('sort', col); return '/events?' + p; };

  const filters = {};
  for (const k of FILTERS) if (q.get(k)) filters[k] = q.get(k);
  const exports = h('p', { class: 'actions' }, 'Export what matches: ',
    h('a', { class: 'button', href: url('events', { ...filters, sort, format: 'csv' }), download: 'events.csv' }, 'CSV'),
    h('a', { class: 'button', href: url('events', { ...filters, sort, format: 'ndjson' }), download: 'events.ndjson' }, 'JSON (NDJSON)'));
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Events'), exports), form);
  if (filters.report) view.append(notice('Only events of report ' + filters.report + '.'));

  const out = h('div', { 'aria-live': 'polite' });
  // The total of what matches, fetched beside the page: exact up to the server's cap, else
  // said as "at least".
  const total = h('p', { id: 'events-total', class: 'muted' }, 'Counting…');
  const flip = new URLSearchParams(q); flip.delete('cursor'); flip.delete('sort');
  if (order === 'newest' && !sort) flip.set('order', 'oldest'); else flip.delete('order');
  const sortWords = { time: 'time (source)', feed: 'feed', taxonomy: 'class', type: 'classification', stored: 'storage' };
  const orderNav = h('p', { class: 'actions' }, h('span', { id: 'events-sorted' }, sort ? 'Sorted by ' + sortWords[sort.replace('-', '')] + (sort[0] === '-' ? ', descending ' : ', ascending ') : ORDERS[order] + ' '),
    h('a', { class: 'button', id: 'events-order', href: '/events' + (flip.toString() ? '?' + flip : '') }, sort ? 'Newest stored first' : order === 'newest' ? 'Show oldest first' : 'Show newest first'));
  view.append(h('div', { class: 'head-row' }, total, orderNav), out);
  get('events/count', filters).then((c) => {
    total.textContent = (c.exact ? '' : 'At least ') + c.count.toLocaleString('en') + (c.count === 1 ? ' event matches' : ' events match') + '.';
  }).catch(() => { total.textContent = ''; });
  let page;
  try {
    page = await get('events', sort ? { ...filters, sort, limit: PAGE, cursor: q.get('cursor') } : { ...filters, order, limit: PAGE, cursor: q.get('cursor') });
  } catch (e) {
    if (e.field && ctl[e.field]) showError(form, e); else out.append(errorNotice(e));
    return;
  }
  const triage = isStaff(ctx.user) ? selection('events') : null;
  // The CERT's staff triage the events shown: a state, or an incident to open or join (the
  // bar above the rows, which a page of 50 would push far down).
  if (triage) out.append(await bulkBar(triage, { states: true, title: (ids) => 'Events ' + ids.join(', ') }));
  out.append(eventRows(page.data, { caption: 'Events, ' + (sort ? 'sorted by ' + sortWords[sort.replace('-', '')] : ORDERS[order].toLowerCase()), rsit, sort, sortHref, triage }));
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  if (q.get('cursor')) {
    const first = new URLSearchParams(q); first.delete('cursor');
    pager.append(h('a', { class: 'button', href: '/events' + (first.toString() ? '?' + first : '') }, 'First page'));
  }
  if (page.next_cursor) {
    const next = new URLSearchParams(q); next.set('cursor', page.next_cursor);
    pager.append(h('a', { class: 'button', rel: 'next', href: '/events?' + next }, 'Next page'));
  }
  pager.append(h('span', { class: 'muted' }, page.data.length + ' shown, ' + (sort ? 'sorted by ' + sortWords[sort.replace('-', '')] : ORDERS[order].toLowerCase())));
  out.append(pager);
}

async function detail(view, ctx) {
  const id = ctx.params[0];
  ctx.title('Event ' + id);
  let ev;
  try { ev = await get('events/' + id); } catch (e) { view.append(h('h1', null, 'Event ' + id), errorNotice(e)); return; }
  const e = ev.event;
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Event ', id, ' ', tlp(e.tlp)), h('p', null, h('a', { href: '/events' }, 'All events'))));
  view.append(section('Summary', dl([
    ['Time (source)', time(e['time.source'])],
    ['Observed', time(e['time.observation'])],
    ['Stored', time(ev.stored_at)],
    ['Constituent', e.constituency ? h('a', { href: '/constituents/' + encodeURIComponent(e.constituency) }, e.constituency) : null],
    ['Owner found by', ev.owner_rule],
    ['Classification', [e['classification.taxonomy'], ' / ', e['classification.type'], e['classification.identifier'] ? ' (' + e['classification.identifier'] + ')' : '']],
    ['Feed', [e['feed.name'] || '', e['feed.provider'] ? ' from ' + e['feed.provider'] : '']],
    ['Report', isStaff(ctx.user) && ev.report_id ? h('a', { href: '/reports/' + ev.report_id }, 'report ' + ev.report_id + ', line ' + ev.line) : (ev.report_id ? 'report ' + ev.report_id + ', line ' + ev.line : null)],
    ['TLP', tlp(e.tlp)],
    ['Triage', ev.triage ? h('span', { id: 'event-triage' }, ev.triage.replace(/_/g, ' ')) : undefined],
    // The notifications that told the constituent (staff only: the API gives them to staff).
    ['Notified in', ev.notifications ? (ev.notifications.length ? h('span', { id: 'event-notifications' }, ev.notifications.flatMap((n, i) => [i ? ', ' : '', h('a', { href: '/notifications/' + encodeURIComponent(n.reference || n.id) }, n.reference || String(n.id)), ' (' + n.state + (n.approval && n.approval !== 'none' ? ', ' + n.approval : '') + ')'])) : 'no notification yet') : null],
  ])));
  const keys = Object.keys(e).sort();
  view.append(section('Fields', table([
    { label: 'Field', cell: (k) => h('code', null, k) },
    { label: 'Value', cell: (k) => (k.startsWith('time.') ? [time(e[k]), ' ', h('span', { class: 'muted mono' }, String(e[k]))] : h('span', { class: 'mono' }, typeof e[k] === 'object' ? JSON.stringify(e[k]) : String(e[k]))) },
  ], keys, { caption: 'Every field of the event' })));
  view.append(correlationSection([{ value: e['source.ip'], type: 'ip' }, { value: e['source.fqdn'], type: 'domain' }], { object: 'event', id: Number(id) }));
  view.append(section('Raw row', rawRow(ev.raw),
    h('details', null, h('summary', null, 'The event as JSON'), h('pre', null, JSON.stringify(ev, null, 2)))));
}

// "raw" of GET /api/v1/events/{id}: the row as the feed sent it, read back from the report's
// file: a string, {"base64"} when the bytes are not UTF-8, null when the file is gone.
function rawRow(raw) {
  if (typeof raw === 'string') return h('pre', { class: 'raw', id: 'raw-row', 'aria-label': 'The row as the feed sent it' }, raw);
  if (raw && typeof raw === 'object' && typeof raw.base64 === 'string') {
    let text = null;
    try {
      const bin = atob(raw.base64);
      const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
      // Not UTF-8 by definition: most such feeds are Latin-1 (Windows-1252).
      text = new TextDecoder('windows-1252').decode(bytes);
    } catch { text = null; }
    return h('div', null,
      h('p', { class: 'muted' }, text !== null ? 'The row is not UTF-8: shown decoded as Windows-1252 (Latin-1); its bytes are below in base64.' : 'The row is not UTF-8; its bytes in base64:'),
      text !== null ? h('pre', { class: 'raw', id: 'raw-row', 'aria-label': 'The row as the feed sent it, decoded as Windows-1252' }, text) : null,
      h('details', null, h('summary', null, 'The bytes in base64'), h('pre', { class: 'raw mono', id: 'raw-base64' }, raw.base64)));
  }
  return notice('The report file of this event is no longer kept, so its row cannot be shown.');
}

export async function render(view, ctx) {
  if (ctx.view === 'detail') return detail(view, ctx);
  return list(view, ctx);
}
