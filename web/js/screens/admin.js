// Administration: users and roles, API tokens (the secret shown once), the audit log.
import { get, post, patch, put, del } from '../api.js';
import { h, clear, fill, time, field, input, select, table, section, notice, errorNotice, showError, clearErrors, announce } from '../ui.js';
import { collectorsSection } from './admin_collectors.js';

const ROLES = ['admin', 'analyst', 'constituent', 'sensor'];

async function usersSection(ctx) {
  const sec = section('Users');
  const name = input('name', { maxlength: 64, autocomplete: 'off', required: true });
  const role = select('role', ROLES, 'analyst');
  const org = input('org', { maxlength: 64, placeholder: 'short name (constituent users; optional for sensors)' });
  const rule = ctx.passwordRule || { min_length: 12, max_length: 1024 };
  const pw = input('password', { type: 'password', autocomplete: 'new-password', maxlength: rule.max_length });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'nu-h' }, h('h3', { id: 'nu-h' }, 'Add a user'),
    h('div', { class: 'form-grid' }, field('Name', name), field('Role', role), field('Organisation', org), field('Password', pw, 'optional (a user without one signs in with tokens only); at least ' + rule.min_length + ' characters')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add user')));
  const listBox = h('div');
  async function load() {
    let page;
    try { page = await get('users', { limit: 1000 }); } catch (e) { fill(listBox, errorNotice(e)); return; }
    fill(listBox, table([
      { label: 'Id', class: 'num', cell: (u) => String(u.id) },
      { label: 'Name', cell: (u) => u.name },
      { label: 'Role', cell: (u) => roleControl(u) },
      { label: 'Organisation', cell: (u) => u.org ? h('a', { href: '/constituents/' + encodeURIComponent(u.org) }, u.org) : '' },
      { label: 'Password', cell: (u) => (u.has_password ? 'set' : 'none') },
      { label: 'Created', cell: (u) => time(u.created_at) },
      { label: 'Status', cell: (u) => disableControl(u) },
    ], page.data, { caption: 'Users' }));
  }
  function roleControl(u) {
    const s = select('role', ROLES, u.role, { 'aria-label': 'Role of ' + u.name });
    s.addEventListener('change', async () => {
      try { await patch('users/' + u.id, { role: s.value }); announce('Role of ' + u.name + ' is ' + s.value); } catch (e) { s.value = u.role; alertNear(s, e); }
    });
    return s;
  }
  function disableControl(u) {
    const b = h('button', { type: 'button', 'aria-label': (u.disabled ? 'Enable ' : 'Disable ') + u.name }, u.disabled ? 'Disabled: enable' : 'Active: disable');
    b.addEventListener('click', async () => {
      try { await patch('users/' + u.id, { disabled: !u.disabled }); await load(); } catch (e) { alertNear(b, e); }
    });
    return b;
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = { name: name.value.trim(), role: role.value };
    if (org.value.trim()) body.org = org.value.trim();
    if (pw.value) body.password = pw.value;
    try {
      const u = await post('users', body);
      form.reset();
      announce('Added user ' + u.name);
      await load();
    } catch (e) { showError(form, e); }
  });
  await load();
  sec.append(listBox, form);
  return sec;
}

function alertNear(el, e) {
  const p = h('span', { class: 'field-error', role: 'alert' }, ' ', e.message);
  el.after(p);
  setTimeout(() => p.remove(), 8000);
}

// Tokens: own ones (account screen), or everyone's (admin).
export async function tokensSection(ctx, opts = {}) {
  const sec = section(opts.own ? 'Your API tokens' : 'API tokens');
  const desc = input('description', { maxlength: 200 });
  const days = input('expires_in_days', { type: 'number', min: 1, max: 3650, value: 90 });
  const user = opts.own ? null : input('user', { inputmode: 'numeric', maxlength: 20, placeholder: 'user id (empty: you)' });
  const secret = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'nt-h' + (opts.own ? 'o' : 'a') }, h('h3', { id: 'nt-h' + (opts.own ? 'o' : 'a') }, 'New token'),
    h('div', { class: 'form-grid' }, field('Description', desc), field('Valid for (days)', days), user ? field('For user', user) : null),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create token')), secret);
  const listBox = h('div');
  async function load() {
    let page;
    try { page = await get('tokens', { limit: 1000 }); } catch (e) { fill(listBox, errorNotice(e)); return; }
    fill(listBox, table([
      { label: 'Id', class: 'num', cell: (t) => String(t.id) },
      opts.own ? null : { label: 'User', class: 'num', cell: (t) => String(t.user_id) },
      { label: 'Prefix', cell: (t) => h('code', null, t.prefix + '…') },
      { label: 'Description', cell: (t) => t.description || '' },
      { label: 'Created', cell: (t) => time(t.created_at) },
      { label: 'Expires', cell: (t) => time(t.expires_at) },
      { label: 'Last used', cell: (t) => time(t.last_used_at) },
      { label: 'State', cell: (t) => (t.revoked_at ? h('span', { class: 'state state-failed' }, 'revoked') : revoke(t)) },
    ].filter(Boolean), page.data, { caption: 'Tokens', empty: 'No tokens.' }));
  }
  function revoke(t) {
    const b = h('button', { type: 'button', class: 'danger', 'aria-label': 'Revoke token ' + t.id }, 'Revoke');
    b.addEventListener('click', async () => {
      if (!window.confirm('Revoke token ' + t.prefix + '…? Programs using it stop working at once.')) return;
      try { await del('tokens/' + t.id); announce('Token revoked'); await load(); } catch (e) { alertNear(b, e); }
    });
    return b;
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    clear(secret);
    const body = {};
    if (desc.value.trim()) body.description = desc.value.trim();
    if (days.value) body.expires_in_days = Number(days.value);
    if (user && user.value.trim()) body.user = Number(user.value.trim());
    try {
      const t = await post('tokens', body);
      const code = h('code', { id: 'new-token', class: 'mono' }, t.token);
      secret.append(h('div', { class: 'notice notice-ok', role: 'status' },
        h('p', null, h('strong', null, 'Copy this token now: it is shown only this once.')), h('p', null, code),
        h('button', { type: 'button', onclick: () => navigator.clipboard && navigator.clipboard.writeText(t.token).then(() => announce('Copied')) }, 'Copy')));
      form.querySelector('input').value = '';
      await load();
    } catch (e) { showError(form, e); }
  });
  await load();
  sec.append(listBox, form);
  return sec;
}

// Warninglists: the known-benign lists an indicator is checked against when it is added;
// each switched on or off at once (PATCH, kept across restarts).
async function warninglistsSection() {
  const sec = section('Warninglists');
  const box = h('div');
  const q = input('wl-q', { type: 'search', maxlength: 64, placeholder: 'id or name' });
  sec.append(h('p', { class: 'hint' }, 'An indicator on a list that is on is reported and not stored unless its import is forced. Lists dropped into DATA_DIR/warninglists/ replace the shipped ones at the next start.'),
    field('Find a list', q), box);
  let all = [];
  function draw() {
    const needle = q.value.trim().toLowerCase();
    const rows = all.filter((w) => !needle || w.id.toLowerCase().includes(needle) || (w.name || '').toLowerCase().includes(needle));
    const on = all.filter((w) => w.enabled && !w.error).length;
    fill(box, h('p', { id: 'wl-summary' }, `${on} of ${all.length} lists on, ${all.reduce((n, w) => n + (w.enabled ? w.entries : 0), 0).toLocaleString('en')} entries in force.`),
      table([
        { label: 'List', cell: (w) => [h('strong', null, w.id), w.name ? h('div', { class: 'muted' }, w.name) : ''] },
        { label: 'Type', cell: (w) => w.type || '' },
        { label: 'Entries', cell: (w) => String(w.entries), class: 'num' },
        { label: 'Origin', cell: (w) => w.origin.replace('_', ' ') },
        { label: 'State', cell: (w) => (w.error ? h('span', { class: 'state-failed' }, 'error: ' + w.error) : w.enabled ? 'on' : 'off') },
        { label: '', cell: (w) => toggle(w) },
      ], rows, { caption: 'Warninglists', empty: 'No list matches.' }));
  }
  function toggle(w) {
    const b = h('button', { type: 'button', 'aria-pressed': String(w.enabled), 'aria-label': (w.enabled ? 'Turn off ' : 'Turn on ') + w.id }, w.enabled ? 'Turn off' : 'Turn on');
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        const n = await patch('warninglists/' + encodeURIComponent(w.id), { enabled: !w.enabled });
        Object.assign(w, n);
        announce('Warninglist ' + w.id + (w.enabled ? ' on' : ' off'));
        draw();
      } catch (e) { b.disabled = false; alertNear(b, e); }
    });
    return b;
  }
  q.addEventListener('input', draw);
  try { all = (await get('warninglists')).data; } catch (e) { sec.append(errorNotice(e)); return sec; }
  draw();
  return sec;
}

// Vulnerability sources: the scheduled sync's last run of each source of vuln_sources, with
// the TLP:AMBER and RED feeds of a CSAF provider that run skipped (no credentials for their
// origin, or refused); a later run that reads them clears the line.
async function vulnSourcesSection() {
  const sec = section('Vulnerability sources');
  sec.append(h('p', { class: 'hint' }, 'The sources of the vuln_sources setting, as the daemon last ran them. Credentials for a CSAF provider\'s protected feeds: ermes csaf credentials set.'));
  let rows;
  try { rows = (await get('vulnerabilities/sources')).data; } catch (e) { sec.append(errorNotice(e)); return sec; }
  sec.append(table([
    { label: 'Source', cell: (r) => h('code', null, r.source) },
    { label: 'Last run', cell: (r) => time(r.last_run_at) },
    { label: 'State', cell: (r) => (r.ok ? 'ok' : h('span', { class: 'state-failed' }, 'failed: ' + (r.error || ''))) },
    { label: 'Records', cell: (r) => String(r.records) + ' read, ' + String(r.changed) + ' changed', class: 'num' },
    { label: 'Skipped', cell: (r) => (r.skipped.length ? h('ul', { class: 'vuln-source-skipped' }, ...r.skipped.map((x) => h('li', null, 'feed ' + x.feed + ' skipped: ' + x.reason))) : '') },
  ], rows, { caption: 'Vulnerability sources', empty: 'No source has run (vuln_sources, vuln_sync_interval).' }));
  return sec;
}

// Notification templates: pick a part (the message, or one of its lines) and a language, edit
// (the message: first line the subject, a blank line, then the body with ${name} placeholders),
// the preview follows the text (debounced, rendered by the server for a sample group, nothing
// stored), then save or go back to the file or built-in. The lines are templates of their own
// in /api/v1/templates (kind notification).
const NOTIFY_PARTS = ['message', 'explanation', 'digest_daily', 'digest_weekly', 'attached_csv', 'attached_json', 'attached_xarf'];
async function templatesSection() {
  const sec = section('Notification templates');
  const partSel = select('tmpl-part', NOTIFY_PARTS, 'message');
  const langSel = select('tmpl-lang', [], '');
  const text = h('textarea', { name: 'text', rows: 16, cols: 72, spellcheck: 'false', maxlength: 65536, class: 'mono' });
  const source = h('p', { id: 'tmpl-source', class: 'muted' });
  const subj = h('p', { id: 'tmpl-preview-subject' });
  const body = h('pre', { id: 'tmpl-preview-body', class: 'preview' });
  const status = h('p', { id: 'tmpl-preview-status', class: 'hint', role: 'status' });
  const save = h('button', { type: 'submit' }, 'Save');
  const reset = h('button', { type: 'button', id: 'tmpl-reset' }, 'Back to the file or built-in');
  const form = h('form', { 'aria-label': 'Edit a notification template' },
    field('Part', partSel), field('Language', langSel), source,
    field('Template', text, 'Message: first line the subject; then a blank line; then the body. Placeholders: ${reference} ${tlp} ${org} ${org_name} ${group} ${count} ${n_events} ${about} ${first} ${last} ${explanations} ${attachment} ${attached} ${tlp_text} ${mail_from} ${signature} ${digest} ${frequency} ${period_start} ${period_end}. Lines: explanation (one per type of event: ${what} ${class} ${type_words} ${type} ${type_note} ${count} ${events} ${explanation}); digest_daily, digest_weekly (a digest\'s opening sentence) and attached_csv, attached_json, attached_xarf (how the events are attached, with ${file}): the message\'s placeholders but ${digest} ${attached} ${explanations}.'),
    h('div', { class: 'actions' }, save, reset));
  sec.append(form, h('h3', null, 'Preview (a sample group of 12 events)'), status, subj, body);
  let timer = null, seq = 0;
  async function preview() {
    const mine = ++seq;
    try {
      const p = partSel.value === 'message'
        ? await post('notification-templates/preview', { lang: langSel.value, text: text.value })
        : await post('templates/preview', { kind: 'notification', name: partSel.value, lang: langSel.value, text: text.value });
      if (mine !== seq) return;
      clearErrors(form);
      status.textContent = 'Preview up to date.';
      subj.textContent = 'Subject: ' + p.subject;
      body.textContent = p.body;
    } catch (e) {
      if (mine !== seq) return;
      status.textContent = 'Not valid: ' + e.message;
      showError(form, e);
    }
  }
  text.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(preview, 300); });
  // A load replaces the text: while one is on its way the text cannot be edited (what was
  // typed would be overwritten), and only the latest load applies.
  let loading = 0;
  async function load() {
    const mine = ++loading;
    text.disabled = true;
    source.textContent = 'Loading…';
    try {
      let t, english = false;
      if (partSel.value === 'message') {
        t = await get('notification-templates/' + encodeURIComponent(langSel.value));
      } else {
        // A line of a language without a built-in one (a templates_dir file's): the English
        // one serves it until one is stored.
        try { t = await get(linePath(langSel.value)); } catch (e) {
          if (e.status !== 404) throw e;
          t = await get(linePath('en'));
          english = true;
        }
      }
      if (mine !== loading) return;
      text.value = t.text;
      source.textContent = 'Now in use: ' + (english ? 'the English built-in line (none for this language)' : t.source === 'stored' ? 'the stored template' : t.source === 'file' ? 'the templates_dir file' : 'the built-in template') + '.';
      reset.disabled = english || t.source !== 'stored';
      const opt = langSel.selectedOptions[0];
      if (opt && partSel.value === 'message') opt.textContent = t.lang + ' (' + t.source + ')';
      preview();
    } catch (e) { showError(form, e); } finally { if (mine === loading) text.disabled = false; }
  }
  const linePath = (lang) => 'templates/notification/' + partSel.value + '/' + encodeURIComponent(lang);
  const path = () => (partSel.value === 'message' ? 'notification-templates/' + encodeURIComponent(langSel.value) : linePath(langSel.value));
  langSel.addEventListener('change', load);
  partSel.addEventListener('change', load);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    save.disabled = true;
    try {
      await put(path(), { text: text.value });
      announce('Template ' + langSel.value + ' saved');
      await load();
    } catch (e) { showError(form, e); } finally { save.disabled = false; }
  });
  reset.addEventListener('click', async () => {
    try {
      await del(path());
      announce('Template ' + langSel.value + ' reset');
      await load();
    } catch (e) { alertNear(reset, e); }
  });
  try {
    const all = (await get('notification-templates')).data;
    for (const t of all) langSel.append(h('option', { value: t.lang }, t.lang + ' (' + t.source + ')'));
    langSel.value = all.some((t) => t.lang === 'en') ? 'en' : (all[0] || {}).lang;
  } catch (e) { sec.append(errorNotice(e)); return sec; }
  await load();
  return sec;
}

// Advisory templates (/api/v1/templates): the page of the HTML and the text rendering (also
// the warning e-mails) and each item of their lists, the Atom feed's header and entry, per
// format and language; the preview renders the built-in sample advisory (or a published one,
// by tracking id) with the text being edited in the place of that part.
const ADVISORY_PARTS = {
  html: ['page', 'note', 'vulnerability', 'vulnerability_note', 'score', 'remediation', 'reference', 'history'],
  text: ['page', 'note', 'vulnerability', 'vulnerability_note', 'score', 'remediation', 'reference', 'history'],
  atom: ['entry', 'feed', 'summary'],
};
async function advisoryTemplatesSection() {
  const sec = section('Advisory templates');
  const fmtSel = select('atmpl-format', ['html', 'text', 'atom'], 'text');
  const partSel = select('atmpl-part', ADVISORY_PARTS.text, 'page');
  const langSel = select('atmpl-lang', ['en', 'fr', 'de', 'nl', 'it', 'es', 'pl'], 'en');
  const adv = input('atmpl-advisory', { maxlength: 64, placeholder: '(the built-in sample)' });
  const text = h('textarea', { name: 'text', rows: 16, cols: 72, spellcheck: 'false', maxlength: 262144, class: 'mono' });
  const source = h('p', { id: 'atmpl-source', class: 'muted' });
  const out = h('pre', { id: 'atmpl-preview', class: 'preview' });
  const status = h('p', { id: 'atmpl-status', class: 'hint', role: 'status' });
  const store = h('button', { type: 'submit' }, 'Store and use');
  const reset = h('button', { type: 'button' }, 'Back to the shipped one');
  const form = h('form', { 'aria-label': 'Edit an advisory template' },
    field('Advisory format', fmtSel), field('Part', partSel), field('Headings in', langSel), source,
    field('Advisory template', text, 'Page: ${title} ${tracking_id} ${version} ${status} ${tlp} ${publisher} ${initial_release_date} ${current_release_date} ${lang} ${notes} ${vulnerabilities} ${references} ${history}. Page and items: the headings ${l_id} ${l_version} ${l_publisher} ${l_initial} ${l_current} ${l_vulnerabilities} ${l_references} ${l_history} ${l_affected} ${l_fixed} ${l_remediation} ${l_date} ${l_summary}. Items: note ${title} ${text}; vulnerability ${cve} ${title} ${affected} ${fixed} ${scores} ${notes} ${remediations}; vulnerability_note ${title} ${text}; score ${vector} ${score} ${severity}; remediation ${details} ${link}; reference ${summary} ${link}; history ${number} ${date} ${summary}. Atom entry: the page\'s document ones and ${summary} ${link} ${entry_id}; feed: ${lang} ${feed_url} ${title} ${updated}; summary (one per summary note of the entry): ${title} ${text}.'),
    field('Preview with advisory', adv, 'a published advisory\'s tracking id; empty: the sample'),
    h('div', { class: 'actions' }, store, reset));
  sec.append(form, h('h3', null, 'Preview'), status, out);
  let timer = null, seq = 0;
  const path = () => 'templates/' + fmtSel.value + '/' + partSel.value + '/' + langSel.value;
  async function preview() {
    const mine = ++seq;
    const body = { kind: fmtSel.value, name: partSel.value, lang: langSel.value, text: text.value };
    if (adv.value.trim()) body.advisory = adv.value.trim();
    try {
      const p = await post('templates/preview', body);
      if (mine !== seq) return;
      clearErrors(form);
      status.textContent = 'Preview up to date.';
      out.textContent = p.output;
    } catch (e) {
      if (mine !== seq) return;
      status.textContent = 'Not valid: ' + e.message;
      showError(form, e);
    }
  }
  const later = () => { clearTimeout(timer); timer = setTimeout(preview, 300); };
  text.addEventListener('input', later);
  adv.addEventListener('input', later);
  // As for the notification templates: no editing while a load is on its way, and only the
  // latest load applies.
  let loading = 0;
  async function load() {
    const mine = ++loading;
    text.disabled = true;
    source.textContent = 'Loading…';
    try {
      const t = await get(path());
      if (mine !== loading) return;
      text.value = t.text;
      source.textContent = 'Now in use: ' + (t.source === 'stored' ? 'the stored template' : 'the built-in template') + '.';
      reset.disabled = t.source !== 'stored';
      preview();
    } catch (e) { showError(form, e); } finally { if (mine === loading) text.disabled = false; }
  }
  // A format has its own parts: its page (the feed's entry) until another is chosen.
  fmtSel.addEventListener('change', () => {
    partSel.replaceChildren(...ADVISORY_PARTS[fmtSel.value].map((n) => h('option', { value: n }, n)));
    load();
  });
  partSel.addEventListener('change', load);
  langSel.addEventListener('change', load);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    store.disabled = true;
    try {
      await put(path(), { text: text.value });
      announce('Advisory template ' + fmtSel.value + ' ' + partSel.value + ' ' + langSel.value + ' stored');
      await load();
    } catch (e) { showError(form, e); } finally { store.disabled = false; }
  });
  reset.addEventListener('click', async () => {
    try {
      await del(path());
      announce('Advisory template ' + fmtSel.value + ' ' + partSel.value + ' ' + langSel.value + ' reset');
      await load();
    } catch (e) { alertNear(reset, e); }
  });
  await load();
  return sec;
}

async function auditSection(ctx) {
  const sec = section('Audit log');
  const q = ctx.query;
  const f = {
    actor: input('actor', { value: q.get('actor') || '', maxlength: 64 }),
    object_type: input('object_type', { value: q.get('object_type') || '', maxlength: 64 }),
    action: input('action', { value: q.get('action') || '', maxlength: 64 }),
  };
  const form = h('form', { 'aria-label': 'Filter the audit log' }, h('div', { class: 'filters' }, field('Actor', f.actor), field('Object type', f.object_type), field('Action', f.action)),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const [k, el] of Object.entries(f)) if (el.value.trim()) p.set(k, el.value.trim());
    ctx.navigate('/admin' + (p.toString() ? '?' + p : '') + '#s-audit-log');
  });
  sec.append(form);
  let page;
  try {
    page = await get('audit', { actor: q.get('actor'), object_type: q.get('object_type'), action: q.get('action'), limit: 100, cursor: q.get('cursor') });
  } catch (e) { if (e.field && f[e.field]) showError(form, e); else sec.append(errorNotice(e)); return sec; }
  sec.append(table([
    { label: 'When', cell: (a) => time(a.at) },
    { label: 'Actor', cell: (a) => a.actor },
    { label: 'Action', cell: (a) => a.action },
    { label: 'Object', cell: (a) => [a.object_type, a.object_id ? ' ' + a.object_id : ''] },
    { label: 'Detail', cell: (a) => (a.detail ? h('code', null, JSON.stringify(a.detail)) : '') },
    { label: 'From', cell: (a) => a.remote || '' },
  ], page.data, { caption: 'Audit log, newest first', empty: 'Nothing recorded.' }));
  if (page.next_cursor) {
    const next = new URLSearchParams(q); next.set('cursor', page.next_cursor);
    sec.append(h('nav', { class: 'pager', 'aria-label': 'Audit pages' }, h('a', { class: 'button', href: '/admin?' + next }, 'Older entries')));
  }
  return sec;
}

// The settings in force. Live ones are edited inline (PUT /api/v1/settings/NAME: stored in the
// database, every daemon uses them within seconds; the error is shown next to the field);
// secrets are write-only fields. Restart-only ones are shown read-only with the reason.
const SOURCES = { default: 'default', file: 'config file', database: 'set here (database)', env: 'environment', flag: 'command-line flag' };

function settingValue(x) {
  if (x.secret) return h('span', { class: 'muted' }, x.set ? '(set, not shown)' : '(not set)');
  return x.value === null ? h('span', { class: 'muted' }, '(not set)') : h('span', { class: 'mono' }, x.value);
}

function liveSettingForm(x, reload) {
  const boolean = x.default === 'true' || x.default === 'false';
  let control;
  if (boolean) control = select(x.name, ['true', 'false'], x.value);
  else if (x.secret) control = input(x.name, { type: 'password', autocomplete: 'new-password', maxlength: 4095, placeholder: x.set ? '(set, not shown: type a new value)' : '(not set)' });
  else control = input(x.name, { value: x.value ?? '', maxlength: 4095 });
  const overridden = x.source === 'env' || x.source === 'flag';
  const save = h('button', { type: 'submit', class: 'primary' }, 'Apply');
  const reset = h('button', { type: 'button' }, 'Unset');
  reset.hidden = x.source !== 'database';
  if (overridden) { control.disabled = true; save.disabled = true; }
  const form = h('form', { class: 'setting-form', novalidate: true, 'aria-label': 'Setting ' + x.name },
    field(x.name, control, overridden ? 'set by this daemon\'s ' + SOURCES[x.source] + ', which wins over the database' : null),
    h('div', { class: 'actions' }, save, reset));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    save.disabled = true;
    try {
      await put('settings/' + encodeURIComponent(x.name), { value: control.value });
      announce(x.name + ' saved');
      await reload();
    } catch (e) { showError(form, e); save.disabled = false; }
  });
  reset.addEventListener('click', async () => {
    try {
      await del('settings/' + encodeURIComponent(x.name));
      announce(x.name + ' reset');
      await reload();
    } catch (e) { showError(form, e); }
  });
  return form;
}

async function settingsSection() {
  const sec = section('Settings');
  const box = h('div');
  async function load() {
    let r;
    try { r = await get('settings'); } catch (e) { fill(box, errorNotice(e)); return; }
    const live = r.data.filter((x) => x.applies === 'live');
    const restart = r.data.filter((x) => x.applies !== 'live');
    fill(box, 
      h('p', { class: 'hint' }, 'Precedence: default < config file < set here (database) < ERMES_* environment < flags. Live settings take effect on every daemon within a few seconds, without a restart (Apply stores a value in the database; Unset removes it, back to the config file or the default). Also changed while ermes runs: ',
        (r.live || []).flatMap((l, i) => [i ? ', ' : '', l.what]), '.'),
      table([
        { label: 'Setting', cell: (x) => liveSettingForm(x, load) },
        { label: 'Now', cell: (x) => settingValue(x) },
        { label: 'From', cell: (x) => SOURCES[x.source] || x.source },
        { label: 'Default', cell: (x) => x.default ?? '' },
        { label: 'Meaning', cell: (x) => x.help },
      ], live, { caption: 'Live settings (editable)' }),
      table([
        { label: 'Setting', cell: (x) => h('code', null, x.name) },
        { label: 'Value', cell: (x) => settingValue(x) },
        { label: 'From', cell: (x) => SOURCES[x.source] || x.source },
        { label: 'Default', cell: (x) => x.default ?? '' },
        { label: 'Needs a restart', cell: (x) => x.restart_reason || '' },
        { label: 'Meaning', cell: (x) => x.help },
      ], restart, { caption: 'Settings that need a restart (config file, environment or flags)' }));
  }
  sec.append(box);
  await load();
  return sec;
}

export async function render(view, ctx) {
  ctx.title('Administration');
  view.append(h('h1', null, 'Administration'),
    h('nav', { class: 'actions', 'aria-label': 'Sections' }, h('a', { href: '#s-users' }, 'Users'), h('a', { href: '#s-api-tokens' }, 'Tokens'), h('a', { href: '#s-warninglists' }, 'Warninglists'), h('a', { href: '#s-notification-templates' }, 'Templates'), h('a', { href: '#s-advisory-templates' }, 'Advisory templates'), h('a', { href: '#s-settings' }, 'Settings'), h('a', { href: '#s-collectors' }, 'Collectors'), h('a', { href: '#s-vulnerability-sources' }, 'Vulnerability sources'), h('a', { href: '#s-audit-log' }, 'Audit log')));
  const [u, t, w, n, at, st, co, vs, a] = await Promise.all([usersSection(ctx), tokensSection(ctx), warninglistsSection(), templatesSection(), advisoryTemplatesSection(), settingsSection(), collectorsSection(), vulnSourcesSection(), auditSection(ctx)]);
  view.append(u, t, w, n, at, st, co, vs, a);
}
