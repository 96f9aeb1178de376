// Federation peers (GET /api/v1/peers): the TAXII 2.1 servers this node pulls from and pushes
// to, the state of each (last pull and push, counts, failures, the last error), a round now,
// and a form to add one. Credentials are written, never shown back.
import { get, post, del } from '../api.js';
import { h, clear, fill, time, field, select, input, table, section, notice, errorNotice, showError, clearErrors, announce, fmtNumber, button } from '../ui.js';

const enc = encodeURIComponent;
const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];

function addForm(refresh) {
  const name = input('name', { required: true, maxlength: 64, pattern: '[A-Za-z0-9._-]+' });
  const url = input('url', { required: true, maxlength: 1000, placeholder: 'https://cert.example/taxii2/ermes/' });
  const coll = input('collection', { required: true, maxlength: 128 });
  const auth = select('auth', [['token', 'bearer token'], ['basic', 'user:password'], ['none', 'none']], 'token');
  const cred = input('credentials', { type: 'password', autocomplete: 'off', maxlength: 1000 });
  const maxTlp = select('max_tlp', TLPS.map((t) => [t, t]), 'AMBER');
  const interval = input('interval', { type: 'number', min: 1, max: 86400, value: '300' });
  const group = input('share_group', { maxlength: 128, placeholder: 'empty: pull only' });
  const user = input('local_user', { maxlength: 128 });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'peer-add-h' },
    h('h2', { id: 'peer-add-h' }, 'Add a peer'),
    h('div', { class: 'form-grid' }, field('Name', name), field('TAXII API root', url), field('Collection id', coll),
      field('Authentication', auth), field('Credentials', cred, 'stored, never shown back'), field('Highest TLP taken', maxTlp),
      field('Interval (seconds)', interval), field('Sharing group pushed', group, 'the local sharing group sent to the peer'),
      field('Account the peer writes with', user, 'what it posted here is not sent back to it')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add peer')), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    clear(out);
    const body = { name: name.value.trim(), url: url.value.trim(), collection: coll.value.trim(), auth: auth.value,
      max_tlp: maxTlp.value, interval: Number(interval.value) || 300 };
    if (cred.value) body.credentials = cred.value;
    if (auth.value === 'none') delete body.credentials;
    if (group.value.trim()) { body.share_group = group.value.trim(); body.push = true; }
    if (user.value.trim()) body.local_user = user.value.trim();
    try {
      const p = await post('peers', body);
      form.reset();
      announce('Peer ' + p.name + ' added');
      refresh();
    } catch (e) { showError(form, e); }
  });
  return form;
}

export async function render(view, ctx) {
  ctx.title('Peers');
  view.append(h('h1', null, 'Federation peers'));
  view.append(h('p', { class: 'muted' }, 'Other TAXII 2.1 servers this node pulls from and pushes to on a schedule (ermes peers, /api/v1/peers).'));
  const list = h('div');
  const refresh = async () => {
    let peers;
    try { peers = (await get('peers')).data; } catch (e) { fill(list, errorNotice(e)); return; }
    if (!ctx.isCurrent()) return;
    fill(list, table([
      { label: 'Name', cell: (p) => p.name },
      { label: 'Peer', cell: (p) => [p.url, h('br'), h('span', { class: 'muted' }, 'collection ' + p.collection)] },
      { label: 'Does', cell: (p) => [p.pull ? 'pull' : '', p.push ? ' push (' + p.share_group + ')' : '', ' every ' + p.interval + ' s, up to ' + p.max_tlp] },
      { label: 'Last pull', cell: (p) => p.state.last_pull_at ? time(p.state.last_pull_at) : 'never' },
      { label: 'Pulled', class: 'num', cell: (p) => fmtNumber(p.state.pulled) },
      { label: 'Pushed', class: 'num', cell: (p) => fmtNumber(p.state.pushed) },
      { label: 'State', cell: (p) => p.state.last_error ? h('span', { class: 'state state-failed' }, p.state.failures + ' failure(s): ' + p.state.last_error) : h('span', { class: 'state state-done' }, 'ok') },
      { label: 'Actions', cell: (p) => {
        const out = h('span', { 'aria-live': 'polite' });
        const sync = button('Sync now', async () => {
          sync.disabled = true;
          try {
            const r = await post('peers/' + enc(p.name) + '/sync');
            announce('Peer ' + p.name + ': ' + (r.error ? r.error : r.stored + ' new, ' + r.pushed + ' pushed'));
            refresh();
          } catch (e) { fill(out, ' ', e.message); sync.disabled = false; }
        });
        const rm = button('Delete', async () => {
          if (!window.confirm('Delete peer ' + p.name + '? What it sent stays.')) return;
          try { await del('peers/' + enc(p.name)); announce('Peer ' + p.name + ' deleted'); refresh(); } catch (e) { fill(out, ' ', e.message); }
        });
        return [sync, ' ', rm, out];
      } },
    ], peers, { caption: 'Peers', empty: 'No peer yet.' }));
  };
  view.append(section('Peers', list));
  view.append(addForm(refresh));
  view.append(notice('Pulled objects keep their provenance (source peer:NAME). Only CLEAR and GREEN objects are pushed; TLP:RED never leaves.'));
  await refresh();
}
