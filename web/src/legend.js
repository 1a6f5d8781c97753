// The map's legend: zones and lines by the kind of their rule, units by principal (the
// parties and the monitors), breaches, notices and incidents. Each item is a toggle
// button that shows or hides what it names on the map (aria-pressed says which).

import { h, clear, km } from './util.js';
import { st, el, word } from './state.js';
import { t, partyName, categoryName } from './i18n.js';
import { RULE_COLOURS } from './colours.js';
import { placeLabels } from './labels.js';
import { placeUnitLabels } from './unitlabels.js';
import { unitImageUrl, relationTo } from './unitimages.js';
import { RELATIONS, frameCode } from './symbology.js';
import { isPlace, placeKinds, placeCanvas, placesFilter, PLACES_LAYER } from './places.js';

// What the person hid: rule kinds (a feature's `style`), principals' units, and overlays.
st.hidden = { kinds: new Set(), principals: new Set(), layers: new Set() };

const OVERLAYS = {
  breaches: ['units-breach'],
  notices: ['notices-fill', 'notices-line'],
  incidents: ['incidents'],
  trails: ['units-trails'],
  headings: ['units-heading'],
  labels: [], // DOM markers (unitlabels.js)
};

/** The map's layers as the legend's toggles say. */
export function applyVisibility() {
  const map = st.map;
  if (!map || !st.mapReady) return;
  const kinds = ['literal', [...st.hidden.kinds]];
  const shown = (shape) => ['all', ['==', ['get', 'shape'], shape], ['!', ['in', ['get', 'style'], kinds]]];
  map.setFilter('zones-fill', shown('zone'));
  map.setFilter('zones-edge', shown('zone'));
  map.setFilter('lines', ['all', shown('line'), ['!=', ['geometry-type'], 'Point']]);
  if (map.getLayer(PLACES_LAYER)) map.setFilter(PLACES_LAYER, placesFilter(st.hidden.layers));
  const principals = ['!', ['in', ['get', 'party'], ['literal', [...st.hidden.principals]]]];
  map.setFilter('units', principals);
  map.setFilter('units-heading', ['all', ['has', 'heading'], principals]);
  map.setFilter('units-trails', principals);
  map.setFilter('units-breach', principals);
  for (const [name, layers] of Object.entries(OVERLAYS)) {
    for (const id of layers) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', st.hidden.layers.has(name) ? 'none' : 'visible');
  }
  for (const l of st.labels || []) l.hidden = l.place ? st.hidden.layers.has(`place-${l.place}`) : st.hidden.kinds.has(l.f.properties.style);
  placeLabels();
  placeUnitLabels();
  el.mapDiv.dataset.hidden = [...st.hidden.kinds].map((k) => `kind:${k}`).concat([...st.hidden.principals].map((p) => `unit:${p}`), [...st.hidden.layers].map((l) => `layer:${l}`)).join(' ');
}

/** A legend item that toggles `key` in `set`. */
function toggle(set, key, swatch, label) {
  const on = !set.has(key);
  return h('button.key', { type: 'button', 'aria-pressed': String(on), dataset: { toggle: key }, onclick: (e) => {
    if (set.has(key)) set.delete(key);
    else set.add(key);
    e.currentTarget.setAttribute('aria-pressed', String(!set.has(key)));
    applyVisibility();
  } }, swatch, label);
}

/** The legend, folded or open (a <details>): open at first on a wide screen, folded on a
 * tablet or phone, where it would cover units; kept as the person left it. */
export function renderLegend() {
  const kinds = new Set(st.meta.geojson.features.filter((f) => !isPlace(f)).map((f) => f.properties.style));
  const places = placeKinds();
  const seps = st.meta.rules.filter((r) => r.kind === 'separation');
  const withUnits = st.meta.parties.filter((p) => p.role === 'party' || p.role === 'monitor');
  st.legendOpen ??= !!window.matchMedia?.('(min-width: 1101px)').matches;
  const box = h('details#legend-box', { open: st.legendOpen, ontoggle: (e) => (st.legendOpen = e.currentTarget.open) },
    h('summary', t('legend.label')),
    h('p.legend-help.muted', t('legend.help')),
    h('strong', t('legend.zones')),
    [...kinds].map((k) => toggle(st.hidden.kinds, k, h('span.swatch', { style: `background:${RULE_COLOURS[k] || RULE_COLOURS.none}` }), k === 'none' ? t('legend.noRule') : word('rule', k))),
    seps.map((r) => h('div.key.muted', t('legend.separation', { parties: r.detail.parties.join('–'), km: km(r.detail.min_km) }))),
    places.length ? [h('strong', t('places.legend')),
      places.map((k) => toggle(st.hidden.layers, `place-${k}`, h('img.place-swatch', { src: placeCanvas(k).toDataURL(), alt: '', width: 16, height: 16, dataset: { place: k } }), word('placeKind', k)))] : null,
    h('strong', t('legend.units')),
    // Each principal's units as the map draws them: its colour, in the frame of the
    // viewer's relation to it (the symbol inside says the category: listed below).
    withUnits.map((p) => toggle(st.hidden.principals, p.id,
      h('img.unit-swatch', { src: unitImageUrl(`frame-${relationTo(p.id)}`, p.id, relationTo(p.id), frameCode(relationTo(p.id))), alt: '', dataset: { relation: relationTo(p.id) } }),
      `${p.id} ${partyName(p)}${p.role === 'monitor' ? ` (${word('role', 'monitor')})` : ''}`)),
    // What the frames say (only those this viewer sees), then what each symbol is.
    h('div.key-group#legend-relations', RELATIONS.filter((r) => withUnits.some((p) => relationTo(p.id) === r)).map((r) =>
      h('div.key.muted', { dataset: { relation: r } }, h('img.unit-swatch', { src: unitImageUrl(`frame-${r}`, '', r, frameCode(r)), alt: '' }), t(`legend.relation.${r}`)))),
    h('div.key-group#legend-categories', (st.agreement?.categories || []).filter((c) => c.symbol).map((c) =>
      h('div.key.muted', { dataset: { category: c.id } }, h('img.unit-swatch', { src: unitImageUrl(c.id, '', 'neutral'), alt: '' }), categoryName(c, c.id)))),
    toggle(st.hidden.layers, 'labels', h('span.label-swatch', { 'aria-hidden': 'true' }, 'ID'), t('legend.labels')),
    toggle(st.hidden.layers, 'headings', h('span.heading-swatch', { 'aria-hidden': 'true' }, '↑'), t('legend.headings')),
    toggle(st.hidden.layers, 'trails', h('span.trail-swatch', { 'aria-hidden': 'true' }), t('legend.trails')),
    toggle(st.hidden.layers, 'breaches', h('span.dot.breach'), t('legend.inBreach')),
    toggle(st.hidden.layers, 'notices', h('span.swatch', { style: 'background:#f1c40f' }), t('legend.noticeArea')),
    toggle(st.hidden.layers, 'incidents', h('span.incident-swatch', { 'aria-hidden': 'true' }), t('legend.incidents')),
  );
  clear(el.legend, box);
}
