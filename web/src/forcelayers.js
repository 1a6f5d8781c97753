// The separation force on the map (the Force tab): the selected patrol's planned route
// (dashed), its corridor (a wide translucent band, as wide on the ground as the corridor
// on either side of the route, so that it scales with the zoom like a buffer), the track
// the patrol reported (solid) and its last report; the stretches of the agreement's lines
// and zone edges patrolled in the last day or week; and denials of access. Shown while the
// Force tab is open.

import { st } from './state.js';
import { isDark } from './theme.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
export const FORCE_LAYERS = ['force-coverage', 'force-corridor', 'force-route', 'force-track', 'force-last', 'denials'];

// Okabe and Ito's colours: blue for the plan, vermillion for the track, bluish green for
// the coverage, yellow for denials (lighter on dark land).
const COLOURS = {
  light: { route: '#0072B2', track: '#D55E00', coverage: '#009E73', denial: '#E69F00', ring: '#3b2500' },
  dark: { route: '#56B4E9', track: '#F08A4B', coverage: '#3FD3A5', denial: '#F0C040', ring: '#fff3d0' },
};

export function forceColour(what) {
  return COLOURS[isDark() ? 'dark' : 'light'][what];
}

/** Pixels per metre at zoom 0 at latitude `lat` (MapLibre's 512-pixel world). */
const pxPerMetreZ0 = (lat) => 512 / (40075016.686 * Math.cos((lat * Math.PI) / 180));

/** The force's sources and layers for the map's style: `under` above the agreement's
 * zones and lines (under units), `over` above the units. Hidden until the tab shows them. */
export function forceStyle() {
  const hidden = { visibility: 'none' };
  const c = COLOURS[isDark() ? 'dark' : 'light'];
  return {
    sources: {
      'force-route': { type: 'geojson', data: EMPTY },
      'force-track': { type: 'geojson', data: EMPTY },
      coverage: { type: 'geojson', data: EMPTY },
      denials: { type: 'geojson', data: EMPTY },
    },
    under: [
      { id: 'force-coverage', type: 'line', source: 'coverage', layout: { ...hidden, 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': c.coverage, 'line-width': 6, 'line-opacity': 0.7 } },
      // The corridor: both sides of the route, in metres on the ground at every zoom.
      {
        id: 'force-corridor', type: 'line', source: 'force-route', layout: { ...hidden, 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': c.route, 'line-opacity': 0.18, 'line-width': ['interpolate', ['exponential', 2], ['zoom'], 0, ['get', 'w0'], 22, ['*', ['get', 'w0'], 2 ** 22]] },
      },
      { id: 'force-route', type: 'line', source: 'force-route', layout: hidden, paint: { 'line-color': c.route, 'line-width': 2.5, 'line-dasharray': [3, 2] } },
      { id: 'force-track', type: 'line', source: 'force-track', filter: ['==', ['geometry-type'], 'LineString'], layout: { ...hidden, 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': c.track, 'line-width': 3 } },
      { id: 'force-last', type: 'circle', source: 'force-track', filter: ['==', ['geometry-type'], 'Point'], layout: hidden, paint: { 'circle-radius': 6, 'circle-color': c.track, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
    ],
    over: [
      { id: 'denials', type: 'circle', source: 'denials', layout: hidden, paint: { 'circle-radius': 7, 'circle-color': c.denial, 'circle-stroke-color': c.ring, 'circle-stroke-width': 2.5 } },
    ],
  };
}

/** The layers' colours for the theme. */
export function themeForce() {
  const map = st.map;
  if (!map || !st.mapReady || !map.getLayer('force-route')) return;
  map.setPaintProperty('force-coverage', 'line-color', forceColour('coverage'));
  map.setPaintProperty('force-corridor', 'line-color', forceColour('route'));
  map.setPaintProperty('force-route', 'line-color', forceColour('route'));
  map.setPaintProperty('force-track', 'line-color', forceColour('track'));
  map.setPaintProperty('force-last', 'circle-color', forceColour('track'));
  map.setPaintProperty('denials', 'circle-color', forceColour('denial'));
  map.setPaintProperty('denials', 'circle-stroke-color', forceColour('ring'));
}

/** A route's feature with its corridor's width for the corridor layer. */
export function routeFeature(id, route, corridorM) {
  const lat = route.reduce((a, p) => a + p[1], 0) / (route.length || 1);
  return { type: 'Feature', properties: { patrol: id, corridor_m: corridorM, w0: 2 * corridorM * pxPerMetreZ0(lat) }, geometry: { type: 'LineString', coordinates: route } };
}

const data = { route: EMPTY, track: EMPTY, coverage: EMPTY, denials: EMPTY };

/** What the layers draw: any of { route, track, coverage, denials } (FeatureCollections). */
export function setForceData(next) {
  Object.assign(data, next);
  const map = st.map;
  if (!map || !st.mapReady) return;
  if ('route' in next) map.getSource('force-route')?.setData(next.route || EMPTY);
  if ('track' in next) map.getSource('force-track')?.setData(next.track || EMPTY);
  if ('coverage' in next) map.getSource('coverage')?.setData(next.coverage || EMPTY);
  if ('denials' in next) map.getSource('denials')?.setData(next.denials || EMPTY);
  syncForceLayers();
}

/** The layers shown or hidden: on the Force tab, the patrol's when one is selected, the
 * coverage when it is switched on, the denials always. */
export function syncForceLayers() {
  const map = st.map;
  if (!map || !st.mapReady || !map.getLayer('force-route')) return;
  const F = st.force;
  const on = st.tab === 'force' && !!F;
  const set = (id, visible) => map.getLayoutProperty(id, 'visibility') !== (visible ? 'visible' : 'none') && map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  const patrol = on && !!F.selected;
  for (const id of ['force-corridor', 'force-route', 'force-track', 'force-last']) set(id, patrol);
  set('force-coverage', on && F.coverageOn);
  set('denials', on);
  const box = map.getContainer().dataset;
  box.forcePatrol = patrol ? F.selected : '';
  box.forceCoverage = on && F.coverageOn ? String(F.coverageDays) : '';
  box.forceRoute = String(patrol ? data.route.features.length : 0);
  box.forceTrack = String(patrol ? data.track.features.filter((f) => f.geometry.type === 'LineString' && f.geometry.coordinates.length > 1).length : 0);
}
