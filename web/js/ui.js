// Small DOM helpers shared by the screens. Text always goes in as text nodes (never innerHTML),
// so nothing a feed or a constituent wrote can become markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// Empties el and appends children as h() does: null, undefined and false are left out (the DOM's
// own append would write them as text: a stray "null" under a table), arrays flattened.
export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// TLP 2.0 label: the colours of the FIRST standard, as a span the stylesheet colours.
const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
export function tlp(value) {
  const v = TLPS.includes(value) ? value : null;
  if (!v) return h('span', { class: 'tlp tlp-unknown', title: 'no TLP label' }, 'TLP:?');
  const cls = 'tlp tlp-' + v.toLowerCase().replace('+', '-');
  return h('span', { class: cls, title: 'Traffic Light Protocol 2.0: TLP:' + v }, 'TLP:' + v);
}
export const TLP_VALUES = TLPS;

const fmt = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  second: '2-digit',
});

// A time in the viewer's time zone, with the UTC time in the title (and datetime).
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', null, String(iso));
  return h('time', { datetime: d.toISOString(), title: d.toISOString().replace('.000Z', 'Z') + ' (UTC)' },
    fmt.format(d));
}

export function link(href, ...children) {
  return h('a', { href }, ...children);
}

// A field with its label, its control and a slot for the API's error message about it.
// control: an element with name=NAME; the error element is aria-described.
export function field(label, control, hint) {
  const id = control.id || ('f-' + control.name + '-' + Math.random().toString(36).slice(2, 8));
  control.id = id;
  const err = h('p', { class: 'field-error', id: id + '-err', role: 'alert', hidden: true });
  const ids = [err.id];
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', id: id + '-hint' }, hint);
    ids.push(hintEl.id);
  }
  control.setAttribute('aria-describedby', ids.join(' '));
  return h('div', { class: 'field', dataset: { field: control.name } },
    h('label', { for: id }, label), control, hintEl, err);
}

export function input(name, attrs = {}) {
  return h('input', { name, type: 'text', ...attrs });
}

export function select(name, options, value, attrs = {}) {
  const s = h('select', { name, ...attrs });
  for (const o of options) {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    const opt = h('option', { value: v }, text);
    if (String(v) === String(value ?? '')) opt.selected = true;
    s.append(opt);
  }
  return s;
}

// Clears the errors shown in a form.
export function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((p) => { p.hidden = true; p.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((c) => c.removeAttribute('aria-invalid'));
  const top = form.querySelector('.form-error');
  if (top) { top.hidden = true; top.textContent = ''; }
}

// Shows an API error next to the field it names (the member, or its first part for
// "networks[2]"); without a field (or an unknown one) at the top of the form.
export function showError(form, err) {
  clearErrors(form);
  const name = err && err.field ? String(err.field).replace(/[[.].*$/, '') : null;
  const wrap = name ? form.querySelector('.field[data-field="' + CSS.escape(name) + '"]') : null;
  const msg = (err && err.message) || String(err);
  if (wrap) {
    const p = wrap.querySelector('.field-error');
    p.textContent = msg + (err.field !== name ? ' (' + err.field + ')' : '');
    p.hidden = false;
    const c = wrap.querySelector('input, select, textarea');
    if (c) { c.setAttribute('aria-invalid', 'true'); c.focus(); }
    return;
  }
  let top = form.querySelector('.form-error');
  if (!top) {
    top = h('p', { class: 'form-error', role: 'alert' });
    form.prepend(top);
  }
  top.textContent = msg;
  top.hidden = false;
}

// A notice box for a whole screen (errors loading, empty results).
export function notice(text, kind = 'info') {
  return h('p', { class: 'notice notice-' + kind, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function errorNotice(err) {
  if (err && err.status === 403) return notice('You may not see this: ' + err.message, 'error');
  if (err && err.status === 404) return notice('Not found: ' + err.message, 'error');
  return notice((err && err.message) || String(err), 'error');
}

// A table from column definitions [{label, cell: (row) => node|string, class}].
export function table(columns, rows, opts = {}) {
  const t = h('table', { class: 'grid stack' + (opts.class ? ' ' + opts.class : '') });
  if (opts.caption) t.append(h('caption', { class: opts.captionVisible ? '' : 'sr' }, opts.caption));
  // c.head: what the header shows when it is more than the label (a sort link); c.sort: its
  // aria-sort state.
  t.append(h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class, 'aria-sort': c.sort }, c.head || c.label)))));
  const tb = h('tbody');
  for (const r of rows) {
    tb.append(h('tr', null, columns.map((c) => h('td', { class: c.class, dataset: { label: c.label } }, c.cell(r)))));
  }
  t.append(tb);
  if (!rows.length) tb.append(h('tr', null, h('td', { colspan: columns.length, class: 'muted' }, opts.empty || 'Nothing to show.')));
  return h('div', { class: 'table-wrap' }, t);
}

// Definition list from [label, value] pairs; values may be nodes.
export function dl(pairs) {
  const d = h('dl', { class: 'props' });
  for (const [k, v] of pairs) {
    if (v === undefined) continue;
    d.append(h('dt', null, k), h('dd', null, v === null || v === '' ? h('span', { class: 'muted' }, '—') : v));
  }
  return d;
}

export function section(title, ...children) {
  const id = 's-' + title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

export function button(text, onclick, attrs = {}) {
  return h('button', { type: 'button', onclick, ...attrs }, text);
}

// Announces a short message to screen readers and shows it briefly.
export function announce(text) {
  const s = document.getElementById('status');
  if (s) { s.textContent = ''; s.textContent = text; }
}

export function isStaff(user) {
  return user && (user.role === 'admin' || user.role === 'analyst');
}

export function fmtNumber(n) {
  return typeof n === 'number' ? n.toLocaleString() : String(n ?? '—');
}
