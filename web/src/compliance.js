import { h, clear, time, humanKind } from './util.js';
import { session, st, el, showError } from './state.js';

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
    clear(el.panelBody, h('p.empty', 'Loading the compliance summary…'));
    loadSummary().then(() => st.tab === 'compliance' && st.summary && renderCompliance());
    return;
  }
  clear(
    el.panelBody,
    h('p.muted', 'Engine time ', time(s.engine_time), '. ', h('a', { href: '#', onclick: (e) => { e.preventDefault(); openSummaryHtml(); } }, 'Printable summary')),
    s.parties.map((p) =>
      h('section.party', { dataset: { party: p.party } },
        h('h2', h('span.dot', { style: `background:${st.colours[p.party]}` }), ` ${p.party}`),
        h('p', h(p.open_breaches.length ? 'strong.bad' : 'strong.ok', `${p.open_breaches.length} open breach${p.open_breaches.length === 1 ? '' : 'es'}`), ` · ${p.incidents} incidents`),
        p.open_breaches.length ? h('ul', p.open_breaches.slice(0, 20).map((b) => h('li', `${b.rule} ${b.unit || ''} ${b.other ? `/ ${b.other}` : ''} since `, time(b.t)))) : null,
        p.caps.length ? h('h3', 'Caps') : null,
        p.caps.map((c) => {
          const pct = c.max > 0 ? Math.min(100, (100 * c.present) / c.max) : c.present > 0 ? 100 : 0;
          return h('div.cap', { dataset: { rule: c.rule } },
            h('div', `${c.rule}: ${c.category} in ${c.zone}: ${c.present} of ${c.max}`, h(c.headroom < 0 ? 'span.bad' : 'span.muted', ` (headroom ${c.headroom})`)),
            h('div.bar', { role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': c.max, 'aria-valuenow': c.present, 'aria-label': `${c.rule} ${c.present} of ${c.max}` },
              h('span', { style: `width:${pct}%`, class: pct >= 100 ? 'over' : pct >= 80 ? 'near' : '' })));
        }),
        Object.keys(p.by_category).length ? h('h3', 'Incidents by category') : null,
        Object.entries(p.by_category).map(([cat, by]) => h('div', `${humanKind(cat)}: ${Object.entries(by).map(([k, v]) => `${v} ${humanKind(k)}`).join(', ')}`)),
      )),
  );
}

async function openSummaryHtml() {
  try {
    const blob = await session.getBytes('/v1/summary.html');
    window.open(URL.createObjectURL(new Blob([blob], { type: 'text/html' })), '_blank');
  } catch (e) {
    showError(e);
  }
}
