// Triage: the incident reports of the mail intake (the queue of those no incident holds yet,
// or all, and one report with its body, observables and what the incident rules decided), and
// the triage controls the events and sightings lists share: a checkbox and a state per row,
// and a bar that sets a state, allow-lists false positives, or opens or joins an incident for
// the rows selected. Everything goes through POST /api/v1/triage and
// PATCH /api/v1/{events,sightings}/{id}.
import { get, post, patch } from '../api.js';
import { h, tlp, time, select, field, table, dl, section, notice, errorNotice, announce, showError, clearErrors, TLP_VALUES } from '../ui.js';

const enc = encodeURIComponent;
const PAGE = 50;
export const TRIAGE_STATES = ['new', 'confirmed', 'false_positive', 'benign', 'duplicate'];
const SEVERITIES = ['low', 'medium', 'high', 'critical'];
const words = (s) => String(s).replace(/_/g, ' ');
const NOUN = { events: ['event', 'events'], sightings: ['sighting', 'sightings'], reports: ['report', 'reports'] };

// The RSIT classes and their types (GET /api/v1/classifications), read once.
let rsitP = null;
function rsit() {
  if (!rsitP) rsitP = get('classifications').catch(() => ({ classes: [] }));
  return rsitP;
}

// A link to the incident the triage linked the rows to.
function incidentLink(id) {
  return h('a', { href: '/incidents/' + id, class: 'triage-incident' }, 'incident #' + id);
}

// ---- the controls the lists share ----------------------------------------------------------

// A selection of rows of one kind (events, sightings, reports) shown in a table: the ids
// checked, and each row's state select so a bulk change shows at once.
export function selection(kind) {
  return { kind, ids: new Set(), boxes: new Map(), states: new Map(), listeners: [] };
}

function changed(sel) {
  sel.listeners.forEach((fn) => fn());
}

// The "select" column: a checkbox per row, one in the header for every row shown.
export function selectColumn(sel, describe) {
  const all = h('input', { type: 'checkbox', class: 'triage-all', 'aria-label': 'Select every row listed' });
  all.addEventListener('change', () => {
    for (const [id, box] of sel.boxes) {
      box.checked = all.checked;
      if (all.checked) sel.ids.add(id); else sel.ids.delete(id);
    }
    changed(sel);
  });
  return {
    label: 'Select', class: 'pick', head: all,
    cell: (r) => {
      const box = h('input', { type: 'checkbox', class: 'triage-pick', value: String(r.id), 'aria-label': 'Select ' + describe(r), checked: sel.ids.has(r.id) });
      box.addEventListener('change', () => {
        if (box.checked) sel.ids.add(r.id); else sel.ids.delete(r.id);
        changed(sel);
      });
      sel.boxes.set(r.id, box);
      return box;
    },
  };
}

// The "triage" column: the row's state, changed there and then (PATCH), saying so.
export function stateColumn(sel, describe) {
  const path = sel.kind; // events or sightings
  return {
    label: 'Triage', class: 'triage',
    cell: (r) => {
      const s = select('triage', TRIAGE_STATES.map((x) => [x, words(x)]), r.triage || 'new', { 'aria-label': 'Triage of ' + describe(r), dataset: { id: r.id } });
      const out = h('span', { class: 'triage-saved muted', role: 'status' });
      let last = s.value;
      s.addEventListener('change', async () => {
        out.textContent = 'saving…';
        s.disabled = true;
        try {
          const res = await patch(path + '/' + r.id, { triage: s.value });
          last = res.triage;
          s.value = res.triage;
          out.textContent = 'saved';
          announce(describe(r) + ': ' + words(res.triage));
        } catch (e) {
          s.value = last;
          out.textContent = e.message;
        }
        s.disabled = false;
      });
      sel.states.set(r.id, s);
      return h('span', { class: 'triage-cell' }, s, ' ', out);
    },
  };
}

// The fields of a new incident: title, RSIT class and type, severity, TLP.
async function incidentFields(prefix, title) {
  const r = await rsit();
  const ctl = {
    title: h('input', { name: 'title', type: 'text', maxlength: 200, value: title || '', id: prefix + '-title', placeholder: 'made from the selection when empty' }),
    rsit_class: select('rsit_class', [['', 'none'], ...(r.classes || []).map((c) => [c.value, c.name || c.value])], '', { id: prefix + '-class' }),
    rsit_type: select('rsit_type', [['', 'none']], '', { id: prefix + '-type' }),
    severity: select('severity', SEVERITIES, 'medium', { id: prefix + '-severity' }),
    tlp: select('tlp', TLP_VALUES, 'AMBER', { id: prefix + '-tlp' }),
  };
  const fillTypes = () => {
    const c = (r.classes || []).find((x) => x.value === ctl.rsit_class.value);
    ctl.rsit_type.replaceChildren(...[['', 'none'], ...((c && c.types) || []).map((t) => [t.value, t.name || t.value])]
      .map(([v, text]) => h('option', { value: v }, text)));
  };
  ctl.rsit_class.addEventListener('change', fillTypes);
  return ctl;
}

// The bar of actions on the rows selected. opts: states (events, sightings: set a state),
// allowlist (sightings: false positive and on the allow-list), title (what a new incident is
// called by default: a function of the ids), done (after a change: reload).
export async function bulkBar(sel, opts = {}) {
  const noun = NOUN[sel.kind];
  const prefix = 'triage-' + sel.kind;
  const count = h('p', { class: 'triage-count', id: prefix + '-count', 'aria-live': 'polite' }, 'None selected.');
  const result = h('p', { class: 'triage-result', id: prefix + '-result', role: 'status' });
  const form = h('form', { class: 'card triage-bar', 'aria-label': 'Triage the selected ' + noun[1], novalidate: true });
  const buttons = [];
  const btn = (text, fn, attrs = {}) => {
    const b = h('button', { type: 'button', ...attrs }, text);
    b.addEventListener('click', () => run(fn));
    buttons.push(b);
    return b;
  };
  const update = () => {
    const n = sel.ids.size;
    count.textContent = n ? n + ' ' + (n === 1 ? noun[0] : noun[1]) + ' selected.' : 'None selected.';
    buttons.forEach((b) => { b.disabled = n === 0; });
  };
  sel.listeners.push(update);

  async function run(fn) {
    clearErrors(form);
    result.textContent = '';
    const ids = [...sel.ids].sort((a, b) => a - b);
    if (!ids.length) return;
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const body = await fn(ids);
      const res = await post('triage', { [sel.kind]: ids, ...body });
      if (body.state) for (const id of ids) { const s = sel.states.get(id); if (s) s.value = body.state; }
      const parts = [ids.length + ' ' + (ids.length === 1 ? noun[0] : noun[1])];
      if (body.state) parts.push(' set to ' + words(body.state));
      if (res.allowlisted) parts.push(', ' + res.allowlisted + ' value' + (res.allowlisted === 1 ? '' : 's') + ' put on the allow-list');
      if (res.incident) parts.push(body.open_incident ? ': opened ' : ': linked to ', incidentLink(res.incident));
      result.replaceChildren(...parts, '.');
      announce(result.textContent);
      if (opts.done) await opts.done(res);
    } catch (e) {
      // The fields of a new incident are named open_incident.NAME by the API.
      if (e.field && /^open_incident\./.test(e.field)) e.field = e.field.replace(/^open_incident\./, '');
      showError(form, e);
    }
    update();
  }

  const rows = [];
  if (opts.states) {
    const state = select('state', TRIAGE_STATES.map((x) => [x, words(x)]), 'confirmed', { id: prefix + '-state' });
    rows.push(h('div', { class: 'inline-form' }, field('Triage state', state),
      h('div', { class: 'field' }, btn('Set the state', () => ({ state: state.value }))),
      opts.allowlist ? h('div', { class: 'field' }, btn('False positive and allow-list', () => ({ state: 'false_positive', allowlist: true }))) : null));
  }
  const ctl = await incidentFields(prefix, '');
  rows.push(h('fieldset', { class: 'inline-form' }, h('legend', null, 'Open an incident from them'),
    field('Title', ctl.title), field('Incident category (RSIT class)', ctl.rsit_class),
    field('Incident subcategory (RSIT)', ctl.rsit_type, 'the RSIT type, of the class chosen'),
    field('Severity', ctl.severity), field('TLP', ctl.tlp),
    h('div', { class: 'field' }, btn('Open incident', (ids) => {
      const title = ctl.title.value.trim() || (opts.title ? opts.title(ids) : '');
      const inc = { title, severity: ctl.severity.value, tlp: ctl.tlp.value };
      if (ctl.rsit_class.value) inc.rsit_class = ctl.rsit_class.value;
      if (ctl.rsit_type.value) inc.rsit_type = ctl.rsit_type.value;
      return { open_incident: inc };
    }, { class: 'primary' }))));
  const join = h('input', { name: 'incident', type: 'number', min: 1, step: 1, inputmode: 'numeric', id: prefix + '-join' });
  rows.push(h('div', { class: 'inline-form' }, field('Incident number', join),
    h('div', { class: 'field' }, btn('Join incident', () => {
      const n = Number(join.value);
      if (!Number.isInteger(n) || n < 1) throw Object.assign(new Error('give the number of the incident to join'), { field: 'incident' });
      return { incident: n };
    }))));
  form.append(h('h2', { class: 'triage-bar-title' }, opts.heading || 'With the selected ' + noun[1]), count, ...rows, result);
  form.addEventListener('submit', (ev) => ev.preventDefault());
  update();
  return form;
}

// ---- the incident reports ----------------------------------------------------------------

function reportRows(items, sel) {
  const describe = (r) => 'report ' + r.id + ': ' + (r.subject || '(no subject)');
  return table([
    selectColumn(sel, describe),
    { label: 'Received', cell: (r) => time(r.received_at) },
    { label: 'Reporter', cell: (r) => h('span', { class: 'mono' }, r.reporter || '') },
    { label: 'Subject', cell: (r) => h('a', { href: '/incident-reports/' + r.id }, r.subject || '(no subject)') },
    { label: 'TLP', cell: (r) => tlp(r.tlp) },
    { label: 'Constituent', cell: (r) => (r.org ? h('a', { href: '/constituents/' + enc(r.org) }, r.org) : h('span', { class: 'muted' }, 'nobody')) },
    { label: 'Observables', class: 'num', cell: (r) => String(r.observables ?? 0) },
    { label: 'Known bad', class: 'num', cell: (r) => (r.known_bad ? h('strong', { class: 'known-bad' }, String(r.known_bad)) : '0') },
    { label: 'Incident', cell: (r) => (r.incident_id ? incidentLink(r.incident_id) : h('span', { class: 'state state-new' }, 'waiting')) },
  ], items, { caption: 'Incident reports, newest first', empty: 'No incident report here.', class: 'incident-reports' });
}

async function list(view, ctx) {
  ctx.title('Incident reports');
  const q = ctx.query;
  const show = q.get('show') === 'all' ? 'all' : 'waiting';
  const showSel = select('show', [['waiting', 'waiting for triage'], ['all', 'all reports']], show);
  const filter = h('form', { class: 'card', 'aria-label': 'Filter incident reports' },
    h('div', { class: 'filters' }, field('Show', showSel)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')));
  filter.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.navigate('/incident-reports' + (showSel.value === 'all' ? '?show=all' : ''));
  });
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Incident reports'),
    h('p', null, 'Messages the mail intake kept as incident reports. ', h('a', { href: '/incidents' }, 'Incidents'))), filter);
  const out = h('div', { id: 'incident-reports' });
  view.append(out);
  const sel = selection('reports');
  let page;
  const load = async () => {
    page = await get('incident-reports', { waiting: show === 'waiting' ? 'true' : '', limit: PAGE, cursor: q.get('cursor') });
    sel.ids.clear();
    sel.boxes.clear();
    out.replaceChildren(reportRows(page.data, sel));
    if (page.next_cursor) {
      const next = new URLSearchParams(q); next.set('cursor', page.next_cursor);
      out.append(h('nav', { class: 'pager', 'aria-label': 'Pages' }, h('a', { class: 'button', rel: 'next', href: '/incident-reports?' + next }, 'Next page')));
    }
    sel.listeners.forEach((fn) => fn());
  };
  try { await load(); } catch (e) { out.append(errorNotice(e)); return; }
  const subjects = () => new Map(page.data.map((r) => [r.id, r.subject]));
  view.append(await bulkBar(sel, {
    title: (ids) => subjects().get(ids[0]) || 'Incident from report ' + ids[0],
    // The reports linked leave the queue of those waiting: the list is read again, the
    // result (with its link) stays.
    done: () => load().catch((e) => out.replaceChildren(errorNotice(e))),
  }));
}

function observableRows(obs) {
  const seen = (o) => {
    if (o.type === 'ipv4' || o.type === 'ipv6' || o.type === 'cidr') return '/events?ip=' + enc(o.value);
    if (o.type === 'domain') return '/events?domain=' + enc(o.value);
    return null;
  };
  return table([
    { label: 'Type', cell: (o) => o.type },
    { label: 'Value', cell: (o) => h('span', { class: 'mono' }, o.value) },
    { label: 'Found in', cell: (o) => o.found_in || '' },
    { label: 'Owner', cell: (o) => (o.org ? h('a', { href: '/constituents/' + enc(o.org) }, o.org) : h('span', { class: 'muted' }, 'nobody')) },
    { label: 'Known bad', cell: (o) => (o.known_bad ? h('a', { href: '/indicators/' + o.indicator_id, class: 'known-bad', 'aria-label': 'known bad: indicator ' + o.indicator_id }, 'known bad') : h('span', { class: 'muted' }, 'no')) },
    { label: 'Events', class: 'num', cell: (o) => (o.events && seen(o) ? h('a', { href: seen(o) }, String(o.events)) : String(o.events || 0)) },
    { label: 'Sightings', class: 'num', cell: (o) => (o.sightings ? h('a', { href: '/sightings?value=' + enc(o.value) }, String(o.sightings)) : '0') },
  ], obs, { caption: 'Observables found in the report', captionVisible: false, empty: 'No observable was found in this report.', class: 'report-observables' });
}

async function detail(view, ctx) {
  const id = Number(ctx.params[0]);
  ctx.title('Incident report ' + id);
  let r;
  try { r = await get('incident-reports/' + id); } catch (e) { view.append(h('h1', null, 'Incident report ' + id), errorNotice(e)); return; }
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Incident report ', String(id), ' ', tlp(r.tlp)),
    h('p', null, h('a', { href: '/incident-reports' }, 'Incident reports waiting for triage'))));
  const linked = h('span', { id: 'report-incident' }, r.incident_id ? incidentLink(r.incident_id) : 'none yet: waiting for triage');
  view.append(section('Summary', dl([
    ['Received', time(r.received_at)],
    ['Reporter', h('span', { class: 'mono' }, r.reporter || '')],
    ['Subject', r.subject || ''],
    ['TLP', [tlp(r.tlp), r.tlp_marked ? ' (marked by the reporter)' : ' (not marked: the default)']],
    ['Constituent', r.org ? h('a', { href: '/constituents/' + enc(r.org) }, r.org) : null],
    ['Incident', linked],
  ])));
  const d = r.decision;
  view.append(section('What the rules decided', d
    ? dl([['Rule', d.rule_id ? 'rule ' + d.rule_id : 'no rule matched'], ['Action', d.action], ['Incident', d.incident_id ? incidentLink(d.incident_id) : 'none: left for triage'], ['Reason', h('span', { id: 'report-reason' }, d.reason)]])
    : notice('The incident rules have not run on this report.')));
  const obs = r.observables || [];
  const bad = obs.filter((o) => o.known_bad).length;
  view.append(section('Observables', h('p', { class: 'muted' }, obs.length + ' observable' + (obs.length === 1 ? '' : 's') + ', ' + bad + ' known bad.'), observableRows(obs)));
  // The body as the reporter wrote it: text, never markup.
  view.append(section('Body', h('pre', { class: 'raw report-body', id: 'report-body', tabindex: '0', 'aria-label': 'The body of the report' }, r.body || '')));
  const sel = selection('reports');
  sel.ids.add(id);
  const bar = await bulkBar(sel, {
    heading: 'Triage this report',
    title: () => r.subject || 'Incident from report ' + id,
    done: (res) => { if (res.incident) linked.replaceChildren(incidentLink(res.incident)); },
  });
  bar.querySelector('.triage-count').textContent = 'This report.';
  sel.listeners.length = 0; // one report, always selected
  view.append(bar);
}

export async function render(view, ctx) {
  if (ctx.view === 'detail') return detail(view, ctx);
  return list(view, ctx);
}
