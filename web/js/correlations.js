// What the event, indicator and incident pages share: the "Correlations" section, which asks
// GET /api/v1/correlations for each of the object's values and lists what else mentions them
// (the API shows only what the viewer may see of each object).
import { get } from './api.js';
import { h, fill, tlp, table, section, errorNotice } from './ui.js';

const RELATION = {
  same: 'the same value',
  inside: 'a network holding it',
  contains: 'an address inside it',
  subdomain_of: 'a parent domain',
};

function objectLink(m) {
  if (m.object === 'indicator') return h('a', { href: '/indicators/' + m.id }, 'indicator ' + m.id);
  if (m.object === 'event') return h('a', { href: '/events/' + m.id }, 'event ' + m.id);
  if (m.object === 'incident') return h('a', { href: '/incidents/' + m.id }, 'incident #' + m.id);
  if (m.object === 'sighting') return h('a', { href: '/indicators/' + m.indicator_id }, 'sighting ' + m.id);
  return m.object + ' ' + m.id;
}

// values: [{value, type?}]; self: {object, id} left out of the list (the page's own object).
export function correlationSection(values, self) {
  const sec = section('Correlations', h('p', { class: 'muted' }, 'Loading…'));
  sec.classList.add('correlations');
  const wanted = values.filter((v) => v && v.value);
  if (!wanted.length) {
    fill(sec, h('h2', null, 'Correlations'), h('p', { class: 'muted' }, 'No value to correlate.'));
    return sec;
  }
  Promise.all(wanted.map((v) => get('correlations', v.type ? { value: v.value, type: v.type } : { value: v.value })))
    .then((answers) => {
      const rows = [];
      const over = [];
      answers.forEach((a, i) => {
        for (const m of a.matches) {
          if (self && m.object === self.object && m.id === self.id && m.relation === 'same') continue;
          rows.push({ asked: wanted[i].value, ...m });
        }
        for (const o of a.over_correlated) over.push(o.value + ' (more than ' + a.threshold + ' objects)');
      });
      fill(sec, h('h2', null, 'Correlations'),
        table([
          { label: 'Value', cell: (r) => h('span', { class: 'mono' }, r.asked) },
          { label: 'Relation', cell: (r) => RELATION[r.relation] || r.relation },
          { label: 'Object', cell: objectLink },
          { label: 'Its value', cell: (r) => h('span', { class: 'mono' }, r.value) },
          { label: 'TLP', cell: (r) => tlp(r.tlp) },
        ], rows, { class: 'correlations', caption: 'What else mentions these values', empty: 'Nothing else mentions them.' }),
        over.length ? h('p', { class: 'muted' }, 'Over-correlated, not listed: ', over.join(', ')) : null);
    })
    .catch((e) => fill(sec, h('h2', null, 'Correlations'), errorNotice(e)));
  return sec;
}
