// The gap between two drafts on the map: each zone's pieces (only in draft A, only in B, in
// both) filled with a hatch of its own (drawn here on a canvas and added to the map as an
// image, so that the three read apart without colour too: "/" for A, "\" for B, dots for
// both), their edges, and the changed lines as each draft draws them (A solid, B dashed).
// Shown only while the Talks tab is open and a gap has been loaded.

import { st } from './state.js';
import { isDark } from './theme.js';

export const GAP_PIECES = ['only_a', 'only_b', 'both'];
export const GAP_FILL_LAYERS = { only_a: 'gap-only-a', only_b: 'gap-only-b', both: 'gap-both' };
const LINE_LAYERS = ['gap-line-a', 'gap-line-b'];
const ALL_LAYERS = [...Object.values(GAP_FILL_LAYERS), 'gap-edge', ...LINE_LAYERS];

/** Colours of A, B and both, for the light and the dark land (Okabe and Ito's blue,
 * vermillion and bluish green; lighter on dark land). */
const COLOURS = {
  light: { only_a: '#0072B2', only_b: '#D55E00', both: '#007A5A' },
  dark: { only_a: '#56B4E9', only_b: '#F08A4B', both: '#3FD3A5' },
};

export function gapColour(piece) {
  return COLOURS[isDark() ? 'dark' : 'light'][piece];
}

const SIZE = 12; // the pattern's tile, CSS pixels
const RATIO = 2;

/** One hatch tile as a canvas (also the legend's swatch). */
export function hatchCanvas(piece, dark = isDark()) {
  const colour = COLOURS[dark ? 'dark' : 'light'][piece];
  const n = SIZE * RATIO;
  const c = document.createElement('canvas');
  c.width = n;
  c.height = n;
  const g = c.getContext('2d');
  g.scale(RATIO, RATIO);
  // A faint wash, so that the piece is seen as an area between the strokes.
  g.globalAlpha = 0.14;
  g.fillStyle = colour;
  g.fillRect(0, 0, SIZE, SIZE);
  g.globalAlpha = 0.9;
  g.strokeStyle = colour;
  g.fillStyle = colour;
  g.lineWidth = 1.6;
  g.lineCap = 'square';
  const s = SIZE;
  const stroke = (segments) => {
    g.beginPath();
    for (const [x1, y1, x2, y2] of segments) {
      g.moveTo(x1, y1);
      g.lineTo(x2, y2);
    }
    g.stroke();
  };
  // Diagonals that continue across the tile's edges.
  if (piece === 'only_a') stroke([[0, s, s, 0], [-s / 2, s / 2, s / 2, -s / 2], [s / 2, s * 1.5, s * 1.5, s / 2]]);
  else if (piece === 'only_b') stroke([[0, 0, s, s], [-s / 2, s / 2, s / 2, s * 1.5], [s / 2, -s / 2, s * 1.5, s / 2]]);
  else {
    for (const [x, y] of [[s / 4, s / 4], [(3 * s) / 4, (3 * s) / 4]]) {
      g.beginPath();
      g.arc(x, y, 1.4, 0, 2 * Math.PI);
      g.fill();
    }
  }
  return c;
}

export const hatchId = (piece) => `hatch-${piece}`;

function imageOf(piece) {
  const c = hatchCanvas(piece);
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height);
  return { width: c.width, height: c.height, data: new Uint8Array(data.data.buffer) };
}

/** Adds the hatch `id` to the map (from the map's styleimagemissing, or at load). */
export function addHatchImage(map, id) {
  const piece = GAP_PIECES.find((p) => hatchId(p) === id);
  if (!piece || map.hasImage(id)) return;
  map.addImage(id, imageOf(piece), { pixelRatio: RATIO });
}

/** The hatches drawn again in the theme's colours. */
export function themeGap() {
  const map = st.map;
  if (!map || !st.mapReady) return;
  for (const p of GAP_PIECES) {
    if (map.hasImage(hatchId(p))) map.updateImage(hatchId(p), imageOf(p));
    else addHatchImage(map, hatchId(p));
  }
  map.setPaintProperty('gap-edge', 'line-color', edgeColour());
  map.setPaintProperty('gap-line-a', 'line-color', gapColour('only_a'));
  map.setPaintProperty('gap-line-b', 'line-color', gapColour('only_b'));
}

function edgeColour() {
  return ['match', ['get', 'piece'], 'only_a', gapColour('only_a'), 'only_b', gapColour('only_b'), gapColour('both')];
}

/** The gap's source and layers, for the map's style (above the agreement's zones and lines,
 * under notices and units); hidden until a gap is shown. */
export function gapStyle() {
  const hidden = { visibility: 'none' };
  const piece = (p) => ['==', ['get', 'piece'], p];
  const changedLine = (d) => ['all', ['==', ['get', 'draft'], d], ['!=', ['get', 'status'], 'same']];
  return {
    source: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    layers: [
      ...GAP_PIECES.map((p) => ({ id: GAP_FILL_LAYERS[p], type: 'fill', source: 'gap', filter: piece(p), layout: hidden, paint: { 'fill-pattern': hatchId(p) } })),
      { id: 'gap-edge', type: 'line', source: 'gap', filter: ['has', 'piece'], layout: hidden, paint: { 'line-color': edgeColour(), 'line-width': 1.2 } },
      { id: 'gap-line-a', type: 'line', source: 'gap', filter: changedLine('a'), layout: { ...hidden, 'line-cap': 'round' }, paint: { 'line-color': gapColour('only_a'), 'line-width': 3 } },
      { id: 'gap-line-b', type: 'line', source: 'gap', filter: changedLine('b'), layout: hidden, paint: { 'line-color': gapColour('only_b'), 'line-width': 3, 'line-dasharray': [2, 1.5] } },
    ],
  };
}

/** What the person hid of the gap (legend toggles): pieces and 'lines'. */
export const gapHidden = new Set();

/** The gap's layers shown or hidden: shown on the Talks tab while a gap is loaded. */
export function syncGapLayers() {
  const map = st.map;
  if (!map || !st.mapReady || !map.getLayer('gap-edge')) return;
  const on = st.tab === 'talks' && !!st.talks?.gap;
  const set = (id, visible) => map.getLayoutProperty(id, 'visibility') !== (visible ? 'visible' : 'none') && map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  for (const p of GAP_PIECES) set(GAP_FILL_LAYERS[p], on && !gapHidden.has(p));
  set('gap-edge', on);
  for (const id of LINE_LAYERS) set(id, on && !gapHidden.has('lines'));
  st.map.getContainer().dataset.gap = on ? st.talks.gapKey : '';
}

/** The gap's features on the map. */
export function setGapData(geojson) {
  st.map?.getSource('gap')?.setData(geojson || { type: 'FeatureCollection', features: [] });
  syncGapLayers();
}

export { ALL_LAYERS as GAP_LAYERS };
