// The map: MapLibre GL with the basemap, the agreement's zones and lines, notices, the
// draft of a notice's place, and units; its controls sit where a line of the page's
// language ends (right in English, left in Arabic and Hebrew: the legend is where it
// starts), and its land and borders follow the light or dark theme.

import maplibregl from 'maplibre-gl';
import { h } from './util.js';
import { st, el } from './state.js';
import { t, isRtl, mapUiStrings } from './i18n.js';
import { isDark } from './theme.js';
import { RULE_COLOURS } from './colours.js';
import { round6, bboxOf } from './geo.js';
import { addLabels, placeLabels } from './labels.js';
import { scheduleUnits } from './units.js';
import { ensureUnitImage, addHeadingImage, HEADING_IMAGE } from './unitimages.js';
import { placeUnitLabels } from './unitlabels.js';
import { refreshNoticesLayer, refreshDraft } from './notices.js';
import { openPopup, popupFor } from './popups.js';
import { refreshIncidentsLayer, trackPointer, INCIDENT_RING } from './overlays.js';
import { applyVisibility } from './legend.js';
import { MeasureControl, measuring, addMeasurePoint, refreshMeasure } from './measure.js';
import { transformRequest, BASEMAP_SOURCE } from './basemap.js';
import { setPlaceLabelLayers } from './placelabels.js';
import { gapStyle, addHatchImage, themeGap, syncGapLayers } from './gaplayers.js';
import { placesLayer, addPlaceImage, themePlaces } from './places.js';
import { forceStyle, themeForce, syncForceLayers } from './forcelayers.js';

// What a click (or Enter at the centre) opens, topmost first.
const CLICKABLE = ['incidents', 'denials', 'places', 'units', 'zones-fill', 'lines', 'notices-fill'];

// The bundled basemap's colours: the sea and lakes as the map's CSS background (--sea).
const BASE = {
  light: { land: '#f4f1ea', borders: '#9a9a9a', water: '#c9dbe8', town: '#6d6458' },
  dark: { land: '#2b2f33', borders: '#6b7178', water: '#1a2a3a', town: '#a59c90' },
};

/** The bundled basemap's towns and lakes (src/data/levant.json), or empty collections. */
const EMPTY = { type: 'FeatureCollection', features: [] };


/** The map over `countries` (the bundled basemap) and, above it, `mission` (the server's
 * basemap as basemap.js prepares it), or null. */
export function buildMap(countries, mission = null, region = null) {
  const c = BASE[isDark() ? 'dark' : 'light'];
  const gap = gapStyle();
  const force = forceStyle();
  const map = new maplibregl.Map({
    container: el.mapDiv,
    // The bearer token on the server's basemap tiles.
    transformRequest,
    style: {
      version: 8,
      sources: {
        countries: { type: 'geojson', data: countries },
        water: { type: 'geojson', data: region?.water || EMPTY },
        towns: { type: 'geojson', data: region?.towns || EMPTY },
        ...(mission?.sources || {}),
        agreement: { type: 'geojson', data: st.meta.geojson },
        // Units carry their party only (the colour); updated by difference (updateData).
        units: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        // Each unit's last positions, as a line (ids as the units').
        trails: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        breaches: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        notices: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        draft: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        incidents: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        measure: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        // The gap between two drafts (the Talks tab): gaplayers.js.
        gap: gap.source,
        // The separation force (the Force tab): forcelayers.js.
        ...force.sources,
      },
      layers: [
        // No background layer: the sea is the map element's CSS background, seen through
        // the canvas where no land is drawn (a background layer is one more full-screen
        // pass per frame: a third of the frame time under a software renderer).
        { id: 'land', type: 'fill', source: 'countries', paint: { 'fill-color': c.land } },
        { id: 'water', type: 'fill', source: 'water', paint: { 'fill-color': c.water } },
        { id: 'borders', type: 'line', source: 'countries', paint: { 'line-color': c.borders, 'line-width': 0.8 } },
        // Towns as dots, bigger by population and zoom; their names are DOM labels
        // (placelabels.js), the biggest first.
        {
          id: 'towns', type: 'circle', source: 'towns',
          paint: {
            'circle-color': c.town,
            'circle-radius': ['interpolate', ['linear'], ['zoom'], 7, ['case', ['>=', ['get', 'population'], 50000], 2.5, 1.2], 12, ['case', ['>=', ['get', 'population'], 50000], 5, 3.5]],
            'circle-stroke-color': c.land, 'circle-stroke-width': 0.8,
          },
        },
        // The mission's own map above the bundled one, under everything of the agreement.
        ...(mission?.layers || []),
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
        ...gap.layers,
        ...force.under,
        // Checkpoints, observation posts and markers (places.js).
        placesLayer(),
        { id: 'notices-fill', type: 'fill', source: 'notices', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#f1c40f', 'fill-opacity': ['case', ['get', 'selected'], 0.45, 0.18] } },
        { id: 'notices-line', type: 'line', source: 'notices', paint: { 'line-color': '#b7950b', 'line-width': ['case', ['get', 'selected'], 3, 1.5] } },
        { id: 'draft-line', type: 'line', source: 'draft', paint: { 'line-color': '#000', 'line-width': 2, 'line-dasharray': [2, 1] } },
        { id: 'draft-points', type: 'circle', source: 'draft', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#000' } },
        { id: 'units-breach', type: 'circle', source: 'breaches', paint: { 'circle-radius': 10, 'circle-color': '#e00000', 'circle-opacity': 0.35, 'circle-stroke-color': '#e00000', 'circle-stroke-width': 2 } },
        // Trails under the units, in their party's colour, fading with zoom-out.
        {
          id: 'units-trails', type: 'line', source: 'trails',
          layout: { 'line-join': 'round', 'line-cap': 'round' },
          paint: {
            'line-color': ['match', ['get', 'party'], ...Object.entries(st.colours).flat(), '#555'],
            'line-width': ['interpolate', ['linear'], ['zoom'], 7, 1, 12, 2.5],
            'line-opacity': 0.7,
          },
        },
        // Units: the image of their category, party and the viewer's relation to it (made
        // once per kind when the map first asks for it: unitimages.js), never hidden by
        // collisions (10,000 units are shown, not thinned), smaller on a dense map.
        {
          id: 'units', type: 'symbol', source: 'units',
          layout: {
            'icon-image': ['get', 'icon'],
            'icon-size': unitIconSize(false),
            'icon-allow-overlap': true,
            'icon-ignore-placement': true,
            'icon-padding': 0,
          },
        },
        // The heading of a unit that moved: an arrow from its centre, turned with the map.
        {
          id: 'units-heading', type: 'symbol', source: 'units', filter: ['has', 'heading'],
          layout: {
            'icon-image': HEADING_IMAGE,
            'icon-size': unitIconSize(false),
            'icon-rotate': ['get', 'heading'],
            'icon-rotation-alignment': 'map',
            'icon-allow-overlap': true,
            'icon-ignore-placement': true,
          },
        },
        // Incidents reported with a place: a white dot in a dark red ring, above the units.
        ...force.over,
        { id: 'incidents', type: 'circle', source: 'incidents', paint: { 'circle-radius': ['case', ['get', 'selected'], 8, 6], 'circle-color': '#fff', 'circle-stroke-color': INCIDENT_RING, 'circle-stroke-width': ['case', ['get', 'selected'], 4, 3] } },
        // The measure tool's path: above everything, dark on light land and light on dark.
        { id: 'measure-fill', type: 'fill', source: 'measure', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#111', 'fill-opacity': 0.12 } },
        { id: 'measure-line', type: 'line', source: 'measure', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': '#111', 'line-width': 2.5, 'line-dasharray': [1, 1] } },
        { id: 'measure-points', type: 'circle', source: 'measure', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#fff', 'circle-stroke-color': '#111', 'circle-stroke-width': 2 } },
      ],
    },
    bounds: bboxOf(st.meta.geojson) || [[35.0, 32.5], [36.6, 33.6]],
    // Room for the legend where a line starts (and the zoom buttons where it ends), so
    // that neither covers the agreement's zones or the units in them.
    fitBoundsOptions: { padding: framePadding() },
    attributionControl: false,
    locale: mapUiStrings(),
  });
  st.map = map;
  placeControls();
  trackPointer(map);
  // A unit's image is drawn the first time the map needs it (one per category, party and
  // relation), then shared by every unit of that kind.
  map.on('styleimagemissing', (e) => {
    if (e.id === HEADING_IMAGE) return addHeadingImage(map);
    if (String(e.id).startsWith('hatch-')) return addHatchImage(map, e.id);
    if (addPlaceImage(map, String(e.id))) return;
    const [kind, party, category] = String(e.id).split('|');
    if (kind === 'unit') ensureUnitImage(map, category, party);
  });
  map.on('load', () => {
    // The mission's places when it brings its map (its own names, over its own drawing),
    // else the bundled towns.
    setPlaceLabelLayers(map, mission ? mission.labelLayers : ['towns']);
    addLabels(map);
    refreshIncidentsLayer();
    applyVisibility();
    st.mapReady = true;
    el.mapDiv.dataset.ready = 'true';
    refreshMeasure();
    scheduleUnits(); // units that arrived before the map was ready
    refreshNoticesLayer();
    syncGapLayers();
    syncForceLayers();
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
      el.mapDiv.dataset.renderedPlaces = String(map.queryRenderedFeatures({ layers: ['places'] }).length);
    }, 300);
  });
  map.on('movestart', () => clearTimeout(countTimer));
  map.on('moveend', () => {
    placeLabels();
    placeUnitLabels();
  });
  map.on('resize', () => placeLabels());
  map.on('error', (e) => {
    // A tile the mission's file does not hold answers 404: the bundled map shows there.
    if (e.sourceId === BASEMAP_SOURCE && e.error?.status === 404) return;
    el.mapStatus.textContent = t('map.error', { why: e.error?.message || e });
  });
  map.on('click', (e) => {
    if (measuring()) {
      addMeasurePoint(e.lngLat);
      return;
    }
    if (st.pickPlace) {
      st.pickPlace(e.lngLat);
      return;
    }
    if (st.draft.mode) {
      st.draft.points.push([round6(e.lngLat.lng), round6(e.lngLat.lat)]);
      refreshDraft();
      return;
    }
    const hits = map.queryRenderedFeatures(e.point, { layers: CLICKABLE });
    if (hits.length) openPopup(e.lngLat, popupFor(hits[0]));
  });
  // The map by keyboard: MapLibre pans with the arrow keys and zooms with + and -; Enter
  // opens the details of what is under the cross at the centre (Escape closes them).
  map.getCanvas().addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    // Measuring, drawing a notice's place, or picking an incident's: Enter takes the centre.
    if (measuring()) return addMeasurePoint(map.getCenter());
    if (st.pickPlace) return st.pickPlace(map.getCenter());
    if (st.draft.mode) {
      st.draft.points.push([round6(map.getCenter().lng), round6(map.getCenter().lat)]);
      return refreshDraft();
    }
    const c = map.project(map.getCenter());
    const hits = map.queryRenderedFeatures([[c.x - 10, c.y - 10], [c.x + 10, c.y + 10]], { layers: CLICKABLE });
    openPopup(map.getCenter(), hits.length ? popupFor(hits[0]) : h('p', t('map.nothingHere')), map.getCanvas());
  });
  for (const layer of ['incidents', 'denials', 'places', 'units', 'zones-fill', 'lines']) {
    map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = st.draft.mode || measuring() ? 'crosshair' : 'pointer'));
    map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = st.draft.mode || measuring() ? 'crosshair' : ''));
  }
  return map;
}

/** The map's controls, where a line of the page's language ends (zoom buttons at the top,
 * scale and attribution at the bottom, away from the legend), with their strings in it.
 * Called again when the language changes. */
export function placeControls() {
  const map = st.map;
  if (!map) return;
  map._locale = { ...map._locale, ...mapUiStrings() };
  for (const c of st.mapControls || []) map.removeControl(c);
  const side = isRtl() ? 'left' : 'right';
  st.mapControls = [
    new maplibregl.NavigationControl({ showCompass: false }),
    new maplibregl.ScaleControl({ unit: 'metric' }),
    new maplibregl.AttributionControl({ compact: true, customAttribution: ATTRIBUTION }),
    new MeasureControl(),
  ];
  map.addControl(st.mapControls[0], `top-${side}`);
  map.addControl(st.mapControls[3], `top-${side}`);
  map.addControl(st.mapControls[1], `bottom-${side}`);
  map.addControl(st.mapControls[2], `bottom-${side}`);
  map.getCanvas().setAttribute('aria-label', t('map.canvasLabel'));
}

// What the bundled basemap is made of (the mission's file adds its own attribution).
const ATTRIBUTION = 'Natural Earth (world-atlas); towns: GeoNames (CC BY 4.0); lakes: © OpenStreetMap contributors (ODbL)';

/** Padding for fitting the agreement into view, clear of the legend and the controls. */
export function framePadding() {
  const legend = el.legend?.getBoundingClientRect();
  const side = legend ? Math.min(legend.width + 20, (el.mapDiv.clientWidth || 400) / 3) : 40;
  return isRtl() ? { top: 40, bottom: 40, left: 50, right: side } : { top: 40, bottom: 40, left: side, right: 50 };
}

/** Land and borders for the light or dark theme. */
export function themeMap(dark) {
  if (!st.map || !st.mapReady) return;
  const c = BASE[dark ? 'dark' : 'light'];
  st.map.setPaintProperty('land', 'fill-color', c.land);
  st.map.setPaintProperty('borders', 'line-color', c.borders);
  st.map.setPaintProperty('water', 'fill-color', c.water);
  st.map.setPaintProperty('towns', 'circle-color', c.town);
  st.map.setPaintProperty('towns', 'circle-stroke-color', c.land);
  themeGap();
  themePlaces();
  themeForce();
}

// Unit symbols. With thousands of units, drawing them is most of a frame's work under a
// software renderer (it grows with their area), and full-size symbols would cover the
// zones anyway: dense maps draw them smaller until zoomed well in.
export const DENSE_UNITS = 2000;

export function unitIconSize(dense) {
  return dense
    ? ['interpolate', ['linear'], ['zoom'], 6, 0.3, 9, 0.5, 12, 0.9]
    : ['interpolate', ['linear'], ['zoom'], 6, 0.55, 10, 0.9, 13, 1];
}
