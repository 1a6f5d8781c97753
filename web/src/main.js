// truceline console: the agreement on a map, live events, notices, incidents and compliance,
// for whoever signs in with their key, showing what the API shows that principal.

import maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { feature } from 'topojson-client';
import countriesUrl from 'world-atlas/countries-50m.json?url';
import './style.css';
import { Session, readKeyFile } from './api.js';
import { h, clear, time, utc, toInputUtc, fromInputUtc, partyColours, humanKind } from './util.js';

const session = new Session();
const app = document.getElementById('app');

const RULE_COLOURS = { exclusion: '#d62728', cap: '#ff7f0e', standoff: '#8e44ad', none: '#607d8b' };
const NOTICE_KINDS = ['movement', 'deployment', 'exercise', 'flight', 'strike'];
const FEED_RENDER_MAX = 400;
const UNITS_POLL_MS = 2000;

const st = {
  meta: null, // /v1/console/map
  agreement: null, // /v1/agreement
  colours: {},
  feed: [], // {id, kind, time, data}
  lastFeedId: 0,
  notices: [],
  incidents: [],
  summary: null,
  units: null,
  serverTimeMs: null,
  serverTimeAt: 0,
  engineTime: null,
  historyFrom: null,
  replayAt: null, // ms, or null when live
  filters: { rule: '', party: '', kind: '' },
  tab: 'feed',
  selectedIncident: null,
  draft: { mode: null, points: [] },
  stream: null,
  pollTimer: null,
  map: null,
  mapReady: false,
  errors: null,
};
// The console's state, for debugging and the browser test (no secrets: the key and token live in the session).
window.__truceline = st;

// ---------------------------------------------------------------- sign-in

function signInView(message) {
  const status = h('p.status#signin-status', { role: 'status', 'aria-live': 'polite' }, message || '');
  const idInput = h('input#signin-id', { name: 'id', autocomplete: 'username', required: true, placeholder: 'e.g. IL' });
  const fileInput = h('input#signin-key', { type: 'file', name: 'key', accept: '.key,text/plain', required: true });
  const form = h(
    'form.signin',
    {
      onsubmit: async (e) => {
        e.preventDefault();
        const file = fileInput.files[0];
        if (!file) {
          status.textContent = 'Choose your key file.';
          return;
        }
        status.textContent = 'Signing in…';
        try {
          const { name, key } = await readKeyFile(await file.text());
          const id = idInput.value.trim() || name;
          await session.signIn(id, key);
          start();
        } catch (err) {
          status.textContent = `Sign-in failed: ${err.message}`;
          status.classList.add('error');
        }
      },
    },
    h('h1', 'truceline console'),
    h('p', 'Sign in with your own key file (PRIVATE+KEY+…, as written by truceline). The key stays in this browser: it signs the server\'s challenge and is never sent.'),
    h('label', { for: 'signin-key' }, 'Key file'),
    fileInput,
    h('label', { for: 'signin-id' }, 'Principal id (filled from the key file)'),
    idInput,
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files[0];
    if (!file) return;
    const m = (await file.text()).trim().match(/^PRIVATE\+KEY\+([^+\s]+)\+/);
    if (m && !idInput.value) idInput.value = m[1];
  });
  clear(app, h('main.signin-wrap', form));
  fileInput.focus();
}

session.onExpired = () => {
  stop();
  signInView('Your session ended; sign in again with your key.');
};

function stop() {
  st.stream?.close();
  st.stream = null;
  clearInterval(st.pollTimer);
  st.map?.remove();
  st.map = null;
  st.mapReady = false;
}

// ---------------------------------------------------------------- layout

const el = {};

function layout() {
  el.noticeForm = null;
  el.incidentForm = null;
  el.clock = h('span.clock#engine-time', { title: 'Engine time: the time of the last report applied' }, 'no reports yet');
  el.live = h('span.live#live-status', { role: 'status' }, 'connecting…');
  el.error = h('div.error-banner#error', { role: 'alert', hidden: true });
  const tabs = ['feed', 'notices', 'incidents', 'compliance'].map((t) =>
    h(`button.tab#tab-${t}`, { role: 'tab', 'aria-controls': 'panel-body', 'aria-selected': String(st.tab === t), onclick: () => setTab(t) }, t[0].toUpperCase() + t.slice(1)),
  );
  el.tabs = tabs;
  el.panelBody = h('div.panel-body#panel-body', { role: 'tabpanel' });
  el.legend = h('div.legend#legend', { 'aria-label': 'Legend' });
  el.slider = h('input#time-slider', { type: 'range', min: 0, max: 0, value: 0, step: 60000, 'aria-label': 'Replay time', disabled: true });
  el.sliderLabel = h('span#slider-label', 'Live');
  el.liveBtn = h('button#go-live', { type: 'button', disabled: true, onclick: () => goLive() }, 'Back to live');
  el.slider.addEventListener('input', () => replayTo(Number(el.slider.value)));
  el.mapDiv = h('div#map', { role: 'region', 'aria-label': 'Map of the agreement\'s zones, lines and units' });
  el.mapStatus = h('div.map-status#map-status', { role: 'status' });
  clear(
    app,
    h(
      'header.top',
      h('strong', st.meta.agreement.title || st.meta.agreement.id),
      h('span.muted', ` v${st.meta.agreement.version}`),
      h('span.spacer'),
      'Engine time ',
      el.clock,
      el.live,
      h('span.who#who', `${session.id} (${session.role})`),
      h('button#signout', { type: 'button', onclick: async () => { stop(); await session.signOut(); signInView('Signed out.'); } }, 'Sign out'),
    ),
    el.error,
    h(
      'div.main',
      h('section.map-wrap', { 'aria-label': 'Map' }, el.mapDiv, el.legend, el.mapStatus,
        h('div.timebar', h('label', { for: 'time-slider' }, 'Replay '), el.slider, el.sliderLabel, el.liveBtn)),
      h('section.panel#panel', { 'aria-label': 'Panels', tabindex: '-1' }, h('div.tabs', { role: 'tablist' }, tabs), el.panelBody),
    ),
  );
}

function showError(err) {
  if (!el.error) return;
  if (!err) {
    el.error.hidden = true;
    return;
  }
  el.error.hidden = false;
  clear(el.error, String(err.message || err), ' ', h('button', { type: 'button', onclick: () => showError(null) }, 'Dismiss'));
}

function setTab(t) {
  st.tab = t;
  for (const b of el.tabs) b.setAttribute('aria-selected', String(b.id === `tab-${t}`));
  render();
}

function render() {
  if (!el.panelBody) return;
  if (st.tab === 'feed') renderFeed();
  else if (st.tab === 'notices') renderNotices();
  else if (st.tab === 'incidents') renderIncidents();
  else renderCompliance();
}

// ---------------------------------------------------------------- map

function ringOf(points) {
  return points.length ? [...points, points[0]] : [];
}

function buildMap(countries) {
  const map = new maplibregl.Map({
    container: el.mapDiv,
    style: {
      version: 8,
      sources: {
        countries: { type: 'geojson', data: countries },
        agreement: { type: 'geojson', data: st.meta.geojson },
        units: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        notices: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        draft: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      },
      layers: [
        { id: 'sea', type: 'background', paint: { 'background-color': '#c9dbe8' } },
        { id: 'land', type: 'fill', source: 'countries', paint: { 'fill-color': '#f4f1ea' } },
        { id: 'borders', type: 'line', source: 'countries', paint: { 'line-color': '#9a9a9a', 'line-width': 0.8 } },
        {
          id: 'zones-fill', type: 'fill', source: 'agreement', filter: ['==', ['get', 'shape'], 'zone'],
          paint: { 'fill-color': ['match', ['get', 'style'], 'exclusion', RULE_COLOURS.exclusion, 'cap', RULE_COLOURS.cap, 'standoff', RULE_COLOURS.standoff, RULE_COLOURS.none], 'fill-opacity': 0.16 },
        },
        {
          id: 'zones-edge', type: 'line', source: 'agreement', filter: ['==', ['get', 'shape'], 'zone'],
          paint: { 'line-color': ['match', ['get', 'style'], 'exclusion', RULE_COLOURS.exclusion, 'cap', RULE_COLOURS.cap, 'standoff', RULE_COLOURS.standoff, RULE_COLOURS.none], 'line-width': 1.5 },
        },
        {
          id: 'lines', type: 'line', source: 'agreement', filter: ['==', ['get', 'shape'], 'line'],
          paint: { 'line-color': ['match', ['get', 'style'], 'standoff', RULE_COLOURS.standoff, '#222'], 'line-width': 2.5, 'line-dasharray': [3, 2] },
        },
        { id: 'notices-fill', type: 'fill', source: 'notices', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#f1c40f', 'fill-opacity': ['case', ['get', 'selected'], 0.45, 0.18] } },
        { id: 'notices-line', type: 'line', source: 'notices', paint: { 'line-color': '#b7950b', 'line-width': ['case', ['get', 'selected'], 3, 1.5] } },
        { id: 'draft-line', type: 'line', source: 'draft', paint: { 'line-color': '#000', 'line-width': 2, 'line-dasharray': [2, 1] } },
        { id: 'draft-points', type: 'circle', source: 'draft', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#000' } },
        { id: 'units-breach', type: 'circle', source: 'units', filter: ['==', ['get', 'breach'], true], paint: { 'circle-radius': 10, 'circle-color': '#e00000', 'circle-opacity': 0.35, 'circle-stroke-color': '#e00000', 'circle-stroke-width': 2 } },
        {
          id: 'units', type: 'circle', source: 'units',
          paint: {
            'circle-radius': ['interpolate', ['linear'], ['zoom'], 6, 3, 10, 6],
            'circle-color': ['match', ['get', 'party'], ...Object.entries(st.colours).flat(), '#555'],
            // A white edge only when zoomed in: at 10,000 units it doubles the fill work.
            'circle-stroke-color': '#fff', 'circle-stroke-width': ['step', ['zoom'], 0, 9, 1],
          },
        },
      ],
    },
    bounds: bboxOf(st.meta.geojson) || [[35.0, 32.5], [36.6, 33.6]],
    fitBoundsOptions: { padding: 40 },
    attributionControl: { compact: true, customAttribution: 'Natural Earth (world-atlas)' },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.on('load', () => {
    addLabels(map);
    st.mapReady = true;
    el.mapDiv.dataset.ready = 'true';
    refreshUnitsLayer();
    refreshNoticesLayer();
  });
  map.on('idle', () => {
    // Rendered counts, for people and tests reading the page's state.
    el.mapDiv.dataset.zones = String(map.queryRenderedFeatures({ layers: ['zones-fill', 'lines'] }).length);
    el.mapDiv.dataset.renderedUnits = String(map.queryRenderedFeatures({ layers: ['units'] }).length);
  });
  map.on('error', (e) => {
    el.mapStatus.textContent = `Map error: ${e.error?.message || e}`;
  });
  map.on('click', (e) => {
    if (st.pickPlace) {
      st.pickPlace(e.lngLat);
      return;
    }
    if (st.draft.mode) {
      st.draft.points.push([round6(e.lngLat.lng), round6(e.lngLat.lat)]);
      refreshDraft();
      return;
    }
    const hits = map.queryRenderedFeatures(e.point, { layers: ['units', 'zones-fill', 'lines', 'notices-fill'] });
    if (!hits.length) return;
    new maplibregl.Popup({ maxWidth: '320px' }).setLngLat(e.lngLat).setDOMContent(popupFor(hits[0])).addTo(map);
  });
  for (const layer of ['units', 'zones-fill', 'lines']) {
    map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = st.draft.mode ? 'crosshair' : 'pointer'));
    map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = st.draft.mode ? 'crosshair' : ''));
  }
  st.map = map;
  return map;
}

const round6 = (x) => Math.round(x * 1e6) / 1e6;

/** Names of zones and lines as DOM markers (no glyph server for map text), staggered in
 * latitude so that side-by-side strips do not stack their names. */
function addLabels(map) {
  st.meta.geojson.features.forEach((f, i) => {
    const g = f.geometry;
    const frac = 0.12 + 0.15 * (i % 5);
    let at;
    if (g.type === 'LineString') at = g.coordinates[Math.floor((g.coordinates.length - 1) * (1 - frac))];
    else {
      const ring = g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0][0];
      const b = bboxOf({ features: [f] });
      const y = b[1][1] - (b[1][1] - b[0][1]) * frac;
      const xs = [];
      for (let k = 0; k + 1 < ring.length; k++) {
        const [[x1, y1], [x2, y2]] = [ring[k], ring[k + 1]];
        if ((y1 <= y) !== (y2 <= y)) xs.push(x1 + ((y - y1) * (x2 - x1)) / (y2 - y1));
      }
      xs.sort((a, b) => a - b);
      at = xs.length >= 2 ? [(xs[0] + xs[1]) / 2, y] : [(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2];
    }
    const label = h('div.map-label', { title: f.properties.name }, f.properties.id);
    new maplibregl.Marker({ element: label }).setLngLat(at).addTo(map);
  });
}

function bboxOf(fc) {
  let b = null;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      if (!b) b = [[c[0], c[1]], [c[0], c[1]]];
      b[0][0] = Math.min(b[0][0], c[0]);
      b[0][1] = Math.min(b[0][1], c[1]);
      b[1][0] = Math.max(b[1][0], c[0]);
      b[1][1] = Math.max(b[1][1], c[1]);
    } else c.forEach(visit);
  };
  for (const f of fc.features) visit(f.geometry.coordinates);
  return b;
}

function popupFor(f) {
  const p = f.properties;
  if (f.layer.id === 'units') {
    return h('div', h('strong', p.unit), h('div', `${p.party} · ${p.category} · ${p.count}`), h('div', 'Reported ', time(p.t)), p.breach ? h('div.bad', 'In breach: ', p.breaches) : null);
  }
  if (f.layer.id === 'notices-fill') return h('div', h('strong', `Notice ${p.id}`), h('div', `${p.party} · ${p.kind} · ${p.status}`));
  const rules = typeof p.rules === 'string' ? JSON.parse(p.rules) : p.rules || [];
  return h('div', h('strong', p.name), h('div.muted', p.id), rules.length ? h('ul', rules.map((r) => h('li', `${r.id} (${r.kind})`, ruleDetail(r)))) : h('div.muted', 'No rule names this feature.'));
}

function ruleDetail(r) {
  const d = r.detail || {};
  if (r.kind === 'cap') return `: ${d.party} ${d.category} at most ${d.max}`;
  if (r.kind === 'standoff' || r.kind === 'separation') return `: at least ${d.min_km} km`;
  return '';
}

function renderLegend() {
  const kinds = new Set(st.meta.geojson.features.map((f) => f.properties.style));
  const seps = st.meta.rules.filter((r) => r.kind === 'separation');
  clear(
    el.legend,
    h('strong', 'Zones and lines by rule'),
    [...kinds].map((k) => h('div.key', h('span.swatch', { style: `background:${RULE_COLOURS[k]}` }), k === 'none' ? 'no rule' : k)),
    seps.map((r) => h('div.key.muted', `separation ${r.detail.parties.join('–')}: ${r.detail.min_km} km`)),
    h('strong', 'Units by party'),
    st.meta.parties.filter((p) => p.role === 'party').map((p) => h('div.key', h('span.dot', { style: `background:${st.colours[p.id]}` }), `${p.id} ${p.name}`)),
    h('div.key', h('span.dot.breach'), 'unit in breach'),
    h('div.key', h('span.swatch', { style: 'background:#f1c40f' }), 'notice area'),
  );
}

// ---------------------------------------------------------------- units, breaches, replay

function eventKey(d) {
  return `${d.rule}|${d.unit || ''}|${d.other || ''}`;
}

/** Open breaches from the feed's engine events, up to `atMs` (report time) if given. */
function openBreaches(atMs) {
  const open = new Map();
  for (const item of st.feed) {
    if (item.kind !== 'event') continue;
    const d = item.data;
    if (atMs != null && Date.parse(d.t) > atMs) continue;
    if (/_(breach|exceeded)$/.test(d.kind)) open.set(eventKey(d), d);
    else open.delete(eventKey(d));
  }
  return open;
}

function refreshUnitsLayer() {
  if (!st.mapReady || !st.units) return;
  const breaches = openBreaches(st.replayAt);
  const inBreach = new Map();
  for (const d of breaches.values()) {
    for (const u of [d.unit, d.other]) if (u) inBreach.set(u, [...(inBreach.get(u) || []), d.rule]);
  }
  // Re-tiling 10,000 points costs; skip it when nothing moved and no breach changed.
  const signature = `${st.units.engine_time}|${st.units.at}|${st.units.units.length}|${[...inBreach.keys()].join(',')}`;
  if (signature === st.unitsSignature) return;
  st.unitsSignature = signature;
  const features = st.units.units.map(([unit, party, category, count, lon, lat, t]) => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [lon, lat] },
    properties: { unit, party, category, count, t, breach: inBreach.has(unit), breaches: (inBreach.get(unit) || []).join(', ') },
  }));
  st.map.getSource('units').setData({ type: 'FeatureCollection', features });
  el.mapDiv.dataset.units = String(features.length);
  el.mapDiv.dataset.breachUnits = String(features.filter((f) => f.properties.breach).length);
  const role = session.role;
  el.mapStatus.textContent = features.length
    ? `${features.length} units${st.replayAt != null ? ` as of ${utc(st.replayAt)}` : ''}`
    : role === 'observer'
      ? 'Observers see no unit positions (the public summary only).'
      : 'No unit positions yet: waiting for reports.';
}

async function pollUnits() {
  if (st.replayAt != null) return;
  try {
    const u = await session.get('/v1/console/units');
    st.units = u;
    st.engineTime = u.engine_time;
    st.serverTimeMs = Date.parse(u.server_time);
    st.serverTimeAt = Date.now();
    if (u.history_from) st.historyFrom = Date.parse(u.history_from);
    updateClock();
    updateSlider();
    refreshUnitsLayer();
  } catch (e) {
    el.mapStatus.textContent = `Unit positions unavailable: ${e.message}`;
  }
}

function updateClock() {
  clear(el.clock, st.engineTime ? time(st.engineTime) : 'no reports yet');
}

function updateSlider() {
  if (!st.engineTime || st.historyFrom == null) return;
  const max = Date.parse(st.engineTime);
  el.slider.min = String(st.historyFrom);
  el.slider.max = String(max);
  el.slider.disabled = max <= st.historyFrom;
  if (st.replayAt == null) el.slider.value = String(max);
}

async function replayTo(ms) {
  st.replayAt = ms;
  el.sliderLabel.textContent = `Replay ${utc(ms)}`;
  el.liveBtn.disabled = false;
  el.mapDiv.dataset.mode = 'replay';
  try {
    st.units = await session.get(`/v1/console/units?at=${encodeURIComponent(new Date(ms).toISOString())}`);
    refreshUnitsLayer();
    if (st.tab === 'feed') renderFeed();
  } catch (e) {
    showError(e);
  }
}

function goLive() {
  st.replayAt = null;
  el.sliderLabel.textContent = 'Live';
  el.liveBtn.disabled = true;
  el.mapDiv.dataset.mode = 'live';
  pollUnits();
  if (st.tab === 'feed') renderFeed();
}

// ---------------------------------------------------------------- feed

async function loadFeed() {
  let after = 0;
  for (let page = 0; page < 200; page++) {
    const r = await session.get(`/v1/feed?after=${after}&limit=1000`);
    st.feed.push(...r.items);
    if (!r.items.length || r.next_after === after) break;
    after = r.next_after;
  }
  st.lastFeedId = st.feed.length ? st.feed[st.feed.length - 1].id : 0;
}

function connectStream() {
  st.stream?.close();
  const es = new EventSource(session.streamUrl(st.lastFeedId));
  st.stream = es;
  es.onopen = () => {
    el.live.textContent = '● live';
    el.live.className = 'live ok';
  };
  es.onerror = () => {
    el.live.textContent = '○ reconnecting…';
    el.live.className = 'live bad';
    // EventSource retries on its own, but not after a refusal (an expired token, say):
    // then sign the next challenge and reconnect from the last item seen.
    if (es.readyState === EventSource.CLOSED && st.stream === es) {
      st.stream = null;
      session.renew().then(connectStream, () => setTimeout(() => st.map && connectStream(), 3000));
    }
  };
  for (const kind of ['event', 'notice', 'incident', 'escalation']) {
    es.addEventListener(kind, (m) => onItem({ id: Number(m.lastEventId), kind, time: new Date(serverNow()).toISOString(), data: JSON.parse(m.data) }));
  }
}

function serverNow() {
  return st.serverTimeMs == null ? Date.now() : st.serverTimeMs + (Date.now() - st.serverTimeAt);
}

let pending = null;
function onItem(item) {
  if (item.id <= st.lastFeedId) return;
  st.lastFeedId = item.id;
  st.feed.push(item);
  if (st.feed.length > 50_000) st.feed.splice(0, st.feed.length - 50_000);
  // Coalesce bursts into one refresh.
  pending ||= setTimeout(async () => {
    pending = null;
    const kinds = new Set(st.feed.slice(-200).map((i) => i.kind));
    if (kinds.has('notice') || kinds.has('escalation')) await loadNotices();
    if (kinds.has('incident') || kinds.has('event')) await loadIncidents();
    if (st.tab === 'compliance') await loadSummary();
    refreshUnitsLayer();
    // Do not pull text out from under someone typing in an incident.
    const typing = el.panelBody.contains(document.activeElement) && ['TEXTAREA', 'INPUT', 'SELECT'].includes(document.activeElement.tagName) && st.tab === 'incidents';
    if (!typing) render();
  }, 250);
}

function feedText(item) {
  const d = item.data;
  if (item.kind === 'event') {
    const bits = [humanKind(d.kind), d.rule];
    if (d.unit) bits.push(`unit ${d.unit}`);
    if (d.other) bits.push(`and ${d.other}`);
    if (d.zone) bits.push(`zone ${d.zone}`);
    if (d.target) bits.push(`target ${d.target}`);
    if (d.value != null) bits.push(`${d.value} of ${d.limit}`);
    if (d.distance_km != null) bits.push(`${d.distance_km.toFixed(1)} km (min ${d.limit_km})`);
    return bits.join(' · ');
  }
  if (item.kind === 'notice') return `notice ${d.notice?.id} by ${d.notice?.party}: ${d.note || d.notice?.status}`;
  if (item.kind === 'incident') return `incident ${d.incident?.id || d.id || ''}: ${d.note || d.incident?.status || ''}`;
  if (item.kind === 'escalation') return `escalation: notice ${d.notice}: ${d.why}`;
  return JSON.stringify(d);
}

function itemParties(item) {
  const d = item.data;
  if (item.kind === 'event') return [d.party, ...(st.meta.rules.find((r) => r.id === d.rule)?.detail?.parties || []), st.meta.rules.find((r) => r.id === d.rule)?.detail?.party].filter(Boolean);
  if (item.kind === 'notice') return [d.notice?.party].filter(Boolean);
  if (item.kind === 'incident') return d.incident?.about || [];
  return [];
}

function itemKind(item) {
  return item.kind === 'event' ? item.data.kind : item.kind;
}

function renderFeed() {
  const f = st.filters;
  const kinds = [...new Set(st.feed.map(itemKind))].sort();
  const select = (name, label, values) =>
    h('label', label, ' ', h(`select#filter-${name}`, { onchange: (e) => { f[name] = e.target.value; renderFeed(); } },
      h('option', { value: '' }, 'all'), values.map((v) => h('option', { value: v, selected: f[name] === v }, v))));
  let items = st.feed.filter((i) =>
    (!f.rule || i.data.rule === f.rule) && (!f.party || itemParties(i).includes(f.party)) && (!f.kind || itemKind(i) === f.kind));
  if (st.replayAt != null) items = items.filter((i) => i.kind !== 'event' || Date.parse(i.data.t) <= st.replayAt);
  const shown = items.slice(-FEED_RENDER_MAX).reverse();
  clear(
    el.panelBody,
    h('div.filters', select('rule', 'Rule', st.meta.rules.map((r) => r.id)), select('party', 'Party', st.meta.parties.filter((p) => p.role === 'party').map((p) => p.id)), select('kind', 'Kind', kinds)),
    shown.length
      ? h('ol.feed#feed', { 'aria-live': 'polite' }, shown.map((i) =>
        h(`li.item.k-${i.kind}${/_(breach|exceeded)$/.test(i.data.kind || '') ? '.breach' : ''}`, { dataset: { kind: itemKind(i), rule: i.data.rule || '' } },
          h('div.when', { 'aria-label': i.kind === 'event' ? 'report time' : 'server time' }, i.kind === 'event' ? time(i.data.t) : time(i.time)),
          h('div.what', feedText(i)),
          i.kind === 'event' && i.data.lon != null ? h('button.link', { type: 'button', onclick: () => st.map?.flyTo({ center: [i.data.lon, i.data.lat], zoom: 10 }) }, 'Show') : null)))
      : h('p.empty#feed-empty', st.feed.length ? 'Nothing matches these filters.' : session.role === 'observer' ? 'Observers see the public summary only; no events are shared with you.' : 'No events yet: they appear here as reports arrive.'),
    items.length > FEED_RENDER_MAX ? h('p.muted', `Showing the latest ${FEED_RENDER_MAX} of ${items.length}.`) : null,
  );
}

// ---------------------------------------------------------------- notices

async function loadNotices() {
  try {
    const r = await session.get('/v1/notices');
    st.notices = r.items.sort((a, b) => (a.submitted_at < b.submitted_at ? 1 : -1));
    refreshNoticesLayer();
  } catch (e) {
    showError(e);
  }
}

function placeGeometry(place) {
  if (place?.area) return { type: 'Polygon', coordinates: [place.area.ring] };
  if (place?.route) return { type: 'LineString', coordinates: place.route.line };
  return null;
}

function refreshNoticesLayer() {
  if (!st.mapReady) return;
  const features = st.notices
    .filter((n) => n.status !== 'withdrawn' && placeGeometry((n.draft || n).place))
    .map((n) => ({ type: 'Feature', geometry: placeGeometry((n.draft || n).place), properties: { id: n.id, party: n.party, kind: (n.draft || n).kind, status: n.status, selected: n.id === st.selectedNotice } }));
  st.map.getSource('notices').setData({ type: 'FeatureCollection', features });
}

function refreshDraft() {
  if (!st.mapReady) return;
  const pts = st.draft.points;
  const features = pts.map((p) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: p }, properties: {} }));
  if (pts.length > 1) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: st.draft.mode === 'area' ? ringOf(pts) : pts }, properties: {} });
  st.map.getSource('draft').setData({ type: 'FeatureCollection', features });
  const ta = document.getElementById('notice-coords');
  if (ta) ta.value = pts.map((p) => p.join(', ')).join('\n');
  const c = document.getElementById('draw-count');
  if (c) c.textContent = `${pts.length} point${pts.length === 1 ? '' : 's'}`;
}

function isOverdue(n) {
  return n.status === 'overdue' || (n.status === 'relayed' && n.relay && Date.parse(n.relay.deadline) < serverNow());
}

function noticeActions(n) {
  const out = [];
  const act = (label, fn, cls = '') => h(`button${cls}`, { type: 'button', dataset: { action: label.toLowerCase() }, onclick: async () => { try { await fn(); await loadNotices(); renderNotices(); } catch (e) { showError(e); } } }, label);
  if (session.role === 'mediator' && n.status === 'submitted') out.push(act('Relay', () => session.post(`/v1/notices/${n.id}/relay`, {})));
  const relayedToMe = n.relay?.to?.includes(session.id);
  if (relayedToMe && ['relayed', 'overdue'].includes(n.status) && !(n.answers || []).some((a) => a.party === session.id)) {
    out.push(act('Acknowledge', () => session.post(`/v1/notices/${n.id}/answer`, { answer: 'acknowledge' })));
    const reason = h('input.reason', { type: 'text', maxlength: 4000, placeholder: 'reason for an objection', 'aria-label': `Reason to object to ${n.id}` });
    out.push(reason);
    out.push(act('Object', async () => {
      if (!reason.value.trim()) {
        reason.focus();
        throw new Error('An objection gives its reason: type it next to the Object button.');
      }
      return session.post(`/v1/notices/${n.id}/answer`, { answer: 'object', reason: reason.value });
    }));
  }
  if (n.party === session.id && n.status !== 'withdrawn') out.push(act('Withdraw', () => session.post(`/v1/notices/${n.id}/withdraw`, {}), '.secondary'));
  return out;
}

function renderNotice(n) {
  const d = n.draft || n;
  return h(`li.notice.s-${n.status}`, { dataset: { id: n.id, party: n.party, status: n.status } },
    h('div.row', h('strong', n.id), ' ', h('span.badge', n.status), isOverdue(n) ? h('span.badge.bad', 'overdue') : null, h('span.muted', ` ${n.party} · ${d.kind}`)),
    h('div', 'Window ', time(d.from), ' – ', time(d.until)),
    n.relay ? h('div', 'Answer due ', time(n.relay.deadline), ` (to ${n.relay.to.join(', ')})`) : n.party === session.id ? h('div.muted', 'Waiting for the mediator to relay it.') : null,
    d.forces ? h('div.muted', d.forces.map((f) => `${f.count ?? '?'} ${f.category}`).join(', ')) : null,
    (n.answers || []).length ? h('div', n.answers.map((a) => h('div', `${a.party}: ${a.answer}${a.reason ? ` (${a.reason})` : ''}${a.late ? ' (late)' : ''} `, time(a.at)))) : null,
    n.check && !n.check.ok ? h('div.bad', 'Check: ', [!n.check.lead_time_met ? 'lead time not met' : null, ...n.check.rule_conflicts.map((c) => `${c.rule}: ${c.detail}`), ...n.check.overlaps.map((o) => `overlaps ${o.notice}`)].filter(Boolean).join('; ')) : null,
    h('div.actions', h('button.link', { type: 'button', onclick: () => showNotice(n) }, 'Show on map'), noticeActions(n)),
  );
}

function showNotice(n) {
  st.selectedNotice = n.id;
  refreshNoticesLayer();
  const g = placeGeometry((n.draft || n).place);
  if (g && st.map) st.map.fitBounds(bboxOf({ features: [{ geometry: g }] }), { padding: 80, maxZoom: 11 });
}

function renderNotices() {
  // The form is made once and kept, so that live updates never lose what is being typed.
  if (session.role === 'party' && !el.noticeForm) el.noticeForm = noticeForm();
  clear(
    el.panelBody,
    el.noticeForm,
    h('h2', 'Notices'),
    st.notices.length ? h('ul.notices#notices', st.notices.map(renderNotice)) : h('p.empty#notices-empty', session.role === 'monitor' || session.role === 'observer' ? 'Notices are shared between the parties and the mediator only.' : 'No notices yet.'),
  );
}

function noticeForm() {
  const policy = st.agreement?.notices || {};
  const lead = (k) => policy.lead_time_by_kind?.[k] ?? policy.lead_time_min ?? 60;
  const kind = h('select#notice-kind', NOTICE_KINDS.map((k) => h('option', { value: k }, k)));
  const start = serverNow() + (lead('movement') + 30) * 60_000;
  const from = h('input#notice-from', { type: 'datetime-local', value: toInputUtc(start), required: true });
  const until = h('input#notice-until', { type: 'datetime-local', value: toInputUtc(start + 4 * 3600_000), required: true });
  const leadNote = h('span.muted#lead-note', `lead time ${lead('movement')} min`);
  kind.addEventListener('change', () => (leadNote.textContent = `lead time ${lead(kind.value)} min`));
  const category = h('select#notice-category', st.meta.categories.map((c) => h('option', { value: c.id }, c.name)));
  const count = h('input#notice-count', { type: 'number', min: 1, value: 10, required: true });
  const width = h('input#notice-width', { type: 'number', min: 0.1, step: 0.1, value: 2 });
  const desc = h('textarea#notice-description', { rows: 2, maxlength: 4000 });
  const coords = h('textarea#notice-coords', { rows: 3, placeholder: 'lon, lat per line (or draw on the map)', 'aria-describedby': 'draw-count' });
  coords.addEventListener('change', () => {
    st.draft.points = coords.value.split('\n').map((l) => l.split(',').map(Number)).filter((p) => p.length === 2 && p.every(Number.isFinite));
    st.draft.mode ||= 'area';
    refreshDraft();
  });
  const shape = h('select#notice-shape', h('option', { value: 'area' }, 'area'), h('option', { value: 'route' }, 'route'));
  const result = h('div#notice-result', { role: 'status', 'aria-live': 'polite' });
  const draw = h('button#draw', { type: 'button', 'aria-pressed': String(!!st.draft.mode), onclick: () => {
    st.draft.mode = st.draft.mode ? null : shape.value;
    draw.setAttribute('aria-pressed', String(!!st.draft.mode));
    draw.textContent = st.draft.mode ? 'Stop drawing' : 'Draw on map';
    if (st.map) st.map.getCanvas().style.cursor = st.draft.mode ? 'crosshair' : '';
  } }, st.draft.mode ? 'Stop drawing' : 'Draw on map');
  const draftBody = () => {
    const pts = st.draft.points;
    const place = shape.value === 'area' ? { area: { ring: ringOf(pts) } } : { route: { line: pts, width_km: Number(width.value) } };
    return { kind: kind.value, place, from: fromInputUtc(from.value), until: fromInputUtc(until.value), forces: [{ category: category.value, count: Number(count.value) }], description: desc.value };
  };
  const showCheck = (c, head) => clear(result, h(c.ok ? 'p.ok' : 'p.bad', head, c.ok ? 'no conflicts' : 'problems found'),
    h('ul', h('li', `lead time: ${c.lead_time_given_min} of ${c.lead_time_required_min} min ${c.lead_time_met ? '(met)' : '(NOT met)'}`),
      c.rule_conflicts.map((x) => h('li.bad', `${x.rule} (${x.kind}): ${x.detail}`)),
      c.overlaps.map((o) => h('li.bad', `overlaps notice ${o.notice} of ${o.party} (${o.status}), ${o.distance_km.toFixed(1)} km`))));
  const form = h('form.notice-form#notice-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      if (st.draft.points.length < (shape.value === 'area' ? 3 : 2)) {
        clear(result, h('p.bad', shape.value === 'area' ? 'Draw an area of at least 3 points (click the map after "Draw on map", or type lon, lat lines).' : 'Draw a route of at least 2 points.'));
        return;
      }
      try {
        const n = await session.post('/v1/notices', draftBody());
        showCheck(n.check, `Submitted ${n.id}: `);
        result.dataset.submitted = n.id;
        st.draft = { mode: null, points: [] };
        refreshDraft();
        await loadNotices();
        renderNotices();
      } catch (err) {
        clear(result, h('p.bad', `Not submitted: ${err.message}`));
      }
    },
  },
  h('h2', 'Give notice'),
  h('div.grid',
    h('label', { for: 'notice-kind' }, 'Kind'), h('span', kind, ' ', leadNote),
    h('label', { for: 'notice-from' }, 'From (UTC)'), from,
    h('label', { for: 'notice-until' }, 'Until (UTC)'), until,
    h('label', { for: 'notice-category' }, 'Forces'), h('span', count, ' ', category),
    h('label', { for: 'notice-shape' }, 'Place'), h('span', shape, ' ', draw, ' ', h('span.muted#draw-count', `${st.draft.points.length} points`)),
    h('label', { for: 'notice-width' }, 'Route width km'), width,
    h('label', { for: 'notice-coords' }, 'Points'), coords,
    h('label', { for: 'notice-description' }, 'Description'), desc),
  h('div.actions',
    h('button', { type: 'button', onclick: async () => { try { showCheck(await session.post('/v1/notices/check', draftBody()), 'Check: '); } catch (err) { clear(result, h('p.bad', err.message)); } } }, 'Check'),
    h('button#notice-submit', { type: 'submit' }, 'Submit notice'),
    h('button.secondary', { type: 'button', onclick: () => { st.draft.points = []; refreshDraft(); } }, 'Clear points')),
  result);
  setTimeout(refreshDraft);
  return form;
}

// ---------------------------------------------------------------- incidents

async function loadIncidents() {
  try {
    const r = await session.get('/v1/incidents');
    st.incidents = r.items.sort((a, b) => (a.opened_at < b.opened_at ? 1 : -1));
  } catch (e) {
    showError(e);
  }
}

const INCIDENT_CATEGORIES = ['exclusion_breach', 'cap_exceeded', 'standoff', 'separation', 'fire_across_line', 'airspace_violation', 'restriction_of_monitors', 'other'];

/** Report an alleged violation: category, time, place (picked on the map or typed),
 * the alleged party, a description and evidence files (hashed here, uploaded, and named by
 * their SHA-256 in the report). */
function incidentForm() {
  const category = h('select#incident-category', INCIDENT_CATEGORIES.map((c) => h('option', { value: c }, humanKind(c))));
  const occurred = h('input#incident-occurred', { type: 'datetime-local', value: toInputUtc(st.engineTime ? Date.parse(st.engineTime) : serverNow()), required: true });
  const lon = h('input#incident-lon', { type: 'number', step: 'any', placeholder: 'lon' });
  const lat = h('input#incident-lat', { type: 'number', step: 'any', placeholder: 'lat' });
  const precision = h('input#incident-precision', { type: 'number', min: 0, value: 500, 'aria-label': 'Place precision in metres' });
  const alleged = h('select#incident-alleged', h('option', { value: '' }, '—'), st.meta.parties.filter((p) => p.role === 'party' && p.id !== session.id).map((p) => h('option', { value: p.id }, p.id)));
  const desc = h('textarea#incident-description', { rows: 2, maxlength: 4000 });
  const files = h('input#incident-evidence', { type: 'file', multiple: true });
  const result = h('div#incident-result', { role: 'status', 'aria-live': 'polite' });
  const pick = h('button#incident-pick', { type: 'button', onclick: () => {
    st.pickPlace = (ll) => {
      lon.value = round6(ll.lng);
      lat.value = round6(ll.lat);
      st.pickPlace = null;
      pick.textContent = 'Pick on map';
    };
    pick.textContent = 'Click the map…';
  } }, 'Pick on map');
  return h('details.notice-form#incident-form', h('summary', 'Report an incident'),
    h('form', { onsubmit: async (e) => {
      e.preventDefault();
      try {
        const evidence = [];
        for (const f of files.files) {
          const bytes = await f.arrayBuffer();
          const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
          const media = f.type || 'application/octet-stream';
          const up = await session.authed('/v1/evidence', { method: 'POST', headers: { 'content-type': media }, body: bytes }).then((r) => r.json());
          if (up.sha256 !== sha) throw new Error(`evidence ${f.name}: the server hashed it differently`);
          evidence.push({ sha256: sha, media_type: media });
        }
        const body = { category: category.value, occurred_at: fromInputUtc(occurred.value), description: desc.value, evidence };
        if (lon.value !== '' && lat.value !== '') body.place = { lon: Number(lon.value), lat: Number(lat.value), precision_m: Number(precision.value) };
        if (alleged.value) body.alleged_party = alleged.value;
        const i = await session.post('/v1/incidents', body);
        clear(result, h('p.ok', `Reported ${i.id}`));
        result.dataset.reported = i.id;
        st.selectedIncident = i.id;
        await loadIncidents();
        renderIncidents();
      } catch (err) {
        clear(result, h('p.bad', `Not reported: ${err.message}`));
      }
    } },
    h('div.grid',
      h('label', { for: 'incident-category' }, 'Category'), category,
      h('label', { for: 'incident-occurred' }, 'Occurred (UTC)'), occurred,
      h('label', { for: 'incident-lon' }, 'Place'), h('span', lon, ' ', lat, ' ', pick),
      h('label', { for: 'incident-precision' }, 'Within m'), precision,
      h('label', { for: 'incident-alleged' }, 'Alleged party'), alleged,
      h('label', { for: 'incident-description' }, 'Description'), desc,
      h('label', { for: 'incident-evidence' }, 'Evidence files'), files),
    h('div.actions', h('button#incident-submit', { type: 'submit' }, 'Report')),
    result));
}

function renderIncidents() {
  const sel = st.incidents.find((i) => i.id === st.selectedIncident);
  if (session.role !== 'observer' && !el.incidentForm) el.incidentForm = incidentForm();
  clear(
    el.panelBody,
    el.incidentForm,
    sel ? incidentDetail(sel) : null,
    h('h2', `Incidents (${st.incidents.length})`),
    st.incidents.length
      ? h('ul.incidents#incidents', st.incidents.slice(0, 300).map((i) =>
        h(`li.incident.s-${i.status}`, { dataset: { id: i.id } },
          h('button.link', { type: 'button', onclick: () => { st.selectedIncident = i.id; renderIncidents(); } }, i.id), ' ',
          h('span.badge', i.status), ` ${humanKind((i.draft || i).category)} · about ${i.about.join(', ') || '—'} · `, time(i.opened_at))))
      : h('p.empty#incidents-empty', session.role === 'observer' ? 'Observers see the public summary only.' : 'No incidents that you may see.'),
  );
}

function incidentDetail(i) {
  const act = (label, fn) => h('button', { type: 'button', onclick: async () => { try { await fn(); await loadIncidents(); renderIncidents(); } catch (e) { showError(e); } } }, label);
  const text = h('textarea#incident-text', { rows: 2, 'aria-label': 'Text' });
  const actions = [];
  if (session.role === 'party' && i.about.includes(session.id)) actions.push(act('Respond', () => session.post(`/v1/incidents/${i.id}/responses`, { text: text.value })));
  if ((session.role === 'mediator' || session.role === 'monitor') && i.status === 'alleged') actions.push(act('Investigate', () => session.post(`/v1/incidents/${i.id}/investigate`, { note: text.value })));
  if (session.role === 'mediator' && !i.finding) {
    for (const o of ['verified', 'not_substantiated', 'undetermined']) actions.push(act(`Finding: ${humanKind(o)}`, () => session.post(`/v1/incidents/${i.id}/finding`, { outcome: o, reasons: text.value })));
  }
  const d = i.draft || i;
  return h('article.detail#incident-detail',
    h('div.row', h('h2', `Incident ${i.id}`), h('button.link', { type: 'button', onclick: () => { st.selectedIncident = null; renderIncidents(); } }, 'Close')),
    h('p', h('span.badge', i.status), ` ${humanKind(d.category)}; source ${i.source}, reported by ${i.reporter}; about ${i.about.join(', ') || '—'}`),
    h('p', 'Occurred ', time(d.occurred_at), '; opened ', time(i.opened_at)),
    d.description ? h('p', d.description) : null,
    i.engine ? h('p.muted', `Engine: ${i.engine.rule} ${humanKind(i.engine.kind)}${i.engine.unit ? ` unit ${i.engine.unit}` : ''}${i.engine.other ? ` / ${i.engine.other}` : ''}`, i.engine.cleared_at ? [' cleared ', time(i.engine.cleared_at)] : ' (still open)') : null,
    d.place ? h('button.link', { type: 'button', onclick: () => st.map?.flyTo({ center: [d.place.lon, d.place.lat], zoom: 11 }) }, 'Show place on map') : null,
    h('h3', 'Timeline'),
    h('ol.timeline', i.history.map((s) => h('li', time(s.at), ` ${s.status} by ${s.by}${s.note ? `: ${s.note}` : ''}`))),
    h('h3', 'Evidence'),
    (d.evidence || []).length ? h('ul', d.evidence.map((e) => h('li', h('code', e.sha256), ` ${e.media_type} `, h('button.link', { type: 'button', onclick: () => downloadEvidence(e) }, 'Download')))) : h('p.muted', 'No evidence attached.'),
    h('h3', 'Responses'),
    i.responses.length ? h('ul', i.responses.map((r) => h('li', h('strong', r.party), ' ', time(r.at), h('div', r.text)))) : h('p.muted', 'No responses.'),
    h('h3', 'Finding'),
    i.finding ? h('p', h('strong', humanKind(i.finding.outcome)), ` by ${i.finding.by} `, time(i.finding.at), h('div', i.finding.reasons)) : h('p.muted', 'No finding yet.'),
    actions.length ? h('div', h('label', { for: 'incident-text' }, 'Text / reasons'), text, h('div.actions', actions)) : null,
  );
}

async function downloadEvidence(e) {
  try {
    const blob = await session.getBytes(`/v1/evidence/${e.sha256}`);
    const a = h('a', { href: URL.createObjectURL(blob), download: e.sha256 });
    a.click();
  } catch (err) {
    showError(err);
  }
}

// ---------------------------------------------------------------- compliance

async function loadSummary() {
  try {
    st.summary = await session.get('/v1/summary');
  } catch (e) {
    showError(e);
  }
}

function renderCompliance() {
  const s = st.summary;
  if (!s) {
    clear(el.panelBody, h('p.empty', 'Loading the compliance summary…'));
    loadSummary().then(() => st.tab === 'compliance' && st.summary && renderCompliance());
    return;
  }
  clear(
    el.panelBody,
    h('p.muted', 'Engine time ', time(s.engine_time), '. ', h('a', { href: '#', onclick: (e) => { e.preventDefault(); openSummaryHtml(); } }, 'Printable summary')),
    s.parties.map((p) =>
      h('section.party', { dataset: { party: p.party } },
        h('h2', h('span.dot', { style: `background:${st.colours[p.party]}` }), ` ${p.party}`),
        h('p', h(p.open_breaches.length ? 'strong.bad' : 'strong.ok', `${p.open_breaches.length} open breach${p.open_breaches.length === 1 ? '' : 'es'}`), ` · ${p.incidents} incidents`),
        p.open_breaches.length ? h('ul', p.open_breaches.slice(0, 20).map((b) => h('li', `${b.rule} ${b.unit || ''} ${b.other ? `/ ${b.other}` : ''} since `, time(b.t)))) : null,
        p.caps.length ? h('h3', 'Caps') : null,
        p.caps.map((c) => {
          const pct = c.max > 0 ? Math.min(100, (100 * c.present) / c.max) : c.present > 0 ? 100 : 0;
          return h('div.cap', { dataset: { rule: c.rule } },
            h('div', `${c.rule}: ${c.category} in ${c.zone}: ${c.present} of ${c.max}`, h(c.headroom < 0 ? 'span.bad' : 'span.muted', ` (headroom ${c.headroom})`)),
            h('div.bar', { role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': c.max, 'aria-valuenow': c.present, 'aria-label': `${c.rule} ${c.present} of ${c.max}` },
              h('span', { style: `width:${pct}%`, class: pct >= 100 ? 'over' : pct >= 80 ? 'near' : '' })));
        }),
        Object.keys(p.by_category).length ? h('h3', 'Incidents by category') : null,
        Object.entries(p.by_category).map(([cat, by]) => h('div', `${humanKind(cat)}: ${Object.entries(by).map(([k, v]) => `${v} ${humanKind(k)}`).join(', ')}`)),
      )),
  );
}

async function openSummaryHtml() {
  try {
    const blob = await session.getBytes('/v1/summary.html');
    window.open(URL.createObjectURL(new Blob([blob], { type: 'text/html' })), '_blank');
  } catch (e) {
    showError(e);
  }
}

// ---------------------------------------------------------------- start

async function start() {
  clear(app, h('p.loading', { role: 'status' }, 'Loading the agreement…'));
  try {
    const [meta, agreement, countriesTopo] = await Promise.all([
      session.get('/v1/console/map'),
      session.get('/v1/agreement'),
      fetch(countriesUrl).then((r) => (r.ok ? r.json() : Promise.reject(new Error('basemap missing')))),
    ]);
    st.meta = meta;
    st.agreement = agreement;
    st.colours = partyColours(meta.parties);
    st.feed = [];
    layout();
    renderLegend();
    buildMap(feature(countriesTopo, countriesTopo.objects.countries));
    await Promise.all([loadFeed(), loadNotices(), loadIncidents(), pollUnits()]);
    connectStream();
    st.pollTimer = setInterval(() => {
      pollUnits();
      if (st.tab === 'compliance') loadSummary().then(() => st.tab === 'compliance' && renderCompliance());
    }, UNITS_POLL_MS);
    render();
    app.dataset.ready = 'true';
  } catch (e) {
    if (!el.panelBody) clear(app, h('main.signin-wrap', h('div.signin', h('h1', 'Could not load the console'), h('p.error', e.message), h('button', { type: 'button', onclick: () => start() }, 'Try again'))));
    else showError(e);
  }
}

signInView();
