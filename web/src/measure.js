// The measure tool: a button among the map's controls; while it is on, each click on the map
// (or Enter on it, which takes the centre) adds a point, and the map shows the path and its
// length along the great circle (WGS 84's mean radius), each leg and the total; Escape or
// the button again ends it, "Clear" starts again. Nothing is sent anywhere.

import { h, clear, km } from './util.js';
import { st, el } from './state.js';
import { t } from './i18n.js';
import { round6, pathKm } from './geo.js';

st.measure = { on: false, points: [] };

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
    const features = pts.map((p) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: p }, properties: {} }));
    if (pts.length > 1) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: pts }, properties: {} });
    st.map.getSource('measure')?.setData({ type: 'FeatureCollection', features });
  }
  showReadout();
}

function showReadout() {
  if (!el.measureBox) return;
  const pts = st.measure.points;
  el.measureBox.hidden = !st.measure.on;
  if (!st.measure.on) return;
  const legs = [];
  for (let k = 1; k < pts.length; k++) legs.push(pathKm([pts[k - 1], pts[k]]));
  const total = pathKm(pts);
  el.measureBox.dataset.km = String(total);
  el.measureBox.dataset.points = String(pts.length);
  clear(el.measureBox,
    h('strong', t('measure.title')), ' ',
    h('span#measure-total', pts.length > 1 ? t('measure.total', { d: km(total) }) : t('measure.help')),
    legs.length > 1 ? h('span.muted', ` (${legs.map((d) => km(d)).join(' + ')})`) : null, ' ',
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
