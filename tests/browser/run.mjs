// Browser tests of the ermes web UI: playwright-core driving Debian's chromium against a real
// daemon prepared by tests/integration/test_browser.py (which passes everything in ERMES_*).
// Each test saves a screenshot ERMES_OUT/NAME.png; the results (and what the wrapper checks
// afterwards) go to ERMES_RESULTS. Exit status 0 when every test passed.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';

const env = (k, d) => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error('missing environment variable ' + k);
  return v;
};
const BASE = env('ERMES_URL');
const OUT = env('ERMES_OUT');
const ONLY = process.argv[2] || process.env.ERMES_BROWSER_ONLY || '';
const results = { tests: [], screenshots: [], notification: null, advisory: null };
fs.mkdirSync(OUT, { recursive: true });

const browser = await chromium.launch({
  executablePath: env('ERMES_CHROMIUM', '/usr/bin/chromium'),
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
    '--disable-default-apps', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
});

// A fresh context per test: its own cookies (session) and storage.
async function newPage(opts = {}) {
  const context = await browser.newContext({
    baseURL: BASE, viewport: opts.viewport || { width: 1280, height: 900 },
    timezoneId: opts.timezoneId || 'Europe/Brussels', locale: 'en-GB',
  });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push('console: ' + m.text()); });
  page.setDefaultTimeout(20000);
  return page;
}

async function shot(page, name) {
  // A value the screen forgot to leave out shows as the word "null" or "undefined" on its own:
  // never on a screen a test photographs.
  const stray = await page.evaluate(() => {
    const found = [];
    const walk = document.createTreeWalker(document.getElementById('main') || document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const t = n.textContent.trim();
      if (t === 'null' || t === 'undefined' || t === '[object Object]') found.push(t + ' in <' + n.parentElement.tagName.toLowerCase() + '>');
    }
    return found;
  });
  assert.deepEqual(stray, [], 'stray text on the screen ' + name);
  const file = name + '.png';
  await page.screenshot({ path: path.join(OUT, file), fullPage: true });
  results.screenshots.push(file);
}

// Waits until the router has rendered the current screen.
async function ready(page) {
  await page.waitForFunction(() => document.getElementById('main').dataset.ready !== undefined
    && !document.querySelector('#main .loading'));
}

async function signIn(page, user, password) {
  await page.goto('/');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('body.signed-in');
  await ready(page);
}

// Every API error the page received must not be unexpected; screens render without errors.
// (A refused request shows in the console as "Failed to load resource": the screens handle
// those, so they are not errors of the page.)
function noErrors(page, allow = []) {
  const bad = page.errors.filter((e) => !e.includes('Failed to load resource') && !allow.some((a) => e.includes(a)));
  assert.deepEqual(bad, [], 'errors in the page');
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

// ---------------------------------------------------------------------------------------------

test('sign_in_out', async () => {
  const page = await newPage();
  await page.goto('/');
  await page.waitForSelector('form.login');
  // A wrong password: the API's message next to the password field.
  await page.getByLabel('User name').fill(env('ERMES_ADMIN_USER'));
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const err = page.locator('.field[data-field="password"] .field-error');
  await err.waitFor({ state: 'visible' });
  assert.ok((await err.textContent()).length > 3);
  await page.getByLabel('Password').fill(env('ERMES_ADMIN_PASSWORD'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('body.signed-in');
  await ready(page);
  assert.equal(await page.locator('h1').first().textContent(), 'Dashboard');
  const cookies = await page.context().cookies();
  const c = cookies.find((x) => x.name === 'ermes__session');
  assert.ok(c && c.httpOnly, 'an HttpOnly session cookie');
  // A reload keeps the session (the CSRF token comes back from sessions/current).
  await page.reload();
  await page.waitForSelector('body.signed-in');
  await shot(page, 'sign_in');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForSelector('form.login');
  const st = await page.evaluate(async () => (await fetch('/api/v1/sessions/current')).status);
  assert.equal(st, 401, 'the session is over on the server');
  await shot(page, 'sign_out');
  noErrors(page);
});

const SCREENS = [
  ['dashboard', '/', 'Dashboard'],
  ['constituents', '/constituents', 'Constituents'],
  ['constituent_detail', '/constituents/UMA', 'Union Medicines Agency'],
  ['constituent_new', '/constituents/new', 'Add a constituent'],
  ['constituent_import', '/constituents/import', 'Import constituents'],
  ['events', '/events', 'Events'],
  ['event_detail', '/events/1', 'Event 1'],
  ['reports', '/reports', 'Reports'],
  ['quarantine', '/quarantine', 'Quarantine'],
  ['notifications', '/notifications', 'Notifications'],
  ['indicators', '/indicators', 'Indicators'],
  ['sightings', '/sightings', 'Sightings'],
  ['admin', '/admin', 'Administration'],
  ['account', '/account', 'Account'],
  ['lookup', '/lookup?q=198.51.100.7', 'Lookup'],
  ['indicator_new', '/indicators/new', 'Add an indicator'],
  ['indicator_import', '/indicators/import', 'Add many indicators'],
  ['sightings_per_day', '/sightings?group=day', 'Sightings'],
  ['retrohunts', '/retrohunts', 'Retro-hunts'],
  ['incidents', '/incidents', 'Incidents'],
];

test('warninglists switched from the administration screen', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/admin#s-warninglists');
  await ready(page);
  await page.locator('#wl-summary').waitFor();
  assert.match(await page.locator('#wl-summary').textContent(), /lists on/);
  await page.getByLabel('Find a list').fill('public-dns-v4');
  await page.getByRole('button', { name: 'Turn off public-dns-v4' }).click();
  await page.getByRole('button', { name: 'Turn on public-dns-v4' }).waitFor();
  await shot(page, 'admin_warninglists');
  const off = await page.evaluate(async () => (await (await fetch('/api/v1/warninglists/public-dns-v4')).json()).enabled);
  assert.equal(off, false, 'the switch reached the server');
  await page.getByRole('button', { name: 'Turn on public-dns-v4' }).click();
  await page.getByRole('button', { name: 'Turn off public-dns-v4' }).waitFor();
  noErrors(page);
});

// Issue 13: the vulnerability sources' last runs, with the protected CSAF feeds a run skipped
// (test_browser.py records one such run of a csaf source, ERMES_SKIPPED_*).
test('vuln_sources_panel', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/admin#s-vulnerability-sources');
  await ready(page);
  const sec = page.locator('section[aria-labelledby="s-vulnerability-sources"]');
  const row = sec.locator('tr', { hasText: env('ERMES_SKIPPED_SOURCE') });
  await row.waitFor();
  assert.equal((await row.locator('ul.vuln-source-skipped li').textContent()).trim(),
    'feed ' + env('ERMES_SKIPPED_FEED') + ' skipped: ' + env('ERMES_SKIPPED_REASON'));
  await sec.scrollIntoViewIfNeeded();
  await shot(page, 'admin_vuln_sources');
  noErrors(page);
});

test('notification template edited with a live preview', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/admin#s-notification-templates');
  await ready(page);
  const text = page.getByRole('textbox', { name: 'Template', exact: true });
  const english = await text.inputValue();
  await page.getByLabel('Language').selectOption('fr');
  // The French template replaces the English one in the box when its request comes back: text
  // typed before that would be overwritten (a busy machine made this test fail).
  for (let i = 0; i < 200 && (await text.inputValue()) === english; i++) await page.waitForTimeout(100);
  assert.notEqual(await text.inputValue(), english, 'the French template was loaded');
  await page.locator('#tmpl-source').filter({ hasText: 'built-in' }).waitFor();
  await page.locator('#tmpl-preview-subject').filter({ hasText: 'ERMES-2026-000042' }).waitFor();
  // The preview follows the text; an unknown placeholder is named with its line and column.
  await text.fill('Alerte ${org}\n\nBonjour ${nom}\n');
  await page.locator('#tmpl-preview-status').filter({ hasText: 'line 3, column 9' }).waitFor();
  await text.fill('[${reference}] Alerte pour ${org}\n\nBonjour ${org_name},\n${explanations}\n');
  await page.locator('#tmpl-preview-subject').filter({ hasText: 'Subject: [ERMES-2026-000042] Alerte pour example' }).waitFor();
  assert.match(await page.locator('#tmpl-preview-body').textContent(), /Bonjour Example Networks,/);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#tmpl-source').filter({ hasText: 'stored' }).waitFor();
  // The section alone: the whole administration page is too long to read.
  await page.locator('section[aria-labelledby="s-notification-templates"]').screenshot({ path: path.join(OUT, 'admin_notification_template.png') });
  results.screenshots.push('admin_notification_template.png');
  const got = await page.evaluate(async () => (await (await fetch('/api/v1/notification-templates/fr')).json()));
  assert.equal(got.source, 'stored', 'the template reached the server');
  assert.match(got.text, /Alerte pour/);
  await page.getByRole('button', { name: 'Back to the file or built-in' }).click();
  await page.locator('#tmpl-source').filter({ hasText: 'built-in' }).waitFor();
  // A line of the message is a template of its own: the French explanation line (one per type
  // of event), with its own variables.
  const nsec = page.locator('section[aria-labelledby="s-notification-templates"]');
  await nsec.getByLabel('Part').selectOption('explanation');
  for (let i = 0; i < 200 && !(await text.inputValue()).startsWith('- ${what}'); i++) await page.waitForTimeout(100);
  assert.equal(await text.inputValue(), '- ${what} (${type_note}${count} ${events}): ${explanation}');
  await page.locator('#tmpl-source').filter({ hasText: 'built-in' }).waitFor();
  await text.fill('* ${what}: ${org}');
  await page.locator('#tmpl-preview-status').filter({ hasText: 'line 1, column 12' }).waitFor();
  await text.fill('* ${what} = ${count}');
  await page.locator('#tmpl-preview-body').filter({ hasText: '* Vulnérable: vulnerable system = 9' }).waitFor();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#tmpl-source').filter({ hasText: 'stored' }).waitFor();
  const line = await page.evaluate(async () => (await (await fetch('/api/v1/templates/notification/explanation/fr')).json()));
  assert.equal(line.source, 'stored', 'the line reached the server');
  await page.getByRole('button', { name: 'Back to the file or built-in' }).click();
  await page.locator('#tmpl-source').filter({ hasText: 'built-in' }).waitFor();
  noErrors(page);
});

test('advisory template edited with a live preview', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/admin#s-advisory-templates');
  await ready(page);
  const sec = page.locator('section[aria-labelledby="s-advisory-templates"]');
  const text = sec.getByRole('textbox', { name: 'Advisory template', exact: true });
  await sec.getByLabel('Advisory format').selectOption('text');
  await sec.getByLabel('Headings in').selectOption('fr');
  await page.locator('#atmpl-source').filter({ hasText: 'built-in' }).waitFor();
  await page.locator('#atmpl-preview').filter({ hasText: 'EX-2026-0001' }).waitFor();
  // An unknown placeholder is named with its line and column.
  await text.fill('AVIS ${tracking_id}\n${nom}\n');
  await page.locator('#atmpl-status').filter({ hasText: 'line 2, column 1' }).waitFor();
  await text.fill('AVIS ${tracking_id}: ${title}\n${l_vulnerabilities}:\n${vulnerabilities}');
  await page.locator('#atmpl-preview').filter({ hasText: 'AVIS EX-2026-0001: Sample' }).waitFor();
  assert.match(await page.locator('#atmpl-preview').textContent(), /Vulnérabilités:/);
  await sec.getByRole('button', { name: 'Store and use' }).click();
  await page.locator('#atmpl-source').filter({ hasText: 'stored' }).waitFor();
  await sec.screenshot({ path: path.join(OUT, 'admin_advisory_template.png') });
  results.screenshots.push('admin_advisory_template.png');
  const got = await page.evaluate(async () => (await (await fetch('/api/v1/advisory-templates/text/fr')).json()));
  assert.equal(got.source, 'stored', 'the template reached the server');
  assert.match(got.text, /^AVIS /);
  await sec.getByRole('button', { name: 'Back to the shipped one' }).click();
  await page.locator('#atmpl-source').filter({ hasText: 'built-in' }).waitFor();
  // A list item of the one template system: the HTML page's reference, in English.
  await sec.getByLabel('Advisory format').selectOption('html');
  await sec.getByLabel('Part').selectOption('reference');
  await sec.getByLabel('Headings in').selectOption('en');
  await page.locator('#atmpl-source').filter({ hasText: 'built-in' }).waitFor();
  await text.fill('<li class="ref">${summary}: ${tracking_id}</li>\n');
  await page.locator('#atmpl-status').filter({ hasText: '${tracking_id}' }).waitFor();
  await text.fill('<li class="ref">${summary}</li>\n');
  await page.locator('#atmpl-preview').filter({ hasText: '<li class="ref">This advisory</li>' }).waitFor();
  await sec.getByRole('button', { name: 'Store and use' }).click();
  await page.locator('#atmpl-source').filter({ hasText: 'stored' }).waitFor();
  const item = await page.evaluate(async () => (await (await fetch('/api/v1/templates/html/reference/en')).json()));
  assert.equal(item.source, 'stored', 'the list item reached the server');
  await sec.getByRole('button', { name: 'Back to the shipped one' }).click();
  await page.locator('#atmpl-source').filter({ hasText: 'built-in' }).waitFor();
  noErrors(page);
});

test('settings edited from the administration screen', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/admin#s-settings');
  await ready(page);
  const form = page.getByRole('form', { name: 'Setting notify_review_age' });
  const box = form.getByRole('textbox', { name: 'notify_review_age' });
  // A value the server refuses: its reason next to the field.
  await box.fill('soon');
  await form.getByRole('button', { name: 'Apply' }).click();
  await form.locator('.field-error').filter({ hasText: 'must be a whole number' }).waitFor();
  assert.equal(await box.getAttribute('aria-invalid'), 'true');
  await box.fill('7200');
  await form.getByRole('button', { name: 'Apply' }).click();
  const saved = page.getByRole('form', { name: 'Setting notify_review_age' });
  await saved.getByRole('button', { name: 'Unset' }).waitFor();
  const row = page.locator('tr', { has: saved });
  assert.match(await row.textContent(), /set here \(database\)/);
  // A restart-only setting is read-only, with the reason.
  const listen = page.locator('tr', { has: page.locator('code', { hasText: /^listen$/ }) });
  assert.match(await listen.textContent(), /HTTP server is set up when the daemon starts/);
  assert.equal(await page.getByRole('form', { name: 'Setting listen' }).count(), 0);
  // The secret is a write-only field.
  assert.equal(await page.getByRole('form', { name: 'Setting smtp_password' }).locator('input').getAttribute('type'), 'password');
  await page.locator('section[aria-labelledby="s-settings"]').screenshot({ path: path.join(OUT, 'admin_settings.png') });
  results.screenshots.push('admin_settings.png');
  const got = await page.evaluate(async () => (await (await fetch('/api/v1/settings')).json()).data.find((x) => x.name === 'notify_review_age'));
  assert.deepEqual([got.value, got.source], ['7200', 'database'], 'the setting reached the server');
  await saved.getByRole('button', { name: 'Unset' }).click();
  await page.getByRole('form', { name: 'Setting notify_review_age' }).getByRole('button', { name: 'Unset' }).waitFor({ state: 'hidden' });
  assert.equal(await page.getByRole('form', { name: 'Setting notify_review_age' }).getByRole('textbox').inputValue(), '86400');
  noErrors(page);
});

test('collectors added, disabled and deleted from the administration screen', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/admin#s-collectors');
  await ready(page);
  const sec = page.locator('section[aria-labelledby="s-collectors"]');
  // The config file's collector: read-only.
  assert.match(await sec.locator('tr[data-collector="browser-down"]').textContent(), /config file \(read-only\)/);
  const form = page.getByRole('form', { name: 'Add a collector' });
  await form.getByRole('combobox', { name: 'Preset' }).selectOption('certpl-n6');
  await form.getByRole('textbox', { name: 'Name' }).fill('browser-n6');
  const secret = form.getByLabel('API key');
  assert.equal(await secret.getAttribute('type'), 'password');
  await secret.fill('browser-n6-sekret-key');
  await form.getByRole('textbox', { name: 'URL' }).fill('http://127.0.0.1:9/n6.json');
  // A value the server refuses: its reason next to the field.
  await form.getByRole('spinbutton', { name: 'Every (seconds)' }).fill('0');
  await form.getByRole('button', { name: 'Add collector' }).click();
  await form.locator('.field[data-field="interval"] .field-error').filter({ hasText: 'interval must be between' }).waitFor();
  await form.getByRole('spinbutton', { name: 'Every (seconds)' }).fill('3600');
  await form.getByRole('button', { name: 'Add collector' }).click();
  const row = sec.locator('tr[data-collector="browser-n6"]');
  await row.waitFor();
  assert.match(await row.textContent(), /database/);
  await row.getByRole('button', { name: 'Disable collector browser-n6' }).click();
  await sec.locator('tr[data-collector="browser-n6"]').getByRole('button', { name: 'Enable collector browser-n6' }).waitFor();
  assert.match(await sec.locator('tr[data-collector="browser-n6"]').textContent(), /disabled/);
  await sec.screenshot({ path: path.join(OUT, 'admin_collectors.png') });
  results.screenshots.push('admin_collectors.png');
  const got = await page.evaluate(async () => await (await fetch('/api/v1/collectors')).text());
  assert.ok(!got.includes('browser-n6-sekret-key'), 'the credential is never sent back');
  const c = JSON.parse(got).data.find((x) => x.name === 'browser-n6');
  assert.deepEqual([c.source, c.enabled, c.credentials, c.interval], ['database', false, true, 3600]);
  page.once('dialog', (d) => d.accept());
  await sec.locator('tr[data-collector="browser-n6"]').getByRole('button', { name: 'Delete collector browser-n6' }).click();
  await sec.locator('tr[data-collector="browser-n6"]').waitFor({ state: 'detached' });
  // A MISP feed: name, URL, a write-only token sent as a bearer header.
  const misp = page.getByRole('form', { name: 'Add a MISP feed' });
  await misp.getByRole('textbox', { name: 'Name' }).fill('browser-misp');
  await misp.getByRole('textbox', { name: 'Feed URL' }).fill('http://127.0.0.1:9/feeds/misp/community/');
  const token = misp.getByLabel('Token');
  assert.equal(await token.getAttribute('type'), 'password');
  await token.fill('browser-misp-token');
  await misp.getByRole('button', { name: 'Add MISP feed' }).click();
  const mrow = sec.locator('tr[data-collector="browser-misp"]');
  await mrow.waitFor();
  assert.match(await mrow.textContent(), /misp-feed/);
  const got2 = await page.evaluate(async () => await (await fetch('/api/v1/collectors')).text());
  assert.ok(!got2.includes('browser-misp-token'), 'the token is never sent back');
  const m = JSON.parse(got2).data.find((x) => x.name === 'browser-misp');
  assert.deepEqual([m.source, m.feed, m.credentials, m.interval], ['database', 'misp-feed', true, 3600]);
  page.once('dialog', (d) => d.accept());
  await sec.locator('tr[data-collector="browser-misp"]').getByRole('button', { name: 'Delete collector browser-misp' }).click();
  await sec.locator('tr[data-collector="browser-misp"]').waitFor({ state: 'detached' });
  noErrors(page);
});

test('dashboard counts events by time.source with readable axes', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/?days=30');
  await ready(page);
  const card = page.locator('section', { has: page.getByRole('heading', { name: 'Events per day (when they happened)' }) });
  await card.locator('.chart svg').waitFor();
  assert.ok(await card.locator('.chart rect.bar').count() >= 30, 'a bar per day');
  assert.match(await card.locator('.chart-note').textContent(), /day each event happened \(time\.source, UTC\)/);
  assert.match(await card.locator('svg').getAttribute('aria-label'), /by time\.source/);
  // Days as dates ("7 Dec"), the last one today, no two labels overlapping.
  const xs = await card.locator('text.tick-x').evaluateAll((ts) => ts.map((t) => { const b = t.getBoundingClientRect(); return { text: t.textContent, left: b.left, right: b.right }; }));
  assert.ok(xs.length >= 4, 'enough day labels: ' + xs.length);
  for (const x of xs) assert.match(x.text, /^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$/);
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i].left >= xs[i - 1].right, 'day labels overlap: ' + xs[i - 1].text + ' / ' + xs[i].text);
  const today = new Date();
  assert.equal(xs[xs.length - 1].text, today.getUTCDate() + ' ' + ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][today.getUTCMonth()]);
  // Counts: whole numbers, each once, with the unit named.
  const ys = await card.locator('text.tick-y').allTextContents();
  assert.ok(ys.length >= 2 && new Set(ys).size === ys.length, 'y ticks: ' + ys);
  for (const y of ys) assert.match(y, /^[\d,.\s\u202f]+$/);
  assert.deepEqual(await card.locator('text.axis-title').allTextContents(), ['events', 'day (UTC)']);
  // Classifications in words, never a code.
  const names = await page.locator('ul[aria-label="Events per classification"] .name').allTextContents();
  assert.ok(names.length > 0, 'classification bars');
  for (const n of names) {
    assert.doesNotMatch(n, /^[a-z0-9-]+$|[a-z]-[a-z]/, 'a code: ' + n);
    assert.match(n, /^[A-Z(]/, n);
  }
  await card.screenshot({ path: path.join(OUT, 'dashboard_time_source.png') });
  results.screenshots.push('dashboard_time_source.png');
  await page.locator('section', { has: page.getByRole('heading', { name: 'Events per classification' }) }).screenshot({ path: path.join(OUT, 'dashboard_classifications.png') });
  results.screenshots.push('dashboard_classifications.png');
  noErrors(page);
});

// The incidents' reaction times on the dashboard are the API's (the same figures `ermes stats
// incidents` prints), for incidents whose times test_browser.py set (ERMES_METRIC_SEEDS); a
// constituent's people get their own organisation's figures only.
const MEASURES = ['time_to_acknowledge', 'time_to_triage', 'time_to_notify', 'time_to_contain', 'time_to_resolve'];

// What the dashboard's metrics section shows: the overall table's seconds, the SLA figures'
// rates and each group table's rows ({name, incidents, metric: [median, p90]}).
async function shownMetrics(page) {
  const sec = page.locator('section[aria-labelledby="s-incident-reaction-times"]');
  await sec.locator('table.metrics-overall').waitFor();
  return sec.evaluate((el) => {
    const num = (x) => (x === '' || x === undefined ? null : Number(x));
    const overall = {};
    for (const span of el.querySelectorAll('table.metrics-overall span[data-stat]')) {
      overall[span.dataset.metric] = overall[span.dataset.metric] || {};
      overall[span.dataset.metric][span.dataset.stat] = num(span.querySelector('[data-seconds]').dataset.seconds);
    }
    const sla = {};
    for (const f of el.querySelectorAll('.metrics-sla [data-sla]')) sla[f.dataset.sla] = num(f.querySelector('[data-rate]').dataset.rate);
    const rows = (cls) => [...el.querySelectorAll('table.' + cls + ' tbody tr')].filter((tr) => tr.querySelector('[data-metric]')).map((tr) => {
      const r = { name: tr.cells[0].textContent, incidents: Number(tr.cells[1].textContent.replace(/\D/g, '')), rate: num(tr.querySelector('[data-rate]').dataset.rate) };
      for (const m of tr.querySelectorAll('span[data-metric]')) r[m.dataset.metric] = [...m.querySelectorAll('[data-seconds]')].map((x) => num(x.dataset.seconds));
      return r;
    });
    return { overall, sla, byClass: rows('metrics-class'), byOrg: rows('metrics-constituent'), csv: el.querySelector('a.metrics-csv').getAttribute('href') };
  });
}

// The same figures from the API, asked by the page (its session: the same viewer).
async function apiMetrics(page, days, basis) {
  return page.evaluate(async ([days, basis]) => {
    const since = new Date(Date.now() - days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ask = async (by) => (await fetch('/api/v1/incidents/metrics?' + new URLSearchParams({ since, period: 'all', basis, by }))).json();
    return { all: await ask('none'), byClass: await ask('rsit_class'), byOrg: await ask('constituent') };
  }, [days, basis]);
}

function sameMetrics(shown, api, label) {
  const g = api.all.groups[0];
  assert.ok(g, label + ': the API has figures');
  for (const k of MEASURES) assert.deepEqual(shown.overall[k], { median: g[k].median_seconds, p90: g[k].p90_seconds }, label + ' ' + k);
  assert.equal(shown.sla.compliance_rate, g.sla.compliance_rate, label + ' compliance');
  for (const t of ['first_response', 'containment', 'resolution']) assert.equal(shown.sla[t], g.sla[t].rate, label + ' ' + t);
  const rowOf = (x, name) => {
    const r = { name, incidents: x.incidents, rate: x.sla.compliance_rate };
    for (const k of MEASURES) r[k] = [x[k].median_seconds, x[k].p90_seconds];
    return r;
  };
  assert.deepEqual(shown.byClass, api.byClass.groups.map((x) => rowOf(x, x.rsit_class || 'unclassified')), label + ' per class');
  const top = api.byOrg.groups.slice().sort((a, b) => b.incidents - a.incidents || a.constituent.localeCompare(b.constituent)).slice(0, 10);
  assert.deepEqual(shown.byOrg, top.map((x) => rowOf(x, x.constituent)), label + ' per constituent');
}

test('dashboard_incident_metrics', async () => {
  const seeds = JSON.parse(env('ERMES_METRIC_SEEDS'));
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/');
  await ready(page);
  // The last 30 days on the wall clock by default.
  let shown = await shownMetrics(page);
  sameMetrics(shown, await apiMetrics(page, 30, 'wall'), 'admin, 30 days');
  // The seeds' own figures: UMA's "availability" incident is the only one of its class in
  // the last 30 days (DG-DIGIT's is 60 days old).
  const avail = seeds.filter((x) => x[1] === 'availability' && x[2] <= 30);
  assert.equal(avail.length, 1);
  const row = shown.byClass.find((r) => r.name === 'availability');
  assert.ok(row, 'an availability row: ' + JSON.stringify(shown.byClass));
  assert.equal(row.incidents, 1);
  MEASURES.forEach((k, i) => assert.deepEqual(row[k], [avail[0][3 + i], avail[0][3 + i]], k));
  assert.ok(shown.byOrg.some((r) => r.name === 'DG-DIGIT') && shown.byOrg.some((r) => r.name === 'UMA'), 'both constituents');
  // The CSV of the same figures, per class and constituent.
  const csv = await page.evaluate(async (href) => { const r = await fetch(href); return [r.status, r.headers.get('content-type'), await r.text()]; }, shown.csv);
  assert.equal(csv[0], 200);
  assert.match(csv[1], /text\/csv/);
  assert.match(csv[2], /^period,constituent,rsit_class,incidents/);
  assert.match(csv[2], /\nall,DG-DIGIT,fraud,1,1,600,600,/);
  await page.locator('section[aria-labelledby="s-incident-reaction-times"]').screenshot({ path: path.join(OUT, 'dashboard_incident_metrics.png') });
  results.screenshots.push('dashboard_incident_metrics.png');
  // 90 days: DG-DIGIT's older incident comes in; in business hours the figures are the API's too.
  await page.locator('.metrics-select').getByRole('link', { name: '90 days' }).click();
  await page.waitForFunction(() => /mdays=90/.test(location.search) && document.querySelector('.metrics-select strong')?.textContent === '90 days');
  shown = await shownMetrics(page);
  sameMetrics(shown, await apiMetrics(page, 90, 'wall'), 'admin, 90 days');
  assert.equal(shown.byClass.find((r) => r.name === 'availability').incidents, 2);
  await page.locator('.metrics-select').getByRole('link', { name: 'business hours' }).click();
  await page.waitForFunction(() => /basis=business/.test(location.search) && /mdays=90/.test(location.search)
    && [...document.querySelectorAll('.metrics-select strong')].some((x) => x.textContent === 'business hours'));
  shown = await shownMetrics(page);
  sameMetrics(shown, await apiMetrics(page, 90, 'business'), 'admin, 90 days, business hours');
  assert.match(shown.csv, /basis=business/);
  noErrors(page);
  // A constituent's user: its own organisation's figures only, the API's as well.
  const cpage = await newPage();
  await signIn(cpage, env('ERMES_CONST_USER'), env('ERMES_CONST_PASSWORD'));
  await cpage.goto('/?mdays=90');
  await ready(cpage);
  shown = await shownMetrics(cpage);
  const capi = await apiMetrics(cpage, 90, 'wall');
  sameMetrics(shown, capi, 'constituent');
  assert.deepEqual(shown.byOrg.map((r) => r.name), [env('ERMES_CONST_ORG')]);
  assert.deepEqual(capi.byOrg.groups.map((x) => x.constituent), [env('ERMES_CONST_ORG')]);
  const fraud = seeds.filter((x) => x[0] === env('ERMES_CONST_ORG') && x[1] === 'fraud');
  const frow = shown.byClass.find((r) => r.name === 'fraud');
  assert.equal(frow.incidents, fraud.length);
  assert.deepEqual(frow.time_to_acknowledge, [fraud[0][3], fraud[0][3]]);
  const ccsv = await cpage.evaluate(async (href) => (await fetch(href)).text(), shown.csv);
  assert.doesNotMatch(ccsv, /DG-DIGIT/);
  noErrors(cpage);
});

test('screens', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  for (const [name, url, title] of SCREENS) {
    // A full load of the address (the server answers client routes with index.html).
    await page.goto(url);
    await ready(page);
    const h1 = await page.locator('h1').first().textContent();
    assert.ok(h1.includes(title), `${url}: heading "${h1}" has "${title}"`);
    const errs = await page.locator('#main .notice-error').allTextContents();
    assert.deepEqual(errs, [], `${url}: no error shown`);
    await shot(page, 'screen_' + name);
  }
  // Demo data is there: the dashboard has bars, the events table rows, the lookup an owner.
  await page.goto('/');
  await ready(page);
  assert.ok(await page.locator('.chart rect.bar').count() > 0, 'dashboard bars');
  await page.goto('/events');
  await ready(page);
  assert.ok(await page.locator('table.grid tbody tr').count() > 10, 'events rows');
  // Newest first, with the total of what matches; one click shows the oldest first.
  const firstIds = async () => page.locator('table.grid tbody a[href^="/events/"]').evaluateAll(
    (as) => as.map((a) => Number(a.getAttribute('href').split('/').pop())));
  const newest = await firstIds();
  assert.deepEqual(newest, [...newest].sort((a, b) => b - a), 'newest first');
  await page.locator('#events-total').filter({ hasText: /events? match/ }).waitFor();
  const api = await page.evaluate(async () => (await (await fetch('/api/v1/events/count')).json()));
  assert.match(await page.locator('#events-total').textContent(), new RegExp(api.count.toLocaleString('en') + ' events match'));
  await shot(page, 'events_newest_first');
  await page.locator('#events-order').click();
  await page.waitForURL(/order=oldest/);
  await ready(page);
  const oldest = await firstIds();
  assert.deepEqual(oldest, [...oldest].sort((a, b) => a - b), 'oldest first');
  await page.goto('/events');
  await ready(page);
  // Times are in the viewer's zone, with UTC in the title; TLP labels are coloured.
  const t = page.locator('table.grid time').first();
  assert.match(await t.getAttribute('title'), /Z \(UTC\)$/);
  const tlp = page.locator('.tlp').first();
  const colours = await tlp.evaluate((el) => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]);
  assert.equal(colours[1], 'rgb(0, 0, 0)');
  assert.ok(['rgb(255, 192, 0)', 'rgb(51, 255, 0)', 'rgb(255, 255, 255)', 'rgb(255, 43, 43)'].includes(colours[0]), colours[0]);
  await page.goto('/lookup?q=198.51.100.7');
  await ready(page);
  assert.match(await page.locator('#lookup-owner').textContent(), /UMA/);
  // The lookup box is in the header of every page, and works from the keyboard.
  await page.keyboard.press('/');
  await page.keyboard.type('AS64500');
  await page.keyboard.press('Enter');
  await page.waitForURL(/lookup\?q=AS64500/);
  await ready(page);
  assert.match(await page.locator('#lookup-owner').textContent(), /UMA/);
  // Focus is visible: an outline on the focused element.
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
  // After a navigation made from the keyboard, the focus moves to the page's heading for
  // screen readers, without a frame drawn around it.
  await page.locator('nav a[href="/events"]').first().focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/events$/);
  await ready(page);
  const head = await page.evaluate(() => ({ tag: document.activeElement.tagName,
    outline: getComputedStyle(document.activeElement).outlineStyle }));
  assert.equal(head.tag, 'H1', 'the focus is on the heading');
  assert.equal(head.outline, 'none', 'no focus frame around the heading');
  // A favicon, drawn (not the browser's blank page icon).
  const icon = await page.evaluate(() => new Promise((resolve) => {
    const l = document.querySelector('link[rel="icon"]');
    if (!l) return resolve(0);
    const img = new Image();
    img.onload = () => resolve(img.naturalWidth);
    img.onerror = () => resolve(-1);
    img.src = l.href;
  }));
  assert.ok(icon > 0, 'the favicon loads (' + icon + ')');
  // The password hint states the server's rule (ERMES_PASSWORD_MIN), as the session says it.
  await page.goto('/account');
  await ready(page);
  const rule = await page.evaluate(async () => (await (await fetch('/api/v1/sessions/current')).json()).password_rule);
  assert.equal(rule.min_length, 12);
  assert.match(await page.locator('#' + (await page.locator('input[name="new_password"]').getAttribute('id')) + '-hint').textContent(),
    new RegExp('at least ' + rule.min_length + ' characters'));
  // A phone: 390 px wide, the menu behind a button, tables stacked.
  const phone = await newPage({ viewport: { width: 390, height: 844 } });
  await signIn(phone, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await phone.goto('/events');
  await ready(phone);
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, 'no horizontal scrolling at 390 px (' + overflow + ')');
  await shot(phone, 'phone_events');
  await phone.getByRole('button', { name: 'Menu' }).click();
  await phone.getByRole('link', { name: 'Constituents' }).click();
  await ready(phone);
  await shot(phone, 'phone_constituents');
  // Dark theme by the toggle, kept across a reload.
  await page.goto('/');
  await ready(page);
  await page.locator('#theme-toggle').click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await page.reload();
  await ready(page);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await shot(page, 'dashboard_dark');
  noErrors(page);
  noErrors(phone);
});

function adbReport() {
  // A Shadowserver scan_adb report about UMA's network (198.51.100.0/28), an hour old.
  const t = new Date(Date.now() - 3600e3).toISOString().replace('T', ' ').slice(0, 19);
  const head = '"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city","naics","sic","name","model","device","features","device_vendor","device_type","device_model","device_version","device_sector"';
  const rows = [1, 2, 3, 4].map((i) => `"${t}","198.51.100.${i}","tcp",5555,"host${i}.medicines.example","adb",64500,"NL","","",0,0,"n","m","d",,,,,,`);
  rows.push(`"${t}","not-an-ip","tcp",5555,"","adb",64500,"NL","","",0,0,"n","m","d",,,,,,`);
  const day = new Date().toISOString().slice(0, 10);
  const file = path.join(env('ERMES_REPORT_DIR'), `${day}-scan_adb-browser-test.csv`);
  fs.writeFileSync(file, [head, ...rows].join('\n') + '\n');
  return file;
}

test('report_to_notification', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/reports');
  await ready(page);
  await page.getByLabel('Feed').selectOption('shadowserver');
  await page.getByLabel('File').setInputFiles(adbReport());
  await page.getByRole('button', { name: 'Upload and process' }).click();
  await page.waitForURL(/\/reports\/\d+$/);
  await ready(page);
  assert.equal(await page.locator('#acc-rows').textContent(), '5');
  assert.equal(await page.locator('#acc-events').textContent(), '4');
  assert.equal(await page.locator('#acc-quarantined').textContent(), '1');
  await shot(page, 'flow_1_report');
  // The quarantined row can be inspected (its reason and raw text).
  assert.match(await page.locator('table.grid').last().textContent(), /not-an-ip/);
  // The events of the report.
  await page.locator('a.figure', { hasText: 'events' }).click();
  await page.waitForURL(/\/events\?report=\d+/);
  await ready(page);
  assert.equal(await page.locator('table.grid tbody tr').count(), 4);
  assert.match(await page.locator('table.grid').textContent(), /198\.51\.100\.1/);
  await shot(page, 'flow_2_events');
  // Make the notifications: the SMTP server refuses for now (451), so they wait.
  await page.goto('/notifications');
  await ready(page);
  await page.getByRole('button', { name: 'Make and send what is due now' }).click();
  await page.locator('.notice-ok').waitFor();
  // The list shows what was just made without a reload.
  await page.locator('table.grid tbody tr', { hasText: 'ERMES-' }).first().waitFor({ timeout: 5000 });
  await page.goto('/notifications?org=UMA');
  await ready(page);
  const row = page.locator('table.grid tbody tr', { hasText: 'ERMES-' }).filter({ has: page.locator('.state-retrying, .state-pending') });
  // Find the one about Accessible-ADB by opening each of UMA's (few) notifications.
  const refs = await page.locator('table.grid tbody tr td:first-child a').allTextContents();
  let ref = null;
  for (const r of refs) {
    await page.goto('/notifications/' + r);
    await ready(page);
    if ((await page.locator('.mail-head').textContent()).includes('Accessible-ADB')) { ref = r; break; }
  }
  assert.ok(ref, 'a notification about the ADB report (' + refs.join(', ') + ', ' + (await row.count()) + ')');
  results.notification = ref;
  // The preview, as the recipient sees it: the subject, the text, the attached events.
  const mail = page.locator('article.mail');
  assert.match(await mail.textContent(), /security@medicines\.example/);
  assert.match(await mail.locator('table').textContent(), /198\.51\.100\.4/);
  // Not sent yet: the server said 451 (retrying), or the first attempt is still to come.
  assert.match(await page.locator('#delivery-state').textContent(), /^(pending|retrying|sending)$/);
  await shot(page, 'flow_3_preview');
  // Open the door and send it.
  fs.writeFileSync(env('ERMES_SMTP_ACCEPT'), 'yes');
  // An attempt of the daemon's under way shows as "sending": the page follows it to its end
  // (the button comes back), and that attempt may itself be the one that sends.
  await page.waitForFunction(() => document.querySelector('#delivery-state')?.textContent !== 'sending', null, { timeout: 20000 });
  if ((await page.locator('#delivery-state').textContent()) !== 'sent') {
    await page.getByRole('button', { name: /Send (again )?now/ }).click();
    await page.locator('#delivery-state', { hasText: 'sent' }).waitFor();
    assert.match(await page.locator('.notice-ok').first().textContent(), /Sent to/);
  }
  assert.equal(await page.getByRole('button', { name: /Send (again )?now/ }).isDisabled(), true);
  await shot(page, 'flow_4_sent');
  // Its state in the list, after a reload.
  await page.goto('/notifications?state=sent&org=UMA');
  await ready(page);
  assert.match(await page.locator('table.grid').textContent(), new RegExp(ref));
  noErrors(page);
});

test('constituent_scope', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_CONST_USER'), env('ERMES_CONST_PASSWORD'));
  // Staff screens are not in the menu.
  for (const name of ['Reports', 'Quarantine', 'Notifications', 'Administration']) {
    assert.equal(await page.locator('#nav').getByRole('link', { name }).isVisible(), false, name);
  }
  await page.goto('/constituents');
  await ready(page);
  const names = await page.locator('table.grid tbody tr td:first-child').allTextContents();
  assert.ok(names.includes(env('ERMES_CONST_ORG')), 'its own organisation: ' + names);
  assert.ok(!names.includes(env('ERMES_OTHER_ORG')), 'not another: ' + names);
  await shot(page, 'constituent_list');
  // Editing the address does not reach another organisation's data.
  await page.goto('/constituents/' + env('ERMES_OTHER_ORG'));
  await ready(page);
  assert.match(await page.locator('#main .notice-error').textContent(), /Not found/);
  await page.goto('/events/' + env('ERMES_OTHER_EVENT'));
  await ready(page);
  assert.match(await page.locator('#main .notice-error').textContent(), /Not found/);
  await shot(page, 'constituent_other_event');
  await page.goto('/events?org=' + env('ERMES_OTHER_ORG'));
  await ready(page);
  assert.equal(await page.locator('table.grid tbody a[href^="/events/"]').count(), 0);
  await page.goto('/reports');
  await ready(page);
  assert.match(await page.locator('#main').textContent(), /staff only/);
  await page.goto('/admin');
  await ready(page);
  assert.match(await page.locator('#main').textContent(), /staff only/);
  // Its own event it does see.
  await page.goto('/events/' + env('ERMES_OWN_EVENT'));
  await ready(page);
  assert.equal(await page.locator('#main .notice-error').count(), 0);
  // The API refuses too, whatever the UI shows.
  const st = await page.evaluate(async (o) => (await fetch('/api/v1/organisations/' + o)).status, env('ERMES_OTHER_ORG'));
  assert.equal(st, 404);
  const st2 = await page.evaluate(async () => (await fetch('/api/v1/reports')).status);
  assert.equal(st2, 403);
  noErrors(page);
});

test('csrf_and_csp', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  // A state-changing request with the session cookie but without the CSRF header: 403.
  const r = await page.evaluate(async () => {
    const resp = await fetch('/api/v1/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"description":"csrf"}' });
    return [resp.status, await resp.text()];
  });
  assert.equal(r[0], 403, r[1]);
  assert.match(r[1], /csrf/);
  // With a wrong one: 403 as well.
  const r2 = await page.evaluate(async () => (await fetch('/api/v1/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'nope' }, body: '{}' })).status);
  assert.equal(r2, 403);
  // The CSP header is on the page and in force: an injected inline script does not run,
  // nor an inline event handler; the browser reports the violations.
  const resp = await page.goto('/account');
  assert.match(resp.headers()['content-security-policy'] || '', /script-src 'self'/);
  await ready(page);
  const ran = await page.evaluate(async () => {
    const violations = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
    window.__injected = false;
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true;';
    document.body.append(s);
    const d = document.createElement('div');
    d.innerHTML = '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" onload="window.__injected=true">';
    document.body.append(d);
    await new Promise((res) => setTimeout(res, 300));
    return [window.__injected, violations];
  });
  assert.equal(ran[0], false, 'the inline script did not run');
  assert.ok(ran[1].some((v) => v.startsWith('script-src')), 'violation reported: ' + ran[1]);
  // Text that looks like markup is shown as text: a constituent named <img onerror>.
  await shot(page, 'csp');
  noErrors(page, ['Content Security Policy']);
});

test('form_errors', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  // A bad network in a new constituent: the API's message next to the Networks field.
  await page.goto('/constituents/new');
  await ready(page);
  await page.getByLabel('Short name').fill('BROWSER-T');
  await page.getByLabel('Name', { exact: true }).fill('Browser test organisation');
  await page.getByLabel(/Networks/).fill('192.0.2.0/24\n300.1.2.3/8');
  await page.getByRole('button', { name: 'Create' }).click();
  const err = page.locator('.field[data-field="networks"] .field-error');
  await err.waitFor({ state: 'visible' });
  const msg = await err.textContent();
  assert.ok(msg.length > 5, msg);
  assert.equal(await page.getByLabel(/Networks/).getAttribute('aria-invalid'), 'true');
  await shot(page, 'form_error_network');
  // Fixed, it is created and shown with its TLP label.
  await page.getByLabel(/Networks/).fill('192.0.2.128/25');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/constituents\/BROWSER-T$/);
  await ready(page);
  assert.ok(await page.locator('h1 .tlp').count() === 1);
  // The password form: too short a new password, the message under that field.
  await page.goto('/account');
  await ready(page);
  await page.getByLabel('Current password').fill(env('ERMES_ADMIN_PASSWORD'));
  await page.getByLabel('New password', { exact: true }).fill('short');
  await page.getByLabel('New password again').fill('short');
  await page.getByRole('button', { name: 'Change password' }).click();
  const perr = page.locator('.field[data-field="new_password"] .field-error');
  await perr.waitFor({ state: 'visible' });
  await shot(page, 'form_error_password');
  // A token: shown once.
  await page.getByLabel('Description').fill('from the browser test');
  await page.getByRole('button', { name: 'Create token' }).click();
  assert.match(await page.locator('#new-token').textContent(), /^ermes_/);
  await shot(page, 'token_once');
  noErrors(page);
});

// ---- detection: indicators, sightings, retro-hunts -----------------------------------------

// A state-changing request from the page, with its session's CSRF token (as the UI sends it).
async function pageFetch(page, method, url, body, type) {
  return page.evaluate(async ([method, url, body, type]) => {
    const s = await (await fetch('/api/v1/sessions/current')).json();
    const r = await fetch(url, { method, headers: { 'Content-Type': type, 'X-CSRF-Token': s.csrf_token }, body });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return [r.status, json ?? text];
  }, [method, url, body, type]);
}

// The value datetime-local takes, in the browser's time zone (Europe/Brussels), days from now.
function localInput(days) {
  const d = new Date(Date.now() + days * 86400e3);
  const parts = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Brussels', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(d);
  return parts.replace(' ', 'T');
}

const IND_VALUE = '203.0.113.66';

test('incident_queue_and_page', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  const [st, inc] = await pageFetch(page, 'POST', '/api/v1/incidents', JSON.stringify({
    template: 'phishing', title: 'Phishing wave at UMA', constituents: ['UMA'] }), 'application/json');
  assert.equal(st, 201, JSON.stringify(inc));
  // The queue: the incident is there, unassigned, and its row leads to its page.
  await page.goto('/incidents?view=unassigned');
  await ready(page);
  assert.match(await page.locator('table.incidents').textContent(), /Phishing wave at UMA/);
  await page.getByRole('link', { name: 'Phishing wave at UMA' }).click();
  await page.waitForURL(new RegExp('/incidents/' + inc.id + '$'));
  await ready(page);
  assert.match(await page.locator('h1').first().textContent(), /Phishing wave at UMA/);
  assert.equal(await page.locator('table.tasks tbody tr').count(), 3, 'the template\'s tasks');
  assert.ok(await page.locator('table.clocks tbody tr').count() >= 3, 'the SLA clocks');
  // Coordination (staff): the correspondence, the form to write to constituents, attachments.
  await page.locator('#write-form').waitFor();
  assert.match(await page.locator('table.correspondence').textContent(), /No message yet/);
  await page.locator('#attachment-form').waitFor();
  await shot(page, 'incident_page');
  // A move of the lifecycle, then a comment: both on the timeline.
  await page.getByRole('button', { name: 'Move to in progress' }).click();
  await page.waitForFunction(() => /in progress/.test(document.querySelector('#incident-status')?.textContent || ''));
  await ready(page);
  await page.getByLabel('Comment').fill('Called the UMA security officer.');
  await page.getByRole('button', { name: 'Add' }).click();
  await page.waitForFunction(() => /Called the UMA security officer/.test(document.querySelector('table.timeline')?.textContent || ''));
  const tl = await page.locator('table.timeline').textContent();
  assert.match(tl, /new → in_progress/);
  // Closing with mandatory tasks open is refused, and the page says why.
  await ready(page);
  await page.getByRole('button', { name: 'Move to closed' }).click();
  await page.locator('#main .notice-error').waitFor();
  assert.match(await page.locator('#main .notice-error').textContent(), /mandatory/);
  await shot(page, 'incident_close_refused');
  noErrors(page);
});

// The constituent's view of an incident (the portal): its own organisation's incident, no other
// constituent's name in it; it answers with a comment and adds an attachment it can read back.
test('constituent_portal', async () => {
  const admin = await newPage();
  await signIn(admin, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  const [st, inc] = await pageFetch(admin, 'POST', '/api/v1/incidents', JSON.stringify({
    title: 'Defacement seen at two constituents', tlp: 'AMBER',
    constituents: [env('ERMES_CONST_ORG'), env('ERMES_OTHER_ORG')] }), 'application/json');
  assert.equal(st, 201, JSON.stringify(inc));
  await admin.context().close();
  const page = await newPage();
  await signIn(page, env('ERMES_CONST_USER'), env('ERMES_CONST_PASSWORD'));
  await page.goto('/incidents');
  await ready(page);
  await page.getByRole('link', { name: 'Defacement seen at two constituents' }).click();
  await page.waitForURL(new RegExp('/incidents/' + inc.id + '$'));
  await ready(page);
  await page.locator('#attachment-form').waitFor();
  assert.ok(!(await page.locator('#main').textContent()).includes(env('ERMES_OTHER_ORG')), 'no other constituent named');
  // What the CERT's people alone see is not on the page.
  assert.equal(await page.locator('table.tasks').count(), 0);
  assert.equal(await page.locator('table.correspondence').count(), 0);
  await page.getByLabel('Comment').fill('Our web team restored the site.');
  await page.getByRole('button', { name: 'Add' }).click();
  await page.waitForFunction(() => /restored the site/.test(document.querySelector('table.timeline')?.textContent || ''));
  await ready(page);
  await page.locator('#attachment-form').waitFor();
  await page.getByLabel('File').setInputFiles({ name: 'access.log', mimeType: 'text/plain', buffer: Buffer.from('GET /index.php 200\n') });
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.waitForFunction(() => /access\.log/.test(document.querySelector('table.attachments')?.textContent || ''));
  await ready(page);
  const href = await page.locator('table.attachments a').first().getAttribute('href');
  const got = await page.evaluate(async (u) => {
    const r = await fetch(u);
    return [r.status, r.headers.get('Content-Disposition'), r.headers.get('X-Content-Type-Options'), await r.text()];
  }, href);
  assert.equal(got[0], 200);
  assert.match(got[1], /^attachment;/);
  assert.equal(got[2], 'nosniff');
  assert.equal(got[3], 'GET /index.php 200\n');
  await shot(page, 'constituent_portal');
  noErrors(page);
});

// The portal's "Report an incident" form: a constituent's user sends a report with a text file;
// the observables of its description and of the file are found, the report is its own
// organisation's, and it is listed under "Your reports". A missing subject is refused next to
// the field.
test('report_incident_form', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_CONST_USER'), env('ERMES_CONST_PASSWORD'));
  await page.getByRole('link', { name: 'Report an incident' }).click();
  await page.waitForURL(/\/report-incident$/);
  await ready(page);
  await page.getByLabel('Description').fill('Phishing mails link to hxxp://bad-portal[.]example/login');
  await page.getByRole('button', { name: 'Send report' }).click();
  await page.locator('.field[data-field="subject"] .field-error').waitFor({ state: 'visible' });
  await page.getByLabel('Subject').fill('Phishing wave against our staff');
  await page.getByLabel('TLP').selectOption('AMBER+STRICT');
  await page.getByLabel('File').setInputFiles({ name: 'headers.txt', mimeType: 'text/plain', buffer: Buffer.from('Received: from 192.0.2.201\n') });
  await page.getByRole('button', { name: 'Send report' }).click();
  await page.getByText(/Report #\d+ received: \d+ observables? found/).waitFor();
  await page.waitForFunction(() => /Phishing wave against our staff/.test(document.querySelector('table.my-reports')?.textContent || ''));
  const id = Number((await page.getByText(/Report #\d+ received/).textContent()).match(/#(\d+)/)[1]);
  const [st, rep] = await pageFetch(page, 'GET', '/api/v1/incident-reports/' + id);
  assert.equal(st, 200, JSON.stringify(rep));
  assert.equal(rep.tlp, 'AMBER+STRICT');
  assert.equal(rep.org, env('ERMES_CONST_ORG'));
  const found = rep.observables.map((o) => o.value + ' in ' + o.found_in);
  assert.ok(found.includes('192.0.2.201 in attachment headers.txt'), found.join(', '));
  assert.ok(found.includes('http://bad-portal.example/login in body'), found.join(', '));
  await shot(page, 'report_incident_form');
  noErrors(page);
});

test('indicator_sighting', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/indicators');
  await ready(page);
  await page.getByRole('link', { name: 'Add an indicator' }).click();
  await page.waitForURL(/\/indicators\/new$/);
  await ready(page);
  // A bad address first: the API's message under the Value field, which gets the focus.
  await page.getByLabel('Type', { exact: true }).selectOption('ipv4');
  await page.getByLabel('Value', { exact: true }).fill('300.1.2.3');
  await page.getByLabel('TLP', { exact: true }).selectOption('AMBER');
  await page.getByLabel(/^Valid until/).fill(localInput(30));
  await page.getByLabel(/^Confidence/).fill('80');
  await page.getByLabel('Source', { exact: true }).fill('browser test');
  await page.getByLabel('Tags', { exact: true }).fill('c2, browser');
  await page.getByRole('button', { name: 'Add the indicator' }).click();
  const err = page.locator('.field[data-field="value"] .field-error');
  await err.waitFor({ state: 'visible' });
  assert.match(await err.textContent(), /300/);
  assert.equal(await page.getByLabel('Value', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.name), 'value', 'the focus is on the field in error');
  // A bad confidence: its own field.
  await page.getByLabel('Value', { exact: true }).fill(IND_VALUE);
  await page.getByLabel(/^Confidence/).fill('101');
  await page.getByRole('button', { name: 'Add the indicator' }).click();
  await page.locator('.field[data-field="confidence"] .field-error').waitFor({ state: 'visible' });
  assert.equal(await err.isVisible(), false, 'the old error is gone');
  await shot(page, 'indicator_form_error');
  await page.getByLabel(/^Confidence/).fill('80');
  await page.getByRole('button', { name: 'Add the indicator' }).click();
  await page.waitForURL(/\/indicators\/\d+$/);
  await ready(page);
  const id = page.url().match(/(\d+)$/)[1];
  results.indicator = id;
  assert.equal(await page.locator('#indicator-value').textContent(), IND_VALUE);
  assert.equal(await page.locator('h1 .tlp').textContent(), 'TLP:AMBER');
  const props = await page.locator('dl.props').first().textContent();
  assert.match(props, /browser test/);
  assert.match(props, /c2/);
  assert.equal(await page.locator('table.sightings tbody tr td.muted').count(), 1, 'no sightings yet');
  await shot(page, 'indicator_added');
  // A host of UMA (198.51.100.0/28) talks to it: an EVE flow record posted as a log.
  const ts = new Date(Date.now() - 600e3).toISOString().replace('Z', '000+0000');
  const eve = JSON.stringify({ timestamp: ts, flow_id: 1, event_type: 'flow', src_ip: '198.51.100.3', src_port: 51000, dest_ip: IND_VALUE, dest_port: 443, proto: 'TCP', host: 'sensor-browser' }) + '\n';
  const [st, rep] = await pageFetch(page, 'POST', '/api/v1/logs?format=eve&source=browser-eve.json', eve, 'application/x-ndjson');
  assert.equal(st, 200, JSON.stringify(rep));
  assert.equal(rep.sightings, 1, JSON.stringify(rep));
  // The sighting on the indicator's page: where, which field, which sensor, whose traffic.
  await page.reload();
  await ready(page);
  const rows = page.locator('table.sightings tbody tr');
  assert.equal(await rows.count(), 1);
  const row = await rows.first().textContent();
  for (const want of ['dest_ip', 'browser-eve.json', 'sensor-browser', 'UMA', 'line 1', '198.51.100.3']) assert.ok(row.includes(want), want + ' in ' + row);
  const today = new Date().toISOString().slice(0, 10);
  const day = await page.locator('table.sighting-days tbody tr').first().textContent();
  assert.ok(day.includes(today) && day.includes('UMA'), day);
  assert.ok(await page.locator('.chart rect.bar').count() >= 30, 'a bar a day');
  await shot(page, 'indicator_sightings');
  // On the owning constituent's page, and in the sightings screen.
  await page.goto('/constituents/UMA');
  await ready(page);
  const cs = await page.locator('table.sightings').textContent();
  assert.ok(cs.includes(IND_VALUE) && cs.includes('sensor-browser'), cs);
  await shot(page, 'constituent_sightings');
  await page.goto('/sightings');
  await ready(page);
  await page.getByLabel('Value', { exact: true }).fill(IND_VALUE);
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/sightings\?value=/);
  await ready(page);
  assert.equal(await page.locator('table.sightings tbody tr').count(), 1);
  assert.match(await page.locator('table.sightings').textContent(), /UMA/);
  await shot(page, 'sightings_filtered');
  // Edit: the confidence changes; a bad TLP cannot be chosen, a bad confidence is refused.
  await page.goto('/indicators/' + id);
  await ready(page);
  const edit = page.locator('#indicator-edit');
  await edit.getByLabel(/^Confidence/).fill('150');
  await edit.getByRole('button', { name: 'Save' }).click();
  await edit.locator('.field[data-field="confidence"] .field-error').waitFor({ state: 'visible' });
  await edit.getByLabel(/^Confidence/).fill('90');
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.locator('#indicator-confidence', { hasText: /^90$/ }).waitFor();
  await ready(page);
  // No log archive on this server: starting a retro-hunt says so (409) and hides the controls.
  await page.getByRole('button', { name: 'Retro-hunt the log archive for it' }).click();
  await page.locator('#main .notice', { hasText: 'no log archive' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Retro-hunt the log archive for it' }).isVisible(), false);
  await page.goto('/retrohunts');
  await ready(page);
  assert.match(await page.locator('#main').textContent(), /no log archive/);
  assert.equal(await page.getByRole('button', { name: 'Hunt for every active indicator' }).isVisible(), false);
  await shot(page, 'retrohunt_no_archive');
  noErrors(page);
});

test('indicator_bulk', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/indicators');
  await ready(page);
  await page.getByRole('link', { name: 'Add many' }).click();
  await page.waitForURL(/\/indicators\/import$/);
  await ready(page);
  // A pasted list with one bad line: the rest is stored, the bad line listed with the reason.
  await page.getByLabel('Paste the indicators').fill('bulk-one.example\n203.0.113.77\n300.1.2.3\nhttps://bulk.example/path\n');
  await page.getByLabel('Source', { exact: true }).fill('bulk test');
  await page.getByRole('button', { name: 'Add them' }).click();
  await page.locator('#bulk-result table.bulk-errors').waitFor();
  assert.equal(await page.locator('#bulk-added').textContent(), '3');
  assert.equal(await page.locator('#bulk-rejected').textContent(), '1');
  const errs = page.locator('table.bulk-errors tbody tr');
  assert.equal(await errs.count(), 1);
  assert.equal(await errs.first().locator('td').first().textContent(), '3');
  assert.match(await errs.first().textContent(), /300\.1\.2\.3/);
  await shot(page, 'indicator_bulk');
  // A CSV file with a type that does not fit its value on line 3.
  const csv = path.join(env('ERMES_REPORT_DIR'), 'indicators-browser.csv');
  fs.writeFileSync(csv, 'value,type,tlp\nfile-one.example,domain,GREEN\n1.2.3.4,md5,GREEN\n');
  await page.getByLabel('Paste the indicators').fill('');
  await page.getByLabel(/upload a file/).setInputFiles(csv);
  await page.getByRole('button', { name: 'Add them' }).click();
  await page.locator('#bulk-result table.bulk-errors').waitFor();
  assert.equal(await page.locator('#bulk-added').textContent(), '1');
  const cerr = await page.locator('table.bulk-errors tbody tr').first().textContent();
  assert.match(cerr, /^3/);
  assert.match(cerr, /md5/);
  await shot(page, 'indicator_bulk_csv');
  // The list, filtered on the server by source, shows what was added (the file's entry took
  // the form's default source too).
  await page.goto('/indicators?source=' + encodeURIComponent('bulk test'));
  await ready(page);
  assert.equal(await page.locator('table.indicators tbody tr').count(), 4);
  assert.match(await page.locator('table.indicators').textContent(), /file-one\.example/);
  // Filtered by type too, with the form.
  await page.getByLabel('Type', { exact: true }).selectOption('domain');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/type=domain/);
  await ready(page);
  assert.equal(await page.locator('table.indicators tbody tr').count(), 2);
  // A body that is not readable as a whole (a broken STIX bundle): the error on the form.
  await page.goto('/indicators/import');
  await ready(page);
  await page.getByLabel('Paste the indicators').fill('{"type": "bundle", "objects": [');
  await page.getByRole('button', { name: 'Add them' }).click();
  await page.locator('.form-error').waitFor({ state: 'visible' });
  noErrors(page);
});

test('event_raw', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  const id = env('ERMES_OWN_EVENT');
  const ev = await page.evaluate(async (id) => (await fetch('/api/v1/events/' + id)).json(), id);
  assert.equal(typeof ev.raw, 'string', 'the API gives the row');
  await page.goto('/events/' + id);
  await ready(page);
  const raw = await page.locator('#raw-row').textContent();
  assert.equal(raw, ev.raw);
  assert.ok(raw.includes(ev.event['source.ip']), raw);
  assert.doesNotMatch(await page.locator('#main').textContent(), /not available/);
  await shot(page, 'event_raw');
  noErrors(page);
});

test('correlations', async () => {
  // An indicator for the address of one of UMA's events: the event's page lists it under
  // "Correlations", and the indicator's page lists the event.
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  const id = env('ERMES_OWN_EVENT');
  const ev = await page.evaluate(async (id) => (await fetch('/api/v1/events/' + id)).json(), id);
  const ip = ev.event['source.ip'];
  assert.ok(ip, 'the event has a source.ip');
  const [st, ind] = await pageFetch(page, 'POST', '/api/v1/indicators?force=true', JSON.stringify({ type: ip.includes(':') ? 'ipv6' : 'ipv4', value: ip, tlp: 'GREEN' }), 'application/json');
  assert.ok(st === 201 || st === 200, 'indicator: ' + st + ' ' + JSON.stringify(ind));
  await page.goto('/events/' + id);
  await ready(page);
  await page.locator('table.correlations a[href="/indicators/' + ind.id + '"]').first().waitFor({ state: 'visible', timeout: 60000 });
  await shot(page, 'event_correlations');
  await page.goto('/indicators/' + ind.id);
  await ready(page);
  await page.locator('table.correlations a[href="/events/' + id + '"]').first().waitFor({ state: 'visible', timeout: 60000 });
  noErrors(page);
});

test('constituent_detection', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_CONST_USER'), env('ERMES_CONST_PASSWORD'));
  const nav = page.locator('#nav');
  assert.equal(await nav.getByRole('link', { name: 'Indicators' }).isVisible(), true);
  assert.equal(await nav.getByRole('link', { name: 'Sightings' }).isVisible(), true);
  assert.equal(await nav.getByRole('link', { name: 'Retro-hunts' }).isVisible(), false);
  await page.goto('/indicators');
  await ready(page);
  for (const name of ['Add an indicator', 'Add many', 'Retro-hunts']) {
    assert.equal(await page.locator('#main').getByRole('link', { name }).count(), 0, name);
  }
  assert.equal(await page.locator('table.indicators input[type=checkbox]').count(), 0, 'no selection for retro-hunts');
  assert.equal(await page.locator('#hunt-selected').count(), 0);
  // The AMBER indicator seen in UMA's traffic: visible, with its sighting, without the staff's
  // edit, delete and retro-hunt controls.
  const id = results.indicator;
  assert.ok(id, 'indicator_sighting ran first');
  await page.goto('/indicators/' + id);
  await ready(page);
  assert.equal(await page.locator('#main .notice-error').count(), 0);
  assert.equal(await page.locator('#indicator-value').textContent(), IND_VALUE);
  assert.equal(await page.locator('#indicator-edit').count(), 0);
  assert.equal(await page.getByRole('button', { name: /Delete|Retro-hunt/ }).count(), 0);
  assert.equal(await page.locator('table.sightings tbody tr').count(), 1);
  await shot(page, 'constituent_indicator');
  for (const url of ['/indicators/new', '/indicators/import', '/retrohunts']) {
    await page.goto(url);
    await ready(page);
    assert.match(await page.locator('#main').textContent(), /staff only/, url);
  }
  // The API refuses as well.
  const [st] = await pageFetch(page, 'POST', '/api/v1/indicators', JSON.stringify({ value: 'x.example' }), 'application/json');
  assert.equal(st, 403);
  const [st2] = await pageFetch(page, 'POST', '/api/v1/retrohunts', '{}', 'application/json');
  assert.equal(st2, 403);
  noErrors(page);
});

test('collectors_run', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/reports');
  await ready(page);
  const row = page.locator('table.collectors tr[data-collector="browser-down"]');
  assert.match(await row.textContent(), /blocklistde/);
  assert.match(await row.textContent(), /new/);
  assert.match(await row.textContent(), /disabled/);
  await page.getByRole('button', { name: 'Run collector browser-down now' }).click();
  // The row is replaced by the state after the run: its server is down, so an error.
  await page.locator('table.collectors tr[data-collector="browser-down"] .state-error').waitFor();
  const after = await page.locator('table.collectors tr[data-collector="browser-down"]').textContent();
  assert.ok(after.includes('1 failure'), after);
  assert.ok(await page.locator('table.collectors tr[data-collector="browser-down"] td[data-label="Last error"] .field-error').count() === 1, after);
  await shot(page, 'collectors_run');
  noErrors(page);
});

test('collector_presets', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/reports');
  await ready(page);
  // The feed catalogue: picking a preset shows what it is and the command that adds it.
  const pick = page.locator('select[name="preset"]');
  await pick.selectOption('phishtank');
  const details = page.locator('.presets .preset-details');
  await details.waitFor();
  assert.match(await details.textContent(), /PhishTank/);
  assert.match(await details.textContent(), /an API key/);
  assert.equal(await page.locator('.presets .preset-command').textContent(), "ermes collectors add --preset phishtank --api-key 'YOUR_KEY'");
  await page.getByLabel('Collector name').fill('pt-eu');
  assert.equal(await page.locator('.presets .preset-command').textContent(), "ermes collectors add --preset phishtank --name pt-eu --api-key 'YOUR_KEY'");
  await pick.selectOption('spamhaus-drop');
  assert.equal(await page.locator('.presets .preset-command').textContent(), 'ermes collectors add --preset spamhaus-drop --name pt-eu');
  await shot(page, 'collector_presets');
  noErrors(page);
});

// RFC 6238 (HMAC-SHA1, 30 s, 6 digits) with node's crypto: what the user's app computes.
function totpCode(secretB32, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let acc = 0, bits = 0;
  const bytes = [];
  for (const ch of secretB32) {
    acc = ((acc << 5) | alphabet.indexOf(ch)) & 0xffff;
    bits += 5;
    if (bits >= 8) { bytes.push((acc >> (bits - 8)) & 0xff); bits -= 8; }
  }
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', Buffer.from(bytes)).update(msg).digest();
  const off = mac[19] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}
const totpStep = () => Math.floor(Date.now() / 30000);

test('totp_enrolment', async () => {
  const user = env('ERMES_TOTP_USER'), password = env('ERMES_TOTP_PASSWORD');
  const page = await newPage();
  await signIn(page, user, password);
  await page.goto('/account');
  await ready(page);
  const sec = page.locator('section', { has: page.getByRole('heading', { name: 'Two-step sign-in' }) });
  assert.match(await sec.textContent(), /Off\./);
  await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
  // The QR code is an image of the server's SVG; the key is shown for typing.
  const qr = page.locator('img.qr');
  await qr.waitFor();
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code is drawn');
  assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml;base64,/);
  const secret = await page.locator('.totp-secret').getAttribute('data-secret');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await shot(page, 'totp_enrolment');
  // A wrong code is refused next to the field.
  const wrong = totpCode(secret, totpStep() + 10);
  await page.getByLabel('Code from the app').fill(wrong);
  await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
  await page.locator('.field[data-field="code"] .field-error').waitFor({ state: 'visible' });
  const step = totpStep();
  await page.getByLabel('Code from the app').fill(totpCode(secret, step));
  await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
  const codes = page.locator('ol.recovery-codes li');
  await codes.first().waitFor();
  assert.equal(await codes.count(), 10);
  const recovery = (await codes.first().textContent()).trim();
  assert.match(recovery, /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
  await shot(page, 'totp_recovery_codes');
  await page.getByRole('button', { name: 'I have stored them' }).click();
  await ready(page);
  await page.waitForFunction(() => /On: you sign in/.test(document.getElementById('main').textContent));

  // Signing in again: the password, then the code the page asks for.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForSelector('form.login');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const code = page.getByLabel('Code from your app');
  await code.waitFor({ state: 'visible' });
  await shot(page, 'totp_sign_in');
  // The code that turned it on was used already: refused.
  await code.fill(totpCode(secret, step));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.field[data-field="totp"] .field-error').waitFor({ state: 'visible' });
  await code.fill(totpCode(secret, step + 1));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('body.signed-in');
  await ready(page);
  assert.equal(await page.locator('h1').first().textContent(), 'Dashboard');
  // A recovery code works too, once.
  const other = await newPage();
  await other.goto('/');
  await other.getByLabel('User name').fill(user);
  await other.getByLabel('Password').fill(password);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await other.getByLabel('Code from your app').fill(recovery);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await other.waitForSelector('body.signed-in');
  noErrors(page);
  noErrors(other);
});

// A second daemon runs with totp_required: an analyst without a second factor signs in to a
// session that shows only the set-up screen, and everything once it is done.
test('totp_required', async () => {
  const base = env('ERMES_REQUIRED_URL');
  const page = await newPage();
  await page.goto(base + '/');
  await page.getByLabel('User name').fill(env('ERMES_REQUIRED_USER'));
  await page.getByLabel('Password').fill(env('ERMES_REQUIRED_PASSWORD'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('body.signed-in.enrol-only');
  await ready(page);
  assert.equal(await page.locator('h1').first().textContent(), 'Set up two-step sign-in');
  assert.equal(await page.locator('#nav').isVisible(), false, 'no navigation before set-up');
  // The API refuses everything else to this session.
  const st = await page.evaluate(async () => (await fetch('/api/v1/events')).status);
  assert.equal(st, 403);
  await shot(page, 'totp_required');
  const secret = await page.locator('.totp-secret').getAttribute('data-secret');
  await page.getByLabel('Code from the app').fill(totpCode(secret, totpStep()));
  await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
  await page.locator('ol.recovery-codes li').first().waitFor();
  await page.getByRole('button', { name: 'I have stored them' }).click();
  await page.waitForFunction(() => !document.body.classList.contains('enrol-only')
    && document.getElementById('main').dataset.ready !== undefined
    && document.querySelector('#main h1') && document.querySelector('#main h1').textContent === 'Dashboard');
  assert.equal(await page.locator('#nav').isVisible(), true);
  const st2 = await page.evaluate(async () => (await fetch('/api/v1/events')).status);
  assert.equal(st2, 200);
  noErrors(page);
});

// ---- issue 15: screens an analyst trusts (items 8, 12, 13, 16) -------------------------------

// Item 12: the events list sorted by its column headers (server-side), RSIT class and type as
// choices by their full names, an event linked to the notification that carried it.
test('events_triage', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/events');
  await ready(page);
  await page.locator('#sort-time').click();
  await page.waitForURL(/sort=time/);
  await ready(page);
  assert.equal(await page.locator('th[aria-sort="ascending"]').count(), 1);
  const times = async () => page.locator('table.grid tbody tr td:first-child time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime') || t.textContent));
  const asc = await times();
  assert.ok(asc.length > 1, 'rows');
  assert.deepEqual(asc, [...asc].sort(), 'ascending by time.source');
  await page.locator('#sort-time').click();
  await page.waitForURL(/sort=-time/);
  await ready(page);
  const desc = await times();
  assert.deepEqual(desc, [...desc].sort().reverse(), 'descending by time.source');
  assert.match(await page.locator('#events-sorted').textContent(), /time \(source\), descending/);
  // Full names of the classification in the rows, not "vulnerable / vulnerable-system".
  assert.match(await page.locator('table.grid tbody').textContent(), /Vulnerable: Vulnerable System|Malicious Code: |Intrusion Attempts: |Information Gathering: /);
  // RSIT class and type as choices: choosing a class narrows the types to its own.
  await page.getByLabel('Class (RSIT)').selectOption('vulnerable');
  const types = await page.getByLabel('Type').locator('option').allTextContents();
  assert.ok(types.includes('Vulnerable System'), types.join(', '));
  assert.ok(!types.some((t) => t.includes('Scanner')), 'only the class\'s types: ' + types.join(', '));
  await page.getByLabel('Type').selectOption('vulnerable-system');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/type=vulnerable-system/);
  await ready(page);
  assert.match(page.url(), /sort=-time/);
  await page.locator('#events-total').filter({ hasText: /match/ }).waitFor();
  await shot(page, 'issue15_events_sorted');
  // The event the UI notified (report_to_notification) links to its notification, which
  // links back to its events.
  const ref = results.notification;
  assert.ok(ref, 'report_to_notification ran first');
  const n = await page.evaluate(async (r) => (await fetch('/api/v1/notifications/' + r)).json(), ref);
  await page.goto('/events/' + n.event_ids[0]);
  await ready(page);
  await page.locator('#event-notifications a', { hasText: ref }).click();
  await page.waitForURL(new RegExp('/notifications/' + ref));
  await ready(page);
  assert.ok(await page.locator('a[href="/events/' + n.event_ids[0] + '"]').count() >= 1);
  await page.goto('/events/' + n.event_ids[0]);
  await ready(page);
  await shot(page, 'issue15_event_notification_link');
  noErrors(page);
});

// Item 8: review in the UI: hold, edit and approve one; bulk hold and approve; the contacts'
// keys.
test('notification_review', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/notifications?state=retrying');
  await ready(page);
  let refs = await page.locator('table.grid tbody tr td:first-child a').allTextContents();
  if (refs.length < 3) {
    await page.goto('/notifications?state=pending');
    await ready(page);
    refs = await page.locator('table.grid tbody tr td:first-child a').allTextContents();
  }
  assert.ok(refs.length >= 3, 'notifications not sent yet: ' + refs.join(', '));
  // One by one: hold, edit, approve.
  await page.goto('/notifications/' + refs[0]);
  await ready(page);
  await page.locator('#review-hold').click();
  await page.locator('#approval-state', { hasText: 'held' }).waitFor();
  const subject = 'Checked by the duty officer: ' + refs[0];
  await page.locator('form.edit-notification').getByLabel('Subject').fill(subject);
  const rcpt = page.locator('form.edit-notification').getByLabel('Recipients');
  const before = (await rcpt.inputValue()).split(/[\s,]+/).filter(Boolean);
  await rcpt.fill([...before, 'Duty-Officer@cert.example'].join(', '));
  await page.getByRole('button', { name: 'Save the changes' }).click();
  await page.locator('form.edit-notification .notice-ok', { hasText: 'Saved' }).waitFor();
  const edited = await page.evaluate(async (r) => (await fetch('/api/v1/notifications/' + r)).json(), refs[0]);
  assert.equal(edited.subject, subject);
  assert.deepEqual(edited.recipients, [...before, 'duty-officer@cert.example']);
  // The preview is the edited message.
  await page.locator('#preview .mail-head', { hasText: subject }).waitFor();
  assert.match(await page.locator('#preview .mail-head').textContent(), /duty-officer@cert\.example/);
  await shot(page, 'issue15_review_edit');
  await page.locator('#review-approve').click();
  await page.locator('#approval-state', { hasText: 'approved' }).waitFor();
  // In bulk: two ticked, held, then listed as held.
  await page.goto('/notifications');
  await ready(page);
  for (const r of refs.slice(1, 3)) await page.getByLabel('Select ' + r).check();
  await page.locator('#bulk-hold').click();
  await page.locator('#bulk-result .notice-ok', { hasText: 'Hold: 2 changed' }).waitFor();
  await page.goto('/notifications?approval=held');
  await ready(page);
  const held = await page.locator('table.grid tbody tr td:first-child a').allTextContents();
  assert.deepEqual(held.sort(), refs.slice(1, 3).sort());
  await shot(page, 'issue15_review_bulk_held');
  for (const r of held) await page.getByLabel('Select ' + r).check();
  await page.locator('#bulk-approve').click();
  await page.locator('#bulk-result .notice-ok', { hasText: 'Approve: 2 changed' }).waitFor();
  // The contacts' keys: none in the demo data, said as such.
  await page.goto('/notifications/keys');
  await ready(page);
  assert.match(await page.locator('#main').textContent(), /OpenPGP keys of contacts/);
  await shot(page, 'issue15_contact_keys');
  noErrors(page);
});

// Item 13: a CIDR lists every organisation owning a network inside it or covering it.
test('lookup_cidr', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/lookup?q=192.0.2.0/24');
  await ready(page);
  const owners = await page.locator('table.grid').first().textContent();
  for (const org of ['UCOM', 'DG-DIGIT', 'DG-HOME', 'UP', 'UCM']) assert.ok(owners.includes('(' + org + ')'), org + ' in ' + owners);
  await shot(page, 'issue15_lookup_cidr');
  await page.goto('/lookup?q=192.0.2.5/32');
  await ready(page);
  const around = await page.locator('table.grid').first().textContent();
  assert.match(around, /covers 192\.0\.2\.5\/32/);
  assert.ok(around.includes('(UCOM)') && around.includes('(DG-DIGIT)'), around);
  noErrors(page);
});

// Item 16: a constituent's view of another organisation: unpublished contacts are not shown
// (the API leaves them out), events it may not see are said to exist rather than "No events".
test('constituent_view_other', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_CONST_USER'), env('ERMES_CONST_PASSWORD'));
  const other = env('ERMES_GREEN_ORG');
  await page.goto('/constituents/' + other);
  await ready(page);
  await page.locator('section', { hasText: 'Recent events' }).locator('table').waitFor();
  assert.match(await page.locator('#main').textContent(), new RegExp('No contacts of ' + other + ' are published to the community'));
  const api = await page.evaluate(async (o) => (await fetch('/api/v1/organisations/' + o)).json(), other);
  assert.deepEqual(api.contacts, []);
  assert.match(await page.locator('section', { hasText: 'Recent events' }).textContent(),
    new RegExp('Events of ' + other + ' exist in the last 30 days that you are not allowed to see'));
  await shot(page, 'issue15_constituent_other_org');
  noErrors(page);
});

// The incident rules panel on the incidents queue (staff): the shipped rule is listed; a rule
// added with the form appears in its place, is turned off and deleted.
test('incident_rules_panel', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/incidents');
  await ready(page);
  const rules = page.locator('table.incident-rules');
  await rules.filter({ hasText: /shared observable: 14 days/ }).waitFor();
  const form = page.locator('form[aria-label="Add an incident rule"]');
  await form.getByLabel('Name').fill('Browser urgent queue');
  await form.getByLabel('When the report').selectOption('subject_pattern');
  await form.getByLabel('Subject pattern').fill('urgent*');
  await form.getByLabel('Then').selectOption('queue');
  await form.getByLabel('Position').fill('1');
  await form.getByRole('button', { name: 'Add rule' }).click();
  const row = rules.locator('tbody tr', { hasText: 'Browser urgent queue' });
  await row.waitFor();
  assert.match(await rules.locator('tbody tr').first().textContent(), /Browser urgent queue/, 'position 1 is first');
  await shot(page, 'incident_rules');
  await row.getByRole('button', { name: 'on' }).click();
  await row.getByRole('button', { name: 'off' }).waitFor();
  await row.getByRole('button', { name: 'Delete' }).click();
  await rules.locator('tbody tr', { hasText: 'Browser urgent queue' }).waitFor({ state: 'detached' });
  noErrors(page);
});

// ---- issue 13: the advisory editor and the remediation screen --------------------------------

// The control of a form field by the JSON path it edits (the editor marks each with data-path).
const at = (page, p) => page.locator('#main [data-path="' + p + '"]:is(input, select, textarea)');
const adder = (page, p) => page.locator('#main button[data-add="' + p + '"]');

test('advisory_editor', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/advisories');
  await ready(page);
  await page.getByRole('link', { name: 'New advisory' }).click();
  await page.waitForURL(/\/advisories\/new$/);
  await ready(page);
  // The form comes from the schema: the security advisory profile requires notes, the product
  // tree and vulnerabilities, which are on the form from the start.
  assert.equal(await page.getByLabel('Profile').inputValue(), 'csaf_security_advisory');
  await page.locator('fieldset[data-path="/product_tree"]').waitFor();
  await page.locator('fieldset[data-path="/vulnerabilities"]').waitFor();
  await page.getByLabel('Title of this document *').fill('Path traversal in Example Widget and Gateway');
  await at(page, '/document/publisher/name').fill('UCERT');
  await at(page, '/document/publisher/namespace').fill('https://cert.example');
  await at(page, '/document/distribution/tlp/label').selectOption('WHITE');
  await adder(page, '/document/notes').click();
  await at(page, '/document/notes/0/category').selectOption('summary');
  await at(page, '/document/notes/0/text').fill('Example Gateway 2.0 lets anyone read any file.');
  // The product from an asset of the constituency (its CPE kept).
  const pick = page.getByLabel('From an asset');
  const option = await pick.locator('option', { hasText: 'gateway' }).getAttribute('value');
  await pick.selectOption(option);
  await page.getByRole('button', { name: 'Add asset as product' }).click();
  const pid = 'CSAFPID-ASSET-' + option;
  assert.equal(await at(page, '/product_tree/full_product_names/0/product_id').inputValue(), pid);
  assert.equal(await at(page, '/product_tree/full_product_names/0/product_identification_helper/cpe').inputValue(),
    'cpe:2.3:a:example:gateway:2.0:*:*:*:*:*:*:*');
  // A vulnerability: a wrong CVE id is flagged next to its field as one types, then fixed.
  await adder(page, '/vulnerabilities').click();
  await adder(page, '/vulnerabilities/0/cve').click();
  await at(page, '/vulnerabilities/0/cve').fill('CVE-2026-1');
  const cveErrors = page.locator('#main .field[data-path="/vulnerabilities/0/cve"] .csaf-errors li');
  await cveErrors.first().waitFor();
  assert.match(await cveErrors.first().textContent(), /mandatory/);
  assert.equal(await at(page, '/vulnerabilities/0/cve').getAttribute('aria-invalid'), 'true');
  await shot(page, 'advisory_editor_error');
  await at(page, '/vulnerabilities/0/cve').fill('CVE-2026-10001');
  await cveErrors.first().waitFor({ state: 'detached' });
  await adder(page, '/vulnerabilities/0/notes').click();
  await at(page, '/vulnerabilities/0/notes/0/category').selectOption('description');
  await at(page, '/vulnerabilities/0/notes/0/text').fill('A path traversal lets anyone read any file.');
  await adder(page, '/vulnerabilities/0/product_status').click();
  await adder(page, '/vulnerabilities/0/product_status/known_affected').click();
  await at(page, '/vulnerabilities/0/product_status/known_affected').fill(pid);
  await adder(page, '/vulnerabilities/0/remediations').click();
  await at(page, '/vulnerabilities/0/remediations/0/category').selectOption('vendor_fix');
  await at(page, '/vulnerabilities/0/remediations/0/details').fill('Update Example Gateway to 2.0.1.');
  await adder(page, '/vulnerabilities/0/remediations/0/product_ids').click();
  await at(page, '/vulnerabilities/0/remediations/0/product_ids').fill(pid);
  // A score: the vector typed, the score computed by ermes.
  await adder(page, '/vulnerabilities/0/scores').click();
  await at(page, '/vulnerabilities/0/scores/0/products').fill(pid);
  await adder(page, '/vulnerabilities/0/scores/0/cvss_v3').click();
  await at(page, '/vulnerabilities/0/scores/0/cvss_v3/vectorString').fill('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
  await page.locator('#main .cvss-out', { hasText: 'Base score 9.8 CRITICAL' }).waitFor();
  await page.locator('#csaf-validation[data-valid="true"]').waitFor();
  // The raw JSON view shows the same document.
  await page.locator('details.csaf-raw summary').click();
  const raw = JSON.parse(await page.getByLabel('The document as JSON').inputValue());
  assert.equal(raw.vulnerabilities[0].cve, 'CVE-2026-10001');
  await shot(page, 'advisory_editor');
  // Keyboard: the save button is reached and pressed with the keyboard.
  await page.locator('#save-advisory').focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/advisories\/[A-Z]+-\d{4}-\d+$/);
  await ready(page);
  const ref = decodeURIComponent(page.url().split('/').pop());
  results.advisory = ref;
  await page.locator('#wf-submit').click();
  await page.locator('.csaf-workflow', { hasText: 'another person approves it' }).waitFor();
  assert.equal(await page.locator('#wf-approve').count(), 0, 'the author has no approve button');
  noErrors(page);
  // The second person approves and publishes.
  const rev = await newPage();
  await signIn(rev, env('ERMES_REVIEWER_USER'), env('ERMES_REVIEWER_PASSWORD'));
  await rev.goto('/advisories?status=review');
  await ready(rev);
  await rev.getByRole('link', { name: ref }).click();
  await ready(rev);
  await rev.getByLabel('Review comment').fill('Checked against the vendor notice.');
  await rev.locator('#wf-approve').click();
  await rev.locator('#wf-publish').waitFor();
  await rev.getByLabel('Revision summary').fill('First publication.');
  await rev.locator('#wf-publish').click();
  await rev.locator('.state-adv-published').first().waitFor();
  await shot(rev, 'advisory_published');
  await rev.goto('/advisories');
  await ready(rev);
  await rev.locator('section', { hasText: 'Published (1)' }).getByRole('link', { name: ref }).waitFor();
  await shot(rev, 'advisories_list');
  noErrors(rev);
});

test('advisory_upload_and_raw', async () => {
  // A CSAF file uploaded fills the form (its profile too); the raw JSON view refuses what is
  // not JSON and applies what is.
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/advisories/new');
  await ready(page);
  const doc = { document: { category: 'csaf_base', csaf_version: '2.0', title: 'Uploaded advisory',
    publisher: { category: 'coordinator', name: 'UCERT', namespace: 'https://cert.example' } } };
  await page.getByLabel('Upload a CSAF JSON file').setInputFiles({ name: 'a.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
  await page.waitForFunction(() => document.querySelector('#main input[data-path="/document/title"]').value === 'Uploaded advisory');
  assert.equal(await page.getByLabel('Profile').inputValue(), 'csaf_base');
  assert.equal(await page.locator('fieldset[data-path="/vulnerabilities"]').count(), 0, 'the base profile requires no vulnerabilities');
  await page.locator('#csaf-validation[data-valid="true"]').waitFor();
  await page.locator('details.csaf-raw summary').click();
  const raw = page.getByLabel('The document as JSON');
  await raw.fill('{"document": ');
  await page.locator('#apply-json').click();
  await page.locator('details.csaf-raw .field-error', { hasText: 'is not JSON' }).waitFor();
  doc.document.title = 'Edited as JSON';
  await raw.fill(JSON.stringify(doc));
  await page.locator('#apply-json').click();
  await page.waitForFunction(() => document.querySelector('#main input[data-path="/document/title"]').value === 'Edited as JSON');
  noErrors(page);
});

// Issue 13 item 1: an advisory's page lists the incidents sharing its CVE ids, an analyst links
// another incident there and unlinks it; the incident's page lists the advisory.
test('advisory_links', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  const doc = { document: { category: 'csaf_base', csaf_version: '2.0', title: 'Linked advisory',
    publisher: { category: 'coordinator', name: 'UCERT', namespace: 'https://cert.example' } },
  vulnerabilities: [{ cve: 'CVE-2026-31337' }] };
  const [sa, adv] = await pageFetch(page, 'POST', '/api/v1/advisories', JSON.stringify(doc), 'application/json');
  assert.equal(sa, 201, JSON.stringify(adv));
  const made = [];
  for (const title of ['Exploitation of CVE-2026-31337', 'Related campaign']) {
    const [st, inc] = await pageFetch(page, 'POST', '/api/v1/incidents', JSON.stringify({ title, constituents: ['UMA'] }), 'application/json');
    assert.equal(st, 201, JSON.stringify(inc));
    made.push(inc.id);
  }
  const [so] = await pageFetch(page, 'POST', '/api/v1/incidents/' + made[0] + '/observables', JSON.stringify({ type: 'cve', value: 'CVE-2026-31337' }), 'application/json');
  assert.equal(so, 201);
  await page.goto('/advisories/' + encodeURIComponent(adv.tracking_id));
  await ready(page);
  const incs = page.locator('table.advisory-incidents');
  assert.match(await incs.textContent(), /Exploitation of CVE-2026-31337.*shares CVE-2026-31337/s);
  await page.locator('input[name="link_id"]').fill(String(made[1]));
  await page.locator('#add-link').click();
  await incs.locator('tr', { hasText: 'Related campaign' }).waitFor();
  assert.match(await incs.locator('tr', { hasText: 'Related campaign' }).textContent(), /linked by an analyst/);
  await shot(page, 'advisory_links');
  await incs.locator('tr', { hasText: 'Related campaign' }).getByRole('button', { name: 'Unlink' }).click();
  await page.waitForFunction(() => !/Related campaign/.test(document.querySelector('table.advisory-incidents')?.textContent || 'Related campaign'));
  // The incident's page lists the advisory, leading to it.
  await page.goto('/incidents/' + made[0]);
  await ready(page);
  const row = page.locator('table.incident-advisories tr', { hasText: adv.tracking_id });
  assert.match(await row.textContent(), /shares CVE-2026-31337/);
  await row.getByRole('link').click();
  await page.waitForURL(new RegExp('/advisories/' + encodeURIComponent(adv.tracking_id) + '$'));
  noErrors(page);
});

test('remediation', async () => {
  // DG-ENER's user: its assets, the CVE that affects one, the advisory naming it; marks it fixed.
  const page = await newPage();
  await signIn(page, env('ERMES_ENER_USER'), env('ERMES_ENER_PASSWORD'));
  await page.goto('/remediation');
  await ready(page);
  const portal = page.locator('article.asset', { hasText: 'Energy portal' });
  const row = portal.locator('tr[data-cve="CVE-2026-10001"]');
  await row.waitFor();
  assert.equal(await page.locator('article.asset', { hasText: 'Transport widget' }).count(), 0, 'another organisation\'s asset');
  if (results.advisory) await row.getByRole('link', { name: results.advisory }).waitFor();
  // Both documents of the other provider on the CVE are listed (csaf_sources).
  await row.locator('.csaf-source', { hasText: 'OTHER-1' }).waitFor();
  await row.locator('.csaf-source', { hasText: 'OTHER-2' }).waitFor();
  assert.match(await row.locator('.csaf-source').first().innerText(), /https:\/\/other\.example/);
  await row.getByRole('combobox', { name: 'Status of CVE-2026-10001 on Energy portal' }).selectOption('fixed');
  await row.getByLabel('Note on CVE-2026-10001').fill('updated to 3.2.1');
  await row.getByRole('button', { name: 'Save the status of CVE-2026-10001 on Energy portal' }).click();
  await row.locator('[role=status]', { hasText: 'saved: fixed' }).waitFor();
  await shot(page, 'remediation_constituent');
  // After a reload the status is the one saved.
  await page.reload();
  await ready(page);
  await page.locator('article.asset', { hasText: 'Energy portal' }).locator('tr[data-cve="CVE-2026-10001"][data-status="fixed"]').waitFor();
  noErrors(page);
  // The CERT's staff see the same per constituent, and set DG-MOVE's.
  const staff = await newPage();
  await signIn(staff, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await staff.goto('/remediation?org=DG-MOVE');
  await ready(staff);
  const move = staff.locator('article.asset', { hasText: 'Transport widget' }).locator('tr[data-cve="CVE-2026-10001"]');
  await move.getByRole('combobox', { name: /^Status of CVE-2026-10001/ }).selectOption('in_progress');
  await move.getByRole('button', { name: /^Save the status/ }).click();
  await move.locator('[role=status]', { hasText: 'saved: in progress' }).waitFor();
  assert.equal(await staff.locator('article.asset', { hasText: 'Energy portal' }).count(), 0);
  await shot(staff, 'remediation_staff');
  noErrors(staff);
});


// Item 11: a constituent's notification preferences, set by the staff on its page.
test('notification_preferences', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/constituents/UMA');
  await ready(page);
  const form = page.locator('form.prefs');
  await form.getByLabel('Feeds (comma-separated; empty: all)').fill('shadowserver-scan, spamhaus-drop');
  await form.getByLabel('Classifications (RSIT classes or types; empty: all)').fill('nonsense');
  await page.getByRole('button', { name: 'Save preferences' }).click();
  // A bad value is refused, next to its field.
  await form.locator('.field[data-field="classifications"] .field-error', { hasText: 'neither an RSIT class nor a type' }).waitFor();
  await form.getByLabel('Classifications (RSIT classes or types; empty: all)').fill('vulnerable, scanner');
  await form.getByLabel('Frequency').selectOption('weekly');
  await form.getByLabel(/^Digest hour/).fill('7');
  await form.getByLabel('Weekly digest day').selectOption({ label: 'Friday' });
  await form.getByLabel('Attachment').selectOption('xarf');
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await page.locator('section[aria-labelledby="s-notification-preferences"] dd', { hasText: 'Weekly digest on Friday at 07:00 UTC' }).waitFor();
  const saved = await page.evaluate(async () => (await fetch('/api/v1/organisations/UMA/notification-preferences')).json());
  assert.deepEqual([saved.feeds, saved.classifications, saved.frequency, saved.digest_hour, saved.digest_weekday, saved.attachment],
    [['shadowserver-scan', 'spamhaus-drop'], ['vulnerable', 'scanner'], 'weekly', 7, 5, 'xarf']);
  await shot(page, 'issue15_notification_preferences');
  // Back to the defaults: what the wrapper checks afterwards is UMA's notifications as they come.
  const [status] = await pageFetch(page, 'PUT', '/api/v1/organisations/UMA/notification-preferences',
    JSON.stringify({ feeds: [], classifications: [], frequency: 'immediate', attachment: 'csv' }), 'application/json');
  assert.equal(status, 200);
  noErrors(page);
});

// Item 11: a constituent's own user changes its organisation's preferences in the portal (every
// user of the constituent may: docs/API.md); another organisation's are not found.
test('constituent_notification_preferences', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_CONST_USER'), env('ERMES_CONST_PASSWORD'));
  const own = env('ERMES_CONST_ORG');
  await page.goto('/constituents/' + own);
  await ready(page);
  const form = page.locator('form.prefs');
  await form.getByLabel('Frequency').selectOption('daily');
  await form.getByLabel(/^Digest hour/).fill('8');
  await form.getByLabel('Attachment').selectOption('json');
  await page.getByRole('button', { name: 'Save preferences' }).click();
  const shown = page.locator('section[aria-labelledby="s-notification-preferences"]');
  await shown.locator('dd', { hasText: 'Daily digest at 08:00 UTC' }).waitFor();
  await shown.locator('dd', { hasText: 'JSON (IntelMQ field names)' }).waitFor();
  const saved = await page.evaluate(async (o) => (await fetch('/api/v1/organisations/' + o + '/notification-preferences')).json(), own);
  assert.deepEqual([saved.frequency, saved.digest_hour, saved.attachment], ['daily', 8, 'json']);
  await shot(page, 'issue15_constituent_notification_preferences');
  // Another organisation's: not found, for reading and for setting; its page has no form.
  const other = env('ERMES_OTHER_ORG');
  const [st] = await pageFetch(page, 'PUT', '/api/v1/organisations/' + other + '/notification-preferences',
    JSON.stringify({ attachment: 'json' }), 'application/json');
  assert.equal(st, 404);
  await page.goto('/constituents/' + other);
  await ready(page);
  assert.equal(await page.locator('form.prefs').count(), 0);
  // Back to the defaults: what the wrapper checks afterwards is UMA's notifications as they come.
  const [status] = await pageFetch(page, 'PUT', '/api/v1/organisations/' + own + '/notification-preferences',
    JSON.stringify({ frequency: 'immediate', attachment: 'csv' }), 'application/json');
  assert.equal(status, 200);
  noErrors(page);
});

// ---- triage: incident reports, events and sightings (issue 11 items 3, 9) ------------------
// test_browser.py piped two incident reports (ERMES_TRIAGE_REPORTS) that no rule linked, one
// naming a known-bad address (ERMES_TRIAGE_BAD); it checks results.triage through the API after.

const TRIAGE_SUBJECTS = ['Phishing kit on a UMA host', 'Same phishing kit, second host'];
results.triage = { incident: null, events: {} };

test('triage_reports', async () => {
  const [idA, idB] = env('ERMES_TRIAGE_REPORTS').split(',').map(Number);
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.locator('#nav a[href="/incident-reports"]').click();
  await page.waitForURL(/\/incident-reports$/);
  await ready(page);
  // The queue: both reports wait for triage, with their counts of observables and known bad.
  const rowA = page.locator('table.incident-reports tbody tr', { hasText: TRIAGE_SUBJECTS[0] });
  const rowB = page.locator('table.incident-reports tbody tr', { hasText: TRIAGE_SUBJECTS[1] });
  await rowA.waitFor();
  await rowB.waitFor();
  assert.equal((await rowA.locator('td[data-label="Known bad"]').textContent()).trim(), '1');
  assert.equal((await rowB.locator('td[data-label="Known bad"]').textContent()).trim(), '0');
  assert.ok(Number(await rowA.locator('td[data-label="Observables"]').textContent()) >= 2, 'observables counted');
  assert.match(await rowA.locator('td[data-label="Constituent"]').textContent(), /UMA/);
  assert.match(await rowA.locator('td[data-label="Incident"]').textContent(), /waiting/);
  assert.match(await rowA.locator('td[data-label="Reporter"]').textContent(), /bob@reporter\.example/);
  await shot(page, 'triage_reports_waiting');
  // The report's page: its observables with owner and known-bad flag, the rules' decision,
  // the body as text (its markup stays text).
  await rowA.getByRole('link', { name: TRIAGE_SUBJECTS[0] }).click();
  await page.waitForURL(new RegExp('/incident-reports/' + idA + '$'));
  await ready(page);
  const obs = page.locator('table.report-observables tbody tr');
  const host = obs.filter({ has: page.locator('td[data-label="Value"]', { hasText: /^198\.51\.100\.9$/ }) });
  await host.waitFor();
  assert.match(await host.locator('td[data-label="Owner"]').textContent(), /UMA/);
  assert.match(await host.locator('td[data-label="Known bad"]').textContent(), /no/);
  const bad = obs.filter({ has: page.locator('td[data-label="Value"]', { hasText: env('ERMES_TRIAGE_BAD') }) });
  await bad.getByRole('link', { name: /known bad/ }).waitFor();
  assert.match(await page.locator('#report-body').textContent(), /<b>not markup<\/b>/);
  assert.equal(await page.locator('#report-body b').count(), 0, 'the body is never HTML');
  assert.match(await page.locator('#report-reason').textContent(), /./);
  assert.match(await page.locator('#report-incident').textContent(), /waiting for triage/);
  await shot(page, 'triage_report_detail');
  // Both selected in the queue, one incident opened from them (RSIT fraud / phishing).
  await page.getByRole('link', { name: 'Incident reports waiting for triage' }).click();
  await page.waitForURL(/\/incident-reports$/);
  await ready(page);
  const count = page.locator('#triage-reports-count');
  assert.equal(await page.getByRole('button', { name: 'Open incident' }).isDisabled(), true, 'nothing selected yet');
  await page.getByRole('checkbox', { name: 'Select report ' + idA + ': ' + TRIAGE_SUBJECTS[0] }).check();
  await page.getByRole('checkbox', { name: 'Select report ' + idB + ': ' + TRIAGE_SUBJECTS[1] }).check();
  await count.filter({ hasText: '2 reports selected.' }).waitFor();
  await page.getByLabel('Title', { exact: true }).fill('Phishing kit at UMA (browser triage)');
  await page.getByLabel('Incident category (RSIT class)').selectOption('fraud');
  await page.getByLabel('Incident subcategory (RSIT)').selectOption('phishing');
  await page.getByLabel('Severity').selectOption('high');
  await shot(page, 'triage_reports_selected');
  await page.getByRole('button', { name: 'Open incident' }).click();
  const made = page.locator('#triage-reports-result a.triage-incident');
  await made.waitFor();
  const incident = Number((await made.getAttribute('href')).split('/').pop());
  assert.ok(incident > 0);
  results.triage.incident = incident;
  // They left the queue; "all" shows them linked to it.
  await rowA.waitFor({ state: 'detached' });
  assert.equal(await rowB.count(), 0);
  const [st, links] = await pageFetch(page, 'GET', '/api/v1/incidents/' + incident + '/links', undefined, 'application/json');
  assert.equal(st, 200);
  assert.deepEqual(links.data.filter((l) => l.kind === 'report').map((l) => l.object_id).sort((a, b) => a - b), [idA, idB].sort((a, b) => a - b));
  await page.getByLabel('Show', { exact: true }).selectOption('all');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/show=all/);
  await ready(page);
  await rowA.locator('a.triage-incident[href="/incidents/' + incident + '"]').waitFor();
  await rowB.locator('a.triage-incident[href="/incidents/' + incident + '"]').waitFor();
  await shot(page, 'triage_reports_all');
  await rowA.locator('a.triage-incident').click();
  await page.waitForURL(new RegExp('/incidents/' + incident + '$'));
  await ready(page);
  assert.match(await page.locator('h1').first().textContent(), /Phishing kit at UMA \(browser triage\)/);
  noErrors(page);
});

test('triage_events', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  await page.goto('/events');
  await ready(page);
  const ids = (await page.locator('table.grid tbody a[href^="/events/"]').evaluateAll(
    (as) => as.map((a) => a.getAttribute('href').split('/').pop()))).slice(0, 3);
  assert.equal(ids.length, 3);
  // One event set on its row: saved at once.
  const one = page.getByRole('combobox', { name: 'Triage of event ' + ids[0] });
  await one.selectOption('false_positive');
  await page.locator('table.grid tbody tr', { has: one }).locator('.triage-saved', { hasText: 'saved' }).waitFor();
  // Two more in bulk.
  await page.getByRole('checkbox', { name: 'Select event ' + ids[1] }).check();
  await page.getByRole('checkbox', { name: 'Select event ' + ids[2] }).check();
  await page.locator('#triage-events-count', { hasText: '2 events selected.' }).waitFor();
  await page.getByLabel('Triage state').selectOption('confirmed');
  await page.getByRole('button', { name: 'Set the state' }).click();
  await page.locator('#triage-events-result', { hasText: '2 events set to confirmed.' }).waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'Triage of event ' + ids[1] }).inputValue(), 'confirmed');
  await shot(page, 'triage_events');
  const want = { [ids[0]]: 'false_positive', [ids[1]]: 'confirmed', [ids[2]]: 'confirmed' };
  for (const [id, state] of Object.entries(want)) {
    const [st, ev] = await pageFetch(page, 'GET', '/api/v1/events/' + id, undefined, 'application/json');
    assert.equal(st, 200);
    assert.equal(ev.triage, state, 'event ' + id);
  }
  results.triage.events = want;
  // After a reload the list shows the states stored.
  await page.reload();
  await ready(page);
  assert.equal(await page.getByRole('combobox', { name: 'Triage of event ' + ids[0] }).inputValue(), 'false_positive');
  assert.equal(await page.getByRole('combobox', { name: 'Triage of event ' + ids[2] }).inputValue(), 'confirmed');
  // The confirmed one joins the incident the reports opened, by keyboard.
  if (results.triage.incident) {
    await page.getByRole('checkbox', { name: 'Select event ' + ids[1] }).focus();
    await page.keyboard.press('Space');
    await page.getByLabel('Incident number').fill(String(results.triage.incident));
    await page.getByRole('button', { name: 'Join incident' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#triage-events-result a[href="/incidents/' + results.triage.incident + '"]').waitFor();
    const [, links] = await pageFetch(page, 'GET', '/api/v1/incidents/' + results.triage.incident + '/links', undefined, 'application/json');
    assert.ok(links.data.some((l) => l.kind === 'event' && String(l.object_id) === ids[1]), 'event linked');
  }
  noErrors(page);
});

test('triage_sightings', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  // A sighting of the known-bad address in a log, then marked false positive and allow-listed.
  const bad = env('ERMES_TRIAGE_BAD');
  const ts = new Date(Date.now() - 300e3).toISOString().replace('Z', '000+0000');
  const eve = JSON.stringify({ timestamp: ts, flow_id: 7, event_type: 'flow', src_ip: '198.51.100.11', src_port: 52000, dest_ip: bad, dest_port: 443, proto: 'TCP', host: 'sensor-triage' }) + '\n';
  const [st, rep] = await pageFetch(page, 'POST', '/api/v1/logs?format=eve&source=triage-eve.json', eve, 'application/x-ndjson');
  assert.equal(st, 200, JSON.stringify(rep));
  assert.equal(rep.sightings, 1, JSON.stringify(rep));
  await page.goto('/sightings?value=' + bad);
  await ready(page);
  const box = page.locator('table.sightings input.triage-pick').first();
  const id = await box.getAttribute('value');
  await box.check();
  await page.locator('#triage-sightings-count', { hasText: '1 sighting selected.' }).waitFor();
  await page.getByRole('button', { name: 'False positive and allow-list' }).click();
  await page.locator('#triage-sightings-result', { hasText: '1 value put on the allow-list' }).waitFor();
  assert.equal(await page.locator('table.sightings select[name=triage]').first().inputValue(), 'false_positive');
  await shot(page, 'triage_sightings');
  const [, list] = await pageFetch(page, 'GET', '/api/v1/sightings?value=' + bad, undefined, 'application/json');
  assert.equal(list.data.find((s) => String(s.id) === id).triage, 'false_positive');
  // The value is on the allow-list: the same log line gives no new sighting.
  const [st2, rep2] = await pageFetch(page, 'POST', '/api/v1/logs?format=eve&source=triage-eve-2.json', eve, 'application/x-ndjson');
  assert.equal(st2, 200, JSON.stringify(rep2));
  assert.equal(rep2.sightings, 0, JSON.stringify(rep2));
  results.triage.sighting = Number(id);
  noErrors(page);
});

// The indicator's page triages its sightings: the state column, one row set there, then the
// rows selected together into a new incident, and false positive with the allow-list.
test('indicator_page_sightings_triage', async () => {
  const page = await newPage();
  await signIn(page, env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
  const value = '203.0.113.79';
  const [st, ind] = await pageFetch(page, 'POST', '/api/v1/indicators', JSON.stringify({ type: 'ipv4', value, tlp: 'AMBER', source: 'browser triage' }), 'application/json');
  assert.equal(st, 201, JSON.stringify(ind));
  const ts = (s) => new Date(Date.now() - s * 1000).toISOString().replace('Z', '000+0000');
  const eve = [1, 2].map((k) => JSON.stringify({ timestamp: ts(600 - k), flow_id: 70 + k, event_type: 'flow', src_ip: '198.51.100.' + (4 + k), src_port: 52000 + k, dest_ip: value, dest_port: 443, proto: 'TCP', host: 'sensor-ind-triage' })).join('\n') + '\n';
  const [st2, rep] = await pageFetch(page, 'POST', '/api/v1/logs?format=eve&source=ind-triage-eve.json', eve, 'application/x-ndjson');
  assert.equal(st2, 200, JSON.stringify(rep));
  assert.equal(rep.sightings, 2, JSON.stringify(rep));
  await page.goto('/indicators/' + ind.id);
  await ready(page);
  const states = page.locator('table.sightings select[name=triage]');
  await states.first().waitFor();
  assert.equal(await states.count(), 2);
  assert.deepEqual(await states.evaluateAll((ss) => ss.map((x) => x.value)), ['new', 'new']);
  // One row: confirmed, saved there and then.
  await states.first().selectOption('confirmed');
  await page.locator('table.sightings .triage-saved', { hasText: 'saved' }).first().waitFor();
  const ids = await page.locator('table.sightings input.triage-pick').evaluateAll((bs) => bs.map((b) => Number(b.value)));
  // Both rows: a new incident from them.
  await page.locator('table.sightings input.triage-all').check();
  await page.locator('#triage-sightings-count', { hasText: '2 sightings selected.' }).waitFor();
  await page.getByLabel('Title', { exact: true }).fill('Beaconing to ' + value);
  await page.getByRole('button', { name: 'Open incident' }).click();
  await page.locator('#triage-sightings-result', { hasText: 'opened' }).waitFor();
  const incHref = await page.locator('#triage-sightings-result a').getAttribute('href');
  const [, inc] = await pageFetch(page, 'GET', '/api/v1' + incHref, undefined, 'application/json');
  assert.equal(inc.title, 'Beaconing to ' + value);
  const [, links] = await pageFetch(page, 'GET', '/api/v1' + incHref + '/links', undefined, 'application/json');
  assert.deepEqual(links.data.filter((l) => l.kind === 'sighting').map((l) => l.object_id).sort((a, b) => a - b), [...ids].sort((a, b) => a - b));
  // Then both false positive, the value allow-listed.
  await page.getByRole('button', { name: 'False positive and allow-list' }).click();
  await page.locator('#triage-sightings-result', { hasText: '1 value put on the allow-list' }).waitFor();
  assert.deepEqual(await states.evaluateAll((ss) => ss.map((x) => x.value)), ['false_positive', 'false_positive']);
  const [, list] = await pageFetch(page, 'GET', '/api/v1/indicators/' + ind.id + '/sightings', undefined, 'application/json');
  assert.deepEqual(list.data.filter((x) => ids.includes(x.id)).map((x) => x.triage), ['false_positive', 'false_positive']);
  await shot(page, 'indicator_sightings_triage');
  noErrors(page);
});

// Issue 13: a scheduled publication that failed at its time shows why on the advisory's page,
// and the reason goes once the cause is fixed. The third daemon (test_browser.py) is set to
// sign with an OpenPGP key its GnuPG home does not hold; the wrapper scheduled an approved
// advisory with a key of its own and waited for the daemon's refusal. Fixing: the key is
// imported into the daemon's home, and its next round (every 5 s) publishes.
test('publish_error', async () => {
  const base = env('ERMES_PUBERR_URL');
  const ref = env('ERMES_PUBERR_REF');
  const page = await newPage();
  await page.goto(base + '/');
  await page.getByLabel('User name').fill(env('ERMES_ADMIN_USER'));
  await page.getByLabel('Password').fill(env('ERMES_ADMIN_PASSWORD'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('body.signed-in');
  await ready(page);
  const [st, adv] = await pageFetch(page, 'GET', '/api/v1/advisories/' + encodeURIComponent(ref), undefined, 'application/json');
  assert.equal(st, 200);
  assert.equal(adv.status, 'approved');
  assert.ok(adv.publish_error && adv.publish_error.includes('csaf_openpgp_key'), 'the API has the reason: ' + adv.publish_error);
  await page.goto(base + '/advisories/' + encodeURIComponent(ref));
  await ready(page);
  const shown = page.locator('.publish-error');
  await shown.waitFor();
  assert.equal(await shown.getAttribute('role'), 'alert');
  assert.equal((await shown.textContent()).trim(), 'The scheduled publication was refused: ' + adv.publish_error);
  await shot(page, 'advisory_publish_error');
  // The cause fixed: the daemon's GnuPG home gets the key it is set to sign with.
  execFileSync('gpg', ['--homedir', env('ERMES_PUBERR_GPG_HOME'), '--batch', '--import', env('ERMES_PUBERR_KEY_FILE')], { stdio: 'ignore' });
  const deadline = Date.now() + 60000;
  for (;;) {
    const [, now] = await pageFetch(page, 'GET', '/api/v1/advisories/' + encodeURIComponent(ref), undefined, 'application/json');
    if (now.status === 'published') break;
    assert.ok(Date.now() < deadline, 'not published within 60 s of the fix: ' + JSON.stringify(now.publish_error));
    await page.waitForTimeout(500);
  }
  await page.reload();
  await ready(page);
  await page.locator('h1', { hasText: ref }).waitFor();
  assert.equal(await page.locator('.publish-error').count(), 0, 'the reason is gone once published');
  assert.match(await page.locator('dl').first().textContent(), /published/i);
  await shot(page, 'advisory_publish_error_fixed');
  noErrors(page);
});

// ---------------------------------------------------------------------------------------------

let failed = 0;
for (const t of tests) {
  if (ONLY && !t.name.includes(ONLY)) continue;
  const t0 = Date.now();
  try {
    await t.fn();
    console.log(`ok   ${t.name} (${Date.now() - t0} ms)`);
    results.tests.push({ name: t.name, ok: true });
  } catch (e) {
    failed++;
    console.log(`FAIL ${t.name}: ${e && e.stack ? e.stack : e}`);
    results.tests.push({ name: t.name, ok: false, error: String(e) });
    for (const ctx of browser.contexts()) {
      for (const p of ctx.pages()) {
        try { await shot(p, 'FAILED_' + t.name + '_' + results.screenshots.length); } catch { /* closed */ }
        if (p.errors && p.errors.length) console.log('  page errors: ' + p.errors.join('\n  '));
      }
    }
  }
  for (const ctx of browser.contexts()) await ctx.close();
}
await browser.close();
if (process.env.ERMES_RESULTS) fs.writeFileSync(process.env.ERMES_RESULTS, JSON.stringify(results, null, 2));
console.log(failed ? `${failed} browser test(s) failed` : 'all browser tests passed');
process.exit(failed ? 1 : 0);
