// Two-step sign-in (TOTP): the Account section that sets it up (QR code, the secret to type,
// the first code, the recovery codes shown once) or turns it off, and the screen a staff
// member sees when the server requires it and it is not set up yet (totp_required).
import { post, del } from '../api.js';
import { h, clear, field, input, section, showError, clearErrors, notice, announce } from '../ui.js';

// The server's SVG as an image: an <img> with a data: URL (the CSP allows data: images) never
// runs what it shows, unlike SVG markup put into the page.
function qrImage(svg) {
  const b64 = btoa(svg); // the server's SVG is ASCII
  return h('img', { class: 'qr', src: 'data:image/svg+xml;base64,' + b64, width: 220, height: 220,
    alt: 'QR code of the two-step sign-in secret: scan it with an authenticator app' });
}

function grouped(secret) {
  return secret.replace(/(.{4})/g, '$1 ').trim();
}

// The set-up flow in `box`; `done` runs after the recovery codes were acknowledged.
async function enrol(box, user, done) {
  clear(box);
  let en;
  try {
    en = await post('users/' + user.id + '/totp', undefined);
  } catch (e) {
    box.append(notice(e.message, 'error'));
    return;
  }
  const code = input('code', { inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6,
    pattern: '[0-9]{6}', required: true, spellcheck: 'false' });
  const form = h('form', { class: 'totp-enrol', novalidate: true, 'aria-labelledby': 'totp-scan-h' },
    h('h3', { id: 'totp-scan-h' }, '1. Scan the code'),
    h('p', null, 'Scan this QR code with an authenticator app (FreeOTP, Aegis, Google Authenticator, 1Password…).'),
    qrImage(en.qr_svg),
    h('p', null, 'Or type this key into the app (time-based, SHA-1, 6 digits, 30 seconds): ',
      h('code', { class: 'totp-secret', 'data-secret': en.secret }, grouped(en.secret))),
    h('h3', null, '2. Enter the code the app shows'),
    field('Code from the app', code, '6 digits; it changes every 30 seconds'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Turn on two-step sign-in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const r = await post('users/' + user.id + '/totp/confirm', { code: code.value.replace(/\s+/g, '') });
      showRecoveryCodes(box, r.recovery_codes, done);
      announce('Two-step sign-in is on');
    } catch (e) { showError(form, e); }
  });
  box.append(form);
  code.focus();
}

function showRecoveryCodes(box, codes, done) {
  clear(box);
  const list = h('ol', { class: 'recovery-codes' }, codes.map((c) => h('li', null, h('code', null, c))));
  box.append(
    notice('Two-step sign-in is on. From now on you sign in with your password and a code from the app.', 'ok'),
    h('h3', null, 'Your recovery codes'),
    h('p', null, 'Keep these ten codes somewhere safe (a password manager, or printed). Each one signs you in once if you lose the device. They are shown only now.'),
    list,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => done() }, 'I have stored them')));
}

// The Account screen's section. ctx.user is the signed-in user; ctx.refresh re-reads the session.
export function totpSection(ctx) {
  const u = ctx.user;
  const box = h('div', { 'aria-live': 'polite' });
  const sec = section('Two-step sign-in', box);
  const paint = () => {
    clear(box);
    if (!u.totp_enabled) {
      box.append(h('p', null, 'Off. With two-step sign-in, signing in takes a code from an app on your phone as well as your password.'),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => enrol(box, u, async () => { await ctx.refresh(); }) }, 'Set up two-step sign-in')));
      return;
    }
    box.append(h('p', null, 'On: you sign in with your password and a code from your authenticator app.'));
    if (ctx.totpRequired) {
      box.append(h('p', { class: 'muted' }, 'It is required for your role and cannot be turned off. If you lose the device, use a recovery code or ask an administrator.'));
      return;
    }
    const pw = input('password', { type: 'password', autocomplete: 'current-password', maxlength: 1024 });
    const form = h('form', { novalidate: true, 'aria-label': 'Turn off two-step sign-in' },
      field('Your password', pw), h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Turn off two-step sign-in')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      try {
        await del('users/' + u.id + '/totp', { body: { password: pw.value } });
        announce('Two-step sign-in is off');
        await ctx.refresh();
      } catch (e) { showError(form, e); }
    });
    box.append(form);
  };
  paint();
  return sec;
}

// The only screen of a session that must set up two-step sign-in first.
export async function render(view, ctx) {
  ctx.title('Set up two-step sign-in');
  const box = h('div', { 'aria-live': 'polite' });
  view.append(h('h1', null, 'Set up two-step sign-in'),
    notice('Your role requires two-step sign-in. Set it up now to use ermes.', 'info'),
    h('section', { class: 'card' }, box));
  await enrol(box, ctx.user, async () => { await ctx.refresh(); });
}
