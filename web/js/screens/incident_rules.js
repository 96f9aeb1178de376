// The incident rules panel (on the incidents queue, for the CERT's staff): the ordered rules
// that link an incident report from the mail intake to an open incident, open a new one or
// leave it for triage (/api/v1/incident-rules). The first enabled rule that matches decides.
// Each row can be moved up or down, turned on or off, or deleted; the form adds one.
import { api, get, post, del } from '../api.js';
import { h, clear, select, field, table, section, errorNotice, announce, showError, clearErrors } from '../ui.js';

const CONDITIONS = [['shared_observable', 'shares an observable with an incident'], ['same_thread', 'is a reply in a linked thread'],
  ['same_constituent_class', 'same constituent and RSIT class'], ['subject_pattern', 'subject matches']];
const ACTIONS = [['link', 'link to the incident'], ['open', 'open a new incident'], ['queue', 'leave for triage']];

function param(r) {
  if (r.condition === 'subject_pattern') return `"${r.pattern}"`;
  if (r.condition === 'same_constituent_class') return `${r.rsit_class}, ${r.hours} h`;
  return `${r.days} days`;
}

function what(r) {
  if (r.action !== 'open') return r.action;
  return `open ${r.open_class}${r.open_type ? '/' + r.open_type : ''}, ${r.severity}`;
}

export function rulesPanel() {
  const box = h('div');
  const panel = section('Incident rules', h('p', { class: 'muted' },
    'Each incident report received by mail runs these rules in order; the first enabled rule that matches decides, none leaves it for triage.'), box);
  const put = (r, body) => api('PUT', 'incident-rules/' + r.id, { body });

  async function load() {
    let page;
    try { page = await get('incident-rules'); } catch (e) { clear(box); box.append(errorNotice(e)); return; }
    const rows = page.data;
    const act = (fn, msg) => async () => {
      try { await fn(); announce(msg); await load(); } catch (e) { box.prepend(errorNotice(e)); }
    };
    const cols = [
      { label: 'Order', cell: (r) => String(r.position) },
      { label: 'Name', cell: (r) => r.name },
      { label: 'When the report', cell: (r) => `${r.condition.replace(/_/g, ' ')}: ${param(r)}` },
      { label: 'Then', cell: (r) => what(r) },
      { label: 'Enabled', cell: (r) => h('button', { type: 'button', 'aria-pressed': String(r.enabled), onclick: act(() => put(r, { enabled: !r.enabled }), r.enabled ? 'Rule disabled' : 'Rule enabled') }, r.enabled ? 'on' : 'off') },
      { label: 'Move', cell: (r) => {
        const i = rows.indexOf(r);
        return h('span', null,
          h('button', { type: 'button', 'aria-label': 'Move up ' + r.name, disabled: i === 0, onclick: act(() => put(r, { position: Math.max(1, rows[i - 1].position) }), 'Rule moved up') }, '↑'),
          h('button', { type: 'button', 'aria-label': 'Move down ' + r.name, disabled: i === rows.length - 1, onclick: act(() => put(rows[i + 1], { position: Math.max(1, r.position) }), 'Rule moved down') }, '↓'));
      } },
      { label: '', cell: (r) => h('button', { type: 'button', class: 'danger', onclick: act(() => del('incident-rules/' + r.id), 'Rule deleted') }, 'Delete') },
    ];
    clear(box);
    box.append(table(cols, rows, { class: 'incident-rules', caption: 'Incident rules', empty: 'No rule: every report waits for triage.' }));
  }

  const name = h('input', { name: 'name', required: true, maxlength: 128 });
  const cond = select('condition', CONDITIONS, 'shared_observable');
  const action = select('action', ACTIONS, 'link');
  const days = h('input', { name: 'days', type: 'number', min: 1, max: 3650, value: 14 });
  const hours = h('input', { name: 'hours', type: 'number', min: 1, max: 87600, value: 48 });
  const pattern = h('input', { name: 'pattern', maxlength: 256, placeholder: 'text, or a glob: *ransom*' });
  const rsit = h('input', { name: 'rsit_class', maxlength: 64, placeholder: 'e.g. fraud' });
  const openClass = h('input', { name: 'open_class', maxlength: 64, placeholder: 'e.g. malicious-code' });
  const openType = h('input', { name: 'open_type', maxlength: 64 });
  const sev = select('severity', [['low', 'low'], ['medium', 'medium'], ['high', 'high'], ['critical', 'critical']], 'medium');
  const position = h('input', { name: 'position', type: 'number', min: 1, placeholder: 'last' });
  const form = h('form', { class: 'card', 'aria-label': 'Add an incident rule' },
    h('div', { class: 'filters' }, field('Name', name), field('When the report', cond), field('Within days', days),
      field('Within hours', hours), field('Subject pattern', pattern), field('RSIT class', rsit), field('Then', action),
      field('New incident class', openClass), field('New incident type', openType), field('Severity', sev), field('Position', position)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add rule')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = { name: name.value.trim(), condition: cond.value, action: action.value, severity: sev.value };
    if (cond.value === 'shared_observable' || cond.value === 'same_thread') body.days = Number(days.value);
    if (cond.value === 'same_constituent_class') { body.hours = Number(hours.value); body.rsit_class = rsit.value.trim(); }
    if (cond.value === 'subject_pattern') body.pattern = pattern.value;
    if (action.value === 'open') { body.open_class = openClass.value.trim(); if (openType.value.trim()) body.open_type = openType.value.trim(); }
    if (position.value) body.position = Number(position.value);
    try { await post('incident-rules', body); announce('Rule added'); form.reset(); await load(); } catch (e) { showError(form, e); }
  });
  panel.append(form);
  load();
  return panel;
}
