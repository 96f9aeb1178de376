// Administration: the collectors. Every collector with its state (GET /api/v1/collectors);
// those stored in the database are added from a catalogue preset or as a MISP feed
// (POST /api/v1/collectors),
// edited, enabled or disabled (PATCH), deleted (DELETE) and run now, and every daemon picks the
// change up within seconds; those of the config file are shown read-only. A credential (the
// preset's API key, user:password...) is a write-only field: the server never sends it back.
import { get, post, patch, del } from '../api.js';
import { h, fill, time, field, input, select, table, section, errorNotice, showError, clearErrors, announce, button } from '../ui.js';

const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
const NEEDS = {
  api_key: 'API key',
  credentials: 'Account (user:password)',
  asn: 'AS number',
  api_key_secret: 'API key and secret (KEY:SECRET)',
  container_url: 'Container URL with its SAS token',
};
const enc = encodeURIComponent;

function stateOf(c) {
  const s = c.definition_error ? 'invalid' : c.enabled ? c.status : 'disabled';
  return [h('span', { class: 'state-' + (c.status === 'error' || c.definition_error ? 'failed' : c.status) }, s),
    c.failures ? ' · ' + c.failures + (c.failures === 1 ? ' failure' : ' failures in a row') : ''];
}

// The inline editor of a stored collector: only the fields changed are sent.
function editForm(c, reload) {
  const url = input('url', { value: '', maxlength: 4096, placeholder: 'unchanged: ' + (c.url || '') });
  const interval = input('interval', { type: 'number', min: 1, max: 2592000, value: String(c.interval) });
  const tlp = select('tlp', TLPS, c.tlp || 'AMBER');
  const options = h('textarea', { name: 'options', rows: 2, maxlength: 8192, placeholder: 'key=value, one a line' }, (c.options || []).join('\n'));
  const value = input('value', { type: 'password', autocomplete: 'new-password', maxlength: 4096, placeholder: c.credentials ? '(set, not shown: type a new one)' : '(none)' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const form = h('form', { class: 'collector-edit form-grid', novalidate: true, 'aria-label': 'Edit collector ' + c.name },
    field('URL', url, 'empty: unchanged'), field('Every (seconds)', interval), field('TLP', tlp),
    field('Parser options', options), field('Credential', value, 'write-only; empty: unchanged'),
    h('div', { class: 'actions' }, save));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    if (url.value.trim()) body.url = url.value.trim();
    if (Number(interval.value) !== c.interval) body.interval = Number(interval.value);
    if (tlp.value !== c.tlp) body.tlp = tlp.value;
    const opts = options.value.split('\n').map((l) => l.trim()).filter(Boolean);
    if (opts.join('\n') !== (c.options || []).join('\n')) body.options = opts;
    if (value.value) body.value = value.value;
    save.disabled = true;
    try {
      await patch('collectors/' + enc(c.name), body);
      announce('Collector ' + c.name + ' saved');
      await reload();
    } catch (e) { showError(form, e); save.disabled = false; }
  });
  return form;
}

function actions(c, reload, row) {
  const out = h('span', { 'aria-live': 'polite', class: 'collector-out' });
  const fail = (e) => fill(out, ' ', h('span', { class: 'field-error', role: 'alert' }, e.status === 409 && e.message ? e.message : e.status === 503 ? 'the daemon runs no collectors' : e.message));
  const run = button('Run now', async () => {
    run.disabled = true;
    fill(out, ' ', h('span', { class: 'muted' }, 'running…'));
    try {
      const r = await post('collectors/' + enc(c.name) + '/run');
      announce('Collector ' + c.name + ': ' + r.status);
      await reload();
    } catch (e) { fail(e); run.disabled = false; }
  }, { 'aria-label': 'Run collector ' + c.name + ' now' });
  if (c.source !== 'database') return h('span', null, h('span', { class: 'muted' }, 'config file (read-only) '), run, out);
  const toggle = button(c.enabled ? 'Disable' : 'Enable', async () => {
    toggle.disabled = true;
    try {
      await patch('collectors/' + enc(c.name), { enabled: !c.enabled });
      announce('Collector ' + c.name + (c.enabled ? ' disabled' : ' enabled'));
      await reload();
    } catch (e) { fail(e); toggle.disabled = false; }
  }, { 'aria-label': (c.enabled ? 'Disable' : 'Enable') + ' collector ' + c.name, 'aria-pressed': String(!c.enabled) });
  const edit = button('Edit', () => {
    const next = row().nextElementSibling;
    if (next && next.classList.contains('collector-editor')) { next.remove(); return; }
    row().after(h('tr', { class: 'collector-editor' }, h('td', { colspan: 8 }, editForm(c, reload))));
  }, { 'aria-label': 'Edit collector ' + c.name });
  const remove = button('Delete', async () => {
    if (!window.confirm('Delete collector ' + c.name + '? Its reports stay.')) return;
    try {
      await del('collectors/' + enc(c.name));
      announce('Collector ' + c.name + ' deleted');
      await reload();
    } catch (e) { fail(e); }
  }, { 'aria-label': 'Delete collector ' + c.name, class: 'danger' });
  return h('span', { class: 'actions' }, run, toggle, edit, remove, out);
}

// Adding from a preset: the name, what the preset needs (a write-only field), and optionally
// another URL, interval and TLP than the preset's.
function addForm(presets, reload) {
  const pick = select('preset', [['', 'Choose a feed…'], ...presets.map((p) => [p.name, p.provider + ': ' + p.title])], '');
  const name = input('name', { maxlength: 63, pattern: '[A-Za-z0-9._-]+', placeholder: "the preset's name" });
  const value = input('value', { type: 'password', autocomplete: 'new-password', maxlength: 4096 });
  const url = input('url', { maxlength: 4096, placeholder: "the preset's" });
  const interval = input('interval', { type: 'number', min: 1, max: 2592000, placeholder: "the preset's" });
  const tlp = select('tlp', [['', "the preset's"], ...TLPS], '');
  const valueField = field('Credential', value, 'write-only: stored in the database, never shown again');
  const info = h('p', { class: 'hint', 'aria-live': 'polite' });
  const add = h('button', { type: 'submit', class: 'primary' }, 'Add collector');
  const form = h('form', { class: 'collector-add', novalidate: true, 'aria-label': 'Add a collector' },
    h('div', { class: 'form-grid' }, field('Preset', pick), field('Name', name, 'optional'), valueField,
      field('URL', url, 'optional'), field('Every (seconds)', interval, 'optional'), field('TLP', tlp, 'optional')),
    info, h('div', { class: 'actions' }, add));
  const show = () => {
    const p = presets.find((x) => x.name === pick.value);
    valueField.hidden = !p || p.needs === 'nothing';
    valueField.querySelector('label').textContent = p && NEEDS[p.needs] ? NEEDS[p.needs] : 'Credential';
    info.textContent = p ? p.parser + ', every ' + Math.round(p.interval / 60) + ' min, TLP:' + p.tlp + ' — ' + p.url : '';
  };
  pick.addEventListener('change', show);
  show();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { preset: pick.value };
    if (name.value.trim()) body.name = name.value.trim();
    if (!valueField.hidden) body.value = value.value;
    if (url.value.trim()) body.url = url.value.trim();
    if (interval.value) body.interval = Number(interval.value);
    if (tlp.value) body.tlp = tlp.value;
    add.disabled = true;
    try {
      const c = await post('collectors', body);
      announce('Collector ' + c.name + ' added');
      clearErrors(form);
      form.reset();
      show();
      await reload();
    } catch (e) { showError(form, e); }
    add.disabled = false;
  });
  return form;
}

// A MISP feed (another ermes's /feeds/misp/GROUP/, a MISP instance's or CIRCL's feed): its new
// events become indicators at each run. The token is write-only, sent as a bearer header.
function mispForm(reload) {
  const name = input('name', { maxlength: 63, pattern: '[A-Za-z0-9._-]+', required: true });
  const url = input('url', { maxlength: 4096, required: true, placeholder: 'https://peer.example/feeds/misp/community/' });
  const token = input('token', { type: 'password', autocomplete: 'new-password', maxlength: 4000 });
  const interval = input('interval', { type: 'number', min: 1, max: 2592000, value: '3600' });
  const add = h('button', { type: 'submit', class: 'primary' }, 'Add MISP feed');
  const form = h('form', { class: 'collector-misp', novalidate: true, 'aria-label': 'Add a MISP feed' },
    h('div', { class: 'form-grid' }, field('Name', name), field('Feed URL', url, "the directory of manifest.json"),
      field('Token', token, 'optional, write-only: sent as Authorization: Bearer'), field('Every (seconds)', interval)),
    h('div', { class: 'actions' }, add));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { name: name.value.trim(), feed: 'misp-feed', url: url.value.trim() };
    if (interval.value) body.interval = Number(interval.value);
    if (token.value) body.headers = ['Authorization: Bearer ' + token.value];
    add.disabled = true;
    try {
      const c = await post('collectors', body);
      announce('MISP feed ' + c.name + ' added');
      clearErrors(form);
      form.reset();
      await reload();
    } catch (e) { showError(form, e); }
    add.disabled = false;
  });
  return form;
}

export async function collectorsSection() {
  const sec = section('Collectors');
  const box = h('div');
  async function load() {
    let r;
    try { r = await get('collectors'); } catch (e) { fill(box, errorNotice(e)); return; }
    const rows = new Map();
    const t = table([
      { label: 'Name', cell: (c) => [h('strong', null, c.name), c.preset ? h('div', { class: 'muted' }, 'preset ' + c.preset) : ''] },
      { label: 'Source', cell: (c) => (c.source === 'database' ? 'database' : 'config file') },
      { label: 'Feed', cell: (c) => [c.feed, h('div', { class: 'mono muted' }, c.url || '')] },
      { label: 'Every', cell: (c) => Math.round(c.interval / 60) + ' min' },
      { label: 'State', cell: (c) => stateOf(c) },
      { label: 'Last run', cell: (c) => [time(c.last_run), c.http_status ? ' (HTTP ' + c.http_status + ')' : ''] },
      { label: 'Last error', cell: (c) => (c.definition_error || c.last_error ? h('span', { class: 'field-error' }, c.definition_error || c.last_error) : '') },
      { label: 'Action', cell: (c) => actions(c, load, () => rows.get(c.name)) },
    ], r.data, { caption: 'Collectors', class: 'collectors-admin', empty: 'No collectors yet: add one from the catalogue below.' });
    t.querySelectorAll('tbody tr').forEach((tr, i) => { if (r.data[i]) { tr.dataset.collector = r.data[i].name; rows.set(r.data[i].name, tr); } });
    fill(box, t);
  }
  let presets = [];
  try { presets = (await get('collector-presets')).data; } catch (e) { sec.append(errorNotice(e)); }
  sec.append(h('p', { class: 'hint' }, 'Collectors stored in the database are run by every daemon from its next round (within seconds), without a restart; changes are audited. Those of the configuration file ([collector "NAME"] sections) are changed in the file.'),
    box, h('h3', null, 'Add a collector from the catalogue'), addForm(presets, load),
    h('h3', null, 'Add a MISP feed'), h('p', { class: 'hint' }, 'Its events new or changed since the last run become indicators (TLP from each event).'), mispForm(load));
  await load();
  return sec;
}
