// Reports (upload a feed file, the accounting of each report, the collectors that fetch feeds
// on a schedule) and the quarantine (inspect the rows that failed, retry them).
import { get, api, post } from '../api.js';
import { h, clear, fill, tlp, time, field, select, input, table, dl, section, notice, errorNotice, showError, clearErrors, announce, fmtNumber, button } from '../ui.js';

const enc = encodeURIComponent;

function stateCell(s) { return h('span', { class: 'state state-' + s }, s); }
function acc(r, k) { return r.accounting ? fmtNumber(r.accounting[k]) : ''; }

async function uploadForm(ctx) {
  let feeds = [];
  try { feeds = (await get('feeds')).data; } catch { /* the form still works with a typed name */ }
  const feed = select('feed', feeds.map((f) => [f.name, f.name]), 'shadowserver', { required: true });
  const file = h('input', { type: 'file', name: 'file', required: true });
  const opt = input('option', { placeholder: 'report=scan_ssl', maxlength: 512 });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'upload-h' },
    h('h2', { id: 'upload-h' }, 'Upload a report'),
    h('div', { class: 'form-grid' }, field('Feed', feed), field('File', file), field('Option (key=value)', opt, 'optional, e.g. report=TYPE for a Shadowserver file without its usual name')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Upload and process')), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    clear(out);
    if (!file.files[0]) { showError(form, { field: 'file', message: 'Choose the file to upload.' }); return; }
    const fd = new FormData();
    fd.append('feed', feed.value);
    fd.append('file_name', file.files[0].name);
    if (opt.value.trim()) fd.append('option', opt.value.trim());
    fd.append('file', file.files[0], file.files[0].name);
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    out.append(h('p', { class: 'muted' }, 'Uploading and processing…'));
    try {
      const r = await api('POST', 'reports', { body: fd, query: { wait: 'true' } });
      announce('Report ' + r.id + ' ' + r.state);
      ctx.navigate('/reports/' + r.id);
    } catch (e) {
      clear(out);
      showError(form, e);
      btn.disabled = false;
    }
  });
  return form;
}

// ---- collectors (GET /api/v1/collectors): feeds fetched on a schedule ----

function collectorCells(c, refresh) {
  const out = h('span', { 'aria-live': 'polite' });
  const run = button('Run now', async () => {
    run.disabled = true;
    fill(out, ' ', h('span', { class: 'muted' }, 'running…'));
    try {
      const r = await post('collectors/' + enc(c.name) + '/run');
      announce('Collector ' + c.name + ': ' + r.status);
      refresh(r);
    } catch (e) {
      const msg = e.status === 409 ? 'it is running already' : e.status === 503 ? 'the daemon runs no collectors' : e.message;
      fill(out, ' ', h('span', { class: 'field-error', role: 'alert' }, msg));
      run.disabled = false;
    }
  }, { 'aria-label': 'Run collector ' + c.name + ' now' });
  return h('span', null, run, out);
}

function collectorRow(c, refresh) {
  const tr = h('tr', { dataset: { collector: c.name } });
  const cells = [
    ['Name', h('strong', null, c.name)],
    ['Feed', c.feed],
    ['URL', h('span', { class: 'mono' }, c.url || '')],
    ['Every', c.interval ? Math.round(c.interval / 60) + ' min' : ''],
    ['State', [stateCell(c.status), c.enabled === false ? ' (disabled)' : '', c.failures ? ' · ' + c.failures + (c.failures === 1 ? ' failure' : ' failures in a row') : '']],
    ['Last run', [time(c.last_run), c.http_status ? ' (HTTP ' + c.http_status + ')' : '']],
    ['Last error', c.last_error ? h('span', { class: 'field-error' }, c.last_error) : ''],
    ['Next run', c.enabled === false ? 'disabled' : time(c.next_run)],
    ['Last report', c.last_report_id ? h('a', { href: '/reports/' + c.last_report_id }, '#' + c.last_report_id) : ''],
    ['Action', collectorCells(c, (r) => tr.replaceWith(collectorRow(r, refresh)))],
  ];
  for (const [label, v] of cells) tr.append(h('td', { dataset: { label } }, v));
  return tr;
}

async function collectors(into) {
  let page;
  try { page = await get('collectors'); } catch (e) {
    if (e.status === 404) return; // a server without collectors
    into.append(errorNotice(e));
    return;
  }
  if (!page.data.length) {
    into.append(h('p', { class: 'muted' }, 'No collectors yet: administrators add them on the Administration screen (Collectors), with `ermes collectors add` or as [collector "NAME"] sections of the configuration file.'));
    return;
  }
  const labels = ['Name', 'Feed', 'URL', 'Every', 'State', 'Last run', 'Last error', 'Next run', 'Last report', 'Action'];
  const tb = h('tbody');
  for (const c of page.data) tb.append(collectorRow(c));
  into.append(h('div', { class: 'table-wrap' }, h('table', { class: 'grid stack collectors' },
    h('caption', { class: 'sr' }, 'Collectors'),
    h('thead', null, h('tr', null, labels.map((l) => h('th', { scope: 'col' }, l)))), tb)));
}

// ---- the feed catalogue (GET /api/v1/collector-presets): a preset becomes a collector ----
// Picking a preset shows what it is and the command that stores it (`ermes collectors add
// --preset`); administrators add it on the Administration screen (admin_collectors.js).

function presetDetails(p, name) {
  const needs = { api_key: 'an API key (--api-key)', credentials: 'an account, user:password (--api-key)', asn: 'an AS number (--asn)', api_key_secret: 'an API key and its secret, KEY:SECRET (--api-key)', container_url: "your Azure container's URL with its SAS token (--container-url)" };
  const flags = { asn: ' --asn AS_NUMBER', nothing: '', credentials: " --api-key 'USER:PASSWORD'", api_key_secret: " --api-key 'API_KEY:SECRET'", container_url: " --container-url 'https://ACCOUNT.blob.core.windows.net/CONTAINER?SAS_TOKEN'" };
  const flag = p.needs in flags ? flags[p.needs] : " --api-key 'YOUR_KEY'";
  const cmd = 'ermes collectors add --preset ' + p.name + (name && name !== p.name ? ' --name ' + name : '') + flag;
  return h('div', { class: 'preset-details' },
    dl([
      ['Provider', p.provider],
      ['What', p.title],
      ['URL', h('span', { class: 'mono' }, p.url)],
      ['Parser', p.parser + (p.options.length ? ' (' + p.options.join(', ') + ')' : '')],
      ['Every', Math.round(p.interval / 60) + ' min'],
      ['TLP', tlp(p.tlp)],
      ['Needs', needs[p.needs] || 'nothing'],
      ['Documentation', h('a', { href: p.documentation, rel: 'noopener noreferrer', target: '_blank' }, p.documentation)],
    ]),
    h('p', null, 'Add it on the Administration screen (Collectors), or run on the server (the daemons pick it up within seconds):'),
    h('pre', { class: 'mono preset-command', tabindex: '0', 'aria-label': 'Command that adds this collector' }, cmd));
}

async function presetPicker(into) {
  let presets;
  try { presets = (await get('collector-presets')).data; } catch (e) {
    if (e.status === 404) return;
    into.append(errorNotice(e));
    return;
  }
  const pick = select('preset', [['', 'Choose a feed…'], ...presets.map((p) => [p.name, p.provider + ': ' + p.title])], '', {});
  const name = input('collector-name', { placeholder: 'the preset\'s name', maxlength: 63, pattern: '[A-Za-z0-9._-]+' });
  const out = h('div', { 'aria-live': 'polite' });
  const show = () => {
    const p = presets.find((x) => x.name === pick.value);
    clear(out);
    if (p) out.append(presetDetails(p, name.value.trim()));
  };
  pick.addEventListener('change', show);
  name.addEventListener('input', show);
  into.append(h('div', { class: 'card presets', 'aria-labelledby': 'presets-h' },
    h('h3', { id: 'presets-h' }, 'Add a collector from the catalogue'),
    h('div', { class: 'form-grid' }, field('Preset', pick), field('Collector name', name, 'optional')),
    out));
}

async function list(view, ctx) {
  ctx.title('Reports');
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Reports'), h('p', null, h('a', { href: '/quarantine' }, 'Quarantine'))));
  view.append(await uploadForm(ctx));
  const col = section('Collectors');
  view.append(col);
  await collectors(col);
  await presetPicker(col);
  let page;
  try { page = await get('reports', { limit: 100, cursor: ctx.query.get('cursor'), feed: ctx.query.get('feed'), state: ctx.query.get('state') }); } catch (e) { view.append(errorNotice(e)); return; }
  view.append(table([
    { label: 'Report', cell: (r) => h('a', { href: '/reports/' + r.id }, '#' + r.id) },
    { label: 'File', cell: (r) => r.file_name || '' },
    { label: 'Feed', cell: (r) => r.feed },
    { label: 'Received', cell: (r) => time(r.received_at) },
    { label: 'State', cell: (r) => stateCell(r.state) },
    { label: 'Rows in', class: 'num', cell: (r) => acc(r, 'rows_in') },
    { label: 'Events', class: 'num', cell: (r) => acc(r, 'events') },
    { label: 'Duplicates', class: 'num', cell: (r) => acc(r, 'duplicates') },
    { label: 'Quarantined', class: 'num', cell: (r) => (r.accounting && r.accounting.quarantined ? h('a', { href: '/quarantine?report=' + r.id }, acc(r, 'quarantined')) : acc(r, 'quarantined')) },
    { label: 'TLP', cell: (r) => tlp(r.tlp) },
  ], page.data, { caption: 'Reports, newest first', empty: 'No reports yet.' }));
  if (page.next_cursor) {
    const next = new URLSearchParams(ctx.query); next.set('cursor', page.next_cursor);
    view.append(h('nav', { class: 'pager', 'aria-label': 'Pages' }, h('a', { class: 'button', href: '/reports?' + next }, 'Next page')));
  }
}

async function detail(view, ctx) {
  const id = ctx.params[0];
  ctx.title('Report ' + id);
  let r;
  try { r = await get('reports/' + id); } catch (e) { view.append(h('h1', null, 'Report ' + id), errorNotice(e)); return; }
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Report ', id, ' ', tlp(r.tlp)), h('p', null, h('a', { href: '/reports' }, 'All reports'))));
  const a = r.accounting || {};
  view.append(h('div', { class: 'figures', 'aria-label': 'Accounting' },
    h('div', { class: 'figure' }, h('span', { class: 'n', id: 'acc-rows' }, fmtNumber(a.rows_in ?? 0)), 'rows in'),
    h('a', { class: 'figure', href: '/events?report=' + r.id }, h('span', { class: 'n', id: 'acc-events' }, fmtNumber(a.events ?? 0)), 'events'),
    h('div', { class: 'figure' }, h('span', { class: 'n', id: 'acc-dups' }, fmtNumber(a.duplicates ?? 0)), 'duplicates'),
    h('a', { class: 'figure' + (a.quarantined ? ' bad' : ''), href: '/quarantine?report=' + r.id }, h('span', { class: 'n', id: 'acc-quarantined' }, fmtNumber(a.quarantined ?? 0)), 'quarantined')));
  view.append(section('Report', dl([
    ['File', r.file_name], ['Feed', r.feed], ['State', stateCell(r.state)], ['Error', r.error],
    ['Size', fmtNumber(r.size) + ' bytes'], ['SHA-256', h('code', null, r.sha256 || '')],
    ['Received', time(r.received_at)], ['Processed', time(r.processed_at)], ['Submitted by', r.submitted_by], ['TLP', tlp(r.tlp)],
  ])));
  if (a.quarantined) {
    const sec = section('Quarantined rows');
    view.append(sec);
    await quarantineTable(sec, { report: r.id });
  }
}

function rawText(raw) {
  if (raw && typeof raw === 'object' && raw.base64) return '(not UTF-8; base64) ' + raw.base64;
  return String(raw ?? '');
}

async function quarantineTable(into, filters) {
  let page;
  try { page = await get('quarantine', { ...filters, limit: 200 }); } catch (e) { into.append(errorNotice(e)); return null; }
  into.append(table([
    { label: 'Row', cell: (q) => ['#', String(q.id)] },
    { label: 'Report', cell: (q) => h('a', { href: '/reports/' + q.report_id }, q.report_id + ':' + q.line) },
    { label: 'Feed', cell: (q) => q.feed || '' },
    { label: 'Reason', cell: (q) => [q.field ? h('code', null, q.field) : null, q.field ? ': ' : '', q.reason] },
    { label: 'Raw', cell: (q) => h('details', null, h('summary', null, 'Show the row'), h('pre', null, rawText(q.raw))) },
    { label: 'State', cell: (q) => [stateCell(q.state), q.retried_event_id ? [' → ', h('a', { href: '/events/' + q.retried_event_id }, 'event ' + q.retried_event_id)] : ''] },
    { label: 'Action', cell: (q) => (q.state === 'open' ? retryButton(q) : '') },
  ], page.data, { caption: 'Quarantined rows', empty: 'No quarantined rows.' }));
  return page;
}

function retryButton(q) {
  const out = h('span', { 'aria-live': 'polite' });
  const b = h('button', { type: 'button', 'aria-label': 'Retry row ' + q.id }, 'Retry');
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      const r = await post('quarantine/' + q.id + '/retry');
      fill(out, ' ', r.event_id ? h('a', { href: '/events/' + r.event_id }, 'event ' + r.event_id) : 'a duplicate');
      b.replaceWith(stateCell('retried'));
    } catch (e) {
      fill(out, h('span', { class: 'field-error', role: 'alert' }, ' ', e.message));
      b.disabled = false;
    }
  });
  return h('span', null, b, out);
}

async function quarantine(view, ctx) {
  ctx.title('Quarantine');
  const state = ctx.query.get('state') ?? 'open';
  const report = ctx.query.get('report') || '';
  const st = select('state', [['', 'any'], ['open', 'open'], ['retried', 'retried'], ['resolved', 'resolved']], state);
  const rep = input('report', { value: report, inputmode: 'numeric', maxlength: 20 });
  const form = h('form', { class: 'card', 'aria-label': 'Filter quarantined rows' }, h('div', { class: 'filters' }, field('State', st), field('Report', rep)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams({ state: st.value });
    if (rep.value.trim()) p.set('report', rep.value.trim());
    ctx.navigate('/quarantine?' + p);
  });
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Quarantine'), h('p', null, h('a', { href: '/reports' }, 'Reports'))), form);
  const box = h('div');
  view.append(box);
  try {
    await quarantineTable(box, { state, report });
  } catch (e) { showError(form, e); }
}

export async function render(view, ctx) {
  if (ctx.view === 'detail') return detail(view, ctx);
  if (ctx.view === 'quarantine') return quarantine(view, ctx);
  return list(view, ctx);
}
