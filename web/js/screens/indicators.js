// Indicators of compromise (list with filters, add one, add many from a list, CSV or STIX
// bundle, detail with edit and delete), their sightings in logs, and retro-hunts of the log
// archive. Staff (admin, analyst) write; constituents read what the API lets them see.
import { correlationSection } from '../correlations.js';
import { get, post, patch, del, api } from '../api.js';
import { h, clear, fill, tlp, time, field, input, select, table, dl, section, notice, errorNotice, showError, clearErrors, announce, isStaff, button, fmtNumber, TLP_VALUES,  } from '../ui.js';
import { sightingTable, dayTable, orgNames, pager } from '../sightings.js';
import { selection, bulkBar } from './triage.js';
import { perDayChart, lastDays } from '../charts.js';

export const TYPES = ['ipv4', 'ipv6', 'cidr', 'domain', 'url', 'md5', 'sha1', 'sha256', 'sha512', 'email', 'ja3', 'ja4'];
const PAGE = 50;
const enc = encodeURIComponent;

// datetime-local (the viewer's time) <-> RFC 3339 UTC.
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
function tagList(v) {
  return v.split(',').map((t) => t.trim()).filter(Boolean);
}

// The server answers 409 to a retro-hunt when it has no log archive (detect_archive): then the
// retro-hunt controls are hidden for the rest of the session.
const NO_ARCHIVE = 'ermes-no-archive';
function archiveMissing() {
  try { return sessionStorage.getItem(NO_ARCHIVE) === '1'; } catch { return false; }
}
function noteArchiveMissing() {
  try { sessionStorage.setItem(NO_ARCHIVE, '1'); } catch { /* not kept */ }
  document.querySelectorAll('[data-retrohunt]').forEach((el) => { el.hidden = true; });
}
const NO_ARCHIVE_TEXT = 'Retro-hunts are not available: this server has no log archive (the detect_archive setting).';

// Starts a retro-hunt (ids: indicator ids, or null for every active indicator); out gets the
// outcome. Answers the job or null.
async function startHunt(ids, out, ctx) {
  clear(out);
  try {
    const job = await post('retrohunts', ids ? { indicators: ids } : {});
    announce('Retro-hunt ' + job.id + ' queued');
    if (ctx) ctx.navigate('/retrohunts');
    return job;
  } catch (e) {
    if (e.status === 409) {
      noteArchiveMissing();
      out.append(notice(NO_ARCHIVE_TEXT, 'info'));
    } else {
      out.append(errorNotice(e));
    }
    return null;
  }
}

// ---- list ---------------------------------------------------------------------------------

const FILTERS = ['type', 'value', 'source', 'tag', 'active'];

async function list(view, ctx) {
  ctx.title('Indicators');
  const staff = isStaff(ctx.user);
  const q = ctx.query;
  const actions = staff ? h('p', { class: 'actions' },
    h('a', { class: 'button primary', href: '/indicators/new' }, 'Add an indicator'),
    h('a', { class: 'button', href: '/indicators/import' }, 'Add many'),
    h('a', { class: 'button', href: '/retrohunts' }, 'Retro-hunts')) : null;
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Indicators'), actions));

  const f = {
    type: select('type', [['', 'any'], ...TYPES], q.get('type') || ''),
    value: input('value', { value: q.get('value') || '', maxlength: 2048, spellcheck: 'false', placeholder: 'exact value' }),
    source: input('source', { value: q.get('source') || '', maxlength: 256 }),
    tag: input('tag', { value: q.get('tag') || '', maxlength: 128 }),
    active: h('input', { type: 'checkbox', name: 'active', checked: q.get('active') === 'true' }),
  };
  const form = h('form', { class: 'card', role: 'search', 'aria-label': 'Filter indicators' },
    h('div', { class: 'filters' }, field('Type', f.type), field('Value', f.value), field('Source', f.source),
      field('Tag', f.tag), field('Valid now only', f.active)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter'), h('a', { class: 'button', href: '/indicators' }, 'Clear')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const k of FILTERS) {
      const v = k === 'active' ? (f.active.checked ? 'true' : '') : f[k].value.trim();
      if (v) p.set(k, v);
    }
    ctx.navigate('/indicators' + (p.toString() ? '?' + p : ''));
  });
  view.append(form);

  const query = { limit: PAGE, cursor: q.get('cursor') };
  for (const k of FILTERS) if (q.get(k)) query[k] = q.get(k);
  let page;
  try { page = await get('indicators', query); } catch (e) {
    if (e.field && f[e.field]) showError(form, e); else view.append(errorNotice(e));
    return;
  }
  const selected = new Set();
  const huntOut = h('div', { 'aria-live': 'polite' });
  const huntBtn = button('Retro-hunt the selected indicators', async () => {
    huntBtn.disabled = true;
    const job = await startHunt([...selected], huntOut, ctx);
    if (!job) huntBtn.disabled = false;
  }, { disabled: true, 'data-retrohunt': true, id: 'hunt-selected' });
  const pick = (i) => {
    const cb = h('input', { type: 'checkbox', 'aria-label': 'Select ' + i.value, dataset: { id: i.id } });
    cb.addEventListener('change', () => {
      if (cb.checked) selected.add(i.id); else selected.delete(i.id);
      huntBtn.disabled = selected.size === 0;
      huntBtn.textContent = 'Retro-hunt the selected indicators' + (selected.size ? ' (' + selected.size + ')' : '');
    });
    return cb;
  };
  view.append(table([
    staff ? { label: 'Select', cell: pick } : null,
    { label: 'Value', cell: (i) => h('a', { class: 'mono', href: '/indicators/' + i.id }, i.value) },
    { label: 'Type', cell: (i) => i.type + (i.exact ? ' (exact)' : '') },
    { label: 'Valid', cell: (i) => [time(i.valid_from), ' – ', i.valid_until ? time(i.valid_until) : 'open'] },
    { label: 'Confidence', class: 'num', cell: (i) => (i.confidence === null || i.confidence === undefined ? '' : String(i.confidence)) },
    { label: 'Source', cell: (i) => i.source || '' },
    { label: 'Tags', cell: (i) => (i.tags && i.tags.length ? h('ul', { class: 'chips' }, i.tags.map((t) => h('li', null, t))) : '') },
    { label: 'TLP', cell: (i) => tlp(i.tlp) },
  ].filter(Boolean), page.data, { caption: 'Indicators, oldest first', empty: 'No indicators match.', class: 'indicators' }));
  if (staff && page.data.length && !archiveMissing()) view.append(h('div', { class: 'actions', 'data-retrohunt': true }, huntBtn), huntOut);
  view.append(pager('/indicators', q, page.next_cursor, page.data.length));
}

// ---- add one ------------------------------------------------------------------------------

async function addOne(view, ctx) {
  ctx.title('Add an indicator');
  const f = {
    type: select('type', [['', 'guess from the value'], ...TYPES], ''),
    value: input('value', { required: true, maxlength: 2048, spellcheck: 'false', autocomplete: 'off', placeholder: '203.0.113.5, evil.example, https://…, a hash' }),
    exact: h('input', { type: 'checkbox', name: 'exact' }),
    tlp: select('tlp', TLP_VALUES, 'AMBER'),
    valid_until: input('valid_until', { type: 'datetime-local' }),
    confidence: input('confidence', { type: 'number', min: 0, max: 100, step: 1, inputmode: 'numeric' }),
    source: input('source', { maxlength: 256, placeholder: 'where it comes from' }),
    tags: input('tags', { maxlength: 1024, placeholder: 'c2, phishing' }),
  };
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'ni-h' },
    h('div', { class: 'form-grid' }, field('Type', f.type), field('Value', f.value),
      field('Exact domain', f.exact, 'a domain only, not its subdomains')),
    h('div', { class: 'form-grid' }, field('TLP', f.tlp), field('Valid until (your time)', f.valid_until, 'empty: no end'),
      field('Confidence (0–100)', f.confidence), field('Source', f.source), field('Tags', f.tags, 'separated by commas')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add the indicator'),
      h('a', { class: 'button', href: '/indicators' }, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const doc = { value: f.value.value.trim(), tlp: f.tlp.value };
    if (f.type.value) doc.type = f.type.value;
    if (f.exact.checked) doc.exact = true;
    if (f.valid_until.value) doc.valid_until = fromLocalInput(f.valid_until.value);
    if (f.confidence.value !== '') {
      const n = Number(f.confidence.value);
      doc.confidence = Number.isInteger(n) ? n : f.confidence.value; // the API says what is wrong
    }
    if (f.source.value.trim()) doc.source = f.source.value.trim();
    if (f.tags.value.trim()) doc.tags = tagList(f.tags.value);
    if (!doc.value) { showError(form, { field: 'value', message: 'Type the indicator.' }); return; }
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const r = await api('POST', 'indicators', { body: doc, withStatus: true });
      const created = r.status === 201;
      announce((created ? 'Added' : 'Updated') + ' indicator ' + r.body.id);
      ctx.navigate('/indicators/' + r.body.id + (created ? '' : '?updated=1'));
    } catch (e) {
      showError(form, e);
      btn.disabled = false;
    }
  });
  view.append(h('h1', { id: 'ni-h' }, 'Add an indicator'), form);
}

// ---- add many -----------------------------------------------------------------------------

const FORMATS = [
  ['', 'detect'],
  ['text/plain', 'a list, one value a line'],
  ['text/csv', 'CSV (a value column) or Zeek intel'],
  ['application/stix+json', 'STIX 2.1 bundle'],
];

// The Content-Type of a bulk body: chosen, or from the file name, or from the text.
function detectFormat(chosen, name, text) {
  if (chosen) return chosen;
  if (name && /\.csv$/i.test(name)) return 'text/csv';
  if (name && /\.(json|stix)$/i.test(name)) return 'application/stix+json';
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{')) return 'application/stix+json';
  if (head.startsWith('#fields') || head.startsWith('#separator')) return 'text/csv';
  const first = head.split(/\r?\n/, 1)[0].toLowerCase();
  if (first.includes(',') && first.split(',').map((c) => c.trim().replace(/^"|"$/g, '')).includes('value')) return 'text/csv';
  return 'text/plain';
}

async function addMany(view, ctx) {
  ctx.title('Add many indicators');
  const body = h('textarea', { name: 'body', rows: 10, spellcheck: 'false', placeholder: 'one indicator a line: 203.0.113.5, evil.example, https://…, a hash' });
  const file = h('input', { type: 'file', name: 'file', accept: '.txt,.csv,.json,.intel,text/plain,text/csv,application/json' });
  const format = select('format', FORMATS, '');
  const d = {
    tlp: select('tlp', [['', 'AMBER (default)'], ...TLP_VALUES.map((t) => [t, t])], ''),
    source: input('source', { maxlength: 256 }),
    confidence: input('confidence', { type: 'number', min: 0, max: 100, step: 1, inputmode: 'numeric' }),
    valid_until: input('valid_until', { type: 'datetime-local' }),
  };
  const result = h('div', { 'aria-live': 'polite', id: 'bulk-result' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'bulk-h' },
    field('Paste the indicators', body), field('… or upload a file', file, 'a list, CSV with a value column, a Zeek intel file or a STIX 2.1 bundle'),
    h('div', { class: 'form-grid' }, field('Format', format)),
    h('fieldset', null, h('legend', null, 'For entries that do not say'),
      h('div', { class: 'form-grid' }, field('TLP', d.tlp), field('Source', d.source), field('Confidence (0–100)', d.confidence),
        field('Valid until (your time)', d.valid_until))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add them'),
      h('a', { class: 'button', href: '/indicators' }, 'Back to the indicators')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    clear(result);
    const fl = file.files[0];
    if (!fl && !body.value.trim()) { showError(form, { field: 'body', message: 'Paste indicators or choose a file.' }); return; }
    const text = fl ? await fl.text() : body.value;
    const type = detectFormat(format.value, fl && fl.name, text);
    const query = {
      tlp: d.tlp.value, source: d.source.value.trim(), confidence: d.confidence.value,
      valid_until: d.valid_until.value ? fromLocalInput(d.valid_until.value) : '',
    };
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    let rep;
    try {
      rep = await api('POST', 'indicators', { body: new Blob([text], { type }), type, query });
    } catch (e) {
      showError(form, e);
      btn.disabled = false;
      return;
    }
    btn.disabled = false;
    announce('Added ' + rep.added + ', updated ' + rep.updated + ', rejected ' + rep.rejected);
    const lines = text.split(/\r?\n/);
    const errs = rep.errors || [];
    result.append(section('Result', dl([
      ['Format', FORMATS.find((x) => x[0] === type)[1]],
      ['Added', h('span', { id: 'bulk-added' }, fmtNumber(rep.added))], ['Updated', fmtNumber(rep.updated)],
      ['Rejected', h('span', { id: 'bulk-rejected' }, fmtNumber(rep.rejected))], ['Suppressed (warninglists)', fmtNumber(rep.suppressed)],
    ]), errs.length ? table([
      { label: 'Line', class: 'num', cell: (x) => (x.line !== undefined ? String(x.line) : 'entry ' + (x.index + 1)) },
      { label: 'Text', cell: (x) => (x.line !== undefined && lines[x.line - 1] !== undefined ? h('code', null, lines[x.line - 1].slice(0, 200)) : '') },
      { label: 'Reason', cell: (x) => x.reason },
    ], errs, { caption: 'Entries that were not added', captionVisible: true, class: 'bulk-errors' }) : notice('Every entry was read.', 'ok'),
    rep.suppressed_values && rep.suppressed_values.length ? table([
      { label: 'Value', cell: (x) => h('span', { class: 'mono' }, x.value) }, { label: 'Warninglist', cell: (x) => x.warninglist },
    ], rep.suppressed_values, { caption: 'Values on a warninglist', captionVisible: true }) : null,
    h('p', null, h('a', { href: '/indicators' }, 'See the indicators'))));
    const first = result.querySelector('h2');
    if (first) { first.setAttribute('tabindex', '-1'); first.focus(); }
  });
  view.append(h('h1', { id: 'bulk-h' }, 'Add many indicators'), form, result);
}

// ---- detail -------------------------------------------------------------------------------

function editForm(ind, ctx) {
  const f = {
    valid_from: input('valid_from', { type: 'datetime-local', value: toLocalInput(ind.valid_from) }),
    valid_until: input('valid_until', { type: 'datetime-local', value: toLocalInput(ind.valid_until) }),
    confidence: input('confidence', { type: 'number', min: 0, max: 100, step: 1, value: ind.confidence ?? '' }),
    tlp: select('tlp', TLP_VALUES, ind.tlp),
    source: input('source', { value: ind.source || '', maxlength: 256 }),
    tags: input('tags', { value: (ind.tags || []).join(', '), maxlength: 1024 }),
  };
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'edit-h', id: 'indicator-edit' },
    h('h2', { id: 'edit-h' }, 'Edit'),
    h('div', { class: 'form-grid' }, field('Valid from (your time)', f.valid_from), field('Valid until (your time)', f.valid_until, 'empty: no end'),
      field('Confidence (0–100)', f.confidence), field('TLP', f.tlp), field('Source', f.source), field('Tags', f.tags, 'separated by commas')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    // Only what changed: an empty field clears the member (null), as the API defines.
    const doc = {};
    const vf = f.valid_from.value ? fromLocalInput(f.valid_from.value) : null;
    if (f.valid_from.value !== toLocalInput(ind.valid_from)) doc.valid_from = vf;
    if (f.valid_until.value !== toLocalInput(ind.valid_until)) doc.valid_until = f.valid_until.value ? fromLocalInput(f.valid_until.value) : null;
    if (String(f.confidence.value) !== String(ind.confidence ?? '')) {
      const n = Number(f.confidence.value);
      doc.confidence = f.confidence.value === '' ? null : Number.isInteger(n) ? n : f.confidence.value;
    }
    if (f.tlp.value !== ind.tlp) doc.tlp = f.tlp.value;
    if (f.source.value.trim() !== (ind.source || '')) doc.source = f.source.value.trim() || null;
    const tags = tagList(f.tags.value);
    if (tags.join(',') !== (ind.tags || []).join(',')) doc.tags = tags.length ? tags : null;
    if (!Object.keys(doc).length) { announce('Nothing changed'); return; }
    try {
      await patch('indicators/' + ind.id, doc);
      announce('Saved indicator ' + ind.id);
      ctx.navigate('/indicators/' + ind.id, true);
    } catch (e) { showError(form, e); }
  });
  return form;
}

function deleteBox(ind, ctx) {
  const out = h('div', { 'aria-live': 'polite' });
  const confirmRow = h('p', { class: 'actions', hidden: true },
    'Delete ', h('span', { class: 'mono' }, ind.value), ' and its sightings? ',
    button('Delete for good', async () => {
      try {
        await del('indicators/' + ind.id);
        announce('Deleted indicator ' + ind.id);
        ctx.navigate('/indicators');
      } catch (e) { fill(out, errorNotice(e)); }
    }, { class: 'danger' }),
    button('Keep it', () => { confirmRow.hidden = true; first.hidden = false; first.focus(); }));
  const first = button('Delete…', () => {
    first.hidden = true;
    confirmRow.hidden = false;
    confirmRow.querySelector('button').focus();
  }, { class: 'danger' });
  return h('div', null, first, confirmRow, out);
}

async function detail(view, ctx) {
  const id = ctx.params[0];
  ctx.title('Indicator ' + id);
  let ind;
  try { ind = await get('indicators/' + id); } catch (e) { view.append(h('h1', null, 'Indicator ' + id), errorNotice(e)); return; }
  ctx.title(ind.value);
  const staff = isStaff(ctx.user);
  view.append(h('div', { class: 'head-row' },
    h('h1', null, 'Indicator ', h('span', { class: 'mono' }, ind.value), ' ', tlp(ind.tlp)),
    h('p', null, h('a', { href: '/indicators' }, 'All indicators'))));
  if (ctx.query.get('updated')) view.append(notice('It was stored already: its details were updated.', 'ok'));
  const cards = h('div', { class: 'cards' });
  cards.append(section('Indicator', dl([
    ['Value', h('span', { class: 'mono', id: 'indicator-value' }, ind.value)], ['Type', ind.type], ['Exact', ind.exact ? 'yes: not its subdomains' : 'no'],
    ['Valid from', ind.valid_from ? time(ind.valid_from) : 'no start'], ['Valid until', ind.valid_until ? time(ind.valid_until) : 'no end'],
    ['Confidence', ind.confidence === null || ind.confidence === undefined ? null : h('span', { id: 'indicator-confidence' }, String(ind.confidence))],
    ['Source', ind.source || null], ['Tags', ind.tags && ind.tags.length ? h('ul', { class: 'chips' }, ind.tags.map((t) => h('li', null, t))) : null],
    ['TLP', tlp(ind.tlp)], ['Added', time(ind.created_at)], ['Updated', time(ind.updated_at)],
  ])));
  view.append(cards);
  if (staff) {
    const huntOut = h('div', { 'aria-live': 'polite' });
    const tools = section('Actions', h('div', { class: 'actions' },
      archiveMissing() ? null : button('Retro-hunt the log archive for it', async (ev) => {
        ev.currentTarget.disabled = true;
        const b = ev.currentTarget;
        if (!(await startHunt([ind.id], huntOut, ctx))) b.disabled = false;
      }, { 'data-retrohunt': true }), deleteBox(ind, ctx)), huntOut);
    cards.append(editForm(ind, ctx), tools);
  }

  view.append(correlationSection([{ value: ind.value, type: ind.type }], { object: 'indicator', id: ind.id }));
  const names = await orgNames(ctx.user);
  const q = ctx.query;
  const daySec = section('Sightings per day', h('p', { class: 'muted' }, 'Loading…'));
  const sigSec = section('Sightings', h('p', { class: 'muted' }, 'Loading…'));
  view.append(daySec, sigSec);
  await Promise.all([
    get('indicators/' + id + '/sightings', { group: 'day', limit: 1000 }).then((p) => {
      fill(daySec, h('h2', null, 'Sightings per day'),
        perDayChart(lastDays(p.data, 30), 'Sightings of ' + ind.value + ' per day, last 30 days (UTC)'),
        dayTable(p.data.slice().reverse(), names, { noIndicator: true, caption: 'Sightings per day and constituent, newest first' }));
    }).catch((e) => fill(daySec, h('h2', null, 'Sightings per day'), errorNotice(e))),
    get('indicators/' + id + '/sightings', { limit: PAGE, cursor: q.get('cursor') }).then(async (p) => {
      // The CERT's staff triage this indicator's sightings here as on the sightings screen
      // (triage.js): a state per row; false positive and allow-list, open or join an incident
      // in bulk.
      const triage = staff ? selection('sightings') : null;
      const bar = triage ? await bulkBar(triage, { states: true, allowlist: true, heading: 'With the selected sightings of ' + ind.value, title: (ids) => 'Sightings of ' + ind.value + ': ' + ids.join(', ') }) : null;
      fill(sigSec, h('h2', null, 'Sightings'), bar,
        sightingTable(p.data, names, { noIndicator: true, caption: 'Where ' + ind.value + ' was seen, oldest first', triage }),
        pager('/indicators/' + id, q, p.next_cursor, p.data.length));
    }).catch((e) => fill(sigSec, h('h2', null, 'Sightings'), errorNotice(e))),
  ]);
}

// ---- sightings ----------------------------------------------------------------------------

const SFILTERS = ['indicator', 'value', 'org', 'since', 'until', 'sensor'];

async function sightings(view, ctx) {
  ctx.title('Sightings');
  const q = ctx.query;
  const staff = isStaff(ctx.user);
  const f = {
    value: input('value', { value: q.get('value') || '', maxlength: 2048, spellcheck: 'false', placeholder: 'observed or indicator value' }),
    indicator: input('indicator', { value: q.get('indicator') || '', inputmode: 'numeric', maxlength: 20, placeholder: 'id' }),
    org: input('org', { value: q.get('org') || '', maxlength: 64, placeholder: 'short name' }),
    sensor: input('sensor', { value: q.get('sensor') || '', maxlength: 256 }),
    since: input('since', { type: 'datetime-local', value: toLocalInput(q.get('since')) }),
    until: input('until', { type: 'datetime-local', value: toLocalInput(q.get('until')) }),
    group: select('group', [['', 'every sighting'], ['day', 'counts per day']], q.get('group') || ''),
  };
  if (!staff) f.org.disabled = true;
  const form = h('form', { class: 'card', 'aria-label': 'Filter sightings' },
    h('div', { class: 'filters' }, field('Value', f.value), field('Indicator', f.indicator), field('Constituent', f.org),
      field('Sensor', f.sensor), field('From (your time)', f.since), field('Until (exclusive)', f.until), field('Show', f.group)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter'), h('a', { class: 'button', href: '/sightings' }, 'Clear')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const [k, el] of Object.entries(f)) {
      const v = k === 'since' || k === 'until' ? fromLocalInput(el.value) : el.value.trim();
      if (v) p.set(k, v);
    }
    ctx.navigate('/sightings' + (p.toString() ? '?' + p : ''));
  });
  view.append(h('h1', null, 'Sightings'), form);
  const query = { limit: q.get('group') ? 1000 : PAGE, cursor: q.get('cursor'), group: q.get('group') };
  for (const k of SFILTERS) if (q.get(k)) query[k] = q.get(k);
  let page;
  try { page = await get('sightings', query); } catch (e) {
    if (e.field && f[e.field]) showError(form, e); else view.append(errorNotice(e));
    return;
  }
  const names = await orgNames(ctx.user);
  // The CERT's staff triage the sightings listed (triage.js): a state per row, and in bulk.
  const triage = staff && !q.get('group') ? selection('sightings') : null;
  if (triage) view.append(await bulkBar(triage, { states: true, allowlist: true, title: (ids) => 'Sightings ' + ids.join(', ') }));
  view.append(q.get('group') ? dayTable(page.data, names, { caption: 'Sightings per indicator, constituent and day' })
    : sightingTable(page.data, names, { caption: 'Sightings, oldest first', empty: 'No sightings match.', triage }));
  view.append(pager('/sightings', q, page.next_cursor, page.data.length));
}

// ---- retro-hunts --------------------------------------------------------------------------

function bar(label, done, total) {
  if (!total) return h('span', { class: 'progress-row' }, label, ': ', fmtNumber(done || 0));
  return h('span', { class: 'progress-row' }, h('span', null, label, ': ', fmtNumber(done || 0), ' / ', fmtNumber(total)),
    h('progress', { max: total, value: Math.min(done || 0, total), 'aria-label': label + ' ' + (done || 0) + ' of ' + total }));
}

function jobRows(jobs, refresh) {
  return table([
    { label: 'Job', cell: (j) => '#' + j.id },
    { label: 'State', cell: (j) => h('span', { class: 'state state-' + j.state }, j.state, j.cancel_requested && j.state === 'running' ? ' (stopping)' : '') },
    { label: 'Indicators', cell: (j) => (j.indicator_ids ? (j.indicator_ids.length <= 5
      ? j.indicator_ids.flatMap((id, i) => [i ? ', ' : '', h('a', { href: '/indicators/' + id }, '#' + id)])
      : fmtNumber(j.indicator_ids.length) + ' chosen') : (j.indicators !== null && j.indicators !== undefined ? fmtNumber(j.indicators) + ' active' : 'every active one')) },
    {
      label: 'Progress',
      cell: (j) => {
        const p = j.progress || {};
        return h('div', { class: 'progress' },
          bar('Files', p.files_done, p.files_total),
          bar('Bytes', p.bytes_done, p.bytes_total),
          h('span', { class: 'muted' }, fmtNumber(p.records || 0), ' records, ', fmtNumber(p.matches || 0), ' matches, ',
            fmtNumber(p.sightings || 0), ' new sightings', p.files_failed ? ', ' + p.files_failed + ' files failed' : ''),
          p.current_file && j.state === 'running' ? h('span', { class: 'mono muted' }, p.current_file) : null);
      },
    },
    { label: 'Requested', cell: (j) => [time(j.created_at), ' by ', j.requested_by || '?', j.retry_of ? ' (retry of #' + j.retry_of + ')' : ''] },
    { label: 'Finished', cell: (j) => time(j.finished_at) },
    { label: 'Error', cell: (j) => j.error || '' },
    {
      label: 'Action',
      cell: (j) => ((j.state === 'queued' || j.state === 'running') && !j.cancel_requested ? button('Cancel', async (ev) => {
        ev.currentTarget.disabled = true;
        try { await post('retrohunts/' + j.id + '/cancel'); announce('Retro-hunt ' + j.id + ' cancelled'); } catch (e) { announce(e.message); }
        refresh();
      }, { 'aria-label': 'Cancel retro-hunt ' + j.id }) : ''),
    },
  ], jobs, { caption: 'Retro-hunts, newest first', empty: 'No retro-hunts yet.', class: 'retrohunts' });
}

async function retrohunts(view, ctx) {
  ctx.title('Retro-hunts');
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Retro-hunts'), h('p', null, h('a', { href: '/indicators' }, 'Indicators'))));
  const out = h('div', { 'aria-live': 'polite' });
  const start = h('div', { class: 'card', 'data-retrohunt': true },
    h('p', null, 'A retro-hunt searches the log archive for indicators added after the logs were written. ',
      'To hunt for some indicators, select them in the ', h('a', { href: '/indicators' }, 'list of indicators'), '.'),
    h('div', { class: 'actions' }, button('Hunt for every active indicator', async (ev) => {
      ev.currentTarget.disabled = true;
      const b = ev.currentTarget;
      if (await startHunt(null, out, null)) { b.disabled = false; await load(); } else b.disabled = false;
    }, { class: 'primary' })));
  if (archiveMissing()) { start.hidden = true; out.append(notice(NO_ARCHIVE_TEXT, 'info')); }
  const box = h('div');
  view.append(start, out, box);
  const q = ctx.query;
  let timer = null;
  async function load() {
    let page;
    try { page = await get('retrohunts', { limit: PAGE, cursor: q.get('cursor') }); } catch (e) { fill(box, errorNotice(e)); return; }
    if (!ctx.isCurrent()) return;
    fill(box, jobRows(page.data, load), pager('/retrohunts', q, page.next_cursor, page.data.length));
    // Follow the jobs that are still going, twice a second at most, while this screen shows.
    clearTimeout(timer);
    if (page.data.some((j) => j.state === 'queued' || j.state === 'running')) {
      timer = setTimeout(() => { if (ctx.isCurrent()) load(); }, 1000);
    }
  }
  await load();
}

export async function render(view, ctx) {
  if (ctx.view === 'sightings') return sightings(view, ctx);
  if (ctx.view === 'new') return addOne(view, ctx);
  if (ctx.view === 'import') return addMany(view, ctx);
  if (ctx.view === 'detail') return detail(view, ctx);
  if (ctx.view === 'retrohunts') return retrohunts(view, ctx);
  return list(view, ctx);
}
