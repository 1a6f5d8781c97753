import maplibregl from 'maplibre-gl';
import { h } from './util.js';
import { st, el } from './state.js';
import { bboxOf } from './geo.js';
import { isPlace, placeKind } from './places.js';

// ---------------------------------------------------------------- zone and line labels

// Names of zones and lines as DOM markers (no glyph server for map text), placed so that
// they never overlap one another or the map's controls: each label has candidate points
// inside its zone (or along its line), and labels are placed by priority of their rule
// (exclusion, standoff, cap, none), each at its first candidate whose box is free; one
// that fits nowhere is hidden until the view leaves room (its details stay in Map items).
const LABEL_PRIORITY = { exclusion: 0, standoff: 1, cap: 2, none: 3 };
// A place's name sits under its symbol (places.js), before the zones' names.
const PLACE_OFFSET = [0, 17];
const LABEL_FRACTIONS = [0.5, 0.3, 0.7, 0.15, 0.85, 0.4, 0.6, 0.22, 0.78, 0.08, 0.92];

/** Candidate points for a feature's label, best first: around a preferred latitude (or
 * point along a line) that differs from one feature to the next, so that side-by-side
 * strips do not line their names up in a row. */
export function labelCandidates(f, i = 0) {
  const pref = [0.5, 0.3, 0.7, 0.4, 0.6][i % 5];
  const fractions = [...LABEL_FRACTIONS].sort((p, q) => Math.abs(p - pref) - Math.abs(q - pref));
  const g = f.geometry;
  if (g.type === 'Point') return [g.coordinates];
  if (g.type === 'LineString' || g.type === 'MultiLineString') {
    const line = g.type === 'LineString' ? g.coordinates : g.coordinates[0];
    return fractions.map((fr) => line[Math.round((line.length - 1) * fr)]);
  }
  const ring = g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0][0];
  const b = bboxOf({ features: [f] });
  const out = [];
  for (const fr of fractions) {
    const y = b[1][1] - (b[1][1] - b[0][1]) * fr;
    const xs = [];
    for (let k = 0; k + 1 < ring.length; k++) {
      const [[x1, y1], [x2, y2]] = [ring[k], ring[k + 1]];
      if ((y1 <= y) !== (y2 <= y)) xs.push(x1 + ((y - y1) * (x2 - x1)) / (y2 - y1));
    }
    xs.sort((p, q) => p - q);
    // The widest span inside the ring at this latitude.
    let best = null;
    for (let k = 0; k + 1 < xs.length; k += 2) if (!best || xs[k + 1] - xs[k] > best[1] - best[0]) best = [xs[k], xs[k + 1]];
    if (best) out.push([(best[0] + best[1]) / 2, y]);
  }
  return out.length ? out : [[(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2]];
}

export function addLabels(map) {
  st.labels = st.meta.geojson.features
    .map((f, i) => {
      const style = f.properties.style;
      const place = isPlace(f);
      const element = h(`div.map-label.k-${place ? `place.place-${placeKind(f)}` : style}`, { 'aria-hidden': 'true' }, f.properties.id);
      const candidates = labelCandidates(f, i);
      const offset = place ? PLACE_OFFSET : [0, 0];
      const marker = new maplibregl.Marker({ element, offset }).setLngLat(candidates[0]).addTo(map);
      return { f, element, marker, candidates, offset, place: place ? placeKind(f) : null, priority: place ? -1 : (LABEL_PRIORITY[style] ?? 3) + (f.properties.shape === 'line' ? 0.5 : 0) };
    })
    .sort((p, q) => p.priority - q.priority);
  placeLabels();
}

const overlaps = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

export function placeLabels() {
  const map = st.map;
  if (!map || !st.labels) return;
  const box = el.mapDiv.getBoundingClientRect();
  const rect = (e) => {
    const r = e.getBoundingClientRect();
    return { x1: r.left - box.left, y1: r.top - box.top, x2: r.right - box.left, y2: r.bottom - box.top };
  };
  // The map's own furniture is taken.
  const taken = [el.legend, el.mapStatus, el.readout, el.measureBox, ...el.mapDiv.querySelectorAll('.maplibregl-ctrl')].filter((e) => e?.offsetParent).map(rect);
  let shown = 0;
  for (const l of st.labels) {
    // A label of a kind hidden from the legend is hidden with its zone or line.
    l.element.dataset.off = String(!!l.hidden);
    if (l.hidden) {
      l.element.style.visibility = 'hidden';
      l.element.dataset.shown = 'false';
      continue;
    }
    const w = l.element.offsetWidth + 4;
    const hgt = l.element.offsetHeight + 2;
    let placed = null;
    for (const c of l.candidates) {
      const p = map.project(c);
      p.x += l.offset[0];
      p.y += l.offset[1];
      const r = { x1: p.x - w / 2, y1: p.y - hgt / 2, x2: p.x + w / 2, y2: p.y + hgt / 2 };
      if (r.x1 < 0 || r.y1 < 0 || r.x2 > box.width || r.y2 > box.height) continue;
      if (taken.some((t) => overlaps(r, t))) continue;
      placed = [c, r];
      break;
    }
    l.element.style.visibility = placed ? 'visible' : 'hidden';
    l.element.dataset.shown = String(!!placed);
    if (placed) {
      l.marker.setLngLat(placed[0]);
      taken.push(placed[1]);
      shown++;
    }
  }
  el.mapDiv.dataset.labelsShown = String(shown);
}
