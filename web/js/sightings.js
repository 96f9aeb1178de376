// What the indicator, sightings, constituent and lookup screens share about sightings: the
// table of sightings (GET /api/v1/sightings, GET /api/v1/indicators/{id}/sightings), the table
// of counts per day (?group=day) and the names of the constituents, which sightings carry only
// as org_id.
import { get } from './api.js';
import { h, tlp, time, table, fmtNumber } from './ui.js';
import { selectColumn, stateColumn } from './screens/triage.js';

const enc = encodeURIComponent;
const TTL = 60e3;
let cache = { key: null, at: 0, names: null };

// org id -> short name of every organisation the viewer may see (cached a minute, per user).
export async function orgNames(user) {
  const key = user ? user.id + ':' + user.name : '';
  if (cache.names && cache.key === key && Date.now() - cache.at < TTL) return cache.names;
  const names = new Map();
  try {
    let cursor = null;
    for (let i = 0; i < 20; i++) {
      const p = await get('organisations', { limit: 1000, cursor });
      for (const o of p.data) names.set(o.id, o.short_name);
      cursor = p.next_cursor;
      if (!cursor) break;
    }
  } catch { /* shown as ids */ }
  cache = { key, at: Date.now(), names };
  return names;
}

function orgCell(names, id) {
  if (id === null || id === undefined) return h('span', { class: 'muted' }, 'nobody');
  const n = names && names.get(id);
  return n ? h('a', { href: '/constituents/' + enc(n) }, n) : 'organisation ' + id;
}

// Where in the log: "line 12, offset 3456" (the line is 0 for formats without lines).
function where(s) {
  const parts = [];
  if (s.line) parts.push('line ' + fmtNumber(s.line));
  if (s.offset !== undefined && s.offset !== null) parts.push('offset ' + fmtNumber(s.offset));
  return parts.join(', ');
}

// opts: noIndicator (on an indicator's own page), noOrg (on a constituent's page), caption,
// triage (a selection of triage.js: a checkbox and the triage state per row).
export function sightingTable(rows, names, opts = {}) {
  const sel = opts.triage;
  const describe = (s) => 'sighting ' + s.id + ' of ' + (s.value || s.indicator_value || '');
  return table([
    { label: 'Event time', cell: (s) => time(s.time) },
    opts.noIndicator ? null : {
      label: 'Indicator',
      cell: (s) => h('a', { class: 'mono', href: '/indicators/' + s.indicator_id, 'aria-label': 'Indicator ' + s.indicator_id + ': ' + (s.indicator_value || '') },
        s.indicator_value || '#' + s.indicator_id),
    },
    { label: 'Value seen', cell: (s) => h('span', { class: 'mono' }, s.value || '') },
    { label: 'Field', cell: (s) => (s.field ? h('code', null, s.field) : '') },
    { label: 'Log source', cell: (s) => h('span', { class: 'mono', title: s.log_source || '' }, s.log_source || '') },
    { label: 'Where', cell: (s) => where(s) },
    { label: 'Sensor', cell: (s) => s.sensor || '' },
    { label: 'Internal address', cell: (s) => (s.internal_ip ? h('span', { class: 'mono' }, s.internal_ip) : '') },
    opts.noOrg ? null : { label: 'Constituent', cell: (s) => orgCell(names, s.org_id) },
    { label: 'TLP', cell: (s) => tlp(s.tlp) },
    sel ? stateColumn(sel, describe) : null,
    // Last: the tests and readers find the time in the first column.
    sel ? selectColumn(sel, describe) : null,
  ].filter(Boolean), rows, { caption: opts.caption || 'Sightings', empty: opts.empty || 'No sightings.', class: 'sightings' });
}

// Counts per indicator, constituent and day (?group=day).
export function dayTable(rows, names, opts = {}) {
  return table([
    { label: 'Day (UTC)', cell: (c) => c.day },
    opts.noIndicator ? null : { label: 'Indicator', cell: (c) => h('a', { class: 'mono', href: '/indicators/' + c.indicator_id }, c.indicator_value || '#' + c.indicator_id) },
    opts.noOrg ? null : { label: 'Constituent', cell: (c) => orgCell(names, c.org_id) },
    { label: 'Sightings', class: 'num', cell: (c) => fmtNumber(c.count) },
    { label: 'First seen', cell: (c) => time(c.first_seen) },
    { label: 'Last seen', cell: (c) => time(c.last_seen) },
  ].filter(Boolean), rows, { caption: opts.caption || 'Sightings per day', empty: 'No sightings.', class: 'sighting-days' });
}

// A page navigation for a cursor-paginated list at path (the current query kept).
export function pager(path, query, nextCursor, shown) {
  const nav = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  if (query.get('cursor')) {
    const first = new URLSearchParams(query); first.delete('cursor');
    nav.append(h('a', { class: 'button', href: path + (first.toString() ? '?' + first : '') }, 'First page'));
  }
  if (nextCursor) {
    const next = new URLSearchParams(query); next.set('cursor', nextCursor);
    nav.append(h('a', { class: 'button', rel: 'next', href: path + '?' + next }, 'Next page'));
  }
  nav.append(h('span', { class: 'muted' }, shown + ' shown'));
  return nav;
}
