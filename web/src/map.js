import maplibregl from 'maplibre-gl';
import { h, clear, time, km } from './util.js';
import { RULE_COLOURS, st, el } from './state.js';
import { round6, bboxOf } from './geo.js';
import { labelCandidates, addLabels, placeLabels } from './labels.js';
import { unitsInBreach, scheduleUnits } from './units.js';
import { refreshNoticesLayer, refreshDraft } from './notices.js';

// ---------------------------------------------------------------- map


export function buildMap(countries) {
  const map = new maplibregl.Map({
    container: el.mapDiv,
    style: {
      version: 8,
      sources: {
        countries: { type: 'geojson', data: countries },
        agreement: { type: 'geojson', data: st.meta.geojson },
        // Units carry their party only (the colour); updated by difference (updateData).
        units: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        breaches: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        notices: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        draft: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      },
      layers: [
        // No background layer: the sea is the map element's CSS background, seen through
        // the canvas where no land is drawn (a background layer is one more full-screen
        // pass per frame: a third of the frame time under a software renderer).
        { id: 'land', type: 'fill', source: 'countries', paint: { 'fill-color': '#f4f1ea' } },
        { id: 'borders', type: 'line', source: 'countries', paint: { 'line-color': '#9a9a9a', 'line-width': 0.8 } },
        {
          id: 'zones-fill', type: 'fill', source: 'agreement', filter: ['==', ['get', 'shape'], 'zone'],
          paint: { 'fill-color': ['match', ['get', 'style'], 'exclusion', RULE_COLOURS.exclusion, 'cap', RULE_COLOURS.cap, 'standoff', RULE_COLOURS.standoff, RULE_COLOURS.none], 'fill-opacity': 0.16 },
        },
        {
          id: 'zones-edge', type: 'line', source: 'agreement', filter: ['==', ['get', 'shape'], 'zone'],
          paint: { 'line-color': ['match', ['get', 'style'], 'exclusion', RULE_COLOURS.exclusion, 'cap', RULE_COLOURS.cap, 'standoff', RULE_COLOURS.standoff, RULE_COLOURS.none], 'line-width': 1.5 },
        },
        {
          id: 'lines', type: 'line', source: 'agreement', filter: ['==', ['get', 'shape'], 'line'],
          paint: { 'line-color': ['match', ['get', 'style'], 'standoff', RULE_COLOURS.standoff, '#222'], 'line-width': 2.5, 'line-dasharray': [3, 2] },
        },
        { id: 'notices-fill', type: 'fill', source: 'notices', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#f1c40f', 'fill-opacity': ['case', ['get', 'selected'], 0.45, 0.18] } },
        { id: 'notices-line', type: 'line', source: 'notices', paint: { 'line-color': '#b7950b', 'line-width': ['case', ['get', 'selected'], 3, 1.5] } },
        { id: 'draft-line', type: 'line', source: 'draft', paint: { 'line-color': '#000', 'line-width': 2, 'line-dasharray': [2, 1] } },
        { id: 'draft-points', type: 'circle', source: 'draft', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#000' } },
        { id: 'units-breach', type: 'circle', source: 'breaches', paint: { 'circle-radius': 10, 'circle-color': '#e00000', 'circle-opacity': 0.35, 'circle-stroke-color': '#e00000', 'circle-stroke-width': 2 } },
        {
          id: 'units', type: 'circle', source: 'units',
          paint: {
            ...UNIT_DOTS.sparse,
            'circle-color': ['match', ['get', 'party'], ...Object.entries(st.colours).flat(), '#555'],
            'circle-stroke-color': '#fff',
          },
        },
      ],
    },
    bounds: bboxOf(st.meta.geojson) || [[35.0, 32.5], [36.6, 33.6]],
    fitBoundsOptions: { padding: 40 },
    attributionControl: { compact: true, customAttribution: 'Natural Earth (world-atlas)' },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.on('load', () => {
    addLabels(map);
    st.mapReady = true;
    el.mapDiv.dataset.ready = 'true';
    scheduleUnits(); // units that arrived before the map was ready
    refreshNoticesLayer();
  });
  // Rendered counts, for people and tests reading the page's state: counted once the map
  // has stayed still for a moment (while it moves, 'idle' follows every frame, and counting
  // 10,000 rendered units each time halved the frame rate).
  let countTimer = 0;
  map.on('idle', () => {
    clearTimeout(countTimer);
    countTimer = setTimeout(() => {
      if (!st.map || map.isMoving()) return;
      el.mapDiv.dataset.zones = String(map.queryRenderedFeatures({ layers: ['zones-fill', 'lines'] }).length);
      el.mapDiv.dataset.renderedUnits = String(map.queryRenderedFeatures({ layers: ['units'] }).length);
    }, 300);
  });
  map.on('movestart', () => clearTimeout(countTimer));
  map.on('moveend', () => placeLabels());
  map.on('resize', () => placeLabels());
  map.on('error', (e) => {
    el.mapStatus.textContent = `Map error: ${e.error?.message || e}`;
  });
  map.on('click', (e) => {
    if (st.pickPlace) {
      st.pickPlace(e.lngLat);
      return;
    }
    if (st.draft.mode) {
      st.draft.points.push([round6(e.lngLat.lng), round6(e.lngLat.lat)]);
      refreshDraft();
      return;
    }
    const hits = map.queryRenderedFeatures(e.point, { layers: ['units', 'zones-fill', 'lines', 'notices-fill'] });
    if (hits.length) openPopup(e.lngLat, popupFor(hits[0]));
  });
  // The map by keyboard: MapLibre pans with the arrow keys and zooms with + and -; Enter
  // opens the details of what is under the cross at the centre (Escape closes them).
  map.getCanvas().setAttribute('aria-label', 'Map. Arrow keys pan, + and - zoom, Enter shows what is under the centre cross (or, while drawing a notice or picking a place, takes the centre); the Map items tab lists every zone, line and unit.');
  map.getCanvas().addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    // Drawing a notice's place, or picking an incident's: Enter takes the centre.
    if (st.pickPlace) return st.pickPlace(map.getCenter());
    if (st.draft.mode) {
      st.draft.points.push([round6(map.getCenter().lng), round6(map.getCenter().lat)]);
      return refreshDraft();
    }
    const c = map.project(map.getCenter());
    const hits = map.queryRenderedFeatures([[c.x - 10, c.y - 10], [c.x + 10, c.y + 10]], { layers: ['units', 'zones-fill', 'lines', 'notices-fill'] });
    openPopup(map.getCenter(), hits.length ? popupFor(hits[0]) : h('p', 'Nothing here: move the map with the arrow keys, or use the Map items tab.'), map.getCanvas());
  });
  for (const layer of ['units', 'zones-fill', 'lines']) {
    map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = st.draft.mode ? 'crosshair' : 'pointer'));
    map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = st.draft.mode ? 'crosshair' : ''));
  }
  st.map = map;
  return map;
}

// Unit dots. With thousands of units, drawing the dots is most of a frame's work under a
// software renderer (it grows with their area), and full-size dots would cover the zones
// anyway: dense maps get smaller dots, with a white edge only when zoomed well in.
export const DENSE_UNITS = 2000;
export const UNIT_DOTS = {
  sparse: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 6, 3, 10, 6], 'circle-stroke-width': ['step', ['zoom'], 0, 9, 1] },
  dense: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 6, 1.5, 9, 2.5, 12, 5], 'circle-stroke-width': ['step', ['zoom'], 0, 12, 1] },
};

// ---------------------------------------------------------------- popups

/** Opens the one popup at `lngLat`; `from` (the control that opened it) gets the focus back
 * when it closes (by its close button or Escape). */
function openPopup(lngLat, content, from = document.activeElement) {
  st.popup?.remove();
  const popup = new maplibregl.Popup({ maxWidth: '320px', focusAfterOpen: true, closeButton: true })
    .setLngLat(lngLat)
    .setDOMContent(h('div.popup-body', { role: 'dialog', 'aria-label': 'Details' }, content))
    .addTo(st.map);
  const box = popup.getElement();
  box.querySelector('.maplibregl-popup-close-button')?.setAttribute('aria-label', 'Close details');
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      popup.remove();
    }
  });
  popup.on('close', () => {
    if (st.popup === popup) st.popup = null;
    el.mapDiv.dataset.popup = '';
    if (from && from.isConnected && (box.contains(document.activeElement) || document.activeElement === document.body)) from.focus();
  });
  st.popup = popup;
  el.mapDiv.dataset.popup = content.dataset?.popup || 'open';
  return popup;
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && st.popup) st.popup.remove();
});

function popupFor(f) {
  const p = f.properties;
  if (f.layer.id === 'units') return unitPopup(st.unitNames[f.id]);
  if (f.layer.id === 'notices-fill') return h('div', { dataset: { popup: `notice:${p.id}` } }, h('strong', `Notice ${p.id}`), h('div', `${p.party} · ${p.kind} · ${p.status}`));
  return featurePopup(st.meta.geojson.features.find((x) => x.properties.id === p.id) || { properties: p });
}

function unitPopup(name) {
  const row = st.unitRows.get(name);
  if (!row) return h('p', `Unit ${name}: no position.`);
  const [unit, party, category, count, lon, lat, t] = row;
  const rules = unitsInBreach().get(unit);
  return h('div', { dataset: { popup: `unit:${unit}` } },
    h('strong', unit),
    h('div', `${party} · ${category} · ${count}`),
    h('div', 'Reported ', time(t)),
    h('div.muted', `${lat.toFixed(4)}° N, ${lon.toFixed(4)}° E`),
    rules ? h('div.bad', 'In breach: ', rules.join(', ')) : h('div.muted', 'No open breach.'));
}

function featurePopup(f) {
  const p = f.properties;
  const rules = typeof p.rules === 'string' ? JSON.parse(p.rules) : p.rules || [];
  return h('div', { dataset: { popup: `feature:${p.id}` } },
    h('strong', p.name), h('div.muted', `${p.id} · ${p.shape === 'line' ? 'line' : 'zone'}`),
    rules.length ? h('ul', rules.map((r) => h('li', `${r.id} (${r.kind})`, ruleDetail(r)))) : h('div.muted', 'No rule names this feature.'));
}

/** Shows a zone or line from a list: brings it into view and opens its details. */
export function showFeature(f, from) {
  const at = st.labels?.find((l) => l.f === f)?.marker.getLngLat() || labelCandidates(f)[0];
  const b = bboxOf({ features: [f] });
  st.map.fitBounds(b, { padding: 60, maxZoom: 11, duration: 0 });
  openPopup(at, featurePopup(f), from);
}

export function showUnit(name, from) {
  const row = st.unitRows.get(name);
  if (!row) return;
  const at = [row[4], row[5]];
  if (!st.map.getBounds().contains(at) || st.map.getZoom() < 9) st.map.jumpTo({ center: at, zoom: Math.max(st.map.getZoom(), 10) });
  openPopup(at, unitPopup(name), from);
}

function ruleDetail(r) {
  const d = r.detail || {};
  if (r.kind === 'cap') return `: ${d.party} ${d.category} at most ${d.max}`;
  if (r.kind === 'standoff' || r.kind === 'separation') return `: at least ${km(d.min_km)}`;
  return '';
}

export function renderLegend() {
  const kinds = new Set(st.meta.geojson.features.map((f) => f.properties.style));
  const seps = st.meta.rules.filter((r) => r.kind === 'separation');
  clear(
    el.legend,
    h('strong', 'Zones and lines by rule'),
    [...kinds].map((k) => h('div.key', h('span.swatch', { style: `background:${RULE_COLOURS[k]}` }), k === 'none' ? 'no rule' : k)),
    seps.map((r) => h('div.key.muted', `separation ${r.detail.parties.join('–')}: ${km(r.detail.min_km)}`)),
    h('strong', 'Units by party'),
    st.meta.parties.filter((p) => p.role === 'party').map((p) => h('div.key', h('span.dot', { style: `background:${st.colours[p.id]}` }), `${p.id} ${p.name}`)),
    h('div.key', h('span.dot.breach'), 'unit in breach'),
    h('div.key', h('span.swatch', { style: 'background:#f1c40f' }), 'notice area'),
  );
}
