// Lookup: an IP address, CIDR network, domain or ASN -> its owner, its recent events and
// sightings.
import { get, optional } from '../api.js';
import { h, fill, section, dl, notice, errorNotice, table } from '../ui.js';
import { eventRows } from './events.js';
import { sightingTable, orgNames } from '../sightings.js';

const enc = encodeURIComponent;

// What the query is: the API's lookup takes ip, cidr, domain or asn; a CIDR lists every
// organisation owning a network inside it or covering it, and its events are those inside it.
export function classify(q) {
  const s = q.trim();
  if (/^(as)?\d{1,10}$/i.test(s)) return { type: 'asn', value: s.replace(/^as/i, '') };
  if (s.includes('/')) {
    const [addr] = s.split('/');
    return { type: 'cidr', value: s, addr };
  }
  if (/^[0-9.]+$/.test(s) || s.includes(':')) return { type: 'ip', value: s };
  return { type: 'domain', value: s.toLowerCase().replace(/\.$/, '') };
}

export async function render(view, ctx) {
  const q = (ctx.query.get('q') || '').trim();
  ctx.title('Lookup ' + q);
  const box = document.getElementById('lookup-q');
  if (box && !box.value) box.value = q;
  view.append(h('h1', null, 'Lookup: ', h('span', { class: 'mono' }, q || '—')));
  if (!q) { view.append(notice('Type an IP address, a CIDR network, a domain or an ASN in the box at the top.')); return; }
  const c = classify(q);
  const query = c.type === 'asn' ? { asn: c.value } : c.type === 'domain' ? { domain: c.value } : c.type === 'cidr' ? { cidr: c.value } : { ip: c.value };
  const owner = section('Owner');
  view.append(owner);
  let r = null;
  try {
    r = await get('lookup', query);
  } catch (e) {
    owner.append(e.field ? notice(e.message + ' (' + e.field + ')', 'error') : errorNotice(e));
    return;
  }
  if (c.type === 'cidr') {
    if (r.found) {
      owner.append(table([
        { label: 'Network', cell: (m) => h('code', null, m.network) },
        { label: 'Relation', cell: (m) => (m.relation === 'covers' ? 'covers ' + c.value : m.relation === 'equal' ? 'is ' + c.value : 'inside ' + c.value) },
        { label: 'Owner', cell: (m) => h('a', { href: '/constituents/' + enc(m.organisation.short_name) }, m.organisation.name, ' (', m.organisation.short_name, ')') },
      ], r.matches, { caption: 'Organisations owning a network inside or around ' + c.value, id: 'lookup-owners' }));
    } else owner.append(h('p', { id: 'lookup-owner' }, 'No constituent owns any part of ', h('code', null, r.query), ' (or you may not see it).'));
  } else if (r.found && r.organisation) {
    owner.append(dl([
      ['Owner', h('a', { href: '/constituents/' + enc(r.organisation.short_name), id: 'lookup-owner' }, r.organisation.name, ' (', r.organisation.short_name, ')')],
      ['Found by', r.rule], ['Matched', r.matched === null ? null : h('code', null, String(r.matched))], ['Looked up as', r.type],
    ]));
  } else owner.append(h('p', { id: 'lookup-owner' }, 'No constituent owns ', h('code', null, r.query), ' (or you may not see it).'));

  const evSec = section('Recent events', h('p', { class: 'muted' }, 'Loading…'));
  view.append(evSec);
  let evq = null;
  if (c.type === 'ip' || c.type === 'cidr') evq = { ip: c.value };
  else if (c.type === 'domain') evq = { domain: c.value };
  else if (r.found && r.organisation) evq = { org: r.organisation.short_name };
  const jobs = [];
  if (evq) {
    const since = new Date(Date.now() - 30 * 86400e3).toISOString();
    jobs.push(get('events', { ...evq, since, limit: 1000 }).then((p) => {
      fill(evSec, h('h2', null, 'Recent events'), eventRows(p.data.slice(-25).reverse(), { caption: 'Events of the last 30 days', empty: 'No events in the last 30 days.' }),
        h('p', null, h('a', { href: '/events?' + new URLSearchParams(evq) }, 'All events')));
    }).catch((e) => fill(evSec, h('h2', null, 'Recent events'), errorNotice(e))));
  } else fill(evSec, h('h2', null, 'Recent events'), notice('No owner: no events to show for this ASN.'));
  if (ctx.features.sightings) {
    const sigSec = section('Sightings', h('p', { class: 'muted' }, 'Loading…'));
    view.append(sigSec);
    // An address: the sightings where it was the value seen or the internal side.
    const sq = c.type === 'asn' ? (r.found ? { org: r.organisation.short_name } : null) : c.type === 'ip' ? { address: c.value } : { value: c.value };
    if (sq) {
      // Oldest first from the API: the 25 latest of the last 30 days, newest first.
      const since = new Date(Date.now() - 30 * 86400e3).toISOString();
      jobs.push(Promise.all([optional('sightings', { ...sq, since, limit: 1000 }), orgNames(ctx.user)]).then(([p, names]) => {
        fill(sigSec, h('h2', null, 'Sightings'), p ? sightingTable(p.data.slice(-25).reverse(), names, {
          caption: 'Sightings of the last 30 days', empty: 'No sightings in the last 30 days.',
        }) : notice('Sightings are not available.'), h('p', null, h('a', { href: '/sightings?' + new URLSearchParams(sq) }, 'All sightings')));
      }).catch((e) => fill(sigSec, h('h2', null, 'Sightings'), errorNotice(e))));
    } else fill(sigSec, h('h2', null, 'Sightings'), notice('No owner: no sightings to show for this ASN.'));
  }
  await Promise.all(jobs);
}
