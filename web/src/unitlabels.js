// Units' labels (their ids) beside their symbols, as DOM markers (the map has no glyph
// server for its own text): drawn only when few units are in view (zoomed in), so that
// 10,000 units never make 10,000 labels; hidden and shown from the legend ("Labels").

import maplibregl from 'maplibre-gl';
import { h } from './util.js';
import { st, el } from './state.js';

export const UNIT_LABELS_MAX = 120;
const markers = new Map(); // unit -> Marker
let frame = 0;

/** Places the labels of the units in view on the next frame (once, however often asked). */
export function placeUnitLabels() {
  frame ||= requestAnimationFrame(place);
}

function clearAll() {
  for (const m of markers.values()) m.remove();
  markers.clear();
}

function place() {
  frame = 0;
  const map = st.map;
  if (!map || !st.mapReady) return clearAll();
  const off = st.hidden?.layers.has('labels');
  const inView = [];
  if (!off) {
    const b = map.getBounds();
    const [w, s, e, n] = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
    for (const row of st.unitRows.values()) {
      if (row[4] < w || row[4] > e || row[5] < s || row[5] > n || st.hidden.principals.has(row[1])) continue;
      inView.push(row);
      if (inView.length > UNIT_LABELS_MAX) break;
    }
  }
  const tooMany = inView.length > UNIT_LABELS_MAX;
  // Labels that would overlap one already placed wait until the view leaves room (zoom
  // in): first come, first placed, in the order the units came.
  const wanted = new Map();
  if (!off && !tooMany) {
    const taken = [];
    for (const r of inView) {
      const p = map.project([r[4], r[5]]);
      const box = { x1: p.x + 12, y1: p.y - 9, x2: p.x + 18 + 7 * r[0].length, y2: p.y + 9 };
      if (taken.some((t) => box.x1 < t.x2 && t.x1 < box.x2 && box.y1 < t.y2 && t.y1 < box.y2)) continue;
      // Nor over another unit's symbol.
      taken.push(box, { x1: p.x - 11, y1: p.y - 11, x2: p.x + 11, y2: p.y + 11 });
      wanted.set(r[0], r);
    }
  }
  for (const [name, m] of markers) if (!wanted.has(name)) { m.remove(); markers.delete(name); }
  for (const [name, row] of wanted) {
    const m = markers.get(name);
    if (m) m.setLngLat([row[4], row[5]]);
    else {
      const element = h('div.unit-label', { dir: 'ltr', 'aria-hidden': 'true', dataset: { unit: name } }, name);
      markers.set(name, new maplibregl.Marker({ element, anchor: 'left', offset: [14, 0] }).setLngLat([row[4], row[5]]).addTo(map));
    }
  }
  el.mapDiv.dataset.unitLabels = String(markers.size);
  el.mapDiv.dataset.unitLabelsState = off ? 'hidden' : tooMany ? 'zoom-in' : wanted.size < inView.length ? 'some' : 'shown';
}

/** Signing out: the markers go with the map. */
export function resetUnitLabels() {
  cancelAnimationFrame(frame);
  frame = 0;
  markers.clear();
}
