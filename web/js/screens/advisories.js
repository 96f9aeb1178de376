// CSAF advisories: the list by status, one advisory (its workflow buttons, its document), and
// the editor. The editor's form is built from the CSAF 2.0 JSON schema the daemon validates
// with (GET /api/v1/csaf/schema): every section and field, its title, description and whether
// it is required come from there; the profile (document.category) adds the sections it
// requires. What is typed is checked as one types (POST /api/v1/csaf/validate, debounced),
// each failed test shown next to the field its JSON path names. Drafts are saved with POST or
// PATCH /api/v1/advisories; submit, approve (a second person), reject and publish follow the
// workflow (docs/API.md, "Advisories").
import { get, post, patch } from '../api.js';
import { listAssets } from './remediation.js';
import { h, clear, fill, tlp, time, select, field, table, dl, section, notice, errorNotice, announce, isStaff, button } from '../ui.js';

const enc = encodeURIComponent;
const STATUSES = ['', 'draft', 'review', 'approved', 'published'];

// The CSAF 2.0 profiles (section 4) and the sections each one requires beyond the schema's
// own (the 6.1.27.x tests).
export const PROFILES = [
  ['csaf_base', 'CSAF base', []],
  ['csaf_security_advisory', 'Security advisory', ['/document/notes', '/product_tree', '/vulnerabilities']],
  ['csaf_informational_advisory', 'Informational advisory', ['/document/notes', '/document/references']],
  ['csaf_security_incident_response', 'Security incident response', ['/document/notes', '/document/references']],
  ['csaf_vex', 'VEX', ['/document/notes', '/product_tree', '/vulnerabilities']],
];
// Members ermes manages itself: shown, not edited.
const MANAGED = new Set(['/document/tracking', '/document/csaf_version']);
// Members whose text is long: a text area.
const LONG = new Set(['text', 'details', 'summary', 'description', 'restart_required']);

let schemaCache = null;
async function loadSchema() {
  if (!schemaCache) schemaCache = await get('csaf/schema');
  return schemaCache;
}

function stateBadge(s) {
  return h('span', { class: 'state state-adv-' + s }, s);
}

export async function render(view, ctx) {
  if (ctx.view === 'new') return editor(view, ctx, null);
  if (ctx.view === 'detail') return detail(view, ctx);
  return list(view, ctx);
}

// ---- list ---------------------------------------------------------------------------------

async function list(view, ctx) {
  ctx.title('Advisories');
  const staff = isStaff(ctx.user);
  const status = ctx.query.get('status') || '';
  const st = select('status', STATUSES.map((s) => [s, s || 'any']), status);
  const form = h('form', { class: 'card', 'aria-label': 'Filter advisories' },
    h('div', { class: 'filters' }, field('Status', st)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.navigate('/advisories' + (st.value ? '?status=' + enc(st.value) : ''));
  });
  view.append(h('div', { class: 'screen-head' }, h('h1', null, 'Advisories'),
    staff ? h('a', { href: '/advisories/new', class: 'button primary' }, 'New advisory') : null), form);
  let rows;
  try {
    rows = (await get('advisories', { status })).data;
  } catch (e) {
    view.append(errorNotice(e));
    return;
  }
  // Grouped by status, in the order of the workflow.
  const groups = status ? [status] : ['draft', 'review', 'approved', 'published'];
  const cols = [
    { label: 'Tracking id', cell: (r) => h('a', { href: '/advisories/' + enc(r.tracking_id) }, r.tracking_id) },
    { label: 'Title', cell: (r) => r.title },
    { label: 'Status', cell: (r) => stateBadge(r.status) },
    { label: 'Revision', cell: (r) => String(r.revision) },
    { label: 'Author', cell: (r) => r.author },
    { label: 'Reviewer', cell: (r) => r.reviewer || '' },
    { label: 'Updated', cell: (r) => time(r.updated_at) },
    { label: 'TLP', cell: (r) => tlp(r.tlp) },
  ];
  for (const g of groups) {
    const these = rows.filter((r) => r.status === g);
    if (!staff && g !== 'published' && !these.length) continue;
    view.append(section(g[0].toUpperCase() + g.slice(1) + ' (' + these.length + ')',
      table(cols, these, { caption: 'Advisories: ' + g, empty: 'None.' })));
  }
}

// ---- one advisory -------------------------------------------------------------------------

async function detail(view, ctx) {
  const ref = ctx.params[0];
  let a;
  try {
    a = await get('advisories/' + enc(ref));
  } catch (e) {
    ctx.title('Advisory');
    view.append(h('h1', null, 'Advisory ' + ref), errorNotice(e));
    return;
  }
  if (isStaff(ctx.user)) return editor(view, ctx, a);
  ctx.title(a.tracking_id);
  view.append(h('h1', null, a.title), dl([['Tracking id', a.tracking_id], ['Published', time(a.published_at)], ['TLP', tlp(a.tlp)]]),
    linksSection(a, ctx, false),
    section('Document', h('pre', { class: 'csaf-json', tabindex: '0' }, JSON.stringify(a.document, null, 2))));
}

// ---- links to incidents and indicators ----------------------------------------------------

// The incidents and indicators the advisory shares CVE ids with or an analyst linked (as the API
// gives them to this user); staff add and remove explicit links by kind and id.
function linksSection(adv, ctx, staff) {
  const ref = enc(adv.tracking_id);
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const change = async (action, kind, id) => {
    err.hidden = true;
    try {
      await post('advisories/' + ref + '/' + action, { kind, id: Number(id) });
      announce(action === 'links' ? 'Linked ' + kind + ' ' + id : 'Unlinked ' + kind + ' ' + id);
      ctx.navigate('/advisories/' + ref, true);
    } catch (e) {
      err.textContent = e.message + (e.field ? ' (' + e.field + ')' : '');
      err.hidden = false;
    }
  };
  const via = (o) => [o.cves.length ? 'shares ' + o.cves.join(', ') : '', o.linked ? 'linked by an analyst' : ''].filter(Boolean).join('; ');
  const unlink = (kind) => ({ label: '', cell: (o) => (staff && o.linked ? button('Unlink', () => change('unlink', kind, o.id), { class: 'small' }) : '') });
  const parts = [
    table([
      { label: 'Incident', cell: (o) => h('a', { href: '/incidents/' + o.id }, '#' + o.id + ' ' + o.title) },
      { label: 'Status', cell: (o) => o.status },
      { label: 'Why', cell: via }, unlink('incident'),
    ], adv.incidents || [], { class: 'advisory-incidents', caption: 'Incidents', captionVisible: true, empty: 'No incident.' }),
    table([
      { label: 'Indicator', cell: (o) => h('a', { href: '/indicators/' + o.id }, o.type + ' ' + o.value) },
      { label: 'Why', cell: via }, unlink('indicator'),
    ], adv.indicators || [], { class: 'advisory-indicators', caption: 'Indicators', captionVisible: true, empty: 'No indicator.' }),
  ];
  if (staff) {
    const kind = select('link_kind', [['incident', 'incident'], ['indicator', 'indicator']], 'incident');
    const id = h('input', { type: 'number', name: 'link_id', min: 1, required: true });
    const form = h('form', { class: 'actions', 'aria-label': 'Link to an incident or an indicator' },
      field('Kind', kind), field('Id', id), h('button', { type: 'submit', class: 'small', id: 'add-link' }, 'Link'));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); change('links', kind.value, id.value); });
    parts.push(form, err);
  }
  return section('Linked incidents and indicators', ...parts);
}

// ---- the schema-driven form ---------------------------------------------------------------

// The value at a JSON pointer's segments, or undefined.
function getAt(doc, segs) {
  let v = doc;
  for (const s of segs) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[s];
  }
  return v;
}

function setAt(doc, segs, value) {
  let v = doc;
  for (let i = 0; i < segs.length - 1; i++) {
    if (v[segs[i]] === undefined || v[segs[i]] === null || typeof v[segs[i]] !== 'object') v[segs[i]] = typeof segs[i + 1] === 'number' ? [] : {};
    v = v[segs[i]];
  }
  const last = segs[segs.length - 1];
  if (value === undefined) {
    if (Array.isArray(v)) v.splice(last, 1); else delete v[last];
  } else v[last] = value;
}

function pointer(segs) {
  return segs.length ? '/' + segs.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/') : '';
}

function isCvss(s) {
  return !!(s && (s.oneOf || (s.$ref && s.$ref.startsWith('https://www.first.org/cvss/'))));
}

class Form {
  constructor(schema, doc, onChange, helpers) {
    this.schema = schema;
    this.doc = doc;
    this.onChange = onChange;
    this.helpers = helpers;
    this.profileRequired = new Set();
  }

  resolve(s) {
    let out = s || {};
    for (let i = 0; out.$ref && out.$ref.startsWith('#/') && i < 10; i++) {
      const target = out.$ref.slice(2).split('/').reduce((o, k) => (o ? o[k] : undefined), this.schema);
      // The referring schema's title and description say more than the type's.
      out = { ...target, title: out.title || target.title, description: out.description || target.description };
    }
    return out;
  }

  changed() { this.onChange(); }

  // An empty value of a schema's type, with its required members filled in (one level deep
  // for objects: enough for the form to show their fields).
  empty(s, depth = 0) {
    s = this.resolve(s);
    if (isCvss(s)) return {};
    if (s.type === 'array') return [];
    if (s.type === 'object') {
      const o = {};
      if (depth < 2) for (const k of s.required || []) o[k] = this.empty((s.properties || {})[k], depth + 1);
      return o;
    }
    if (s.type === 'boolean') return false;
    if (s.type === 'number' || s.type === 'integer') return 0;
    if (s.enum && s.enum.length === 1) return s.enum[0];
    return '';
  }

  // The element for the value at segs, of schema s, labelled label; required: the parent
  // requires it.
  node(s, segs, label, required) {
    const path = pointer(segs);
    s = this.resolve(s);
    if (MANAGED.has(path)) return this.managed(s, segs, label);
    if (isCvss(s)) return this.cvss(s, segs, label);
    if (s.type === 'object') return this.object(s, segs, label, required);
    if (s.type === 'array') return this.array(s, segs, label, required);
    return this.scalar(s, segs, label, required);
  }

  hint(s) {
    return s.description ? (s.description.length > 220 ? s.description.slice(0, 217) + '…' : s.description) : null;
  }

  managed(s, segs, label) {
    const v = getAt(this.doc, segs);
    return h('div', { class: 'field csaf-managed', dataset: { path: pointer(segs) } },
      h('p', null, h('strong', null, label + ': '), 'managed by ermes (the version, dates and revision history follow the workflow)'),
      v !== undefined ? h('pre', { class: 'csaf-json small' }, JSON.stringify(v, null, 1)) : null,
      h('ul', { class: 'csaf-errors', hidden: true }));
  }

  object(s, segs, label, required) {
    const path = pointer(segs);
    const fs = h('fieldset', { class: 'csaf-object', dataset: { path } });
    const draw = () => {
      clear(fs);
      fs.append(h('legend', null, label, required ? h('span', { class: 'req', title: 'required' }, ' *') : null));
      const hint = this.hint(s);
      if (hint && segs.length) fs.append(h('p', { class: 'hint' }, hint));
      fs.append(h('ul', { class: 'csaf-errors', hidden: true }));
      const value = getAt(this.doc, segs) || {};
      const req = new Set(s.required || []);
      const adds = [];
      for (const [k, ps] of Object.entries(s.properties || {})) {
        const childSegs = segs.concat([k]);
        const childPath = pointer(childSegs);
        const rs = this.resolve(ps);
        const title = rs.title || k;
        const must = req.has(k) || this.profileRequired.has(childPath);
        if (value[k] === undefined) {
          if (!must) {
            adds.push(button('Add ' + title.toLowerCase(), () => {
              // A list of objects starts with one item: an empty list is never what one wants.
              const items = rs.type === 'array' ? this.resolve(rs.items) : null;
              setAt(this.doc, childSegs, items && items.type !== 'string' ? [this.empty(rs.items)] : this.empty(ps));
              draw();
              this.changed();
              const first = fs.querySelector('[data-path="' + CSS.escape(childPath) + '"] input, [data-path="' + CSS.escape(childPath) + '"] select, [data-path="' + CSS.escape(childPath) + '"] textarea, [data-path="' + CSS.escape(childPath) + '"] button');
              if (first) first.focus();
            }, { class: 'small csaf-add', dataset: { add: childPath } }));
            continue;
          }
          // ermes writes the tracking when it saves; the CSAF version is always 2.0.
          if (childPath === '/document/csaf_version') setAt(this.doc, childSegs, '2.0');
          else if (!MANAGED.has(childPath)) setAt(this.doc, childSegs, this.empty(ps));
        }
        const child = this.node(ps, childSegs, title, must);
        if (!must && !MANAGED.has(childPath)) {
          child.append(button('Remove ' + title.toLowerCase(), () => {
            setAt(this.doc, childSegs, undefined);
            draw();
            this.changed();
          }, { class: 'small link csaf-remove' }));
        }
        fs.append(child);
        // Places the form offers help with: the product tree from assets.
        if (this.helpers[childPath]) fs.append(this.helpers[childPath](this, childSegs, draw));
      }
      if (adds.length) fs.append(h('div', { class: 'actions csaf-adds' }, adds));
    };
    fs.redraw = draw;
    draw();
    return fs;
  }

  array(s, segs, label, required) {
    const path = pointer(segs);
    const items = this.resolve(s.items);
    const itemTitle = items.title || 'item';
    // A list of strings (product ids, aliases, group ids): one per line.
    if (items.type === 'string') {
      const v = getAt(this.doc, segs) || [];
      const ta = h('textarea', { name: path, rows: Math.max(2, v.length + 1), dataset: { path } }, v.join('\n'));
      ta.addEventListener('input', () => {
        setAt(this.doc, segs, ta.value.split('\n').map((x) => x.trim()).filter((x) => x));
        this.changed();
      });
      const known = s.items && s.items.$ref && s.items.$ref.endsWith('/product_id_t') ? ' Known products: ' + this.productIds().join(', ') : '';
      const wrap = field(label + (required ? ' *' : ''), ta, 'One per line.' + known);
      wrap.dataset.path = path;
      wrap.append(h('ul', { class: 'csaf-errors', hidden: true }));
      ta.addEventListener('focus', () => {
        if (!known) return;
        const p = wrap.querySelector('.hint');
        if (p) p.textContent = 'One per line. Known products: ' + this.productIds().join(', ');
      });
      return wrap;
    }
    const fs = h('fieldset', { class: 'csaf-array', dataset: { path } });
    const draw = () => {
      clear(fs);
      fs.append(h('legend', null, label, required ? h('span', { class: 'req', title: 'required' }, ' *') : null));
      const hint = this.hint(s);
      if (hint) fs.append(h('p', { class: 'hint' }, hint));
      fs.append(h('ul', { class: 'csaf-errors', hidden: true }));
      let v = getAt(this.doc, segs);
      if (!Array.isArray(v)) { v = []; setAt(this.doc, segs, v); }
      v.forEach((_, i) => {
        const child = this.node(s.items, segs.concat([i]), itemTitle + ' ' + (i + 1), true);
        child.append(button('Remove ' + itemTitle.toLowerCase() + ' ' + (i + 1), () => {
          v.splice(i, 1);
          draw();
          this.changed();
        }, { class: 'small link csaf-remove' }));
        fs.append(child);
      });
      fs.append(h('div', { class: 'actions' }, button('Add ' + itemTitle.toLowerCase(), () => {
        v.push(this.empty(s.items));
        draw();
        this.changed();
        const last = fs.querySelector(':scope > fieldset:last-of-type input, :scope > fieldset:last-of-type select, :scope > fieldset:last-of-type textarea');
        if (last) last.focus();
      }, { class: 'small csaf-add', dataset: { add: path } })));
    };
    fs.redraw = draw;
    draw();
    return fs;
  }

  scalar(s, segs, label, required) {
    const path = pointer(segs);
    const key = segs[segs.length - 1];
    let v = getAt(this.doc, segs);
    let control;
    const set = (x) => { setAt(this.doc, segs, x); this.changed(); };
    if (s.enum) {
      control = select(path, (required ? [] : [['', '—']]).concat(s.enum.map((e) => [e, e])), v ?? '');
      if (required && (v === '' || v === undefined)) setAt(this.doc, segs, s.enum[0]);
      control.addEventListener('change', () => set(control.value === '' ? '' : control.value));
    } else if (s.type === 'boolean') {
      control = h('input', { type: 'checkbox', name: path });
      control.checked = !!v;
      control.addEventListener('change', () => set(control.checked));
    } else if (s.type === 'number' || s.type === 'integer') {
      control = h('input', { type: 'number', name: path, step: s.type === 'integer' ? '1' : 'any', value: v ?? '' });
      control.addEventListener('input', () => set(control.value === '' ? undefined : Number(control.value)));
    } else if (LONG.has(key)) {
      control = h('textarea', { name: path, rows: 3 }, v ?? '');
      control.addEventListener('input', () => set(control.value));
    } else {
      const attrs = { name: path, value: v ?? '' };
      if (s.format === 'date-time') attrs.placeholder = '2026-12-07T10:00:00Z';
      else if (s.examples && s.examples.length) attrs.placeholder = String(s.examples[0]);
      if (s.format === 'uri') attrs.type = 'url';
      control = h('input', { type: 'text', ...attrs });
      control.addEventListener('input', () => set(control.value));
    }
    control.dataset.path = path;
    if (required) control.setAttribute('aria-required', 'true');
    const wrap = field(label + (required ? ' *' : ''), control, this.hint(s));
    wrap.dataset.path = path;
    wrap.append(h('ul', { class: 'csaf-errors', hidden: true }));
    return wrap;
  }

  // A CVSS object: the vector is typed, ermes's scorer gives the scores (GET /api/v1/cvss).
  cvss(s, segs, label) {
    const path = pointer(segs);
    const v = getAt(this.doc, segs) || {};
    const vec = h('input', { type: 'text', name: path + '/vectorString', value: v.vectorString || '', dataset: { path: path + '/vectorString' }, spellcheck: 'false' });
    const out = h('p', { class: 'muted cvss-out', 'aria-live': 'polite' }, v.baseScore !== undefined ? 'Base score ' + v.baseScore + (v.baseSeverity ? ' ' + v.baseSeverity : '') : '');
    let timer = null;
    const v2 = segs[segs.length - 1] === 'cvss_v2';
    vec.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const text = vec.value.trim();
        if (!text) { setAt(this.doc, segs, {}); this.changed(); out.textContent = ''; return; }
        try {
          const r = await get('cvss', { vector: text });
          if ((v2 && r.version !== '2.0') || (!v2 && !r.version.startsWith('3.'))) {
            out.textContent = 'A CVSS ' + (v2 ? '2.0' : '3.x') + ' vector belongs here, not ' + r.version + '.';
            return;
          }
          const o = { version: r.version, vectorString: text, baseScore: r.base_score };
          if (!v2) o.baseSeverity = r.base_severity;
          setAt(this.doc, segs, o);
          out.textContent = 'Base score ' + r.base_score + (v2 ? '' : ' ' + r.base_severity) + ' (computed by ermes)';
          this.changed();
        } catch (e) {
          out.textContent = e.message;
        }
      }, 300);
    });
    const wrap = field(label + ': vector', vec, 'A CVSS ' + (v2 ? '2.0' : '3.0 or 3.1') + ' vector; the scores are computed from it.');
    wrap.dataset.path = path;
    wrap.append(out, h('ul', { class: 'csaf-errors', hidden: true }));
    return wrap;
  }

  productIds() {
    const ids = [];
    const walk = (x) => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object') {
        if (typeof x.product_id === 'string') ids.push(x.product_id);
        Object.values(x).forEach(walk);
      }
    };
    walk(this.doc.product_tree);
    return ids;
  }
}

// A product from an asset: CPE or purl as its identification helper, its name from the
// asset's name or vendor, product and version.
export function productFromAsset(a) {
  const name = [a.vendor, a.product, a.version].filter((x) => x).join(' ') || a.name || a.cpe || a.purl || 'asset ' + a.id;
  const p = { name, product_id: 'CSAFPID-ASSET-' + a.id };
  const helper = {};
  if (a.cpe) helper.cpe = a.cpe;
  if (a.purl) helper.purl = a.purl;
  if (Object.keys(helper).length) p.product_identification_helper = helper;
  return p;
}

// The product tree's helper: pick an asset of the constituency, or type a CPE or purl.
function productHelper(assets) {
  return (form, segs, redraw) => {
    const box = h('div', { class: 'card csaf-helper', role: 'group', 'aria-label': 'Add products' });
    const opts = [['', '— pick an asset —']].concat(assets.map((a) => [String(a.id), a.org + ': ' + (productFromAsset(a).name) + (a.cpe ? ' (' + a.cpe + ')' : a.purl ? ' (' + a.purl + ')' : '')]));
    const pick = select('asset', opts, '');
    const typed = h('input', { type: 'text', name: 'product_ref', placeholder: 'cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:* or pkg:type/name@1.0', spellcheck: 'false' });
    const add = (p) => {
      const tree = getAt(form.doc, segs) || {};
      tree.full_product_names = tree.full_product_names || [];
      if (tree.full_product_names.some((x) => x.product_id === p.product_id)) { announce(p.product_id + ' is in the tree already'); return; }
      tree.full_product_names.push(p);
      setAt(form.doc, segs, tree);
      redraw();
      form.changed();
      announce('Product ' + p.product_id + ' added');
    };
    box.append(h('h3', null, 'Add products'),
      h('div', { class: 'filters' }, field('From an asset', pick, assets.length ? 'The constituency\'s assets; the product keeps its CPE or purl.' : 'No asset is registered yet.'),
        h('div', { class: 'actions' }, button('Add asset as product', () => {
          const a = assets.find((x) => String(x.id) === pick.value);
          if (a) add(productFromAsset(a));
        }, { class: 'small', id: 'add-asset-product' }))),
      h('div', { class: 'filters' }, field('CPE or purl', typed),
        h('div', { class: 'actions' }, button('Add typed product', () => {
          const t = typed.value.trim();
          if (!t) return;
          const helper = t.startsWith('pkg:') ? { purl: t } : { cpe: t };
          const n = (getAt(form.doc, segs.concat(['full_product_names'])) || []).length + 1;
          add({ name: t, product_id: 'CSAFPID-' + String(n).padStart(4, '0'), product_identification_helper: helper });
          typed.value = '';
        }, { class: 'small' }))));
    return box;
  };
}

function skeleton(category) {
  return {
    document: {
      category, csaf_version: '2.0', title: '',
      publisher: { category: 'coordinator', name: '', namespace: '' },
      distribution: { tlp: { label: 'AMBER' } },
    },
  };
}

// What the validator sees: the draft with a provisional tracking where ermes has not set one
// yet (ermes writes the real one when it saves the draft).
function forValidation(doc) {
  const d = JSON.parse(JSON.stringify(doc));
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  if (d.document && typeof d.document === 'object' && !d.document.tracking) {
    d.document.tracking = {
      id: 'DRAFT', status: 'draft', version: '0.1.0', initial_release_date: now,
      current_release_date: now, revision_history: [{ date: now, number: '0.1.0', summary: 'Draft.' }],
    };
  }
  return d;
}

// ---- the editor screen --------------------------------------------------------------------

async function editor(view, ctx, adv) {
  ctx.title(adv ? adv.tracking_id : 'New advisory');
  const [schema, assets] = await Promise.all([loadSchema(), listAssets('', 1000).catch(() => [])]);
  if (!ctx.isCurrent()) return;
  let doc = adv && adv.document ? adv.document : skeleton('csaf_security_advisory');
  const editable = !adv || adv.status === 'draft' || adv.status === 'published';
  const head = h('div', { class: 'screen-head' }, h('h1', null, adv ? adv.tracking_id + ': ' + adv.title : 'New advisory'));
  view.append(head);
  if (adv) {
    view.append(dl([['Status', stateBadge(adv.status)], ['Revision', String(adv.revision)], ['Author', adv.author],
      ['Reviewer', adv.reviewer || ''], ['Published', time(adv.published_at)], ['Scheduled', adv.publish_at ? time(adv.publish_at) : ''], ['TLP', tlp(adv.tlp)]]));
    // Why the scheduled publication was refused at its time (it is tried again until it works).
    if (adv.publish_error) view.append(h('p', { class: 'notice notice-error publish-error', role: 'alert' }, 'The scheduled publication was refused: ' + adv.publish_error));
    view.append(workflow(adv, ctx), linksSection(adv, ctx, true));
  }
  const status = h('div', { class: 'csaf-status', role: 'status', 'aria-live': 'polite', id: 'csaf-validation' });
  const summary = h('ul', { class: 'csaf-summary' });
  const formBox = h('div', { class: 'csaf-form' });
  const raw = h('textarea', { name: 'raw', rows: 20, class: 'code', spellcheck: 'false', 'aria-label': 'The document as JSON' });
  const rawErr = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const upload = h('input', { type: 'file', name: 'upload', accept: '.json,application/json' });
  const profile = select('category', PROFILES.map(([v, l]) => [v, l + ' (' + v + ')']), doc.document && doc.document.category);
  const topErr = h('p', { class: 'form-error', role: 'alert', hidden: true });
  let form = null;
  let timer = null;
  let seq = 0;

  const validate = async () => {
    const mine = ++seq;
    let r;
    try {
      r = await post('csaf/validate', forValidation(doc));
    } catch (e) {
      if (mine === seq) status.textContent = 'Not validated: ' + e.message;
      return;
    }
    if (mine !== seq || !ctx.isCurrent()) return;
    showFailures(r);
  };
  const changed = () => {
    if (document.activeElement !== raw) raw.value = JSON.stringify(doc, null, 2);
    clearTimeout(timer);
    timer = setTimeout(validate, 500);
  };

  function showFailures(r) {
    formBox.querySelectorAll('.csaf-errors').forEach((u) => { clear(u).hidden = true; });
    formBox.querySelectorAll('[aria-invalid]').forEach((c) => c.removeAttribute('aria-invalid'));
    clear(summary);
    const failed = r.failed || [];
    const mandatory = failed.filter((f) => f.group !== 'optional' && f.group !== 'informative');
    status.className = 'csaf-status ' + (r.valid ? 'csaf-valid' : 'csaf-invalid');
    status.textContent = r.valid
      ? 'Valid CSAF 2.0' + (failed.length ? ' (' + failed.length + ' optional or informative remarks)' : '')
      : mandatory.length + ' mandatory test' + (mandatory.length === 1 ? '' : 's') + ' failed' + (failed.length > mandatory.length ? ', ' + (failed.length - mandatory.length) + ' other remarks' : '');
    status.dataset.valid = String(!!r.valid);
    for (const f of failed) {
      // The field the path names, or its nearest ancestor on the form.
      let segs = (f.path || '').split('/').slice(1);
      let target = null;
      for (; ; segs = segs.slice(0, -1)) {
        const p = pointer(segs);
        target = formBox.querySelector('[data-path="' + CSS.escape(p) + '"].field, fieldset[data-path="' + CSS.escape(p) + '"]');
        if (target || !segs.length) break;
      }
      const text = f.test + ' (' + (f.group || 'mandatory') + ')' + ': ' + f.message + (f.path ? ' at ' + f.path : '');
      const li = h('li', { class: 'csaf-fail csaf-' + (f.group || 'mandatory'), dataset: { test: f.test, path: f.path || '' } }, text);
      if (target) {
        const ul = target.querySelector(':scope > .csaf-errors');
        if (ul) { ul.append(li); ul.hidden = false; }
        const c = target.matches('.field') ? target.querySelector('input, select, textarea') : null;
        if (c && f.group !== 'optional' && f.group !== 'informative') c.setAttribute('aria-invalid', 'true');
      }
      const jump = target ? button('show', () => {
        const c = target.querySelector('input, select, textarea, button');
        if (c) c.focus(); else target.scrollIntoView();
      }, { class: 'small link' }) : null;
      summary.append(h('li', { class: 'csaf-' + (f.group || 'mandatory') }, text, ' ', jump));
    }
  }

  const draw = () => {
    const cat = doc.document && doc.document.category;
    const prof = PROFILES.find(([v]) => v === cat);
    form = new Form(schema, doc, changed, { '/product_tree': productHelper(assets) });
    form.profileRequired = new Set(prof ? prof[2] : []);
    fill(formBox, form.node(schema, [], 'CSAF document', true));
    raw.value = JSON.stringify(doc, null, 2);
    changed();
  };

  profile.addEventListener('change', () => {
    doc.document = doc.document || {};
    doc.document.category = profile.value;
    draw();
    announce('Profile ' + profile.value + ': its required sections are on the form');
  });
  const replaceDoc = (text, where) => {
    let d;
    try {
      d = JSON.parse(text);
    } catch (e) {
      rawErr.textContent = where + ' is not JSON: ' + e.message;
      rawErr.hidden = false;
      return;
    }
    if (!d || typeof d !== 'object' || Array.isArray(d)) {
      rawErr.textContent = where + ' is not a JSON object';
      rawErr.hidden = false;
      return;
    }
    rawErr.hidden = true;
    doc = d;
    if (doc.document && PROFILES.some(([v]) => v === doc.document.category)) profile.value = doc.document.category;
    draw();
    announce(where + ' loaded');
  };
  upload.addEventListener('change', async () => {
    const f = upload.files && upload.files[0];
    if (!f) return;
    if (f.size > 16 * 1024 * 1024) { rawErr.textContent = 'The file is larger than 16 MiB'; rawErr.hidden = false; return; }
    replaceDoc(await f.text(), 'The file');
  });

  const save = async () => {
    topErr.hidden = true;
    try {
      const a = adv ? await patch('advisories/' + enc(adv.tracking_id), doc) : await post('advisories', doc);
      announce('Saved ' + a.tracking_id + ' as a draft');
      if (adv) ctx.navigate('/advisories/' + enc(a.tracking_id), true);
      else ctx.navigate('/advisories/' + enc(a.tracking_id));
    } catch (e) {
      topErr.textContent = 'Not saved: ' + e.message + (e.field ? ' (' + e.field + ')' : '');
      topErr.hidden = false;
      topErr.setAttribute('tabindex', '-1');
      topErr.focus();
    }
  };

  if (!editable) {
    view.append(notice('An advisory in ' + adv.status + ' cannot be edited: reject it to make it a draft again.', 'info'),
      section('Document', h('pre', { class: 'csaf-json', tabindex: '0' }, JSON.stringify(doc, null, 2))));
    return;
  }
  view.append(h('div', { class: 'card csaf-editor-head' },
    field('Profile', profile, 'The CSAF profile (document category) decides which sections are required.'),
    field('Upload a CSAF JSON file', upload, 'Replaces what is on the form.'),
    status, h('details', { class: 'csaf-details' }, h('summary', null, 'All failed tests'), summary)),
  topErr, formBox,
  h('details', { class: 'card csaf-raw' }, h('summary', null, 'Raw JSON'),
    raw, rawErr, h('div', { class: 'actions' }, button('Apply JSON', () => replaceDoc(raw.value, 'The JSON'), { class: 'small', id: 'apply-json' }))),
  h('div', { class: 'actions sticky-actions' }, button(adv ? (adv.status === 'published' ? 'Save as a new revision (draft)' : 'Save draft') : 'Save as draft', save, { class: 'primary', id: 'save-advisory' })));
  draw();
}

// The workflow's buttons for the advisory's status and the user: submit a draft; approve or
// reject one in review (approve: not its author); publish (now or at a time) an approved one.
function workflow(adv, ctx) {
  const box = h('div', { class: 'card actions csaf-workflow', role: 'group', 'aria-label': 'Workflow' });
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const ref = enc(adv.tracking_id);
  const step = (label, action, body, attrs = {}) => button(label, async (ev) => {
    const btn = ev.currentTarget;
    btn.disabled = true;
    err.hidden = true;
    try {
      await post('advisories/' + ref + '/' + action, body ? body() : {});
      announce(label + ': done');
      ctx.navigate('/advisories/' + ref, true);
    } catch (e) {
      let msg = e.message;
      const v = e.detail && e.detail.error && e.detail.error.validation;
      if (v && v.failed) msg += ': ' + v.failed.filter((f) => f.group === 'mandatory').map((f) => f.test + ' ' + f.path).join(', ');
      err.textContent = msg;
      err.hidden = false;
      btn.disabled = false;
    }
  }, attrs);
  const comment = h('input', { type: 'text', name: 'comment', maxlength: 4000 });
  const withComment = () => (comment.value.trim() ? { comment: comment.value.trim() } : {});
  const mine = ctx.user && ctx.user.name === adv.author;
  if (adv.status === 'draft') box.append(step('Submit for review', 'submit', null, { class: 'primary', id: 'wf-submit' }));
  if (adv.status === 'review') {
    box.append(field('Review comment', comment));
    if (mine) box.append(notice('You wrote this advisory: another person approves it.', 'info'));
    else box.append(step('Approve', 'approve', withComment, { class: 'primary', id: 'wf-approve' }));
    box.append(step('Reject (back to draft)', 'reject', withComment, { id: 'wf-reject' }));
  }
  if (adv.status === 'approved') {
    const at = h('input', { type: 'text', name: 'publish_at', placeholder: '2026-12-08T08:00:00Z (empty: now)' });
    const sum = h('input', { type: 'text', name: 'summary', maxlength: 1000 });
    box.append(field('Publish at', at, 'RFC 3339; empty publishes now.'), field('Revision summary', sum),
      step('Publish', 'publish', () => {
        const b = {};
        if (at.value.trim()) b.publish_at = at.value.trim();
        if (sum.value.trim()) b.summary = sum.value.trim();
        return b;
      }, { class: 'primary', id: 'wf-publish' }),
      step('Reject (back to draft)', 'reject', null, { id: 'wf-reject' }));
  }
  if (!box.childNodes.length) return h('div');
  box.prepend(h('h2', { class: 'sr' }, 'Workflow'));
  box.append(err);
  return box;
}
