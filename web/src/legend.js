// The map's legend: zones and lines by the kind of their rule, units by party.

import { h, clear, km } from './util.js';
import { st, el, word } from './state.js';
import { t, localName } from './i18n.js';
import { RULE_COLOURS } from './colours.js';

/** The legend, folded or open (a <details>): open at first on a wide screen, folded on a
 * tablet or phone, where it would cover units; kept as the person left it. */
export function renderLegend() {
  const kinds = new Set(st.meta.geojson.features.map((f) => f.properties.style));
  const seps = st.meta.rules.filter((r) => r.kind === 'separation');
  st.legendOpen ??= !!window.matchMedia?.('(min-width: 1101px)').matches;
  const box = h('details#legend-box', { open: st.legendOpen, ontoggle: (e) => (st.legendOpen = e.currentTarget.open) },
    h('summary', t('legend.label')),
    h('strong', t('legend.zones')),
    [...kinds].map((k) => h('div.key', h('span.swatch', { style: `background:${RULE_COLOURS[k]}` }), k === 'none' ? t('legend.noRule') : word('rule', k))),
    seps.map((r) => h('div.key.muted', t('legend.separation', { parties: r.detail.parties.join('–'), km: km(r.detail.min_km) }))),
    h('strong', t('legend.units')),
    st.meta.parties.filter((p) => p.role === 'party').map((p) => h('div.key', h('span.dot', { style: `background:${st.colours[p.id]}` }), `${p.id} ${localName(p, '')}`)),
    h('div.key', h('span.dot.breach'), t('legend.inBreach')),
    h('div.key', h('span.swatch', { style: 'background:#f1c40f' }), t('legend.noticeArea')),
  );
  clear(el.legend, box);
}
