// Hand-written SVG charts shared by the dashboard and the indicator pages. Each chart carries a
// table for screen readers (class "sr") with the same figures.
import { h, fmtNumber } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// "2026-12-07" -> "7 Dec" (a date a reader does not have to decode).
export function shortDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  return m ? Number(m[3]) + ' ' + MONTHS[Number(m[2]) - 1] : day;
}

// Whole-number ticks from 0 to at least max, at most 5, evenly spaced by 1, 2 or 5 x 10^k:
// no two labels alike, none a fraction.
export function countTicks(max) {
  if (max <= 0) return [0, 1];
  let step = 1;
  for (let k = 1; ; k *= 10) {
    const f = [1, 2, 5].find((m) => Math.ceil(max / (m * k)) <= 4);
    if (f) { step = f * k; break; }
  }
  const out = [];
  for (let v = 0; v < max + step; v += step) out.push(v);
  return out;
}

// Column chart of counts per day ([{day: "2026-11-20", count}]); each bar has a <title>. opts:
// unit (what is counted, for the axis and the titles: "events"), note (a line under the
// chart, e.g. which time the days are of). The axes: counts with their unit on the left, the
// days (UTC) below, as many labels as fit without overlapping, the last day always labelled.
export function perDayChart(days, label, opts = {}) {
  const unit = opts.unit || 'count';
  const W = 640, H = 240, L = 64, B = 50, T = 12, R = 26;
  const ticks = countTicks(Math.max(0, ...days.map((d) => d.count)));
  const top = ticks[ticks.length - 1];
  const n = Math.max(1, days.length);
  const bw = (W - L - R) / n;
  const svg = s('svg', { class: 'per-day', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' });
  const y = (v) => T + (H - T - B) * (1 - v / top);
  for (const v of ticks) {
    svg.append(s('line', { class: 'axis', x1: L, x2: W - R, y1: y(v), y2: y(v) }),
      s('text', { class: 'tick-y', x: L - 6, y: y(v) + 5, 'text-anchor': 'end' }, fmtNumber(v)));
  }
  svg.append(s('text', { class: 'axis-title', x: 14, y: T + (H - T - B) / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${T + (H - T - B) / 2})` }, unit));
  // A label is about 56 units wide ("30 Nov" at 15px, charts scale down on narrow cards):
  // one every `every` days.
  const every = Math.max(1, Math.ceil(64 / bw));
  days.forEach((d, i) => {
    const x = L + i * bw + 1;
    const yt = y(d.count);
    svg.append(s('rect', { class: 'bar', x, y: yt, width: Math.max(1, bw - 2), height: Math.max(0, H - B - yt) },
      s('title', {}, `${shortDay(d.day)} ${d.day.slice(0, 4)}: ${fmtNumber(d.count)} ${unit}`)));
    if ((n - 1 - i) % every === 0) {
      svg.append(s('text', { class: 'tick-x', x: x + bw / 2 - 1, y: H - B + 19, 'text-anchor': 'middle' }, shortDay(d.day)));
    }
  });
  svg.append(s('text', { class: 'axis-title', x: L + (W - L - R) / 2, y: H - 6, 'text-anchor': 'middle' }, opts.xTitle || 'day (UTC)'));
  const tbl = h('table', { class: 'sr' }, h('caption', null, label),
    h('tr', null, h('th', null, 'Day'), h('th', null, unit)),
    days.map((d) => h('tr', null, h('td', null, d.day), h('td', null, String(d.count)))));
  return h('div', { class: 'chart' }, svg, tbl, opts.note ? h('p', { class: 'chart-note hint' }, opts.note) : null);
}

// The last n UTC days up to today, each with its count from rows ({day, count}; several rows
// of one day are added up).
export function lastDays(rows, n) {
  const byDay = new Map();
  for (const r of rows) byDay.set(r.day, (byDay.get(r.day) || 0) + r.count);
  const out = [];
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  for (let i = n - 1; i >= 0; i--) {
    const day = new Date(today - i * 86400e3).toISOString().slice(0, 10);
    out.push({ day, count: byDay.get(day) || 0 });
  }
  return out;
}
