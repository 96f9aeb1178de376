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

// Column chart of counts per day ([{day: "2026-11-20", count}]); each bar has a <title>.
export function perDayChart(days, label) {
  const W = 640, H = 200, L = 40, B = 24, T = 10;
  const max = Math.max(1, ...days.map((d) => d.count));
  const n = Math.max(1, days.length);
  const bw = (W - L - 4) / n;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' });
  const y = (v) => T + (H - T - B) * (1 - v / max);
  for (const f of [0, 0.5, 1]) {
    const v = Math.round(max * f);
    svg.append(s('line', { class: 'axis', x1: L, x2: W, y1: y(v), y2: y(v) }),
      s('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end' }, fmtNumber(v)));
  }
  days.forEach((d, i) => {
    const x = L + i * bw + 1;
    const top = y(d.count);
    svg.append(s('rect', { class: 'bar', x, y: top, width: Math.max(1, bw - 2), height: Math.max(0, H - B - top) },
      s('title', {}, `${d.day}: ${fmtNumber(d.count)}`)));
    if (n <= 16 || i % Math.ceil(n / 8) === 0) {
      svg.append(s('text', { x: x + bw / 2, y: H - 8, 'text-anchor': 'middle' }, d.day.slice(5)));
    }
  });
  const tbl = h('table', { class: 'sr' }, h('caption', null, label),
    h('tr', null, h('th', null, 'Day'), h('th', null, 'Count')),
    days.map((d) => h('tr', null, h('td', null, d.day), h('td', null, String(d.count)))));
  return h('div', { class: 'chart' }, svg, tbl);
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
