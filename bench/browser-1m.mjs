// The browser half of bench/browser-1m.sh (read it first): against a running daemon holding
// 1,000,000 events, signs in through the UI and measures how long each screen takes to become
// usable, from navigation start (the page's time origin) to the moment the router marks the
// screen rendered (#main[data-ready] set and no "Loading…" left: what tests/browser/run.mjs's
// ready() waits for), with the durations of the API calls made on the way (Resource Timing).
// Everything comes from ERMES_* variables set by the shell script.
import { chromium } from '../tests/browser/node_modules/playwright-core/index.mjs';
import fs from 'node:fs';
import path from 'node:path';

const env = (k, d) => {
  const v = process.env[k] || d;
  if (v === undefined) throw new Error('missing environment variable ' + k);
  return v;
};
const BASE = env('ERMES_URL');
const OUT = env('ERMES_OUT');
const RUNS = Number(env('ERMES_BENCH_RUNS', '5'));
const GOAL_MS = 1000;

// Runs in every page before its own scripts: records performance.now() each time the router
// marks a screen ready (keyed by its render sequence number), precisely, without polling.
function recordReady() {
  window.__ermesReady = {};
  const check = () => {
    const main = document.getElementById('main');
    if (!main || main.dataset.ready === undefined || main.querySelector('.loading')) return;
    const seq = main.dataset.ready;
    if (!(seq in window.__ermesReady)) window.__ermesReady[seq] = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready'] });
}

const browser = await chromium.launch({
  executablePath: env('ERMES_CHROMIUM', '/usr/bin/chromium'),
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
    '--disable-default-apps', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
});

async function newContext(storageState) {
  const context = await browser.newContext({
    baseURL: BASE, viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/Brussels',
    locale: 'en-GB', storageState,
  });
  await context.addInitScript(recordReady);
  return context;
}

// Waits for the screen rendered after render sequence number `after`, then returns the time
// it was marked (ms since the page's navigation start) and the API calls of the page so far.
async function waitReady(page, after) {
  await page.waitForFunction((a) => Object.keys(window.__ermesReady || {}).some((s) => Number(s) > a), after,
    { timeout: 60000 });
  return page.evaluate((a) => {
    const seqs = Object.keys(window.__ermesReady).map(Number).filter((s) => s > a).sort((x, y) => x - y);
    const api = performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/v1/'))
      .map((r) => ({ url: new URL(r.name).pathname.replace('/api/v1/', '') + new URL(r.name).search,
        start: r.startTime, duration: r.responseEnd - r.startTime,
        server: r.responseStart - r.requestStart }));
    const nav = performance.getEntriesByType('navigation')[0];
    return { seq: seqs[0], at: window.__ermesReady[seqs[0]], api, dcl: nav ? nav.domContentLoadedEventEnd : undefined, error: document.querySelector('#main .notice-error')?.textContent || null };
  }, after);
}

// Signs in through the form (as a person would) and returns the session cookie state.
async function signIn(user, password) {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('body.signed-in', { timeout: 60000 });
  await waitReady(page, 0);
  const state = await context.storageState();
  await context.close();
  return state;
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// The API call that carries a screen's data (the last one whose path starts with `key`).
const mainCall = (api, key) => api.filter((r) => r.url.startsWith(key)).pop();

const rows = [];
// The goal names the dashboard and the first page of the events table; the other screens are
// measured and reported beside it.
const GOAL_SCREENS = new Set(['dashboard', 'events', 'dashboard-uma', 'events-uma']);
function record(name, mode, samples, key) {
  const ms = samples.map((s) => s.ms);
  const calls = samples.map((s) => mainCall(s.api, key)).filter(Boolean);
  const row = {
    name, mode, n: samples.length, median_ms: median(ms), max_ms: Math.max(...ms),
    dcl_ms: median(samples.map((s) => s.dcl)), api_start_ms: median(calls.map((c) => c.start)),
    api: key, api_ms: median(calls.map((c) => c.duration)), api_server_ms: median(calls.map((c) => c.server)),
    other_api: [...new Set(samples.flatMap((s) => s.api.filter((r) => !r.url.startsWith(key)).map((r) => r.url.split('?')[0])))].join(' '),
  };
  rows.push(row);
  console.log('  %s %s: median %d ms (max %d), %s %d ms (server %d ms)', name, mode,
    Math.round(row.median_ms), Math.round(row.max_ms), key, Math.round(row.api_ms), Math.round(row.api_server_ms));
}

// One screen, RUNS times: a fresh context (cold: nothing cached in the browser) loads URL,
// then the same page loads it again (warm: the browser's cache and connection kept).
async function screen(name, url, key, state, tracing, check) {
  const cold = [];
  const warm = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await newContext(state);
    if (tracing && i === 0) await context.tracing.start({ name, title: name, screenshots: true, snapshots: true });
    const page = await context.newPage();
    for (const into of [cold, warm]) {
      await page.goto(url);
      const r = await waitReady(page, 0);
      if (r.error) throw new Error(name + ': the screen shows an error: ' + r.error);
      if (check) await check(page);
      into.push({ ms: r.at, api: r.api, dcl: r.dcl });
      await page.evaluate((m) => console.log(m), `ermes-bench ${name} ${into === cold ? 'cold' : 'warm'}: usable at ${Math.round(r.at)} ms`);
    }
    if (tracing && i === 0) await context.tracing.stop({ path: path.join(OUT, 'trace-' + name + '.zip') });
    await context.close();
  }
  record(name, 'cold', cold, key);
  record(name, 'warm', warm, key);
}

// In the events table, "Next page" clicked: from the click to the next page rendered.
async function nextPage(name, url, state) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await newContext(state);
    const page = await context.newPage();
    await page.goto(url);
    const first = await waitReady(page, 0);
    const firstId = await page.locator('#main table tbody tr').first().textContent();
    const t0 = await page.evaluate(() => {
      const t = performance.now();
      document.querySelector('#main a[rel="next"]').click();
      return t;
    });
    const r = await waitReady(page, first.seq);
    if (r.error) throw new Error(name + ': the screen shows an error: ' + r.error);
    const nextId = await page.locator('#main table tbody tr').first().textContent();
    if (nextId === firstId) throw new Error(name + ': the next page shows the same first row');
    samples.push({ ms: r.at - t0, api: r.api.filter((c) => c.start >= t0).map((c) => ({ ...c, start: c.start - t0 })) });
    await context.close();
  }
  record(name, 'click', samples, 'events');
}

const hasRows = async (page) => {
  const n = await page.locator('#main table tbody tr').count();
  if (n < 1) throw new Error('the events table has no rows');
};

console.log('browser-1m: %s events, %s at %s, %d runs per screen and mode',
  env('ERMES_BENCH_EVENTS', '?'), 'chromium', BASE, RUNS);
const admin = await signIn(env('ERMES_ADMIN_USER'), env('ERMES_ADMIN_PASSWORD'));
const constituent = await signIn(env('ERMES_CONST_USER'), env('ERMES_CONST_PASSWORD'));
// The feed of the events (all the corpus's rows are one report type).
const feedCtx = await newContext(admin);
const feedPage = await feedCtx.newPage();
await feedPage.goto('/');
await waitReady(feedPage, 0);
const feed = await feedPage.evaluate(async () => (await (await fetch('/api/v1/events?limit=1')).json()).data[0].event['feed.name']);
if (!feed) throw new Error('no feed.name in the first event');
await feedCtx.close();

await screen('dashboard', '/', 'stats', admin, true);
await screen('events', '/events', 'events', admin, true, hasRows);
await nextPage('events-next', '/events', admin);
await screen('events-org', '/events?org=UMA', 'events', admin, false, hasRows);
await screen('events-feed', '/events?feed=' + encodeURIComponent(feed), 'events', admin, false, hasRows);
// The worst cases of a filter: nothing matches, so the server looks through everything there
// is to say so (an organisation without events: CERT, the demo's own; a feed nobody sent).
await screen('events-org0', '/events?org=CERT', 'events', admin, false);
await screen('events-feed0', '/events?feed=No-Such-Feed', 'events', admin, false);
await screen('dashboard-uma', '/', 'stats', constituent, false);
await screen('events-uma', '/events', 'events', constituent, false, hasRows);
await browser.close();

const pad = (s, n) => String(s).padEnd(n);
const num = (x) => (Number.isFinite(x) ? String(Math.round(x)) : '-').padStart(8);
const lines = [];
lines.push(`browser-1m: ${env('ERMES_BENCH_EVENTS', '?')} events; usable = navigation start to screen rendered; median of ${RUNS}`);
lines.push('  ' + pad('screen', 14) + pad('load', 6) + 'median ms' + '   max ms' + '   DOM ms' + '   call at' + '  API call' + '    API ms' + ' server ms');
for (const r of rows) {
  lines.push('  ' + pad(r.name, 14) + pad(r.mode, 6) + num(r.median_ms).padStart(9) + num(r.max_ms).padStart(9)
    + num(r.dcl_ms).padStart(9) + num(r.api_start_ms).padStart(10)
    + '  ' + pad(r.api, 8) + num(r.api_ms).padStart(10) + num(r.api_server_ms).padStart(10));
}
lines.push('  cold: a fresh browser context; warm: the same page loaded again; events-next: from the click on');
lines.push('  "Next page"; -org, -feed: filtered; -org0, -feed0: a filter no event matches; -uma: a constituent');
lines.push('  user of UMA. DOM ms: DOMContentLoaded (page and scripts loaded); call at: when the screen\'s API');
lines.push('  call started (after the click for events-next); API ms: Resource Timing, request start to last');
lines.push('  byte; server ms: to first byte. Called before the screen\'s own call on a full load: '
  + [...new Set(rows.flatMap((r) => r.other_api.split(' ')).filter(Boolean))].join(', ') + '.');
const worst = Math.max(...rows.filter((r) => GOAL_SCREENS.has(r.name)).map((r) => r.median_ms));
const slow = rows.filter((r) => !GOAL_SCREENS.has(r.name) && r.median_ms > GOAL_MS).map((r) => r.name + ' ' + r.mode);
lines.push(`  goal: dashboard and events' first page usable <= ${GOAL_MS} ms (median, cold and warm): worst ${Math.round(worst)} ms   ${worst <= GOAL_MS ? 'met' : 'GOAL MISSED'}`);
lines.push(`  other screens over ${GOAL_MS} ms: ${slow.length ? slow.join(', ') : 'none'}`);
lines.push(`  traces: ${path.join(OUT, 'trace-dashboard.zip')}, ${path.join(OUT, 'trace-events.zip')}`);
const summary = lines.join('\n');
console.log(summary);
if (process.env.ERMES_BENCH_OUT) fs.writeFileSync(process.env.ERMES_BENCH_OUT, summary + '\n');
fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(rows, null, 2) + '\n');
