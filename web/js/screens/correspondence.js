// Coordination on the incident page (staff): every message written from the incident or linked
// to it, each recipient's state (pending, sent, failed, acknowledged, replied) and the answers
// threaded onto it; a form to write to constituents (named ones, or all those the incident
// concerns) and "reply to all" of a writing. One message per constituent, each with its own
// reference, sent by the notification machinery (POST /api/v1/incidents/{id}/messages).
import { get, post } from '../api.js';
import { h, fill, time, field, table, section, errorNotice, announce } from '../ui.js';

const enc = encodeURIComponent;

function recipients(m) {
  return h('ul', { class: 'recipients' }, (m.recipient_states || []).map((r) =>
    h('li', null, r.address + ' ', h('span', { class: 'state state-' + r.state }, r.state))));
}

function answers(m) {
  return h('ul', { class: 'answers' }, (m.messages || []).map((a) =>
    h('li', null, h('strong', null, a.from + ' '), time(a.created_at) + ': ', a.subject || '')));
}

export async function correspondence(view, id, msg, reload) {
  let corr;
  try { corr = await get('incidents/' + enc(id) + '/correspondence'); } catch (e) { view.append(errorNotice(e)); return; }
  const subject = h('input', { name: 'subject', maxlength: 200, required: true });
  const body = h('textarea', { name: 'body', rows: 5, maxlength: 65536, required: true });
  const to = h('input', { name: 'to', maxlength: 2000, placeholder: 'short names, comma-separated; empty: all concerned' });
  const replyTo = { value: '' };
  const form = h('form', { class: 'card', id: 'write-form', 'aria-label': 'Write to constituents' },
    field('To', to, 'Each constituent gets its own message and reference.'), field('Subject', subject), field('Message', body),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Send')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const req = { subject: subject.value, body: body.value };
    const names = to.value.split(',').map((s) => s.trim()).filter(Boolean);
    if (replyTo.value) req.reply_to = replyTo.value;
    else if (names.length) req.to = names;
    else req.all = true;
    try {
      const r = await post('incidents/' + enc(id) + '/messages', req);
      announce(r.messages.length + ' message(s) queued');
      reload();
    } catch (e) { fill(msg, errorNotice(e)); }
  });
  const rows = corr.data.map((m) => ({ ...m }));
  view.append(section('Correspondence', table([
    { label: 'Reference', cell: (m) => h('a', { href: '/notifications/' + enc(m.reference) }, m.reference) },
    { label: 'Constituent', cell: (m) => m.org || '' },
    { label: 'Subject', cell: (m) => m.subject },
    { label: 'Delivery', cell: (m) => h('span', { class: 'state state-' + m.state }, m.state + (m.approval !== 'none' ? ' (' + m.approval + ')' : '')) },
    { label: 'Recipients', cell: recipients },
    { label: 'Answers', cell: answers },
    { label: '', cell: (m) => (m.coordination ? h('button', { type: 'button', onclick: () => {
      replyTo.value = m.reference;
      to.value = '';
      to.disabled = true;
      if (!subject.value) subject.value = 'Re: ' + m.subject.replace(/^\[[^\]]*\]\s*/, '');
      announce('Replying to all of the writing of ' + m.reference);
      subject.focus();
    } }, 'Reply to all') : '') },
  ], rows, { class: 'correspondence', caption: 'Correspondence', empty: 'No message yet.' }), form));
}
