// The measure tool: a button among the map's controls; while it is on, each click on the map
// (or Enter on it, which takes the centre) adds a point. Measuring a distance, the map
// shows the path and its length along the great circle (WGS 84's mean radius), each leg
// and the total; measuring an area, the polygon the points make, its area in km² as the
// server measures zones (geo.js ringAreaKm2: on the sphere, edges straight in lon/lat) and
// its perimeter (great circles, back to the first point). Escape or the button again ends
// it, "Clear" starts again. Nothing is sent anywhere.

import { h, clear, km, num } from './util.js';
import { st, el } from './state.js';
import { t } from './i18n.js';
import { round6, pathKm, ringAreaKm2 } from './geo.js';

st.measure = { on: false, mode: 'distance', points: [] };

/** "12.3 km²": three significant figures or so, as km() does for lengths. */
export function km2(x) {
  const digits = x < 1 ? 3 : x < 10 ? 2 : x < 100 ? 1 : 0;
  return `${num(Math.round(x * 10 ** digits) / 10 ** digits, digits)} ${t('units.km2')}`;
}

export function setMeasureMode(mode) {
  st.measure.mode = mode === 'area' ? 'area' : 'distance';
  refreshMeasure();
}

/** A ruler, drawn (no icon font, no emoji: neither is there offline on every system). */
function rulerIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 20 20');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  // A ruler laid at 45°, with its ticks.
  path.setAttribute('d', 'M2.5 13.5 13.5 2.5l4 4-11 11z M6 10l1.6 1.6 M8 8l2.4 2.4 M10 6l1.6 1.6 M12 4l2.4 2.4');
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '1.4');
  path.setAttribute('stroke-linejoin', 'round');
  svg.append(path);
  return svg;
}

/** A MapLibre control: the button that turns measuring on and off. */
export class MeasureControl {
  onAdd() {
    this.box = h('div.maplibregl-ctrl.maplibregl-ctrl-group.measure-ctrl');
    this.button = h('button.measure-button#measure-toggle', { type: 'button', 'aria-pressed': String(st.measure.on), title: t('measure.toggle'), 'aria-label': t('measure.toggle'), onclick: () => setMeasuring(!st.measure.on) },
      rulerIcon());
    this.box.append(this.button);
    return this.box;
  }

  onRemove() {
    this.box.remove();
  }
}

export function measuring() {
  return st.measure.on;
}

export function setMeasuring(on) {
  st.measure.on = on;
  if (!on) st.measure.points = [];
  document.querySelectorAll('#measure-toggle').forEach((b) => b.setAttribute('aria-pressed', String(on)));
  if (st.map) st.map.getCanvas().style.cursor = on ? 'crosshair' : '';
  refreshMeasure();
}

export function addMeasurePoint(lngLat) {
  st.measure.points.push([round6(lngLat.lng), round6(lngLat.lat)]);
  refreshMeasure();
}

/** The path on the map and its readout. */
export function refreshMeasure() {
  const pts = st.measure.points;
  if (st.mapReady) {
    const area = st.measure.mode === 'area';
    const features = pts.map((p) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: p }, properties: {} }));
    if (area && pts.length > 2) features.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[...pts, pts[0]]] }, properties: {} });
    if (pts.length > 1) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: area && pts.length > 2 ? [...pts, pts[0]] : pts }, properties: {} });
    st.map.getSource('measure')?.setData({ type: 'FeatureCollection', features });
  }
  showReadout();
}

function showReadout() {
  if (!el.measureBox) return;
  const pts = st.measure.points;
  el.measureBox.hidden = !st.measure.on;
  if (!st.measure.on) return;
  const area = st.measure.mode === 'area';
  const legs = [];
  for (let k = 1; k < pts.length; k++) legs.push(pathKm([pts[k - 1], pts[k]]));
  const total = pathKm(pts);
  const box = el.measureBox;
  box.dataset.mode = st.measure.mode;
  box.dataset.km = String(total);
  box.dataset.points = String(pts.length);
  let readout;
  if (area) {
    const a = ringAreaKm2(pts);
    const perimeter = pts.length > 2 ? pathKm([...pts, pts[0]]) : total;
    box.dataset.km2 = String(a);
    box.dataset.perimeterKm = String(perimeter);
    readout = h('span#measure-total', pts.length > 2 ? t('measure.areaTotal', { a: km2(a), p: km(perimeter) }) : t('measure.areaHelp'));
  } else {
    delete box.dataset.km2;
    delete box.dataset.perimeterKm;
    readout = h('span#measure-total', pts.length > 1 ? t('measure.total', { d: km(total) }) : t('measure.help'));
  }
  const modeButton = (mode) => h(`button.seg#measure-mode-${mode}`, { type: 'button', 'aria-pressed': String(st.measure.mode === mode), onclick: () => setMeasureMode(mode) }, t(`measure.${mode}`));
  clear(el.measureBox,
    h('strong', t('measure.title')), ' ',
    h('span.measure-modes', { role: 'group', 'aria-label': t('measure.mode') }, modeButton('distance'), modeButton('area')), ' ',
    readout,
    !area && legs.length > 1 ? h('span.muted', ` (${legs.map((d) => km(d)).join(' + ')})`) : null, ' ',
    h('button.link#measure-clear', { type: 'button', disabled: !pts.length, onclick: () => { st.measure.points = []; refreshMeasure(); } }, t('measure.clear')), ' ',
    h('button.link#measure-done', { type: 'button', onclick: () => setMeasuring(false) }, t('measure.done')));
}

/** The readout's box on the map (made once, kept over language changes). */
export function measureBox() {
  el.measureBox ||= h('div.measure-box#measure', { role: 'status', hidden: true });
  showReadout();
  return el.measureBox;
}

// Escape ends measuring, unless it closes a popup first (seen here before the popup's own
// handler, in the capture phase).
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && st.measure.on && !st.popup) setMeasuring(false);
}, true);
