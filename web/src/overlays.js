// What the map shows beside the agreement and the units: incidents reported with a place
// (a ringed dot each, its details on a click), the marker a "Show" leaves where it took the
// map, and the readout of the pointer's position (or the map's centre) in degrees and MGRS.

import maplibregl from 'maplibre-gl';
import { h, time } from './util.js';
import { st, el, word } from './state.js';
import { t } from './i18n.js';
import { degrees, mgrsOf } from './geo.js';

export const INCIDENT_RING = '#7a0019';

/** The incidents layer's data: every incident the principal sees that has a place (in
 * replay, those that had occurred by then). */
export function refreshIncidentsLayer() {
  if (!st.mapReady) return;
  const features = [];
  for (const i of st.incidents) {
    const d = i.draft || i;
    if (!d.place || !Number.isFinite(d.place.lon) || !Number.isFinite(d.place.lat)) continue;
    if (st.replayAt != null && Date.parse(d.occurred_at) > st.replayAt) continue;
    features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [d.place.lon, d.place.lat] }, properties: { id: i.id, status: i.status, category: d.category, selected: i.id === st.selectedIncident } });
  }
  st.map.getSource('incidents')?.setData({ type: 'FeatureCollection', features });
  el.mapDiv.dataset.incidents = String(features.length);
}

/** The popup's content for an incident's marker: what, when, and a button to its details. */
export function incidentPopup(p, openIncident) {
  const i = st.incidents.find((x) => x.id === p.id);
  const d = i ? i.draft || i : p;
  return h('div', { dataset: { popup: `incident:${p.id}` } },
    h('strong', { dir: 'ltr' }, t('incidents.detailTitle', { id: p.id })),
    h('div', `${word('category', d.category)} · ${word('status', i?.status || p.status)}`),
    i ? h('div', t('incidents.occurred'), ' ', time(d.occurred_at)) : null,
    i ? h('button.link', { type: 'button', onclick: () => openIncident(p.id) }, t('overlays.openIncident')) : null);
}

/** Moves the map to `lngLat` and leaves a marker there (the last "Show" only), so that the
 * place stays marked once the map has moved. */
export function showPlace(lngLat, zoom, label) {
  if (!st.map) return;
  st.map.flyTo({ center: lngLat, zoom: Math.max(st.map.getZoom(), zoom) });
  st.showMarker?.remove();
  const element = h('div.show-marker', { role: 'img', 'aria-label': t('overlays.shown', { what: label || '' }), title: label || '' });
  st.showMarker = new maplibregl.Marker({ element }).setLngLat(lngLat).addTo(st.map);
  el.mapDiv.dataset.shown = `${lngLat[0]},${lngLat[1]}`;
}

/** The readout: the pointer's position while it is over the map, else the map's centre. */
export function trackPointer(map) {
  const show = (ll, centre) => {
    el.readout.textContent = `${centre ? `${t('overlays.centre')} ` : ''}${degrees(ll.lng, ll.lat)} · MGRS ${mgrsOf(ll.lng, ll.lat)}`;
    el.readout.dataset.source = centre ? 'centre' : 'pointer';
    el.readout.dataset.lngLat = `${ll.lng},${ll.lat}`;
  };
  let over = false;
  map.on('mousemove', (e) => {
    over = true;
    show(e.lngLat, false);
  });
  map.getCanvas().addEventListener('mouseleave', () => {
    over = false;
    show(map.getCenter(), true);
  });
  map.on('move', () => !over && show(map.getCenter(), true));
  show(map.getCenter(), true);
}
