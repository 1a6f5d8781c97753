import { h, clear } from './util.js';
import { session, st, el } from './state.js';
import { showFeature, showUnit } from './map.js';
import { unitsInBreach } from './units.js';

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
  const search = h('input#unit-search', { type: 'search', value: query, placeholder: 'unit id, party or category', autocomplete: 'off', 'aria-describedby': 'unit-search-count' });
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
    clear(results,
      h('p.muted#unit-search-count', { 'aria-live': 'polite' }, !q ? `${st.unitRows.size} units on the map.` : hits.length ? (hits.length > UNIT_LIST_MAX ? `The first ${UNIT_LIST_MAX} matches.` : `${hits.length} match${hits.length === 1 ? '' : 'es'}.`) : 'No unit matches.'),
      hits.length ? h('ul.items', hits.slice(0, UNIT_LIST_MAX).sort().map((u) => h('li', unitButton(u, inBreach.get(u))))) : null);
  };
  search.addEventListener('input', showResults);
  showResults();
  const kinds = (f) => [...new Set((f.properties.rules || []).map((r) => r.kind))];
  clear(
    el.panelBody,
    h('p.muted', 'Each item opens its details on the map (Escape closes them). On the map itself: arrow keys pan, + and - zoom, Enter shows what is under the centre.'),
    h('h2', `Units in breach (${breachList.length})`),
    breachList.length
      ? h('ul.items#breach-units', breachList.slice(0, 200).map((u) => h('li', unitButton(u, inBreach.get(u)))))
      : h('p.empty#breach-units-empty', st.unitRows.size ? 'No unit you can see is in breach.' : session.role === 'observer' ? 'Observers see no unit positions.' : 'No unit positions yet.'),
    st.unitRows.size ? [h('h2', h('label', { for: 'unit-search' }, 'Find a unit')), search, results] : null,
    h('h2', `Zones and lines (${st.meta.geojson.features.length})`),
    h('ul.items#map-features', st.meta.geojson.features.map((f) =>
      h('li', h('button.item', { type: 'button', dataset: { key: `feature:${f.properties.id}` }, onclick: (e) => showFeature(f, e.currentTarget) },
        h(`span.swatch.k-${f.properties.style}`, { 'aria-hidden': 'true' }),
        h('strong', f.properties.id), ` ${f.properties.name !== f.properties.id ? f.properties.name : ''}`,
        h('span.muted', ` ${f.properties.shape}${kinds(f).length ? `: ${kinds(f).join(', ')}` : ''}`))))),
  );
}

function unitButton(u, rules) {
  const row = st.unitRows.get(u);
  return h(`button.item${rules ? '.breach' : ''}`, { type: 'button', dataset: { key: `unit:${u}` }, onclick: (e) => showUnit(u, e.currentTarget) },
    h('strong', u), ` ${row[1]} · ${row[2]} · ${row[3]}`, rules ? h('span.bad', ` in breach: ${rules.join(', ')}`) : null);
}
