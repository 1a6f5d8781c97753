import { h, clear, time, num } from './util.js';
import { session, st, el, showError, word, otherUnit } from './state.js';
import { t } from './i18n.js';

// ---------------------------------------------------------------- compliance

export async function loadSummary() {
  try {
    st.summary = await session.get('/v1/summary');
  } catch (e) {
    showError(e);
  }
}

export function renderCompliance() {
  const s = st.summary;
  if (!s) {
    clear(el.panelBody, h('p.empty', t('compliance.loading')));
    loadSummary().then(() => st.tab === 'compliance' && st.summary && renderCompliance());
    return;
  }
  clear(
    el.panelBody,
    h('p.muted.compliance-head', t('compliance.engineTime'), ' ', time(s.engine_time), '. ',
      h('a', { href: '#', onclick: (e) => { e.preventDefault(); openSummaryHtml(); } }, t('compliance.printable')), ' · ',
      h('button.link.print-button', { type: 'button', onclick: () => window.print() }, t('common.print'))),
    s.parties.map((p) =>
      h('section.party', { dataset: { party: p.party } },
        h('h2', h('span.dot', { style: `background:${st.colours[p.party]}` }), ` ${p.party}`),
        h('p', h(p.open_breaches.length ? 'strong.bad' : 'strong.ok', t('compliance.openBreaches', { count: p.open_breaches.length, n: num(p.open_breaches.length) })), ' · ', t('compliance.incidents', { count: p.incidents, n: num(p.incidents) })),
        p.open_breaches.length ? h('ul.open-breaches', p.open_breaches.slice(0, 20).map(breachLine)) : null,
        p.caps.length ? h('h3', t('compliance.caps')) : null,
        p.caps.map(capLine),
        Object.keys(p.by_category).length ? h('h3', t('compliance.byCategory')) : null,
        Object.entries(p.by_category).map(([cat, by]) => h('div', `${word('category', cat)}: ${Object.entries(by).map(([k, v]) => `${num(v)} ${word('status', k)}`).join(', ')}`)),
      )),
  );
}

/** An open breach as the engine holds it: rule, what, whose units (the other side's as
 * this principal may know it: "a unit of SY" for a party), and since when. */
function breachLine(b) {
  // The kind in the page's language; the server's words for one the catalogue lacks.
  const kind = t(`words.event.${b.kind}`) !== `words.event.${b.kind}` ? word('event', b.kind) : b.kind_words || word('event', b.kind);
  const other = otherUnit(b);
  return h('li', { dataset: { rule: b.rule, kind: b.kind } },
    `${b.rule} · ${kind}`,
    b.unit ? h('span', { dir: 'ltr' }, ` ${b.unit}`) : null,
    other ? ` / ${other}` : null,
    ' · ', t('compliance.since'), ' ', time(b.since));
}

/** A cap: its present count against its maximum, with the headroom and a bar while it is
 * in force; one outside its window is "not in force": its count, no headroom, never red. */
function capLine(c) {
  const inForce = c.in_force !== false;
  const pct = c.max > 0 ? Math.min(100, (100 * c.present) / c.max) : c.present > 0 ? 100 : 0;
  const of = t('compliance.capOf', { present: num(c.present), max: num(c.max) });
  const headroom = inForce && c.headroom != null
    ? h(c.headroom < 0 ? 'span.bad.headroom' : 'span.muted.headroom', ` (${t('compliance.headroom', { n: num(c.headroom) })})`)
    : !inForce ? h('span.muted.not-in-force', ` (${t('compliance.notInForce')})`) : null;
  return h(`div.cap${inForce ? '' : '.off'}`, { dataset: { rule: c.rule, inForce: String(inForce) } },
    h('div', `${c.rule}: ${t('compliance.capIn', { category: c.category, zone: c.zone })}: ${of}`, headroom),
    h('div.bar', { role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': c.max, 'aria-valuenow': c.present, 'aria-label': `${c.rule} ${of}${inForce ? '' : ` (${t('compliance.notInForce')})`}` },
      h('span', { style: `width:${pct}%`, class: !inForce ? 'off' : pct >= 100 ? 'over' : pct >= 80 ? 'near' : '' })));
}

async function openSummaryHtml() {
  try {
    const blob = await session.getBytes('/v1/summary.html');
    window.open(URL.createObjectURL(new Blob([blob], { type: 'text/html' })), '_blank');
  } catch (e) {
    showError(e);
  }
}
