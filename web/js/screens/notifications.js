// Notifications: the list with delivery states and approvals (reviewed one by one or in bulk),
// one notification as its recipient sees it (the MIME message of GET /api/v1/notifications/{id}
// decoded here) with "send now", approve, hold, cancel and an editor for one waiting for
// approval, and the contacts' OpenPGP keys (usable or not, until when).
import { get, post, patch } from '../api.js';
import { h, clear, fill, tlp, time, select, field, table, dl, section, notice, errorNotice, announce } from '../ui.js';

const STATES = ['', 'pending', 'sending', 'retrying', 'sent', 'failed'];
const APPROVALS = ['', 'waiting', 'held', 'approved', 'cancelled', 'none'];
const ACTIONS = [['approve', 'Approve'], ['hold', 'Hold'], ['cancel', 'Cancel']];
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

// The review of several at once: POST /api/v1/notifications/review with the ids ticked.
function reviewRows(rows, selected) {
  return table([
    { label: 'Reference', cell: (n) => h('a', { href: '/notifications/' + enc(n.reference || n.id) }, n.reference || String(n.id)) },
    { label: 'Constituent', cell: (n) => n.org || '' },
    { label: 'State', cell: (n) => h('span', { class: 'state state-' + n.state }, n.state) },
    { label: 'Approval', cell: (n) => h('span', { class: 'approval approval-' + n.approval, title: n.approval_reason || '' }, n.approval || 'none') },
    { label: 'Subject', cell: (n) => n.subject || '' },
    { label: 'Events', class: 'num', cell: (n) => String(n.events ?? '') },
    { label: 'Made', cell: (n) => time(n.created_at) },
    { label: 'Sent', cell: (n) => time(n.sent_at) },
    { label: 'TLP', cell: (n) => tlp(n.tlp) },
    { label: 'Select', cell: (n) => h('input', { type: 'checkbox', name: 'pick', value: String(n.id), 'aria-label': 'Select ' + (n.reference || n.id), checked: selected.has(n.id), onchange: (ev) => { if (ev.target.checked) selected.add(n.id); else selected.delete(n.id); } }) },
  ], rows, { caption: 'Notifications', empty: 'No notifications.' });
}

async function list(view, ctx) {
  ctx.title('Notifications');
  const state = ctx.query.get('state') || '';
  const approval = ctx.query.get('approval') || '';
  const org = ctx.query.get('org') || '';
  const st = select('state', STATES.map((s) => [s, s || 'any']), state);
  const ap = select('approval', APPROVALS.map((s) => [s, s || 'any']), approval);
  const orgIn = h('input', { name: 'org', value: org, maxlength: 64, placeholder: 'short name' });
  const form = h('form', { class: 'card', 'aria-label': 'Filter notifications' }, h('div', { class: 'filters' }, field('State', st), field('Approval', ap), field('Constituent', orgIn)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter'), ' ', h('a', { href: '/notifications?approval=waiting' }, 'Waiting for approval'), ' · ', h('a', { href: '/notifications/keys' }, 'Contacts\' OpenPGP keys')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    if (st.value) p.set('state', st.value);
    if (ap.value) p.set('approval', ap.value);
    if (orgIn.value.trim()) p.set('org', orgIn.value.trim());
    ctx.navigate('/notifications' + (p.toString() ? '?' + p : ''));
  });
  const runMsg = h('div', { 'aria-live': 'polite' });
  const listBox = h('div');
  const selected = new Set();
  const bulkMsg = h('div', { 'aria-live': 'polite', id: 'bulk-result' });
  // Bulk review: the ticked notifications, each decision audited by the server; those it
  // refuses (sent already, say) are listed with the reason.
  const bulk = h('div', { class: 'actions', role: 'group', 'aria-label': 'Review the selected notifications' },
    h('span', { class: 'muted' }, 'Selected: '),
    ACTIONS.map(([action, label]) => h('button', { type: 'button', class: action === 'approve' ? 'primary' : (action === 'cancel' ? 'danger' : ''), id: 'bulk-' + action, onclick: async () => {
      if (!selected.size) { fill(bulkMsg, notice('Select notifications first.', 'error')); return; }
      try {
        const r = await post('notifications/review', { action, ids: [...selected] });
        const refused = (r.refused || []).map((x) => x.id + ': ' + x.reason).join('; ');
        fill(bulkMsg, notice(`${label}: ${r.changed.length} changed` + (refused ? `, refused: ${refused}` : '') + '.', refused ? 'error' : 'ok'));
        announce(label + ' done');
        selected.clear();
        await loadList();
      } catch (e) { fill(bulkMsg, errorNotice(e)); }
    } }, label + ' selected')));
  // The list is read again after "Make" and after a review: what changed shows at once.
  async function loadList() {
    let page;
    try { page = await get('notifications', { state, approval, org, limit: 100, cursor: ctx.query.get('cursor') }); } catch (e) { fill(listBox, errorNotice(e)); return; }
    fill(listBox, bulk, bulkMsg, reviewRows(page.data, selected));
    if (page.next_cursor) {
      const next = new URLSearchParams(ctx.query); next.set('cursor', page.next_cursor);
      listBox.append(h('nav', { class: 'pager', 'aria-label': 'Pages' }, h('a', { class: 'button', href: '/notifications?' + next }, 'Next page')));
    }
  }
  const runBtn = h('button', { type: 'button', onclick: async () => {
    runBtn.disabled = true;
    try {
      const r = await post('notifications/run', undefined, { query: { now: 'true' } });
      fill(runMsg, notice(`Made ${r.notifications} notification(s) about ${r.events} event(s); sent ${r.sent}, failed ${r.failed}, retrying ${r.retrying}.` + (r.smtp ? '' : ' (No SMTP server is configured.)'), 'ok'));
      announce('Notifications made');
      await loadList();
    } catch (e) { fill(runMsg, errorNotice(e)); }
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
    fill(stateBox, h('p', { class: 'muted' }, 'Sending…'));
    try {
      await post('notifications/' + enc(n.id) + '/send');
      announce('Notification sent');
      const fresh = await get('notifications/' + enc(n.id));
      fill(stateBox, notice('Sent to ' + (fresh.recipients || []).join(', ') + '.', 'ok'));
      n = fresh;
      fillDelivery();
    } catch (e) {
      let fresh = null;
      try { fresh = await get('notifications/' + enc(n.id)); } catch { /* keep what is shown */ }
      // The daemon's own retry may have sent it while the request was on its way (409): that
      // is the outcome asked for, said as such.
      if (e.status === 409 && fresh && fresh.state === 'sent') {
        fill(stateBox, notice('Sent to ' + (fresh.recipients || []).join(', ') + ' (by the daemon\'s retry, at the same moment).', 'ok'));
      } else {
        fill(stateBox, errorNotice(e));
        sendBtn.disabled = false;
      }
      if (fresh) { n = fresh; fillDelivery(); }
    }
  });
  // The preview is made again after an edit: what the recipient will get.
  const previewBox = h('div', { id: 'preview' });
  function fillPreview() {
    clear(previewBox);
    if (n.preview) {
      try { previewBox.append(messageView(n.preview)); } catch (e) { previewBox.append(errorNotice(e)); }
      previewBox.append(h('details', { class: 'card' }, h('summary', null, 'The message source'), h('pre', null, n.preview)));
    } else previewBox.append(notice('No preview.'));
  }
  const delivery = section('Delivery');
  function fillDelivery() {
    fill(delivery, h('h2', null, 'Delivery'), dl([
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
    if (n.state === 'sending') watchSending();
  }
  // An attempt under way (the daemon's own, or another analyst's) ends within the SMTP
  // timeout: the page follows it, so the outcome shows and the button comes back without a reload.
  let watching = null;
  function watchSending() {
    if (watching) return;
    watching = setTimeout(async () => {
      watching = null;
      if (!ctx.isCurrent()) return;
      try { n = { ...n, ...(await get('notifications/' + enc(n.id))) }; } catch { /* try again */ }
      fillDelivery();
    }, 1000);
  }
  fillDelivery();
  // Review: approve, hold, cancel (409 with the reason when it is too late), and the editor
  // of a notification waiting or held (PATCH: subject, body, recipients).
  const reviewBox = h('div', { 'aria-live': 'polite', id: 'review-result' });
  const reviewBtns = ACTIONS.map(([action, label]) => h('button', { type: 'button', id: 'review-' + action, class: action === 'cancel' ? 'danger' : '', onclick: async () => {
    try {
      n = { ...n, ...(await post('notifications/' + enc(n.id) + '/' + action)) };
      fill(reviewBox, notice(label + ': the notification is now ' + n.approval + '.', 'ok'));
      announce('Notification ' + n.approval);
      fillDelivery();
      fillReview();
    } catch (e) { fill(reviewBox, errorNotice(e)); }
  } }, label));
  const review = section('Review');
  const editBox = h('div');
  function fillReview() {
    fill(review, h('h2', null, 'Review'), dl([
      ['Approval', h('span', { class: 'approval approval-' + n.approval, id: 'approval-state' }, n.approval || 'none')],
      ['Why', n.approval_reason],
    ]), h('p', { class: 'actions' }, reviewBtns), reviewBox, editBox);
    clear(editBox);
    if (n.approval !== 'waiting' && n.approval !== 'held') return;
    const subj = h('input', { name: 'subject', value: n.subject || '', maxlength: 998 });
    const rcpt = h('input', { name: 'recipients', value: (n.recipients || []).join(', ') });
    const body = h('textarea', { name: 'body', rows: 14 }, n.body || '');
    const msg = h('div', { 'aria-live': 'polite' });
    const form = h('form', { class: 'edit-notification', 'aria-label': 'Edit the notification' },
      field('Subject', subj), field('Recipients', rcpt, 'E-mail addresses, separated by commas'), field('Text', body),
      h('p', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save the changes')), msg);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const change = {};
      if (subj.value !== (n.subject || '')) change.subject = subj.value;
      if (body.value !== (n.body || '')) change.body = body.value;
      const list = rcpt.value.split(/[\s,;]+/).filter(Boolean);
      if (list.join(',') !== (n.recipients || []).join(',')) change.recipients = list;
      if (!Object.keys(change).length) { fill(msg, notice('Nothing changed.')); return; }
      try {
        await patch('notifications/' + enc(n.id), change);
        n = await get('notifications/' + enc(n.id));
        fill(msg, notice('Saved.', 'ok'));
        announce('Notification saved');
        fillDelivery();
        fillPreview();
      } catch (e) { fill(msg, errorNotice(e)); }
    });
    editBox.append(h('h3', null, 'Edit before approving'), form);
  }
  fillReview();
  view.append(h('div', { class: 'head-row' }, h('h1', null, n.reference || 'Notification ' + n.id, ' ', tlp(n.tlp)), h('p', { class: 'actions' }, sendBtn)), stateBox);
  view.append(review);
  const cards = h('div', { class: 'cards' });
  cards.append(delivery, section('About', dl([
    ['Constituent', n.org ? h('a', { href: '/constituents/' + enc(n.org) }, n.org) : null],
    ['Group', n.group], ['Language', n.language], ['Events', String(n.events ?? '')],
    ['Window', [time(n.window_start), ' – ', time(n.window_end)]], ['TLP', tlp(n.tlp)],
    ['Event ids', n.event_ids ? h('span', null, n.event_ids.slice(0, 50).flatMap((id, i) => [i ? ', ' : '', h('a', { href: '/events/' + id }, String(id))]), n.event_ids.length > 50 ? ' …' : '') : null],
  ])));
  view.append(cards);
  view.append(h('h2', null, 'Preview: the message as the recipient sees it'), previewBox);
  fillPreview();
}

// The contacts' OpenPGP keys as the notifier checks them now: a notification is encrypted
// only when each of its recipients has a usable one.
async function keys(view, ctx) {
  ctx.title('OpenPGP keys of contacts');
  view.append(h('div', { class: 'head-row' }, h('h1', null, 'OpenPGP keys of contacts'), h('p', null, h('a', { href: '/notifications' }, 'Notifications'))));
  let r;
  try { r = await get('notification-keys'); } catch (e) { view.append(errorNotice(e)); return; }
  view.append(h('p', { class: 'muted' }, 'Contacts without a key are not listed: notifications to them are not encrypted.'));
  view.append(table([
    { label: 'Constituent', cell: (k) => h('a', { href: '/constituents/' + enc(k.org) }, k.org) },
    { label: 'Contact', cell: (k) => k.email || '' },
    { label: 'Key', cell: (k) => h('code', null, k.fingerprint || '') },
    { label: 'Usable', cell: (k) => h('span', { class: 'key-' + (k.usable ? 'ok' : 'bad') }, k.usable ? 'yes' : 'no: ' + (k.problem || 'unknown')) },
    { label: 'Expires', cell: (k) => (k.usable ? (k.expires_at ? time(k.expires_at) : 'never') : '') },
  ], r.data, { caption: 'Contacts\' OpenPGP keys', captionVisible: true, empty: 'No contact has an OpenPGP key.' }));
}

export async function render(view, ctx) {
  if (ctx.view === 'keys') return keys(view, ctx);
  if (ctx.view === 'detail') return detail(view, ctx);
  return list(view, ctx);
}
