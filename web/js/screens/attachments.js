// Attachments on the incident page, for the CERT's people and for the constituent (the portal):
// the files it may read (a constituent: those its own organisation added), each a download
// (served as an attachment, never shown in the page), and a form to add one (10 MiB at most;
// text, CSV, JSON, a message, PDF, PNG, JPEG, GIF or ZIP, checked by the server).
import { api, get, url } from '../api.js';
import { h, fill, time, field, table, section, errorNotice, announce } from '../ui.js';

const enc = encodeURIComponent;
const TYPES = {
  txt: 'text/plain', log: 'text/plain', csv: 'text/csv', json: 'application/json', eml: 'message/rfc822',
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', zip: 'application/zip',
};

function typeOf(file) {
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  return TYPES[ext] || file.type || 'application/octet-stream';
}

export async function attachments(view, id, msg, reload) {
  let list;
  try { list = await get('incidents/' + enc(id) + '/attachments'); } catch (e) { view.append(errorNotice(e)); return; }
  const file = h('input', { type: 'file', name: 'file', required: true });
  const form = h('form', { class: 'card', id: 'attachment-form', 'aria-label': 'Add an attachment' },
    field('File', file, 'At most 10 MiB: text, CSV, JSON, e-mail, PDF, PNG, JPEG, GIF or ZIP.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Upload')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = file.files[0];
    if (!f) return;
    try {
      await api('POST', 'incidents/' + enc(id) + '/attachments', { query: { name: f.name }, body: f, type: typeOf(f) });
      announce('Attachment added');
      reload();
    } catch (e) { fill(msg, errorNotice(e)); }
  });
  view.append(section('Attachments', table([
    { label: 'File', cell: (a) => h('a', { href: url('incident-attachments/' + a.id), download: a.file_name }, a.file_name) },
    { label: 'Type', cell: (a) => a.content_type },
    { label: 'Size', cell: (a) => String(a.size) },
    { label: 'Added by', cell: (a) => a.uploader },
    { label: 'When', cell: (a) => time(a.created_at) },
  ], list.data, { class: 'attachments', caption: 'Attachments', empty: 'No attachment.' }), form));
}
