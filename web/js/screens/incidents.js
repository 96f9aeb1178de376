// Incidents: the queue (mine, unassigned, due soon, late, by constituent and status) and one
// incident (summary, clocks, timeline with a comment box, tasks, links, observables, and the
// status moves the lifecycle allows). A constituent sees its own organisation's incidents and
// may comment; what the CERT's staff alone may see or do is left out for it by the API.
import { api, get, post } from '../api.js';
import { correspondence } from './correspondence.js';
import { attachments } from './attachments.js';
import { rulesPanel } from './incident_rules.js';
import { h, fill, tlp, time, select, field, table, dl, section, notice, errorNotice, announce, isStaff } from '../ui.js';
import { correlationSection } from '../correlations.js';

const enc = encodeURIComponent;
const STATUSES = ['', 'new', 'triage', 'in_progress', 'waiting_on_constituent', 'contained', 'resolved', 'closed'];
// The lifecycle's moves from each status (docs/API.md, "Incidents").
const MOVES = {
  new: ['triage', 'in_progress', 'closed'],
  triage: ['new', 'in_progress', 'waiting_on_constituent', 'closed'],
  in_progress: ['triage', 'waiting_on_constituent', 'contained', 'resolved', 'closed'],
  waiting_on_constituent: ['in_progress', 'contained', 'resolved', 'closed'],
  contained: ['in_progress', 'waiting_on_constituent', 'resolved', 'closed'],
  resolved: ['closed', 'in_progress'],
  closed: ['in_progress'],
};
const VIEWS = [['', 'all'], ['open', 'open'], ['mine', 'mine'], ['unassigned', 'unassigned'], ['due_soon', 'due soon'], ['late', 'late']];

function stateBadge(s) {
  return h('span', { class: 'state state-' + s }, s.replace(/_/g, ' '));
}

function incidentRows(rows, staff) {
  const cols = [
    { label: 'Id', cell: (r) => h('a', { href: '/incidents/' + r.id }, '#' + r.id) },
    { label: 'Title', cell: (r) => h('a', { href: '/incidents/' + r.id }, r.title) },
    { label: 'Status', cell: (r) => stateBadge(r.status) },
    { label: 'Severity', cell: (r) => r.severity },
    { label: 'Constituents', cell: (r) => (r.constituents || []).join(', ') },
    { label: 'Next due', cell: (r) => (r.next_due_at ? time(r.next_due_at) : '') },
    { label: 'Late', cell: (r) => (r.late ? h('strong', { class: 'late' }, 'late') : (r.warnings || []).length ? 'due soon' : '') },
    { label: 'TLP', cell: (r) => tlp(r.tlp) },
  ];
  if (staff) cols.splice(5, 0, { label: 'Assignee', cell: (r) => r.assignee || '' });
  return table(cols, rows, { class: 'incidents', caption: 'Incidents', empty: 'No incident matches.' });
}

async function list(view, ctx) {
  ctx.title('Incidents');
  const staff = isStaff(ctx.user);
  const which = ctx.query.get('view') || '';
  const status = ctx.query.get('status') || '';
  const org = ctx.query.get('org') || '';
  const viewSel = select('view', VIEWS, which);
  const st = select('status', STATUSES.map((s) => [s, s ? s.replace(/_/g, ' ') : 'any']), status);
  const orgIn = h('input', { name: 'org', value: org, maxlength: 64, placeholder: 'short name' });
  const form = h('form', { class: 'card', 'aria-label': 'Filter incidents' },
    h('div', { class: 'filters' }, field('Queue', viewSel), field('Status', st), field('Constituent', orgIn)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    if (viewSel.value) p.set('view', viewSel.value);
    if (st.value) p.set('status', st.value);
    if (orgIn.value.trim()) p.set('org', orgIn.value.trim());
    ctx.navigate('/incidents' + (p.toString() ? '?' + p : ''));
  });
  const q = { limit: 50, cursor: ctx.query.get('cursor'), status, org };
  if (which) q[which] = 'true';
  const box = h('div');
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Incidents')), form, box);
  let page;
  try { page = await get('incidents', q); } catch (e) { box.append(errorNotice(e)); return; }
  box.append(incidentRows(page.data, staff));
  if (page.next_cursor) {
    const next = new URLSearchParams(ctx.query); next.set('cursor', page.next_cursor);
    box.append(h('nav', { class: 'pager', 'aria-label': 'Pages' }, h('a', { class: 'button', href: '/incidents?' + next }, 'Next page')));
  }
  if (staff) view.append(rulesPanel());
}

function clocks(inc) {
  return table([
    { label: 'Deadline', cell: (c) => c.name.replace(/_/g, ' ') },
    { label: 'Due', cell: (c) => (c.due ? time(c.due) : 'paused') },
    { label: 'Done', cell: (c) => (c.done_at ? time(c.done_at) : '') },
    { label: 'State', cell: (c) => h('span', { class: 'state clock-' + c.state }, c.state.replace(/_/g, ' ')) },
  ], inc.clocks, { class: 'clocks', caption: 'Clocks', empty: 'No deadline applies.' });
}

function entryText(e) {
  const d = e.detail || {};
  if (e.kind === 'comment') return d.text || '';
  if (e.kind === 'status') return `${d.from} → ${d.to}`;
  if (e.kind === 'warning') {
    const when = d.state === 'late' ? 'late' : 'due soon';
    return `${d.deadline} ${when} (due ${d.due})${d.mail_to ? `, e-mailed to ${d.mail_to}` : ''}`;
  }
  if (e.kind === 'rule') return `incident report ${d.report}: ${d.reason}`;
  if (e.kind === 'advisory_link' || e.kind === 'advisory_unlink') return `advisory ${d.tracking_id}`;
  return JSON.stringify(d);
}

async function detail(view, ctx) {
  const id = ctx.params[0];
  const staff = isStaff(ctx.user);
  ctx.title('Incident ' + id);
  let inc, tl;
  try {
    [inc, tl] = await Promise.all([get('incidents/' + enc(id)), get('incidents/' + enc(id) + '/timeline', { limit: 1000 })]);
  } catch (e) { view.append(h('h1', null, 'Incident ' + id), errorNotice(e)); return; }
  const msg = h('div', { 'aria-live': 'polite' });
  const reload = () => ctx.navigate('/incidents/' + id, true);
  view.append(h('h1', null, `Incident #${inc.id}: ${inc.title}`), msg,
    section('Summary', dl([
      ['Status', h('span', { id: 'incident-status' }, stateBadge(inc.status))],
      ['Severity', inc.severity], ['Impact', inc.impact], ['RSIT', inc.rsit_class ? inc.rsit_class + (inc.rsit_type ? ' / ' + inc.rsit_type : '') : null],
      ['TLP', tlp(inc.tlp)], ['PAP', inc.pap + (inc.outside_lookups_allowed ? '' : ' (no outside lookups)')],
      staff ? ['Assignee', inc.assignee] : [undefined, undefined], staff ? ['Team', inc.team] : [undefined, undefined],
      ['Constituents', (inc.constituents || []).join(', ')],
      ['Parent', inc.parent ? h('a', { href: '/incidents/' + inc.parent }, '#' + inc.parent) : null],
      ['Merged into', inc.merged_into ? h('a', { href: '/incidents/' + inc.merged_into }, '#' + inc.merged_into) : undefined],
      ['NIS2', inc.nis2 ? 'significant incident, aware ' + (inc.aware_at || '?') : undefined],
      ['Opened', time(inc.created_at)],
    ].filter((x) => x[0]))), section('Clocks', clocks(inc)),
    // The advisories that name one of its CVE observables or an analyst linked to it.
    section('Advisories', table([
      { label: 'Advisory', cell: (a) => h('a', { href: '/advisories/' + enc(a.tracking_id) }, a.tracking_id + ': ' + a.title) },
      { label: 'Status', cell: (a) => a.status },
      { label: 'Why', cell: (a) => [a.cves.length ? 'shares ' + a.cves.join(', ') : '', a.linked ? 'linked by an analyst' : ''].filter(Boolean).join('; ') },
    ], inc.advisories || [], { class: 'incident-advisories', caption: 'Advisories', empty: 'No advisory.' })));
  if (staff && !inc.merged_into) {
    const moves = MOVES[inc.status] || [];
    const actions = h('p', { class: 'actions', id: 'incident-moves' }, moves.map((to) => h('button', { type: 'button', onclick: async () => {
      try { await api('PATCH', 'incidents/' + enc(id), { body: { status: to } }); announce('Status ' + to); reload(); } catch (e) { fill(msg, errorNotice(e)); }
    } }, 'Move to ' + to.replace(/_/g, ' '))));
    view.append(section('Status', actions));
  }
  const text = h('textarea', { name: 'text', rows: 3, maxlength: 8192, required: true });
  const pub = h('input', { type: 'checkbox', name: 'public' });
  const commentForm = h('form', { class: 'card', 'aria-label': 'Add to the timeline' }, field('Comment', text),
    staff ? field('Visible to the constituent', pub) : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add')));
  commentForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try { await post('incidents/' + enc(id) + '/timeline', { text: text.value, public: staff ? pub.checked : true }); announce('Comment added'); reload(); } catch (e) { fill(msg, errorNotice(e)); }
  });
  view.append(section('Timeline', table([
    { label: 'When', cell: (e) => time(e.at) },
    { label: 'Who', cell: (e) => e.actor },
    { label: 'What', cell: (e) => e.kind },
    { label: 'Detail', cell: (e) => entryText(e) },
  ], tl.data, { class: 'timeline', caption: 'Timeline' }), commentForm));
  await attachments(view, id, msg, reload);
  if (!staff) return;
  try {
    const [tasks, links, obs] = await Promise.all(['tasks', 'links', 'observables'].map((s) => get('incidents/' + enc(id) + '/' + s)));
    view.append(section('Tasks', table([
      { label: 'Task', cell: (t) => t.title },
      { label: 'Mandatory', cell: (t) => (t.mandatory ? 'yes' : '') },
      { label: 'Due', cell: (t) => (t.due_at ? time(t.due_at) : '') },
      { label: 'Done', cell: (t) => (t.done ? time(t.done_at) : h('button', { type: 'button', onclick: async () => {
        try { await api('PATCH', 'incident-tasks/' + t.id, { body: { done: true } }); reload(); } catch (e) { fill(msg, errorNotice(e)); }
      } }, 'Done')) },
    ], tasks.data, { class: 'tasks', caption: 'Tasks', empty: 'No task.' })),
    section('Linked objects', table([
      { label: 'Kind', cell: (l) => l.kind },
      { label: 'Object', cell: (l) => (l.kind === 'event' ? h('a', { href: '/events/' + l.object_id }, 'event ' + l.object_id) : l.kind === 'incident' ? h('a', { href: '/incidents/' + l.object_id }, '#' + l.object_id) : String(l.object_id)) },
      { label: 'Linked', cell: (l) => time(l.created_at) },
    ], links.data, { class: 'links', caption: 'Linked objects', empty: 'Nothing linked.' })),
    section('Observables', table([
      { label: 'Type', cell: (o) => o.type }, { label: 'Value', cell: (o) => o.value },
      { label: 'IOC', cell: (o) => (o.ioc ? 'yes' : '') }, { label: 'Sighted', cell: (o) => (o.sighted ? 'yes' : '') },
      { label: 'TLP', cell: (o) => tlp(o.tlp) },
    ], obs.data, { class: 'observables', caption: 'Observables', empty: 'No observable.' })),
    correlationSection(obs.data.map((o) => ({ value: o.value, type: o.type })), { object: 'incident', id: Number(id) }));
  } catch (e) { view.append(errorNotice(e)); }
  await correspondence(view, id, msg, reload);
}

export async function render(view, ctx) {
  if (ctx.view === 'detail') return detail(view, ctx);
  return list(view, ctx);
}
