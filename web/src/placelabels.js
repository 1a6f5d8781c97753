// Names of the basemap's places (towns of the bundled basemap, named points of a mission's
// vector tiles) as DOM labels over the map: the map has no glyph server, and the browser
// shapes Arabic and Hebrew as MapLibre alone would not. After the map settles, the named
// points drawn by the label layers are read back (queryRenderedFeatures), the biggest
// first, and each is placed where it overlaps no label already placed and none of the
// map's own furniture; while the map moves the placed labels follow it. Names come in the
// page's language (`name:ar`, ... as OpenStreetMap tags them), else `name`.

import { h } from './util.js';
import { st, el } from './state.js';
import { localName, isRtl } from './i18n.js';

const MAX_LABELS = 60;

let layers = [];
let placed = []; // { lngLat, element }
let box = null;

/** Labels the named points of `ids` (circle or symbol layers). */
export function setPlaceLabelLayers(map, ids) {
  layers = ids;
  box ||= h('div.place-labels', { 'aria-hidden': 'true' });
  map.getCanvasContainer().append(box);
  let timer = 0;
  map.on('idle', () => {
    clearTimeout(timer);
    timer = setTimeout(() => !map.isMoving() && refreshPlaceLabels(), 120);
  });
  map.on('move', follow);
}

/** Bigger places first: population where the data gives it, else a rank (lower first). */
function weight(p) {
  const pop = Number(p.population ?? p.pop ?? p.population_rank);
  if (Number.isFinite(pop)) return pop;
  const rank = Number(p.rank ?? p.min_zoom ?? p.scalerank);
  return Number.isFinite(rank) ? -rank : -1e9;
}

const overlaps = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

export function refreshPlaceLabels() {
  const map = st.map;
  if (!map || !box) return;
  const present = layers.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
  const hits = present.length ? map.queryRenderedFeatures({ layers: present }) : [];
  const seen = new Set();
  const candidates = [];
  for (const f of hits) {
    if (f.geometry.type !== 'Point') continue;
    const name = localName(f.properties, '');
    if (!name || seen.has(name)) continue;
    seen.add(name);
    candidates.push({ name, lngLat: f.geometry.coordinates, weight: weight(f.properties) });
  }
  candidates.sort((a, b) => b.weight - a.weight);
  const frame = el.mapDiv.getBoundingClientRect();
  const rect = (e) => {
    const r = e.getBoundingClientRect();
    return { x1: r.left - frame.left, y1: r.top - frame.top, x2: r.right - frame.left, y2: r.bottom - frame.top };
  };
  // The map's furniture and the agreement's own labels keep their places.
  const taken = [el.legend, el.mapStatus, el.readout, el.measureBox, ...el.mapDiv.querySelectorAll('.maplibregl-ctrl, .map-label[data-shown=true]')]
    .filter((e) => e?.offsetParent).map(rect);
  box.replaceChildren();
  placed = [];
  const rtl = isRtl();
  for (const c of candidates) {
    if (placed.length >= MAX_LABELS) break;
    const element = h('div.place-label', c.name);
    box.append(element);
    const p = map.project(c.lngLat);
    const w = element.offsetWidth;
    const hgt = element.offsetHeight;
    // Beside the point, where a line of the page's language goes on (right of it in
    // English, left of it in Arabic and Hebrew).
    const x1 = rtl ? p.x - 4 - w : p.x + 4;
    const r = { x1, y1: p.y - hgt / 2, x2: x1 + w, y2: p.y + hgt / 2 };
    if (r.x1 < 0 || r.y1 < 0 || r.x2 > frame.width || r.y2 > frame.height || taken.some((t) => overlaps(t, r))) {
      element.remove();
      continue;
    }
    taken.push(r);
    placed.push({ lngLat: c.lngLat, element, name: c.name, dx: x1 - p.x });
    element.style.transform = `translate(${Math.round(x1)}px, ${Math.round(p.y - hgt / 2)}px)`;
  }
  box.dataset.count = String(placed.length);
  box.dataset.names = placed.map((l) => l.name).join('|');
}

function follow() {
  const map = st.map;
  for (const l of placed) {
    const p = map.project(l.lngLat);
    l.element.style.transform = `translate(${Math.round(p.x + l.dx)}px, ${Math.round(p.y - l.element.offsetHeight / 2)}px)`;
  }
}
