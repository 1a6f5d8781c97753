import { h, clear, num } from './util.js';
import { session, st, el, word } from './state.js';
import { t, localName } from './i18n.js';
import { showFeature, showUnit } from './popups.js';
import { unitsInBreach } from './units.js';
import { exportButtons, exportUnits } from './exportui.js';
import { isPlace, placeKind, placeCanvas } from './places.js';

// ---------------------------------------------------------------- map items (the map by keyboard)

const UNIT_LIST_MAX = 50;

/** Everything on the map as a list of buttons: units in breach, a search over units, and
 * the zones and lines; each opens the same details as a click on the map. */
export function renderMapItems() {
  const inBreach = unitsInBreach();
  const breachList = [...inBreach.keys()].filter((u) => st.unitRows.has(u)).sort();
  // Live updates re-render only when the lists change (not under someone's cursor).
  const signature = `${st.unitRows.size}|${breachList.join(',')}|${st.replayAt}`;
  if (!st.forceRender && signature === st.mapItemsSignature && el.panelBody.querySelector('#map-features')) return;
  st.mapItemsSignature = signature;
  const query = st.unitQuery || '';
  const search = h('input#unit-search', { type: 'search', value: query, placeholder: t('mapitems.searchPlaceholder'), autocomplete: 'off', 'aria-describedby': 'unit-search-count' });
  const results = h('div#unit-results');
  const showResults = () => {
    const q = search.value.trim().toLowerCase();
    st.unitQuery = search.value;
    const hits = [];
    if (q) {
      for (const row of st.unitRows.values()) {
        if (`${row[0]} ${row[1]} ${row[2]}`.toLowerCase().includes(q)) hits.push(row[0]);
        if (hits.length > UNIT_LIST_MAX) break;
      }
    }
    const count = !q ? t('mapitems.unitsOnMap', { count: st.unitRows.size, n: num(st.unitRows.size) })
      : hits.length > UNIT_LIST_MAX ? t('mapitems.firstMatches', { n: num(UNIT_LIST_MAX) })
        : hits.length ? t('mapitems.matches', { count: hits.length, n: num(hits.length) }) : t('mapitems.noMatch');
    clear(results,
      h('p.muted#unit-search-count', { 'aria-live': 'polite' }, count),
      hits.length ? h('ul.items', hits.slice(0, UNIT_LIST_MAX).sort().map((u) => h('li', unitButton(u, inBreach.get(u))))) : null);
  };
  search.addEventListener('input', showResults);
  showResults();
  const kinds = (f) => [...new Set((f.properties.rules || []).map((r) => word('rule', r.kind)))];
  const features = st.meta.geojson.features;
  clear(
    el.panelBody,
    h('p.muted', t('mapitems.help')),
    h('h2', t('mapitems.inBreach', { n: num(breachList.length) })),
    breachList.length
      ? h('ul.items#breach-units', breachList.slice(0, 200).map((u) => h('li', unitButton(u, inBreach.get(u)))))
      : h('p.empty#breach-units-empty', st.unitRows.size ? t('mapitems.noneInBreach') : session.role === 'observer' ? t('mapitems.observerNoUnits') : t('mapitems.noUnits')),
    st.unitRows.size ? [h('h2', h('label', { for: 'unit-search' }, t('mapitems.findUnit'))), search, results, exportButtons('units-export', t('export.units'), exportUnits)] : null,
    h('h2', t('mapitems.features', { n: num(features.length) })),
    h('ul.items#map-features', features.map((f) => {
      const name = localName(f.properties, f.properties.id);
      return h('li', h('button.item', { type: 'button', dataset: { key: `feature:${f.properties.id}` }, onclick: (e) => showFeature(f, e.currentTarget) },
        isPlace(f) ? h('img.place-swatch', { src: placeCanvas(placeKind(f)).toDataURL(), alt: '', width: 14, height: 14, dataset: { place: placeKind(f) } }) : h(`span.swatch.k-${f.properties.style}`, { 'aria-hidden': 'true' }),
        h('strong', { dir: 'ltr' }, f.properties.id), name !== f.properties.id ? ` ${name}` : '',
        h('span.muted', ` ${isPlace(f) ? word('placeKind', placeKind(f)) : word('shape', f.properties.shape)}${kinds(f).length ? `: ${kinds(f).join(', ')}` : ''}`)));
    })),
  );
}

function unitButton(u, rules) {
  const row = st.unitRows.get(u);
  return h(`button.item${rules ? '.breach' : ''}`, { type: 'button', dataset: { key: `unit:${u}` }, onclick: (e) => showUnit(u, e.currentTarget) },
    h('strong', { dir: 'ltr' }, u), ` ${row[1]} · ${row[2]} · ${num(row[3])}`, rules ? h('span.bad', ` ${t('mapitems.unitInBreach', { rules: rules.join(', ') })}`) : null);
}
