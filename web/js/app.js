// The application shell: session (sign in, sign out, CSRF token), the router on the history
// API, the header (navigation, lookup box, theme toggle) and the screens, loaded on demand.
import { api, get, post, del, setCsrf, onUnauthorized, optional } from './api.js';
import { h, clear, fill, field, input, showError, clearErrors, announce, isStaff } from './ui.js';

const session = { user: null, csrf: null, features: {}, enrolOnly: false, totpRequired: false };
const main = document.getElementById('main');

// path pattern -> screen module and who may open it ('staff', 'admin' or everyone).
const ROUTES = [
  [/^\/$/, 'dashboard', null, 'dashboard'],
  [/^\/lookup$/, 'lookup', null, null],
  [/^\/constituents$/, 'constituents', null, 'constituents'],
  [/^\/constituents\/new$/, 'constituents', 'staff', 'constituents', { view: 'new' }],
  [/^\/constituents\/import$/, 'constituents', 'staff', 'constituents', { view: 'import' }],
  [/^\/constituents\/([^/]+)\/edit$/, 'constituents', 'staff', 'constituents', { view: 'edit' }],
  [/^\/constituents\/([^/]+)$/, 'constituents', null, 'constituents', { view: 'detail' }],
  [/^\/events$/, 'events', null, 'events'],
  [/^\/events\/(\d+)$/, 'events', null, 'events', { view: 'detail' }],
  [/^\/reports$/, 'reports', 'staff', 'reports'],
  [/^\/reports\/(\d+)$/, 'reports', 'staff', 'reports', { view: 'detail' }],
  [/^\/quarantine$/, 'reports', 'staff', 'quarantine', { view: 'quarantine' }],
  [/^\/notifications$/, 'notifications', 'staff', 'notifications'],
  [/^\/notifications\/keys$/, 'notifications', 'staff', 'notifications', { view: 'keys' }],
  [/^\/notifications\/([^/]+)$/, 'notifications', 'staff', 'notifications', { view: 'detail' }],
  [/^\/indicators$/, 'indicators', null, 'indicators'],
  [/^\/indicators\/new$/, 'indicators', 'staff', 'indicators', { view: 'new' }],
  [/^\/indicators\/import$/, 'indicators', 'staff', 'indicators', { view: 'import' }],
  [/^\/indicators\/(\d+)$/, 'indicators', null, 'indicators', { view: 'detail' }],
  [/^\/retrohunts$/, 'indicators', 'staff', 'retrohunts', { view: 'retrohunts' }],
  [/^\/sightings$/, 'indicators', null, 'sightings', { view: 'sightings' }],
  [/^\/incidents$/, 'incidents', null, 'incidents'],
  [/^\/incidents\/(\d+)$/, 'incidents', null, 'incidents', { view: 'detail' }],
  [/^\/incident-reports$/, 'triage', 'staff', 'incident-reports'],
  [/^\/incident-reports\/(\d+)$/, 'triage', 'staff', 'incident-reports', { view: 'detail' }],
  [/^\/report-incident$/, 'report_incident', null, 'report-incident'],
  [/^\/advisories$/, 'advisories', null, 'advisories'],
  [/^\/advisories\/new$/, 'advisories', 'staff', 'advisories', { view: 'new' }],
  [/^\/advisories\/([^/]+)$/, 'advisories', null, 'advisories', { view: 'detail' }],
  [/^\/remediation$/, 'remediation', null, 'remediation'],
  [/^\/peers$/, 'peers', 'staff', 'peers'],
  [/^\/admin$/, 'admin', 'admin', 'admin'],
  [/^\/account$/, 'account', null, 'account'],
];

let renderSeq = 0;

function allowed(who) {
  if (!who) return true;
  if (who === 'admin') return session.user && session.user.role === 'admin';
  return isStaff(session.user);
}

export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
}

async function route() {
  const seq = ++renderSeq;
  delete main.dataset.ready; // set again once this screen has rendered (tests wait for it)
  main.setAttribute('aria-busy', 'true');
  if (!session.user) return showLogin();
  if (session.enrolOnly) return showEnrolment(seq);
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const query = new URLSearchParams(location.search);
  let found = null;
  for (const [re, mod, who, nav, extra] of ROUTES) {
    const m = path.match(re);
    if (m) { found = { mod, who, nav, extra: extra || {}, params: m.slice(1).map(decodeURIComponent) }; break; }
  }
  document.querySelectorAll('#nav a').forEach((a) => {
    if (found && a.dataset.nav === found.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  closeNav();
  const view = h('div', { class: 'screen' });
  fill(main, view);
  if (!found) {
    view.append(h('h1', null, 'Not found'), h('p', null, 'No page at ', h('code', null, path), '. ', h('a', { href: '/' }, 'Go to the dashboard'), '.'));
    return focusMain('Not found');
  }
  if (!allowed(found.who)) {
    view.append(h('h1', null, 'Not available'), h('p', { class: 'notice notice-error', role: 'alert' }, 'This page is for CERT staff only.'));
    return focusMain('Not available');
  }
  view.append(h('p', { class: 'muted loading' }, 'Loading…'));
  try {
    const screen = await import('./screens/' + found.mod + '.js');
    if (seq !== renderSeq) return;
    clear(view);
    await screen.render(view, {
      params: found.params, query, view: found.extra.view || 'list', user: session.user,
      features: session.features, navigate, title: setTitle, isCurrent: () => seq === renderSeq,
      totpRequired: session.totpRequired, refresh: refreshSession, passwordRule: session.passwordRule,
    });
  } catch (e) {
    if (seq !== renderSeq) return;
    if (e && e.status === 401) return;
    fill(view, h('h1', null, 'Error'), h('p', { class: 'notice notice-error', role: 'alert' }, (e && e.message) || String(e)));
    console.error(e);
  }
  if (seq === renderSeq) focusMain(document.title);
}

// totp_required and no second factor yet: the session can do nothing but set it up.
async function showEnrolment(seq) {
  document.querySelectorAll('#nav a').forEach((a) => a.removeAttribute('aria-current'));
  const view = h('div', { class: 'screen' });
  fill(main, view);
  try {
    const screen = await import('./screens/totp.js');
    if (seq !== renderSeq) return;
    await screen.render(view, { user: session.user, title: setTitle, refresh: refreshSession });
  } catch (e) {
    if (e && e.status === 401) return;
    fill(view, h('h1', null, 'Error'), h('p', { class: 'notice notice-error', role: 'alert' }, (e && e.message) || String(e)));
  }
  if (seq === renderSeq) focusMain(document.title);
}

// Reads the session again (after two-step sign-in was turned on or off) and redraws.
async function refreshSession() {
  const s = await get('sessions/current', null, { quiet401: true });
  setSession(s);
  if (!session.enrolOnly) await detectFeatures();
  route();
}

function setTitle(t) {
  document.title = t ? t + ' · ermes' : 'ermes';
}

// After a navigation the focus goes to the new content, so keyboard and screen reader users
// start there (the first render after sign-in too).
function focusMain(label) {
  document.body.classList.remove('booting');
  const h1 = main.querySelector('h1');
  if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: true }); } else main.focus({ preventScroll: true });
  main.setAttribute('aria-busy', 'false');
  main.dataset.ready = String(renderSeq);
  announce(label || '');
}

// ---- session ------------------------------------------------------------------------------

function setSession(s) {
  session.user = s ? s.user : null;
  session.csrf = s ? s.csrf_token : null;
  session.enrolOnly = !!(s && s.totp_enrolment_required);
  session.totpRequired = !!(s && s.totp_required);
  session.passwordRule = (s && s.password_rule) || null;
  document.body.classList.toggle('enrol-only', session.enrolOnly);
  setCsrf(session.csrf);
  document.body.classList.toggle('signed-in', !!session.user);
  document.body.classList.toggle('signed-out', !session.user);
  document.body.classList.toggle('staff', isStaff(session.user));
  document.body.classList.toggle('is-admin', !!session.user && session.user.role === 'admin');
  const who = document.getElementById('who');
  who.textContent = session.user ? session.user.name + (session.user.org ? ' (' + session.user.org + ')' : '') : '';
}

function showLogin(message) {
  renderSeq++;
  setSession(null);
  setTitle('Sign in');
  const user = input('username', { autocomplete: 'username', required: true, maxlength: 64 });
  const pass = input('password', { type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 });
  // The second step, shown when the server answers totp_required: a 6-digit code from the
  // app, or one of the recovery codes (told apart by their length).
  const code = input('totp', { autocomplete: 'one-time-code', maxlength: 24, spellcheck: 'false' });
  const codeField = field('Code from your app', code, '6 digits, or one of your recovery codes');
  codeField.hidden = true;
  const form = h('form', { class: 'login card', 'aria-labelledby': 'login-h', novalidate: true },
    h('h1', { id: 'login-h' }, 'Sign in to ermes'),
    message ? h('p', { class: 'notice notice-info', role: 'status' }, message) : null,
    field('User name', user), field('Password', pass), codeField,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const body = { username: user.value, password: pass.value };
      const c = code.value.replace(/\s+/g, '');
      if (!codeField.hidden && c) {
        if (/^[0-9]{6}$/.test(c)) body.totp = c; else body.recovery_code = c;
      }
      const s = await post('sessions', body, { quiet401: true });
      setSession(s);
      if (!session.enrolOnly) await detectFeatures();
      announce('Signed in as ' + s.user.name);
      route();
    } catch (e) {
      if (e.code === 'totp_required') {
        codeField.hidden = false;
        btn.disabled = false;
        clearErrors(form);
        code.focus();
        announce('Enter the code from your authenticator app');
        return;
      }
      if (e.status === 401 && e.field !== 'totp') e.field = 'password';
      if (e.status === 429) e.message = 'Too many failed attempts: sign-in is locked' + (e.retryAfter ? ' for ' + Math.ceil(e.retryAfter / 60) + ' minutes' : '') + '.';
      if (e.status === 404) e.message = 'This server does not offer sign-in sessions.';
      showError(form, e);
      btn.disabled = false;
    }
  });
  fill(main, form);
  document.body.classList.remove('booting');
  (user.value ? pass : user).focus();
}

async function logout() {
  try { await del('sessions/current', { quiet401: true }); } catch { /* gone already */ }
  setCsrf(null);
  showLogin('You are signed out.');
  history.replaceState(null, '', '/');
}

// Indicators and sightings come from a part of the API a server may not have yet: their
// screens show only when it answers.
async function detectFeatures() {
  const probe = async (p) => {
    try { return (await optional(p, { limit: 1 })) !== null; } catch { return false; }
  };
  const [ind, sig] = await Promise.all([probe('indicators'), probe('sightings')]);
  session.features.indicators = ind;
  session.features.sightings = sig;
  document.querySelectorAll('[data-optional]').forEach((li) => {
    li.hidden = !session.features[li.dataset.optional];
  });
}

// ---- header -------------------------------------------------------------------------------

function closeNav() {
  const t = document.getElementById('nav-toggle');
  t.setAttribute('aria-expanded', 'false');
  document.getElementById('nav').classList.remove('open');
}

const THEME_KEY = 'ermes-theme';
function applyTheme(t) {
  if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
  const b = document.getElementById('theme-toggle');
  const label = t === 'dark' ? 'Dark' : t === 'light' ? 'Light' : 'Auto';
  b.textContent = 'Theme: ' + label;
  b.setAttribute('aria-label', 'Colour theme: ' + label.toLowerCase() + '; change');
}

function initHeader() {
  let theme = null;
  try { theme = localStorage.getItem(THEME_KEY); } catch { /* private mode */ }
  applyTheme(theme);
  document.getElementById('theme-toggle').addEventListener('click', () => {
    const cur = document.documentElement.dataset.theme || 'auto';
    const next = cur === 'auto' ? 'dark' : cur === 'dark' ? 'light' : 'auto';
    try {
      if (next === 'auto') localStorage.removeItem(THEME_KEY); else localStorage.setItem(THEME_KEY, next);
    } catch { /* not stored */ }
    applyTheme(next === 'auto' ? null : next);
  });
  document.getElementById('logout').addEventListener('click', logout);
  document.getElementById('nav-toggle').addEventListener('click', (ev) => {
    const open = ev.currentTarget.getAttribute('aria-expanded') !== 'true';
    ev.currentTarget.setAttribute('aria-expanded', String(open));
    document.getElementById('nav').classList.toggle('open', open);
  });
  document.getElementById('lookup-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = document.getElementById('lookup-q').value.trim();
    if (q) navigate('/lookup?q=' + encodeURIComponent(q));
  });
  // Same-origin links route on the client; downloads, new tabs and API links do not.
  document.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = ev.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download')) return;
    const u = new URL(a.href, location.href);
    if (u.origin !== location.origin || u.pathname.startsWith('/api/')) return;
    if (u.hash && u.pathname === location.pathname && u.search === location.search) return;
    ev.preventDefault();
    if (u.pathname + u.search !== location.pathname + location.search) navigate(u.pathname + u.search + u.hash);
  });
  window.addEventListener('popstate', route);
  document.addEventListener('keydown', (ev) => {
    // "/" focuses the lookup box, as in many tools, unless one is typing already.
    if (ev.key === '/' && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
      ev.preventDefault();
      const box = document.getElementById('lookup-q');
      box.focus();
      box.select(); // what one types next replaces the last query
    }
    if (ev.key === 'Escape') closeNav();
  });
}

async function boot() {
  initHeader();
  onUnauthorized(() => showLogin('Your session has ended: sign in again.'));
  try {
    const s = await get('sessions/current', null, { quiet401: true });
    setSession(s);
    if (!session.enrolOnly) await detectFeatures();
    route();
  } catch (e) {
    showLogin(e.status === 401 || e.status === 404 ? null : e.message);
  }
}

boot();
