// Constituents: search, detail (contacts, networks, ASNs, domains, events, sightings,
// notifications), add, edit, and import from CSV or JSON.
import { get, post, patch, put, api, optional } from '../api.js';
import { h, clear, fill, tlp, time, field, input, select, table, dl, section, notice, errorNotice, showError, clearErrors, announce, isStaff, TLP_VALUES } from '../ui.js';
import { eventRows } from './events.js';
import { sightingTable } from '../sightings.js';

const TYPES = ['', 'institution', 'body', 'agency', 'office', 'directorate', 'cert', 'company', 'ministry', 'other'];
const ROLES = ['abuse', 'security', 'cert', 'management', 'technical', 'notification'];
const enc = encodeURIComponent;

function chips(values, mono) {
  if (!values || !values.length) return h('span', { class: 'muted' }, 'none');
  return h('ul', { class: 'chips' }, values.map((v) => h('li', { class: mono ? 'mono' : '' }, String(v))));
}

async function list(view, ctx) {
  ctx.title('Constituents');
  const q = ctx.query.get('q') || '';
  const box = input('q', { type: 'search', value: q, maxlength: 128, placeholder: 'name or short name' });
  const form = h('form', { class: 'card', role: 'search', 'aria-label': 'Search constituents' },
    h('div', { class: 'filters' }, field('Search', box)), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Search')));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); ctx.navigate('/constituents' + (box.value.trim() ? '?q=' + enc(box.value.trim()) : '')); });
  const actions = isStaff(ctx.user) ? h('p', { class: 'actions' },
    h('a', { class: 'button primary', href: '/constituents/new' }, 'Add a constituent'),
    h('a', { class: 'button', href: '/constituents/import' }, 'Import CSV or JSON'),
    h('a', { class: 'button', href: '/api/v1/organisations/export?format=csv', download: 'constituents.csv' }, 'Export CSV')) : null;
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Constituents'), actions), form);
  let page;
  try { page = await get('organisations', { q, limit: 500, cursor: ctx.query.get('cursor') }); } catch (e) { view.append(errorNotice(e)); return; }
  view.append(table([
    { label: 'Short name', cell: (o) => h('a', { href: '/constituents/' + enc(o.short_name) }, o.short_name) },
    { label: 'Name', cell: (o) => o.name },
    { label: 'Type', cell: (o) => o.type || '' },
    { label: 'Country', cell: (o) => o.country || '' },
    { label: 'Parent', cell: (o) => o.parent || '' },
    { label: 'Networks', class: 'num', cell: (o) => String((o.networks || []).length) },
    { label: 'TLP', cell: (o) => tlp(o.tlp) },
  ], page.data, { caption: 'Constituents', empty: q ? 'No constituent matches “' + q + '”.' : 'No constituents yet.' }));
  if (page.next_cursor) {
    const next = new URLSearchParams(ctx.query); next.set('cursor', page.next_cursor);
    view.append(h('nav', { class: 'pager', 'aria-label': 'Pages' }, h('a', { class: 'button', href: '/constituents?' + next }, 'Next page')));
  }
}

async function detail(view, ctx) {
  const ref = ctx.params[0];
  let o;
  try { o = await get('organisations/' + enc(ref)); } catch (e) { ctx.title(ref); view.append(h('h1', null, ref), errorNotice(e)); return; }
  ctx.title(o.short_name);
  const staff = isStaff(ctx.user);
  view.append(h('div', { class: 'head-row' },
    h('h1', null, o.name, ' (', o.short_name, ') ', tlp(o.tlp)),
    staff ? h('p', { class: 'actions' }, h('a', { class: 'button', href: '/constituents/' + enc(o.short_name) + '/edit' }, 'Edit')) : null));
  const cards = h('div', { class: 'cards' });
  cards.append(section('Organisation', dl([
    ['Short name', o.short_name], ['Name', o.name], ['Type', o.type], ['Sector', o.sector], ['Country', o.country],
    ['Parent', o.parent ? h('a', { href: '/constituents/' + enc(o.parent) }, o.parent) : null],
    ['Owner', o.owner], ['TLP', tlp(o.tlp)], ['Created', time(o.created_at)], ['Updated', time(o.updated_at)],
  ])));
  cards.append(section('Resources', dl([
    ['Networks', chips(o.networks, true)], ['ASNs', chips((o.asns || []).map((a) => 'AS' + a), true)], ['Domains', chips(o.domains, true)],
  ])));
  view.append(cards);
  view.append(section('Contacts', table([
    { label: 'Name', cell: (c) => c.name || '' },
    { label: 'E-mail', cell: (c) => h('span', { class: 'mono' }, c.email) },
    { label: 'Role', cell: (c) => c.role },
    { label: 'Language', cell: (c) => c.language || '' },
    { label: 'TLP', cell: (c) => tlp(c.tlp) },
    staff ? { label: 'Published', cell: (c) => (c.published ? 'yes' : 'no') } : null,
  ].filter(Boolean), o.contacts || [], { caption: 'Contacts of ' + o.short_name, empty: ctx.user.org === o.short_name || staff ? 'No contacts.' : 'No contacts of ' + o.short_name + ' are published to the community.' })));

  // Notification preferences: the staff and the constituent's own users read and set them (every
  // user of the constituent: there is no constituent administrator role; docs/API.md).
  if (staff || ctx.user.org === o.short_name) view.append(await prefsSection(o, true));

  const evSec = section('Recent events', h('p', { class: 'muted' }, 'Loading…'));
  view.append(evSec);
  const sigSec = ctx.features.sightings ? section('Sightings', h('p', { class: 'muted' }, 'Loading…')) : null;
  if (sigSec) view.append(sigSec);
  const notSec = staff ? section('Notifications', h('p', { class: 'muted' }, 'Loading…')) : null;
  if (notSec) view.append(notSec);

  const since = new Date(Date.now() - 30 * 86400e3).toISOString();
  const jobs = [
    get('events', { org: o.short_name, since, limit: 1000 }).then(async (p) => {
      const rows = p.data.slice(-20).reverse();
      // A constituent may not see another organisation's events: the server says whether
      // some exist (not how many), and the screen says that rather than "No events".
      let hidden = false;
      if (!staff) {
        try { hidden = (await get('events/count', { org: o.short_name, since })).hidden === true; } catch { hidden = false; }
      }
      const empty = hidden ? 'Events of ' + o.short_name + ' exist in the last 30 days that you are not allowed to see.' : 'No events in the last 30 days.';
      fill(evSec, h('h2', null, 'Recent events'), eventRows(rows, { noOrg: true, caption: 'Latest events of ' + o.short_name, empty }),
        hidden && rows.length ? notice('Some events of ' + o.short_name + ' in the last 30 days are not shown: you are not allowed to see them.') : null,
        h('p', null, h('a', { href: '/events?org=' + enc(o.short_name) }, 'All events of ' + o.short_name)));
    }).catch((e) => evSec.append(errorNotice(e))),
  ];
  // Sightings come oldest first: the last 30 days, the 20 latest shown newest first.
  if (sigSec) jobs.push(optional('sightings', { org: o.short_name, since, limit: 1000 }).then((p) => {
    fill(sigSec, h('h2', null, 'Sightings'), p ? sightingTable(p.data.slice(-20).reverse(), null, {
      noOrg: true, caption: 'Latest sightings in the traffic of ' + o.short_name, empty: 'No sightings in the last 30 days.',
    }) : notice('Sightings are not available.'),
    h('p', null, h('a', { href: '/sightings?org=' + enc(o.short_name) }, 'All sightings of ' + o.short_name), ' · ',
      h('a', { href: '/sightings?group=day&org=' + enc(o.short_name) }, 'per day')));
  }).catch((e) => sigSec.append(errorNotice(e))));
  if (notSec) jobs.push(get('notifications', { org: o.short_name, limit: 20 }).then((p) => {
    fill(notSec, h('h2', null, 'Notifications'), notificationRows(p.data));
  }).catch((e) => notSec.append(errorNotice(e))));
  await Promise.all(jobs);
}

const FREQUENCIES = [['immediate', 'As they come'], ['daily', 'Daily digest'], ['weekly', 'Weekly digest']];
const ATTACHMENTS = [['csv', 'CSV'], ['json', 'JSON (IntelMQ field names)'], ['xarf', 'X-ARF v4 (one document per event)']];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// The organisation's time: UTC shifted by its business-hours calendar's offset.
function zone(minutes) {
  if (!minutes) return 'UTC';
  const a = Math.abs(minutes);
  return 'UTC' + (minutes < 0 ? '-' : '+') + String(Math.floor(a / 60)).padStart(2, '0') + ':' + String(a % 60).padStart(2, '0');
}

function describePrefs(p) {
  const at = String(p.digest_hour).padStart(2, '0') + ':00 ' + zone(p.utc_offset_minutes);
  const when = p.frequency === 'daily' ? 'Daily digest at ' + at
    : p.frequency === 'weekly' ? 'Weekly digest on ' + WEEKDAYS[p.digest_weekday] + ' at ' + at
      : 'As they come';
  return dl([
    ['Feeds', p.feeds.length ? chips(p.feeds, true) : 'all'],
    ['Classifications', p.classifications.length ? chips(p.classifications, true) : 'all'],
    ['Frequency', when],
    ['Next digest', p.next_digest_at ? time(p.next_digest_at) : null],
    ['Attachment', (ATTACHMENTS.find((a) => a[0] === p.attachment) || [p.attachment, p.attachment])[1]],
  ]);
}

// What the constituent's notifications carry (docs/API.md, notification-preferences).
async function prefsSection(o, editable) {
  const path = 'organisations/' + enc(o.short_name) + '/notification-preferences';
  const sec = section('Notification preferences', h('p', { class: 'muted' }, 'Loading…'));
  let p;
  try { p = await get(path); } catch (e) { sec.append(errorNotice(e)); return sec; }
  const shown = h('div', null, describePrefs(p));
  fill(sec, h('h2', { id: 's-notification-preferences' }, 'Notification preferences'), shown);
  if (!editable) return sec;
  const f = {
    feeds: input('feeds', { value: p.feeds.join(', '), maxlength: 8192, placeholder: 'all feeds' }),
    classifications: input('classifications', { value: p.classifications.join(', '), maxlength: 8192, placeholder: 'all classes and types' }),
    frequency: select('frequency', FREQUENCIES, p.frequency),
    digest_hour: input('digest_hour', { type: 'number', min: 0, max: 23, value: String(p.digest_hour) }),
    digest_weekday: select('digest_weekday', WEEKDAYS.map((d, i) => [String(i), d]), String(p.digest_weekday)),
    attachment: select('attachment', ATTACHMENTS, p.attachment),
  };
  const form = h('form', { class: 'prefs', novalidate: true, 'aria-label': 'Notification preferences of ' + o.short_name },
    h('div', { class: 'form-grid' },
      field('Feeds (comma-separated; empty: all)', f.feeds), field('Classifications (RSIT classes or types; empty: all)', f.classifications),
      field('Frequency', f.frequency), field('Digest hour (' + zone(p.utc_offset_minutes) + ')', f.digest_hour), field('Weekly digest day', f.digest_weekday),
      field('Attachment', f.attachment)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save preferences')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const hour = Number(f.digest_hour.value);
    try {
      p = await put(path, {
        feeds: lines(f.feeds.value), classifications: lines(f.classifications.value),
        frequency: f.frequency.value, digest_hour: Number.isInteger(hour) ? hour : f.digest_hour.value,
        digest_weekday: Number(f.digest_weekday.value), attachment: f.attachment.value,
      });
      fill(shown, describePrefs(p));
      announce('Notification preferences of ' + o.short_name + ' saved');
    } catch (e) {
      showError(form, e);
    }
  });
  sec.append(form);
  return sec;
}

export function notificationRows(rows) {
  return table([
    { label: 'Reference', cell: (n) => h('a', { href: '/notifications/' + enc(n.reference || n.id) }, n.reference || String(n.id)) },
    { label: 'Constituent', cell: (n) => n.org || '' },
    { label: 'State', cell: (n) => h('span', { class: 'state state-' + n.state }, n.state) },
    { label: 'Events', class: 'num', cell: (n) => String(n.events ?? (n.event_ids ? n.event_ids.length : '')) },
    { label: 'Made', cell: (n) => time(n.created_at) },
    { label: 'Sent', cell: (n) => time(n.sent_at) },
    { label: 'TLP', cell: (n) => tlp(n.tlp) },
  ], rows, { caption: 'Notifications', empty: 'No notifications.' });
}

function lines(v) {
  return v.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
}

function contactRow(c = {}) {
  const row = h('fieldset', { class: 'contact card' }, h('legend', null, 'Contact'));
  const grid = h('div', { class: 'form-grid' },
    field('E-mail', input('email', { type: 'email', value: c.email || '', maxlength: 254 })),
    field('Name', input('name', { value: c.name || '', maxlength: 200 })),
    field('Role', select('role', ROLES, c.role || 'abuse')),
    field('Language', input('language', { value: c.language || '', maxlength: 16, placeholder: 'en' })),
    field('TLP', select('tlp', ['', ...TLP_VALUES], c.tlp || '')));
  if (c.id) row.dataset.id = c.id;
  // Shown to the other constituents only when published (the API enforces it).
  const pub = h('input', { type: 'checkbox', name: 'published', checked: c.published === true });
  grid.append(h('div', { class: 'field' }, h('label', null, pub, ' Published to the community (other constituents see this contact)')));
  // The key is edited elsewhere (import, API): kept as it is when the form is saved.
  if (c.pgp_key) row.pgpKey = c.pgp_key;
  row.append(grid, h('button', { type: 'button', class: 'danger', onclick: () => row.remove() }, 'Remove this contact'));
  return row;
}

async function edit(view, ctx, isNew) {
  let o = { contacts: [], networks: [], asns: [], domains: [] };
  if (!isNew) {
    try { o = await get('organisations/' + enc(ctx.params[0])); } catch (e) { view.append(h('h1', null, 'Edit'), errorNotice(e)); return; }
  }
  ctx.title(isNew ? 'Add a constituent' : 'Edit ' + o.short_name);
  const f = {
    short_name: input('short_name', { value: o.short_name || '', required: true, maxlength: 64 }),
    name: input('name', { value: o.name || '', required: true, maxlength: 256 }),
    country: input('country', { value: o.country || '', maxlength: 2, placeholder: 'NL' }),
    sector: input('sector', { value: o.sector || '', maxlength: 64 }),
    type: select('type', TYPES, o.type || ''),
    parent: input('parent', { value: o.parent || '', maxlength: 64, placeholder: 'short name' }),
    tlp: select('tlp', ['', ...TLP_VALUES], o.tlp || ''),
    networks: h('textarea', { name: 'networks', rows: 4, spellcheck: 'false' }, (o.networks || []).join('\n')),
    asns: h('textarea', { name: 'asns', rows: 2, spellcheck: 'false' }, (o.asns || []).join('\n')),
    domains: h('textarea', { name: 'domains', rows: 3, spellcheck: 'false' }, (o.domains || []).join('\n')),
  };
  const contacts = h('div', { class: 'contacts' }, (o.contacts || []).map(contactRow));
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'edit-h' },
    h('div', { class: 'form-grid' }, field('Short name', f.short_name), field('Name', f.name), field('Country (ISO 3166)', f.country),
      field('Sector', f.sector), field('Type', f.type), field('Parent', f.parent), field('TLP', f.tlp)),
    h('div', { class: 'form-grid' }, field('Networks (CIDR, one a line)', f.networks), field('ASNs', f.asns), field('Domains', f.domains)),
    h('div', { class: 'field', dataset: { field: 'contacts' } }, h('h2', null, 'Contacts'), contacts,
      h('p', { class: 'field-error', role: 'alert', hidden: true }),
      h('button', { type: 'button', onclick: () => { const r = contactRow(); contacts.append(r); r.querySelector('input').focus(); } }, 'Add a contact')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, isNew ? 'Create' : 'Save'),
      h('a', { class: 'button', href: isNew ? '/constituents' : '/constituents/' + enc(o.short_name) }, 'Cancel')));
  if (!isNew) f.short_name.readOnly = true;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const doc = {
      short_name: f.short_name.value.trim(), name: f.name.value.trim(),
      country: f.country.value.trim() || null, sector: f.sector.value.trim() || null,
      type: f.type.value || null, parent: f.parent.value.trim() || null,
      networks: lines(f.networks.value), domains: lines(f.domains.value),
      asns: lines(f.asns.value).map((a) => (/^(as)?\d+$/i.test(a) ? Number(a.replace(/^as/i, '')) : a)),
      contacts: [...contacts.querySelectorAll('fieldset.contact')].map((row) => {
        const c = {};
        for (const el of row.querySelectorAll('input, select')) {
          if (el.type === 'checkbox') c[el.name] = el.checked;
          else if (el.value.trim()) c[el.name] = el.value.trim();
        }
        if (row.pgpKey) c.pgp_key = row.pgpKey;
        return c;
      }),
    };
    if (f.tlp.value) doc.tlp = f.tlp.value;
    if (!isNew) delete doc.short_name;
    try {
      const saved = isNew ? await post('organisations', doc) : await patch('organisations/' + enc(o.short_name), doc);
      announce('Saved ' + saved.short_name);
      ctx.navigate('/constituents/' + enc(saved.short_name));
    } catch (e) {
      showError(form, e);
    }
  });
  view.append(h('h1', { id: 'edit-h' }, isNew ? 'Add a constituent' : 'Edit ' + o.short_name), form);
}

async function importer(view, ctx) {
  ctx.title('Import constituents');
  const file = h('input', { type: 'file', name: 'file', accept: '.csv,.json,text/csv,application/json' });
  const text = h('textarea', { name: 'body', rows: 10, spellcheck: 'false', placeholder: 'short_name,name,country,sector,type,parent,tlp,networks,asns,domains,contacts' });
  const format = select('format', [['csv', 'CSV'], ['json', 'JSON']], 'csv');
  const mode = select('mode', [['atomic', 'all or nothing'], ['partial', 'keep the good rows']], 'atomic');
  const conflict = select('on_conflict', [['error', 'an existing short name is an error'], ['update', 'update existing ones']], 'error');
  const result = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', novalidate: true },
    field('File', file, 'CSV with a header row, or JSON {"organisations": [...]}'), field('… or paste it here', text),
    h('div', { class: 'form-grid' }, field('Format', format), field('Mode', mode), field('Existing organisations', conflict)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Import')));
  file.addEventListener('change', () => { if (file.files[0] && /json$/i.test(file.files[0].name)) format.value = 'json'; });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    clear(result);
    const body = file.files[0] ? file.files[0] : text.value;
    if (!file.files[0] && !text.value.trim()) { showError(form, { field: 'file', message: 'Choose a file or paste its content.' }); return; }
    const type = format.value === 'json' ? 'application/json' : 'text/csv';
    let rep;
    try {
      rep = await api('POST', 'organisations/import', { body: body instanceof Blob ? new Blob([body], { type }) : body, type, query: { mode: mode.value, on_conflict: conflict.value } });
    } catch (e) {
      if (e.detail && typeof e.detail.rows === 'number') rep = e.detail; else if (e.detail && e.detail.error && e.detail.error.rows !== undefined) rep = e.detail.error;
      if (!rep) { showError(form, e); return; }
      result.append(notice('Nothing was imported: ' + e.message, 'error'));
    }
    result.append(section('Import report', dl([['Rows', String(rep.rows)], ['Imported', String(rep.imported)], ['Updated', String(rep.updated)], ['Failed', String(rep.failed)]]),
      rep.errors && rep.errors.length ? table([
        { label: 'Line', class: 'num', cell: (x) => String(x.line) }, { label: 'Field', cell: (x) => x.field || '' }, { label: 'Reason', cell: (x) => x.reason },
      ], rep.errors, { caption: 'Rows that failed' }) : null));
  });
  view.append(h('h1', null, 'Import constituents'), form, result);
}

export async function render(view, ctx) {
  if (ctx.view === 'detail') return detail(view, ctx);
  if (ctx.view === 'new') return edit(view, ctx, true);
  if (ctx.view === 'edit') return edit(view, ctx, false);
  if (ctx.view === 'import') return importer(view, ctx);
  return list(view, ctx);
}
