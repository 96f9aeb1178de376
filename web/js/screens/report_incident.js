// "Report an incident" (the portal's form, for a constituent's users; the CERT's staff may use
// it on behalf of a reporter): subject, description, TLP and an optional text file, sent to
// POST /api/v1/incident-reports, which takes it the way a report by e-mail comes (observables
// found, the incident rules run). Below, the reports already sent: a constituent's user sees
// its organisation's own.
import { get, post } from '../api.js';
import { h, fill, field, input, select, table, section, time, tlp, errorNotice, announce, showError, clearErrors, isStaff } from '../ui.js';

const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
const FILE_MAX = 1 << 20; // what the API accepts per file, decoded

// The file's bytes as base64 (the API's attachments[].content).
function base64(buf) {
  const bytes = new Uint8Array(buf);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export async function render(view, ctx) {
  ctx.title('Report an incident');
  const staff = isStaff(ctx.user);
  const subject = input('subject', { required: true, maxlength: 998 });
  const body = h('textarea', { name: 'body', rows: 8, maxlength: 262144, required: true });
  const level = select('tlp', TLPS, 'AMBER');
  const file = h('input', { name: 'attachments', type: 'file', accept: '.txt,.log,.csv,.eml,text/*' });
  const reporter = staff ? input('reporter', { type: 'email', required: true, placeholder: 'who reports: name@example.org' }) : null;
  const done = h('div', { 'aria-live': 'polite' });
  // novalidate: the API's own messages show next to the field they name.
  const form = h('form', { class: 'card', id: 'report-form', 'aria-label': 'Report an incident', novalidate: true },
    reporter ? field('Reporter', reporter, 'The e-mail address of who reports (you report on their behalf).') : null,
    field('Subject', subject),
    field('Description', body, 'What happened, when, and what you saw: addresses, domains, URLs and hashes are picked out.'),
    field('TLP', level, 'Who may see it: AMBER (default) is your organisation and the CERT.'),
    field('File', file, 'Optional: a text file (a log, headers), at most 1 MiB.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Send report')));
  const list = h('div');
  view.append(h('h1', null, 'Report an incident'),
    h('p', { class: 'muted' }, 'Your report reaches the CERT like an e-mail to it: it is read, linked to an incident or opened as one, and you can follow it below.'),
    form, done, section(staff ? 'Incident reports' : 'Your reports', list));

  async function load() {
    let page;
    try { page = await get('incident-reports', { limit: 50 }); } catch (e) { fill(list, errorNotice(e)); return; }
    const cols = [
      { label: 'Received', cell: (r) => time(r.received_at) },
      { label: 'Subject', cell: (r) => r.subject },
      { label: 'Reporter', cell: (r) => r.reporter },
      { label: 'TLP', cell: (r) => tlp(r.tlp) },
      { label: 'Observables', cell: (r) => String(r.observables) },
      { label: 'Incident', cell: (r) => (r.incident_id ? h('a', { href: '/incidents/' + r.incident_id }, '#' + r.incident_id) : 'waiting for triage') },
    ];
    fill(list, table(cols, page.data, { class: 'my-reports', caption: 'Reports sent', empty: 'No report yet.' }));
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const req = { subject: subject.value.trim(), body: body.value, tlp: level.value };
    if (reporter) req.reporter = reporter.value.trim();
    const f = file.files && file.files[0];
    if (f) {
      if (f.size > FILE_MAX) { showError(form, { field: 'attachments', message: 'the file exceeds 1 MiB' }); return; }
      req.attachments = [{ name: f.name, content: base64(await f.arrayBuffer()) }];
    }
    try {
      const rep = await post('incident-reports', req);
      form.reset();
      level.value = 'AMBER'; // reset() takes the first option: the selection was not an attribute
      fill(done, h('p', { class: 'notice notice-info', role: 'status' },
        `Report #${rep.id} received: ${rep.observables.length} observable${rep.observables.length === 1 ? '' : 's'} found`,
        rep.incident_id ? [', linked to incident ', h('a', { href: '/incidents/' + rep.incident_id }, '#' + rep.incident_id)] : ', waiting for triage',
        '.'));
      announce('Report sent');
      await load();
    } catch (e) { showError(form, e); }
  });
  await load();
}
