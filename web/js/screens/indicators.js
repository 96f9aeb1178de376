// Indicators (add one or many, search) and sightings (where an indicator was seen and by
// which constituent). The API for them may be absent on a server: then this says so.
import { get, post, optional } from '../api.js';
import { h, clear, tlp, time, field, input, select, table, section, notice, errorNotice, showError, clearErrors, announce, isStaff, TLP_VALUES } from '../ui.js';
import { sightingRows } from './constituents.js';

const TYPES = ['ip', 'cidr', 'domain', 'url', 'hash', 'email', 'ja3'];

function guessType(v) {
  if (/^[0-9a-f]{32}$|^[0-9a-f]{40}$|^[0-9a-f]{64}$/i.test(v)) return 'hash';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return 'url';
  if (v.includes('@')) return 'email';
  if (v.includes('/')) return 'cidr';
  if (/^[0-9.]+$/.test(v) || v.includes(':')) return 'ip';
  return 'domain';
}

function indicatorRows(rows) {
  return table([
    { label: 'Value', cell: (i) => h('a', { class: 'mono', href: '/sightings?value=' + encodeURIComponent(i.value) }, i.value) },
    { label: 'Type', cell: (i) => i.type || '' },
    { label: 'Description', cell: (i) => i.description || '' },
    { label: 'Valid', cell: (i) => [time(i.valid_from), ' – ', i.valid_until ? time(i.valid_until) : 'open'] },
    { label: 'Confidence', class: 'num', cell: (i) => (i.confidence ?? '') + '' },
    { label: 'Sightings', class: 'num', cell: (i) => String(i.sightings ?? i.sighting_count ?? '') },
    { label: 'TLP', cell: (i) => tlp(i.tlp) },
  ], rows, { caption: 'Indicators', empty: 'No indicators match.' });
}

async function addForm(ctx, reload) {
  const values = h('textarea', { name: 'value', rows: 5, spellcheck: 'false', placeholder: 'one indicator a line: 203.0.113.5, evil.example, https://…, a hash' });
  const type = select('type', [['', 'guess from each value'], ...TYPES.map((t) => [t, t])], '');
  const tl = select('tlp', TLP_VALUES, 'AMBER');
  const desc = input('description', { maxlength: 500 });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'ni-h' }, h('h2', { id: 'ni-h' }, 'Add indicators'),
    field('Values', values), h('div', { class: 'form-grid' }, field('Type', type), field('TLP', tl), field('Description', desc)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add')), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    clear(out);
    const list = values.value.split(/\r?\n/).map((v) => v.trim()).filter(Boolean);
    if (!list.length) { showError(form, { field: 'value', message: 'Type at least one indicator.' }); return; }
    const docs = list.map((v) => {
      const d = { type: type.value || guessType(v), value: v, tlp: tl.value };
      if (desc.value.trim()) d.description = desc.value.trim();
      return d;
    });
    let added = 0;
    for (const [i, d] of docs.entries()) {
      try { await post('indicators', d); added++; } catch (e) {
        e.message = 'line ' + (i + 1) + ' (' + d.value + '): ' + e.message;
        if (e.field && e.field !== 'value' && !form.querySelector('[data-field="' + e.field + '"]')) e.field = 'value';
        showError(form, e);
        break;
      }
    }
    if (added) { out.append(notice('Added ' + added + ' indicator(s).', 'ok')); announce('Added ' + added + ' indicators'); await reload(); }
  });
  return form;
}

async function indicators(view, ctx) {
  ctx.title('Indicators');
  view.append(h('h1', null, 'Indicators'));
  const q = ctx.query.get('q') || '';
  const box = input('q', { type: 'search', value: q, maxlength: 255 });
  const form = h('form', { class: 'card', role: 'search', 'aria-label': 'Search indicators' }, h('div', { class: 'filters' }, field('Search', box)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Search')));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); ctx.navigate('/indicators' + (box.value.trim() ? '?q=' + encodeURIComponent(box.value.trim()) : '')); });
  const listBox = h('div');
  async function load() {
    let page;
    try { page = await optional('indicators', { q, limit: 200 }); } catch (e) { clear(listBox).append(errorNotice(e)); return; }
    clear(listBox).append(page ? indicatorRows(page.data) : notice('This server has no indicators yet (GET /api/v1/indicators is not there).'));
  }
  if (isStaff(ctx.user)) view.append(await addForm(ctx, load));
  view.append(form, listBox);
  await load();
}

async function sightings(view, ctx) {
  ctx.title('Sightings');
  view.append(h('h1', null, 'Sightings'));
  const q = ctx.query;
  const f = { value: input('value', { value: q.get('value') || '', maxlength: 255 }), org: input('org', { value: q.get('org') || '', maxlength: 64 }) };
  const form = h('form', { class: 'card', 'aria-label': 'Filter sightings' }, h('div', { class: 'filters' }, field('Indicator', f.value), field('Constituent', f.org)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const [k, el] of Object.entries(f)) if (el.value.trim()) p.set(k, el.value.trim());
    ctx.navigate('/sightings' + (p.toString() ? '?' + p : ''));
  });
  view.append(form);
  try {
    const page = await optional('sightings', { value: q.get('value'), org: q.get('org'), limit: 200 });
    view.append(page ? sightingRows(page.data) : notice('This server has no sightings yet (GET /api/v1/sightings is not there).'));
  } catch (e) {
    if (e.field && f[e.field]) showError(form, e); else view.append(errorNotice(e));
  }
}

export async function render(view, ctx) {
  if (ctx.view === 'sightings') return sightings(view, ctx);
  return indicators(view, ctx);
}
