// The agreement's places: checkpoints, observation posts and markers (Point features of
// the map's GeoJSON with `properties.kind`), each kind a symbol of its own drawn here on a
// canvas (a square gate for a checkpoint, a triangle for an observation post, a diamond for
// a marker: they read apart without colour too), in the light or the dark theme's colours,
// above the zones and lines; their names are DOM labels like the other features'.

import { st } from './state.js';
import { isDark } from './theme.js';

export const PLACE_KINDS = ['checkpoint', 'observation_post', 'marker'];
export const PLACES_LAYER = 'places';

const COLOURS = {
  light: { checkpoint: '#00577a', observation_post: '#6a3d9a', marker: '#3d3d3d', edge: '#ffffff' },
  dark: { checkpoint: '#56b4e9', observation_post: '#c5a3ff', marker: '#e0e0e0', edge: '#101418' },
};

const SIZE = 22; // CSS pixels
const RATIO = 2;

export const isPlace = (f) => f?.geometry?.type === 'Point';
export const placeKind = (f) => (PLACE_KINDS.includes(f?.properties?.kind) ? f.properties.kind : 'marker');
export const placeImageId = (kind) => `place-${kind}`;

/** One place symbol as a canvas (also the legend's swatch). */
export function placeCanvas(kind, dark = isDark()) {
  const c = COLOURS[dark ? 'dark' : 'light'];
  const n = SIZE * RATIO;
  const canvas = document.createElement('canvas');
  canvas.width = n;
  canvas.height = n;
  const g = canvas.getContext('2d');
  g.scale(RATIO, RATIO);
  const s = SIZE;
  g.lineJoin = 'round';
  g.beginPath();
  if (kind === 'checkpoint') g.rect(4, 4, s - 8, s - 8);
  else if (kind === 'observation_post') {
    g.moveTo(s / 2, 2.5);
    g.lineTo(s - 2.5, s - 4);
    g.lineTo(2.5, s - 4);
    g.closePath();
  } else {
    g.moveTo(s / 2, 2.5);
    g.lineTo(s - 3.5, s / 2);
    g.lineTo(s / 2, s - 2.5);
    g.lineTo(3.5, s / 2);
    g.closePath();
  }
  g.fillStyle = c[kind];
  g.strokeStyle = c.edge;
  g.lineWidth = 2.5;
  g.stroke();
  g.fill();
  // What is inside: a checkpoint's barrier, an observation post's eye, a marker's dot.
  g.strokeStyle = c.edge;
  g.fillStyle = c.edge;
  g.lineWidth = 2;
  if (kind === 'checkpoint') {
    g.beginPath();
    g.moveTo(7, s / 2);
    g.lineTo(s - 7, s / 2);
    g.stroke();
  } else if (kind === 'observation_post') {
    g.beginPath();
    g.arc(s / 2, s * 0.56, 2.2, 0, 2 * Math.PI);
    g.fill();
  } else {
    g.beginPath();
    g.arc(s / 2, s / 2, 1.8, 0, 2 * Math.PI);
    g.fill();
  }
  return canvas;
}

function imageOf(kind) {
  const c = placeCanvas(kind);
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height);
  return { width: c.width, height: c.height, data: new Uint8Array(data.data.buffer) };
}

/** Adds the symbol `id` to the map (from styleimagemissing); false if it is not a place's. */
export function addPlaceImage(map, id) {
  const kind = PLACE_KINDS.find((k) => placeImageId(k) === id);
  if (!kind) return false;
  if (!map.hasImage(id)) map.addImage(id, imageOf(kind), { pixelRatio: RATIO });
  return true;
}

/** The symbols drawn again in the theme's colours. */
export function themePlaces() {
  for (const img of document.querySelectorAll('img.place-swatch[data-place]')) img.src = placeCanvas(img.dataset.place).toDataURL();
  const map = st.map;
  if (!map || !st.mapReady) return;
  for (const k of PLACE_KINDS) if (map.hasImage(placeImageId(k))) map.updateImage(placeImageId(k), imageOf(k));
}

/** The places' layer, for the map's style (above the zones and lines). */
export function placesLayer() {
  return {
    id: PLACES_LAYER, type: 'symbol', source: 'agreement', filter: ['==', ['geometry-type'], 'Point'],
    layout: {
      'icon-image': ['concat', 'place-', ['match', ['get', 'kind'], ['checkpoint', 'observation_post'], ['get', 'kind'], 'marker']],
      'icon-size': ['interpolate', ['linear'], ['zoom'], 6, 0.7, 10, 1],
      'icon-allow-overlap': true,
      'icon-ignore-placement': true,
    },
  };
}

/** The places' filter: the kinds the legend shows. */
export function placesFilter(hidden) {
  return ['all', ['==', ['geometry-type'], 'Point'], ['!', ['in', ['get', 'kind'], ['literal', PLACE_KINDS.filter((k) => hidden.has(`place-${k}`))]]]];
}

/** The kinds of place the agreement has, in PLACE_KINDS order. */
export function placeKinds() {
  const have = new Set((st.meta?.geojson?.features || []).filter(isPlace).map(placeKind));
  return PLACE_KINDS.filter((k) => have.has(k));
}
