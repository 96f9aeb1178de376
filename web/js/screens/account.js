// Account: who I am, my password, my two-step sign-in, my API tokens.
import { post } from '../api.js';
import { h, field, input, dl, section, showError, clearErrors, notice, announce, time } from '../ui.js';
import { tokensSection } from './admin.js';
import { totpSection } from './totp.js';

export async function render(view, ctx) {
  ctx.title('Account');
  const u = ctx.user;
  view.append(h('h1', null, 'Account'));
  const cards = h('div', { class: 'cards' });
  cards.append(section('You', dl([['Name', u.name], ['Role', u.role], ['Organisation', u.org], ['Since', time(u.created_at)]])));
  const cur = input('current_password', { type: 'password', autocomplete: 'current-password', maxlength: 1024 });
  const rule = ctx.passwordRule || { min_length: 12, max_length: 1024 };
  const nw = input('new_password', { type: 'password', autocomplete: 'new-password', maxlength: rule.max_length, minlength: rule.min_length });
  const again = input('again', { type: 'password', autocomplete: 'new-password', maxlength: 1024 });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, 'aria-labelledby': 'pw-h' }, h('h2', { id: 'pw-h' }, 'Change your password'),
    field('Current password', cur), field('New password', nw, 'at least ' + rule.min_length + ' characters, at most ' + rule.max_length), field('New password again', again),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Change password')), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    out.textContent = '';
    if (nw.value !== again.value) { showError(form, { field: 'again', message: 'The two new passwords differ.' }); return; }
    try {
      await post('users/' + u.id + '/password', { current_password: cur.value, new_password: nw.value });
      form.reset();
      out.append(notice('Your password is changed; your other sessions are ended.', 'ok'));
      announce('Password changed');
    } catch (e) { showError(form, e); }
  });
  cards.append(h('section', { class: 'card' }, form));
  cards.append(totpSection(ctx));
  view.append(cards);
  view.append(await tokensSection(ctx, { own: true }));
}
