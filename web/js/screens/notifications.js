// Notifications: the list with delivery states, and one notification as its recipient sees
// it (the MIME message of GET /api/v1/notifications/{id} decoded here), with "send now".
import { get, post } from '../api.js';
import { h, clear, tlp, time, select, field, table, dl, section, notice, errorNotice, announce } from '../ui.js';
import { notificationRows } from './constituents.js';

const STATES = ['', 'pending', 'sending', 'retrying', 'sent', 'failed'];
const enc = encodeURIComponent;

// ---- a small MIME reader: headers, multipart, quoted-printable and base64 -----------------

function splitHead(text) {
  const i = text.search(/\r?\n\r?\n/);
  const head = i < 0 ? text : text.slice(0, i);
  const body = i < 0 ? '' : text.slice(i).replace(/^\r?\n\r?\n/, '');
  const headers = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && headers.length) headers[headers.length - 1][1] += ' ' + line.trim();
    else {
      const c = line.indexOf(':');
      if (c > 0) headers.push([line.slice(0, c).trim(), line.slice(c + 1).trim()]);
    }
  }
  return { headers, body };
}

function header(headers, name) {
  const x = headers.find(([k]) => k.toLowerCase() === name.toLowerCase());
  return x ? x[1] : '';
}

function param(value, name) {
  const m = value.match(new RegExp(';\\s*' + name + '\\*?=\\s*("([^"]*)"|[^;\\s]+)', 'i'));
  return m ? (m[2] !== undefined ? m[2] : m[1]) : '';
}

function bytesToText(bytes, charset) {
  try { return new TextDecoder(charset || 'utf-8').decode(bytes); } catch { return new TextDecoder().decode(bytes); }
}

function decodeBody(body, cte, charset) {
  cte = (cte || '').toLowerCase();
  if (cte === 'base64') {
    const bin = atob(body.replace(/\s+/g, ''));
    return bytesToText(Uint8Array.from(bin, (c) => c.charCodeAt(0)), charset);
  }
  if (cte === 'quoted-printable') {
    const soft = body.replace(/=\r?\n/g, '');
    const bytes = [];
    for (let i = 0; i < soft.length; i++) {
      if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.substr(i + 1, 2))) { bytes.push(parseInt(soft.substr(i + 1, 2), 16)); i += 2; } else {
        const enc8 = new TextEncoder().encode(soft[i]);
        bytes.push(...enc8);
      }
    }
    return bytesToText(new Uint8Array(bytes), charset);
  }
  return body;
}

// RFC 2047 encoded words in headers (=?utf-8?Q?...?= / ?B?).
function decodeWords(v) {
  return v.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, cs, kind, data) => {
    if (kind.toUpperCase() === 'B') return decodeBody(data, 'base64', cs);
    return decodeBody(data.replace(/_/g, ' '), 'quoted-printable', cs);
  });
}

export function parseMime(text, depth = 0) {
  const { headers, body } = splitHead(text);
  const ctype = header(headers, 'Content-Type') || 'text/plain';
  const part = { headers, type: ctype.split(';')[0].trim().toLowerCase(), parts: [], text: null,
    name: param(header(headers, 'Content-Disposition'), 'filename') || param(ctype, 'name'),
    disposition: header(headers, 'Content-Disposition').split(';')[0].trim().toLowerCase() };
  if (part.type.startsWith('multipart/') && depth < 8) {
    const b = param(ctype, 'boundary');
    if (b) {
      const chunks = body.split(new RegExp('\\r?\\n?--' + b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '(?:--)?[ \\t]*\\r?\\n?'));
      for (const c of chunks.slice(1)) if (c.trim()) part.parts.push(parseMime(c, depth + 1));
    }
  } else {
    part.text = decodeBody(body, header(headers, 'Content-Transfer-Encoding'), param(ctype, 'charset'));
  }
  return part;
}

function flatten(p, out = []) {
  if (p.parts.length) p.parts.forEach((c) => flatten(c, out)); else out.push(p);
  return out;
}

function csvTable(text) {
  const rows = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue;
    const cells = []; let cur = ''; let q = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (q) { if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') q = false; else cur += ch; } else if (ch === '"') q = true; else if (ch === ',') { cells.push(cur); cur = ''; } else cur += ch;
    }
    cells.push(cur);
    rows.push(cells);
  }
  if (!rows.length) return notice('Empty attachment.');
  const [head, ...data] = rows;
  const keep = head.map((_, i) => data.some((r) => r[i])); // columns with something in them
  return table(head.map((name, i) => (keep[i] ? { label: name, cell: (r) => r[i] || '' } : null)).filter(Boolean), data.slice(0, 200),
    { caption: 'Attached events' });
}

function messageView(raw) {
  const msg = parseMime(raw);
  const hv = (n) => decodeWords(header(msg.headers, n));
  const leaves = flatten(msg);
  const bodyPart = leaves.find((p) => p.type === 'text/plain' && p.disposition !== 'attachment');
  const attachments = leaves.filter((p) => p !== bodyPart && p.type !== 'application/pgp-signature');
  const sig = leaves.find((p) => p.type === 'application/pgp-signature');
  const box = h('article', { class: 'card mail', 'aria-label': 'The e-mail as the recipient sees it' },
    h('div', { class: 'mail-head' }, dl([['From', hv('From')], ['To', hv('To')], hv('Cc') ? ['Cc', hv('Cc')] : [undefined, undefined], ['Date', hv('Date')], ['Subject', h('strong', null, hv('Subject'))]].filter((x) => x[0]))),
    bodyPart ? h('pre', { class: 'mail-body' }, bodyPart.text) : notice('No text part.'),
    sig ? h('p', { class: 'notice notice-ok' }, 'Signed with OpenPGP (PGP/MIME).') : null);
  for (const a of attachments) {
    box.append(h('h3', null, 'Attachment: ', a.name || a.type),
      a.type === 'text/csv' ? csvTable(a.text || '') : h('pre', null, (a.text || '').slice(0, 20000)));
  }
  return box;
}

// ---- screens ------------------------------------------------------------------------------

async function list(view, ctx) {
  ctx.title('Notifications');
  const state = ctx.query.get('state') || '';
  const org = ctx.query.get('org') || '';
  const st = select('state', STATES.map((s) => [s, s || 'any']), state);
  const orgIn = h('input', { name: 'org', value: org, maxlength: 64, placeholder: 'short name' });
  const form = h('form', { class: 'card', 'aria-label': 'Filter notifications' }, h('div', { class: 'filters' }, field('State', st), field('Constituent', orgIn)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    if (st.value) p.set('state', st.value);
    if (orgIn.value.trim()) p.set('org', orgIn.value.trim());
    ctx.navigate('/notifications' + (p.toString() ? '?' + p : ''));
  });
  const runMsg = h('div', { 'aria-live': 'polite' });
  const listBox = h('div');
  // The list is read again after "Make": what was just made shows at once.
  async function loadList() {
    let page;
    try { page = await get('notifications', { state, org, limit: 100, cursor: ctx.query.get('cursor') }); } catch (e) { clear(listBox).append(errorNotice(e)); return; }
    clear(listBox).append(notificationRows(page.data));
    if (page.next_cursor) {
      const next = new URLSearchParams(ctx.query); next.set('cursor', page.next_cursor);
      listBox.append(h('nav', { class: 'pager', 'aria-label': 'Pages' }, h('a', { class: 'button', href: '/notifications?' + next }, 'Next page')));
    }
  }
  const runBtn = h('button', { type: 'button', onclick: async () => {
    runBtn.disabled = true;
    try {
      const r = await post('notifications/run', undefined, { query: { now: 'true' } });
      clear(runMsg).append(notice(`Made ${r.notifications} notification(s) about ${r.events} event(s); sent ${r.sent}, failed ${r.failed}, retrying ${r.retrying}.` + (r.smtp ? '' : ' (No SMTP server is configured.)'), 'ok'));
      announce('Notifications made');
      await loadList();
    } catch (e) { clear(runMsg).append(errorNotice(e)); }
    runBtn.disabled = false;
  } }, 'Make and send what is due now');
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'Notifications'), h('p', { class: 'actions' }, runBtn)), runMsg, form, listBox);
  await loadList();
}

async function detail(view, ctx) {
  const ref = ctx.params[0];
  ctx.title('Notification ' + ref);
  let n;
  try { n = await get('notifications/' + enc(ref)); } catch (e) { view.append(h('h1', null, 'Notification ' + ref), errorNotice(e)); return; }
  const stateBox = h('div', { 'aria-live': 'polite' });
  const sendBtn = h('button', { type: 'button', class: 'primary', disabled: n.state === 'sent' || n.state === 'sending' }, n.state === 'failed' ? 'Send again now' : 'Send now');
  sendBtn.addEventListener('click', async () => {
    sendBtn.disabled = true;
    clear(stateBox).append(h('p', { class: 'muted' }, 'Sending…'));
    try {
      await post('notifications/' + enc(n.id) + '/send');
      announce('Notification sent');
      const fresh = await get('notifications/' + enc(n.id));
      clear(stateBox).append(notice('Sent to ' + (fresh.recipients || []).join(', ') + '.', 'ok'));
      n = fresh;
      fillDelivery();
    } catch (e) {
      let fresh = null;
      try { fresh = await get('notifications/' + enc(n.id)); } catch { /* keep what is shown */ }
      // The daemon's own retry may have sent it while the request was on its way (409): that
      // is the outcome asked for, said as such.
      if (e.status === 409 && fresh && fresh.state === 'sent') {
        clear(stateBox).append(notice('Sent to ' + (fresh.recipients || []).join(', ') + ' (by the daemon\'s retry, at the same moment).', 'ok'));
      } else {
        clear(stateBox).append(errorNotice(e));
        sendBtn.disabled = false;
      }
      if (fresh) { n = fresh; fillDelivery(); }
    }
  });
  const delivery = section('Delivery');
  function fillDelivery() {
    clear(delivery).append(h('h2', null, 'Delivery'), dl([
      ['State', h('span', { class: 'state state-' + n.state, id: 'delivery-state' }, n.state)],
      ['Recipients', (n.recipients || []).join(', ')],
      ['Attempts', String(n.attempts ?? 0)],
      ['Sent', time(n.sent_at)],
      ['Next attempt', n.state === 'sent' ? null : time(n.next_attempt_at)],
      ['Last error', n.last_error],
      ['Made', time(n.created_at)],
      ['Last change', time(n.updated_at)],
      ['Message-ID', h('code', null, n.message_id || '')],
    ]));
    sendBtn.disabled = n.state === 'sent' || n.state === 'sending';
    sendBtn.textContent = n.state === 'failed' ? 'Send again now' : 'Send now';
  }
  fillDelivery();
  view.append(h('div', { class: 'head-row' }, h('h1', null, n.reference || 'Notification ' + n.id, ' ', tlp(n.tlp)), h('p', { class: 'actions' }, sendBtn)), stateBox);
  const cards = h('div', { class: 'cards' });
  cards.append(delivery, section('About', dl([
    ['Constituent', n.org ? h('a', { href: '/constituents/' + enc(n.org) }, n.org) : null],
    ['Group', n.group], ['Language', n.language], ['Events', String(n.events ?? '')],
    ['Window', [time(n.window_start), ' – ', time(n.window_end)]], ['TLP', tlp(n.tlp)],
    ['Event ids', n.event_ids ? h('span', null, n.event_ids.slice(0, 50).flatMap((id, i) => [i ? ', ' : '', h('a', { href: '/events/' + id }, String(id))]), n.event_ids.length > 50 ? ' …' : '') : null],
  ])));
  view.append(cards);
  view.append(h('h2', null, 'Preview: the message as the recipient sees it'));
  if (n.preview) {
    try { view.append(messageView(n.preview)); } catch (e) { view.append(errorNotice(e)); }
    view.append(h('details', { class: 'card' }, h('summary', null, 'The message source'), h('pre', null, n.preview)));
  } else view.append(notice('No preview.'));
}

export async function render(view, ctx) {
  if (ctx.view === 'detail') return detail(view, ctx);
  return list(view, ctx);
}
