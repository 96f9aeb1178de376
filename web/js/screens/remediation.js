// Remediation: an organisation's assets, the vulnerabilities that affect each (what ermes
// matched and warned of, GET /api/v1/assets/{id}), the published advisories that name those
// CVEs, and per asset and vulnerability the remediation status (not affected, affected, in
// progress, fixed) set with PUT /api/v1/assets/{id}/vulnerabilities/{cve}. A constituent's user
// sees its own organisation only (the API's rule); the CERT's staff pick a constituent.
import { get, put } from '../api.js';
import { h, select, field, section, notice, errorNotice, announce, isStaff, button, tlp } from '../ui.js';

const enc = encodeURIComponent;
export const REMEDIATION = [['affected', 'Affected'], ['in_progress', 'In progress'], ['fixed', 'Fixed'], ['not_affected', 'Not affected']];
const MAX_ASSETS = 200;
const MAX_ADVISORIES = 50;

// Up to cap assets (the org's, or every one the user may see), page by page: the server's
// page limit (page_limit) may be smaller than cap.
export async function listAssets(org, cap) {
  const out = [];
  let cursor = null;
  do {
    const r = await get('assets', { org, cursor });
    out.push(...r.data);
    cursor = r.next_cursor || null;
  } while (cursor && out.length < cap);
  return out.slice(0, cap);
}

function assetName(a) {
  return a.name || [a.vendor, a.product, a.version].filter((x) => x).join(' ') || a.cpe || a.purl || 'asset ' + a.id;
}

// CVE -> published advisories naming it, from the advisories this user may read (the first
// MAX_ADVISORIES published ones).
async function advisoriesByCve() {
  const out = new Map();
  let list = [];
  try {
    list = (await get('advisories', { status: 'published' })).data.slice(0, MAX_ADVISORIES);
  } catch {
    return out;
  }
  const docs = await Promise.all(list.map((a) => get('advisories/' + enc(a.tracking_id)).catch(() => null)));
  for (const a of docs) {
    if (!a || !a.document) continue;
    for (const v of a.document.vulnerabilities || []) {
      if (!v.cve) continue;
      if (!out.has(v.cve)) out.set(v.cve, []);
      out.get(v.cve).push(a);
    }
  }
  return out;
}

export async function render(view, ctx) {
  ctx.title('Remediation');
  const staff = isStaff(ctx.user);
  const org = ctx.query.get('org') || '';
  view.append(h('h1', null, 'Remediation'),
    h('p', { class: 'muted' }, staff
      ? 'The assets of a constituent, the vulnerabilities that affect them and their remediation status.'
      : 'Your organisation\'s assets, the vulnerabilities that affect them, and what you did about each.'));
  if (staff) {
    const orgIn = h('input', { name: 'org', value: org, maxlength: 64, placeholder: 'short name, e.g. UMA' });
    const form = h('form', { class: 'card', 'aria-label': 'Choose a constituent' },
      h('div', { class: 'filters' }, field('Constituent', orgIn, 'Empty: every constituent.')),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      ctx.navigate('/remediation' + (orgIn.value.trim() ? '?org=' + enc(orgIn.value.trim()) : ''));
    });
    view.append(form);
  }
  let assets;
  try {
    assets = await listAssets(org, MAX_ASSETS);
  } catch (e) {
    view.append(errorNotice(e));
    return;
  }
  if (!assets.length) {
    view.append(notice('No asset is registered' + (org ? ' for ' + org : '') + '.'));
    return;
  }
  const [full, advs] = await Promise.all([
    Promise.all(assets.map((a) => get('assets/' + a.id).catch(() => ({ ...a, vulnerabilities: [] })))),
    advisoriesByCve(),
  ]);
  if (!ctx.isCurrent()) return;
  const vulnInfo = new Map();
  const cves = [...new Set(full.flatMap((a) => (a.vulnerabilities || []).map((v) => v.cve)))];
  await Promise.all(cves.slice(0, 200).map((c) => get('vulnerabilities/' + enc(c)).then((v) => vulnInfo.set(c, v)).catch(() => null)));
  if (!ctx.isCurrent()) return;
  const byOrg = new Map();
  for (const a of full) {
    if (!byOrg.has(a.org)) byOrg.set(a.org, []);
    byOrg.get(a.org).push(a);
  }
  for (const [name, list] of byOrg) {
    const sec = section((staff ? name + ': ' : '') + list.length + ' asset' + (list.length === 1 ? '' : 's'));
    for (const a of list) sec.append(assetCard(a, vulnInfo, advs));
    view.append(sec);
  }
  if (assets.length >= MAX_ASSETS) view.append(notice('Only the first ' + MAX_ASSETS + ' assets are shown.'));
}

function assetCard(a, vulnInfo, advs) {
  const id = 'asset-' + a.id;
  const box = h('article', { class: 'asset', 'aria-labelledby': id + '-h', dataset: { asset: String(a.id) } },
    h('h3', { id: id + '-h' }, assetName(a), ' ', tlp(a.tlp)),
    h('p', { class: 'muted' }, [a.cpe, a.purl, a.source ? 'source: ' + a.source : null].filter((x) => x).join(' · ')));
  const rows = h('tbody');
  for (const v of a.vulnerabilities || []) rows.append(vulnRow(a, v, vulnInfo.get(v.cve), advs.get(v.cve) || []));
  if (!(a.vulnerabilities || []).length) rows.append(h('tr', null, h('td', { colspan: 5, class: 'muted' }, 'No known vulnerability affects this asset.')));
  box.append(h('div', { class: 'table-wrap' }, h('table', { class: 'grid stack' },
    h('caption', { class: 'sr' }, 'Vulnerabilities of ' + assetName(a)),
    h('thead', null, h('tr', null, ['Vulnerability', 'Advisories', 'Status', 'Note', ''].map((t) => h('th', { scope: 'col' }, t)))),
    rows)));
  // A status for a CVE ermes did not match to this asset (one the constituent found itself).
  const cve = h('input', { type: 'text', name: 'cve', placeholder: 'CVE-2026-12345', maxlength: 32, spellcheck: 'false' });
  const st = select('status', REMEDIATION, 'affected');
  const msg = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const add = h('form', { class: 'inline-form', 'aria-label': 'Set the status of another vulnerability for ' + assetName(a) },
    field('Other CVE', cve), field('Status', st),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'small' }, 'Set status')), msg);
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.hidden = true;
    const c = cve.value.trim().toUpperCase();
    if (!/^CVE-\d{4}-\d{4,}$/.test(c)) { msg.textContent = 'A CVE id such as CVE-2026-12345'; msg.hidden = false; return; }
    try {
      const r = await put('assets/' + a.id + '/vulnerabilities/' + enc(c), { status: st.value });
      rows.append(vulnRow(a, { cve: c, status: r.status, note: r.note }, null, advs.get(c) || []));
      const empty = rows.querySelector('td[colspan]');
      if (empty) empty.parentNode.remove();
      cve.value = '';
      announce(c + ': ' + r.status.replace('_', ' '));
    } catch (e) {
      msg.textContent = e.status === 404 ? c + ' is not a vulnerability ermes knows (import it first)' : e.message;
      msg.hidden = false;
    }
  });
  box.append(h('details', null, h('summary', null, 'Another vulnerability'), add));
  return box;
}

function vulnRow(a, v, info, advs) {
  const st = select('status', REMEDIATION, v.status || 'affected', { 'aria-label': 'Status of ' + v.cve + ' on ' + assetName(a) });
  const note = h('input', { type: 'text', name: 'note', value: v.note || '', maxlength: 4096, 'aria-label': 'Note on ' + v.cve });
  const out = h('span', { class: 'muted', role: 'status' });
  const save = button('Save', async (ev) => {
    const btn = ev.currentTarget;
    btn.disabled = true;
    try {
      const r = await put('assets/' + a.id + '/vulnerabilities/' + enc(v.cve), { status: st.value, note: note.value });
      out.textContent = 'saved: ' + r.status.replace('_', ' ');
      tr.dataset.status = r.status;
      announce(v.cve + ' on ' + assetName(a) + ': ' + r.status.replace('_', ' '));
    } catch (e) {
      out.textContent = e.message;
    }
    btn.disabled = false;
  }, { class: 'small', 'aria-label': 'Save the status of ' + v.cve + ' on ' + assetName(a) });
  const srcs = info && Array.isArray(info.csaf_sources) ? info.csaf_sources : [];
  const desc = info ? [info.cvss_score != null ? 'CVSS ' + info.cvss_score + ' ' + (info.cvss_severity || '') : null, info.kev ? 'KEV: exploited' : null].filter((x) => x).join(' · ') : '';
  const tr = h('tr', { dataset: { cve: v.cve, status: v.status || '' } },
    h('td', { dataset: { label: 'Vulnerability' } }, h('strong', null, v.cve), desc ? h('div', { class: 'muted' }, desc) : null,
      info && info.description ? h('div', { class: 'muted small' }, info.description.length > 160 ? info.description.slice(0, 157) + '…' : info.description) : null),
    h('td', { dataset: { label: 'Advisories' } }, advs.length || srcs.length
      ? [...advs.map((x) => h('div', null, h('a', { href: '/advisories/' + enc(x.tracking_id) }, x.tracking_id), ' ', x.title)),
        // other providers' CSAF documents on the CVE (csaf_sources), each provider's document once
        ...srcs.map((x) => h('div', { class: 'csaf-source muted small' }, 'CSAF ', h('strong', null, x.tracking_id || '?'), ' ' + (x.version || '') + (x.namespace ? ' (' + x.namespace + ')' : '')))]
      : h('span', { class: 'muted' }, '—')),
    h('td', { dataset: { label: 'Status' } }, st),
    h('td', { dataset: { label: 'Note' } }, note),
    h('td', null, save, ' ', out));
  return tr;
}
