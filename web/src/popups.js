// The map's one popup: the details of a unit, a zone or line, or a notice, opened by a
// click, by Enter on the map, or from a list (the focus goes back there when it closes).

import maplibregl from 'maplibre-gl';
import { h, time, km, num } from './util.js';
import { st, el, word } from './state.js';
import { t, localName } from './i18n.js';
import { bboxOf, degrees } from './geo.js';
import { labelCandidates } from './labels.js';
import { unitsInBreach } from './units.js';
import { incidentPopup } from './overlays.js';
import { setTab, openPanel } from './layout.js';
import { isPlace, placeKind } from './places.js';
import { denialPopup } from './force.js';

/** The Incidents tab with incident `id` open (the panels' sheet opened on a phone). */
function openIncident(id) {
  st.selectedIncident = id;
  st.popup?.remove();
  setTab('incidents');
  openPanel(true);
  document.querySelector('#incident-detail h2')?.scrollIntoView({ block: 'nearest' });
}

/** Opens the one popup at `lngLat`; `from` (the control that opened it) gets the focus back
 * when it closes (by its close button or Escape). */
export function openPopup(lngLat, content, from = document.activeElement) {
  st.popup?.remove();
  const popup = new maplibregl.Popup({ maxWidth: '320px', focusAfterOpen: true, closeButton: true })
    .setLngLat(lngLat)
    .setDOMContent(h('div.popup-body', { role: 'dialog', 'aria-label': t('popup.details') }, content))
    .addTo(st.map);
  const box = popup.getElement();
  box.querySelector('.maplibregl-popup-close-button')?.setAttribute('aria-label', t('popup.close'));
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

export function popupFor(f) {
  const p = f.properties;
  if (f.layer.id === 'units') return unitPopup(st.unitNames[f.id]);
  if (f.layer.id === 'incidents') return incidentPopup(p, openIncident);
  if (f.layer.id === 'denials') return denialPopup(p.id);
  if (f.layer.id === 'notices-fill') return h('div', { dataset: { popup: `notice:${p.id}` } }, h('strong', t('popup.notice', { id: p.id })), h('div', `${p.party} · ${word('noticeKind', p.kind)} · ${word('status', p.status)}`));
  return featurePopup(st.meta.geojson.features.find((x) => x.properties.id === p.id) || { properties: p });
}

export function unitPopup(name) {
  const row = st.unitRows.get(name);
  if (!row) return h('p', t('popup.noPosition', { unit: name }));
  const [unit, party, category, count, lon, lat, at] = row;
  const rules = unitsInBreach().get(unit);
  return h('div', { dataset: { popup: `unit:${unit}` } },
    h('strong', { dir: 'ltr' }, unit),
    h('div', `${party} · ${category} · ${num(count)}`),
    h('div', t('popup.reported'), ' ', time(at)),
    h('div.muted', { dir: 'ltr' }, degrees(lon, lat)),
    rules ? h('div.bad', t('popup.inBreach'), ' ', rules.join(', ')) : h('div.muted', t('popup.noBreach')));
}

export function featurePopup(f) {
  const p = f.properties;
  if (isPlace(f)) return placePopup(f);
  const rules = typeof p.rules === 'string' ? JSON.parse(p.rules) : p.rules || [];
  return h('div', { dataset: { popup: `feature:${p.id}` } },
    h('strong', localName(p, p.id)), h('div.muted', `${p.id} · ${word('shape', p.shape === 'line' ? 'line' : 'zone')}`),
    rules.length ? h('ul', rules.map((r) => h('li', `${r.id} (${word('rule', r.kind)})`, ruleDetail(r)))) : h('div.muted', t('popup.noRule')));
}

/** A checkpoint's, observation post's or marker's details: its kind, its hours and the
 * zone beyond it (a checkpoint's). */
function placePopup(f) {
  const p = f.properties;
  const kind = placeKind(f);
  return h('div', { dataset: { popup: `feature:${p.id}` } },
    h('strong', localName(p, p.id)), h('div.muted', `${p.id} · ${word('placeKind', kind)}`),
    p.hours ? h('div', t('places.hours'), ' ', h('span', { dir: 'ltr' }, String(p.hours)), ' UTC') : null,
    p.beyond ? h('div', t('places.beyond', { zone: p.beyond })) : null,
    h('div.muted', { dir: 'ltr' }, degrees(f.geometry.coordinates[0], f.geometry.coordinates[1])));
}

/** Shows a zone or line from a list: brings it into view and opens its details. */
export function showFeature(f, from) {
  const at = st.labels?.find((l) => l.f === f)?.marker.getLngLat() || labelCandidates(f)[0];
  const b = bboxOf({ features: [f] });
  if (isPlace(f)) st.map.jumpTo({ center: f.geometry.coordinates, zoom: Math.max(st.map.getZoom(), 11) });
  else st.map.fitBounds(b, { padding: 60, maxZoom: 11, duration: 0 });
  openPopup(at, featurePopup(f), from);
}

export function showUnit(name, from) {
  const row = st.unitRows.get(name);
  if (!row) return;
  const at = [row[4], row[5]];
  if (!st.map.getBounds().contains(at) || st.map.getZoom() < 9) st.map.jumpTo({ center: at, zoom: Math.max(st.map.getZoom(), 10) });
  openPopup(at, unitPopup(name), from);
}

export function ruleDetail(r) {
  const d = r.detail || {};
  if (r.kind === 'cap') return `: ${t('popup.capDetail', { party: d.party, category: d.category, max: num(d.max) })}`;
  if (r.kind === 'standoff' || r.kind === 'separation') return `: ${t('popup.minDistance', { km: km(d.min_km) })}`;
  return '';
}
