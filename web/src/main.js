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

/** Local times beside every UTC time (remembered in this browser, where it may store). */
function showLocalTimes(on) {
  document.body.classList.toggle('show-local', on);
  try { localStorage.setItem('truceline.showLocal', on ? '1' : '0'); } catch { /* storage off: this page only */ }
}

function localTimesWanted() {
  try { return localStorage.getItem('truceline.showLocal') === '1'; } catch { return false; }
}

const el = {};

function layout() {
  document.body.classList.toggle('show-local', localTimesWanted());
  el.noticeForm = null;
  el.incidentForm = null;
  el.clock = h('span.clock#engine-time', { title: 'Engine time: the time of the last report applied' }, 'no reports yet');
  el.live = h('span.live#live-status', { role: 'status' }, 'connecting…');
  el.error = h('div.error-banner#error', { role: 'alert', hidden: true });
  const tabs = Object.entries(TABS).map(([t, label]) =>
    h(`button.tab#tab-${t}`, { role: 'tab', 'aria-controls': 'panel-body', 'aria-selected': String(st.tab === t), tabindex: st.tab === t ? '0' : '-1', onclick: () => setTab(t), onkeydown: tabKeys }, label),
  );
  el.tabs = tabs;
  el.panelBody = h('div.panel-body#panel-body', { role: 'tabpanel', 'aria-labelledby': `tab-${st.tab}`, tabindex: '0' });
  el.legend = h('div.legend#legend', { role: 'group', 'aria-label': 'Legend' });
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
      h('a.skip', { href: '#panel' }, 'Skip to panels'),
      h('h1.title', st.meta.agreement.title || st.meta.agreement.id),
      h('span.muted', ` v${st.meta.agreement.version}`),
      h('span.spacer'),
      'Engine time ',
      el.clock,
      h('label.local-times', h('input#show-local', { type: 'checkbox', checked: localTimesWanted(), onchange: (e) => showLocalTimes(e.currentTarget.checked) }), ' Local times'),
      el.live,
      h('span.who#who', `${session.id} (${session.role})`),
      h('button#signout', { type: 'button', onclick: async () => { stop(); await session.signOut(); signInView('Signed out.'); } }, 'Sign out'),
    ),
    el.error,
    h(
      'main.main',
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

const TABS = { feed: 'Feed', notices: 'Notices', incidents: 'Incidents', compliance: 'Compliance', mapitems: 'Map items' };

function setTab(t) {
  st.tab = t;
  for (const b of el.tabs) {
    const on = b.id === `tab-${t}`;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
  }
  el.panelBody.setAttribute('aria-labelledby', `tab-${t}`);
  st.forceRender = true;
  render();
  st.forceRender = false;
}

/** Tabs as ARIA describes them: arrow keys (and Home, End) move between tabs. */
function tabKeys(e) {
  const i = el.tabs.indexOf(e.currentTarget);
  const j = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: el.tabs.length - 1 }[e.key];
  if (j == null) return;
  e.preventDefault();
  const next = el.tabs[(j + el.tabs.length) % el.tabs.length];
  next.focus();
  setTab(next.id.slice(4));
}

/** Renders the open tab. Live updates re-render it; whoever was on a control there keeps
 * the focus on the same control (same id, or same data-key). */
function render() {
  if (!el.panelBody) return;
  const active = document.activeElement;
  const key = el.panelBody.contains(active) && active !== el.panelBody ? (active.id ? `#${CSS.escape(active.id)}` : active.dataset.key ? `[data-key="${CSS.escape(active.dataset.key)}"]` : null) : null;
  if (st.tab === 'feed') renderFeed();
  else if (st.tab === 'notices') renderNotices();
  else if (st.tab === 'incidents') renderIncidents();
  else if (st.tab === 'mapitems') renderMapItems();
  else renderCompliance();
  if (key && !el.panelBody.contains(document.activeElement)) el.panelBody.querySelector(key)?.focus();
}

// ---------------------------------------------------------------- map items (the map by keyboard)

const UNIT_LIST_MAX = 50;

/** Everything on the map as a list of buttons: units in breach, a search over units, and
 * the zones and lines; each opens the same details as a click on the map. */
function renderMapItems() {
  const inBreach = unitsInBreach();
  const breachList = [...inBreach.keys()].filter((u) => st.unitRows.has(u)).sort();
  // Live updates re-render only when the lists change (not under someone's cursor).
  const signature = `${st.unitRows.size}|${breachList.join(',')}|${st.replayAt}`;
  if (!st.forceRender && signature === st.mapItemsSignature && el.panelBody.querySelector('#map-features')) return;
  st.mapItemsSignature = signature;
  const query = st.unitQuery || '';
  const search = h('input#unit-search', { type: 'search', value: query, placeholder: 'unit id, party or category', autocomplete: 'off', 'aria-describedby': 'unit-search-count' });
  const results = h('div#unit-results');
  const showResults = () => {
    const q = search.value.trim().toLowerCase();
    st.unitQuery = search.value;
    const hits = [];
    if (q) {
      for (const row of st.unitRows.values()) {
        if (`${row[0]} ${row[1]} ${row[2]}`.toLowerCase().includes(q)) hits.push(row[0]);
        if (hits.length > UNIT_LIST_MAX) break;
      }
    }
    clear(results,
      h('p.muted#unit-search-count', { 'aria-live': 'polite' }, !q ? `${st.unitRows.size} units on the map.` : hits.length ? (hits.length > UNIT_LIST_MAX ? `The first ${UNIT_LIST_MAX} matches.` : `${hits.length} match${hits.length === 1 ? '' : 'es'}.`) : 'No unit matches.'),
      hits.length ? h('ul.items', hits.slice(0, UNIT_LIST_MAX).sort().map((u) => h('li', unitButton(u, inBreach.get(u))))) : null);
  };
  search.addEventListener('input', showResults);
  showResults();
  const kinds = (f) => [...new Set((f.properties.rules || []).map((r) => r.kind))];
  clear(
    el.panelBody,
    h('p.muted', 'Each item opens its details on the map (Escape closes them). On the map itself: arrow keys pan, + and - zoom, Enter shows what is under the centre.'),
    h('h2', `Units in breach (${breachList.length})`),
    breachList.length
      ? h('ul.items#breach-units', breachList.slice(0, 200).map((u) => h('li', unitButton(u, inBreach.get(u)))))
      : h('p.empty#breach-units-empty', st.unitRows.size ? 'No unit you can see is in breach.' : session.role === 'observer' ? 'Observers see no unit positions.' : 'No unit positions yet.'),
    st.unitRows.size ? [h('h2', h('label', { for: 'unit-search' }, 'Find a unit')), search, results] : null,
    h('h2', `Zones and lines (${st.meta.geojson.features.length})`),
    h('ul.items#map-features', st.meta.geojson.features.map((f) =>
      h('li', h('button.item', { type: 'button', dataset: { key: `feature:${f.properties.id}` }, onclick: (e) => showFeature(f, e.currentTarget) },
        h(`span.swatch.k-${f.properties.style}`, { 'aria-hidden': 'true' }),
        h('strong', f.properties.id), ` ${f.properties.name !== f.properties.id ? f.properties.name : ''}`,
        h('span.muted', ` ${f.properties.shape}${kinds(f).length ? `: ${kinds(f).join(', ')}` : ''}`))))),
  );
}

function unitButton(u, rules) {
  const row = st.unitRows.get(u);
  return h(`button.item${rules ? '.breach' : ''}`, { type: 'button', dataset: { key: `unit:${u}` }, onclick: (e) => showUnit(u, e.currentTarget) },
    h('strong', u), ` ${row[1]} · ${row[2]} · ${row[3]}`, rules ? h('span.bad', ` in breach: ${rules.join(', ')}`) : null);
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
        // Units carry their party only (the colour); updated by difference (updateData).
        units: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        breaches: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        notices: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        draft: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      },
      layers: [
        // No background layer: the sea is the map element's CSS background, seen through
        // the canvas where no land is drawn (a background layer is one more full-screen
        // pass per frame: a third of the frame time under a software renderer).
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
        { id: 'units-breach', type: 'circle', source: 'breaches', paint: { 'circle-radius': 10, 'circle-color': '#e00000', 'circle-opacity': 0.35, 'circle-stroke-color': '#e00000', 'circle-stroke-width': 2 } },
        {
          id: 'units', type: 'circle', source: 'units',
          paint: {
            ...UNIT_DOTS.sparse,
            'circle-color': ['match', ['get', 'party'], ...Object.entries(st.colours).flat(), '#555'],
            'circle-stroke-color': '#fff',
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
    scheduleUnits(); // units that arrived before the map was ready
    refreshNoticesLayer();
  });
  // Rendered counts, for people and tests reading the page's state: counted once the map
  // has stayed still for a moment (while it moves, 'idle' follows every frame, and counting
  // 10,000 rendered units each time halved the frame rate).
  let countTimer = 0;
  map.on('idle', () => {
    clearTimeout(countTimer);
    countTimer = setTimeout(() => {
      if (!st.map || map.isMoving()) return;
      el.mapDiv.dataset.zones = String(map.queryRenderedFeatures({ layers: ['zones-fill', 'lines'] }).length);
      el.mapDiv.dataset.renderedUnits = String(map.queryRenderedFeatures({ layers: ['units'] }).length);
    }, 300);
  });
  map.on('movestart', () => clearTimeout(countTimer));
  map.on('moveend', () => placeLabels());
  map.on('resize', () => placeLabels());
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
    if (hits.length) openPopup(e.lngLat, popupFor(hits[0]));
  });
  // The map by keyboard: MapLibre pans with the arrow keys and zooms with + and -; Enter
  // opens the details of what is under the cross at the centre (Escape closes them).
  map.getCanvas().setAttribute('aria-label', 'Map. Arrow keys pan, + and - zoom, Enter shows what is under the centre cross (or, while drawing a notice or picking a place, takes the centre); the Map items tab lists every zone, line and unit.');
  map.getCanvas().addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    // Drawing a notice's place, or picking an incident's: Enter takes the centre.
    if (st.pickPlace) return st.pickPlace(map.getCenter());
    if (st.draft.mode) {
      st.draft.points.push([round6(map.getCenter().lng), round6(map.getCenter().lat)]);
      return refreshDraft();
    }
    const c = map.project(map.getCenter());
    const hits = map.queryRenderedFeatures([[c.x - 10, c.y - 10], [c.x + 10, c.y + 10]], { layers: ['units', 'zones-fill', 'lines', 'notices-fill'] });
    openPopup(map.getCenter(), hits.length ? popupFor(hits[0]) : h('p', 'Nothing here: move the map with the arrow keys, or use the Map items tab.'), map.getCanvas());
  });
  for (const layer of ['units', 'zones-fill', 'lines']) {
    map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = st.draft.mode ? 'crosshair' : 'pointer'));
    map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = st.draft.mode ? 'crosshair' : ''));
  }
  st.map = map;
  return map;
}

// Unit dots. With thousands of units, drawing the dots is most of a frame's work under a
// software renderer (it grows with their area), and full-size dots would cover the zones
// anyway: dense maps get smaller dots, with a white edge only when zoomed well in.
const DENSE_UNITS = 2000;
const UNIT_DOTS = {
  sparse: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 6, 3, 10, 6], 'circle-stroke-width': ['step', ['zoom'], 0, 9, 1] },
  dense: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 6, 1.5, 9, 2.5, 12, 5], 'circle-stroke-width': ['step', ['zoom'], 0, 12, 1] },
};

const round6 = (x) => Math.round(x * 1e6) / 1e6;

// ---------------------------------------------------------------- zone and line labels

// Names of zones and lines as DOM markers (no glyph server for map text), placed so that
// they never overlap one another or the map's controls: each label has candidate points
// inside its zone (or along its line), and labels are placed by priority of their rule
// (exclusion, standoff, cap, none), each at its first candidate whose box is free; one
// that fits nowhere is hidden until the view leaves room (its details stay in Map items).
const LABEL_PRIORITY = { exclusion: 0, standoff: 1, cap: 2, none: 3 };
const LABEL_FRACTIONS = [0.5, 0.3, 0.7, 0.15, 0.85, 0.4, 0.6, 0.22, 0.78, 0.08, 0.92];

/** Candidate points for a feature's label, best first: around a preferred latitude (or
 * point along a line) that differs from one feature to the next, so that side-by-side
 * strips do not line their names up in a row. */
function labelCandidates(f, i = 0) {
  const pref = [0.5, 0.3, 0.7, 0.4, 0.6][i % 5];
  const fractions = [...LABEL_FRACTIONS].sort((p, q) => Math.abs(p - pref) - Math.abs(q - pref));
  const g = f.geometry;
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

function addLabels(map) {
  st.labels = st.meta.geojson.features
    .map((f, i) => {
      const style = f.properties.style;
      const element = h(`div.map-label.k-${style}`, { 'aria-hidden': 'true' }, f.properties.id);
      const candidates = labelCandidates(f, i);
      const marker = new maplibregl.Marker({ element }).setLngLat(candidates[0]).addTo(map);
      return { f, element, marker, candidates, priority: (LABEL_PRIORITY[style] ?? 3) + (f.properties.shape === 'line' ? 0.5 : 0) };
    })
    .sort((p, q) => p.priority - q.priority);
  placeLabels();
}

const overlaps = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

function placeLabels() {
  const map = st.map;
  if (!map || !st.labels) return;
  const box = el.mapDiv.getBoundingClientRect();
  const rect = (e) => {
    const r = e.getBoundingClientRect();
    return { x1: r.left - box.left, y1: r.top - box.top, x2: r.right - box.left, y2: r.bottom - box.top };
  };
  // The map's own furniture is taken.
  const taken = [el.legend, el.mapStatus, ...el.mapDiv.querySelectorAll('.maplibregl-ctrl')].filter((e) => e.offsetParent).map(rect);
  let shown = 0;
  for (const l of st.labels) {
    const w = l.element.offsetWidth + 4;
    const hgt = l.element.offsetHeight + 2;
    let placed = null;
    for (const c of l.candidates) {
      const p = map.project(c);
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

// ---------------------------------------------------------------- popups

/** Opens the one popup at `lngLat`; `from` (the control that opened it) gets the focus back
 * when it closes (by its close button or Escape). */
function openPopup(lngLat, content, from = document.activeElement) {
  st.popup?.remove();
  const popup = new maplibregl.Popup({ maxWidth: '320px', focusAfterOpen: true, closeButton: true })
    .setLngLat(lngLat)
    .setDOMContent(h('div.popup-body', { role: 'dialog', 'aria-label': 'Details' }, content))
    .addTo(st.map);
  const box = popup.getElement();
  box.querySelector('.maplibregl-popup-close-button')?.setAttribute('aria-label', 'Close details');
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

function popupFor(f) {
  const p = f.properties;
  if (f.layer.id === 'units') return unitPopup(st.unitNames[f.id]);
  if (f.layer.id === 'notices-fill') return h('div', { dataset: { popup: `notice:${p.id}` } }, h('strong', `Notice ${p.id}`), h('div', `${p.party} · ${p.kind} · ${p.status}`));
  return featurePopup(st.meta.geojson.features.find((x) => x.properties.id === p.id) || { properties: p });
}

function unitPopup(name) {
  const row = st.unitRows.get(name);
  if (!row) return h('p', `Unit ${name}: no position.`);
  const [unit, party, category, count, lon, lat, t] = row;
  const rules = unitsInBreach().get(unit);
  return h('div', { dataset: { popup: `unit:${unit}` } },
    h('strong', unit),
    h('div', `${party} · ${category} · ${count}`),
    h('div', 'Reported ', time(t)),
    h('div.muted', `${lat.toFixed(4)}° N, ${lon.toFixed(4)}° E`),
    rules ? h('div.bad', 'In breach: ', rules.join(', ')) : h('div.muted', 'No open breach.'));
}

function featurePopup(f) {
  const p = f.properties;
  const rules = typeof p.rules === 'string' ? JSON.parse(p.rules) : p.rules || [];
  return h('div', { dataset: { popup: `feature:${p.id}` } },
    h('strong', p.name), h('div.muted', `${p.id} · ${p.shape === 'line' ? 'line' : 'zone'}`),
    rules.length ? h('ul', rules.map((r) => h('li', `${r.id} (${r.kind})`, ruleDetail(r)))) : h('div.muted', 'No rule names this feature.'));
}

/** Shows a zone or line from a list: brings it into view and opens its details. */
function showFeature(f, from) {
  const at = st.labels?.find((l) => l.f === f)?.marker.getLngLat() || labelCandidates(f)[0];
  const b = bboxOf({ features: [f] });
  st.map.fitBounds(b, { padding: 60, maxZoom: 11, duration: 0 });
  openPopup(at, featurePopup(f), from);
}

function showUnit(name, from) {
  const row = st.unitRows.get(name);
  if (!row) return;
  const at = [row[4], row[5]];
  if (!st.map.getBounds().contains(at) || st.map.getZoom() < 9) st.map.jumpTo({ center: at, zoom: Math.max(st.map.getZoom(), 10) });
  openPopup(at, unitPopup(name), from);
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

/** Open breaches from the feed's engine events, up to `atMs` (report time) if given; kept
 * until the feed or the time changes (the feed may hold 50,000 items). */
function openBreaches(atMs) {
  const key = `${st.lastFeedId}|${st.feed.length}|${atMs}`;
  if (st.breachCache?.key === key) return st.breachCache.open;
  const open = new Map();
  for (const item of st.feed) {
    if (item.kind !== 'event') continue;
    const d = item.data;
    if (atMs != null && Date.parse(d.t) > atMs) continue;
    if (/_(breach|exceeded)$/.test(d.kind)) open.set(eventKey(d), d);
    else open.delete(eventKey(d));
  }
  st.breachCache = { key, open };
  return open;
}

/** Units in breach now (or at the replay time): unit -> rule ids. */
function unitsInBreach() {
  const inBreach = new Map();
  for (const d of openBreaches(st.replayAt).values()) {
    for (const u of [d.unit, d.other]) if (u) inBreach.set(u, [...(inBreach.get(u) || []), d.rule]);
  }
  return inBreach;
}

/** Timings of the unit layer's updates (for the benchmark in bench/units.mjs), the last 200. */
st.perf = { updates: [] };
function notePerf(u) {
  st.perf.updates.push(u);
  if (st.perf.updates.length > 200) st.perf.updates.shift();
}

// Units: the rows the API gave ([unit, party, category, count, lon, lat, t]) by unit, and a
// numeric feature id per unit, so that the map's source is updated by difference (only the
// units that moved go to the map's worker) and popups and lists find a unit's details here
// rather than in the map's tiles, which carry its party only.
st.unitRows = new Map();
st.unitIds = new Map();
st.unitNames = [];
st.unitsSeq = 0;
const unitsPending = { full: false, changed: new Map(), frame: 0, fetch: 0 };

function unitId(name) {
  let id = st.unitIds.get(name);
  if (id == null) {
    id = st.unitNames.length;
    st.unitIds.set(name, id);
    st.unitNames.push(name);
  }
  return id;
}

const unitFeature = (row) => ({ type: 'Feature', id: unitId(row[0]), geometry: { type: 'Point', coordinates: [row[4], row[5]] }, properties: { party: row[1] } });

/** Takes an answer of /v1/console/units: all units (`full`) or those that moved. */
function takeUnits(answer, full) {
  if (full) {
    st.unitRows = new Map();
    unitsPending.changed.clear();
    unitsPending.full = true;
  }
  for (const row of answer.units) {
    st.unitRows.set(row[0], row);
    if (!unitsPending.full) unitsPending.changed.set(row[0], row);
  }
  scheduleUnits();
}

/** Map updates wait for the next animation frame, so that bursts of answers (and breaches
 * arriving with the feed) make one update, and none runs in the middle of a frame. */
function scheduleUnits() {
  unitsPending.frame ||= requestAnimationFrame(applyUnits);
}

function applyUnits() {
  unitsPending.frame = 0;
  if (!st.mapReady) return;
  const t0 = performance.now();
  const source = st.map.getSource('units');
  let sent = 0;
  let done = null;
  if (unitsPending.full) {
    const features = [...st.unitRows.values()].map(unitFeature);
    sent = features.length;
    done = source.setData({ type: 'FeatureCollection', features }, true);
  } else if (unitsPending.changed.size) {
    const add = [];
    const update = [];
    for (const row of unitsPending.changed.values()) {
      if (st.unitIds.has(row[0]) && st.unitsOnMap.has(row[0])) update.push({ id: st.unitIds.get(row[0]), newGeometry: { type: 'Point', coordinates: [row[4], row[5]] } });
      else add.push(unitFeature(row));
    }
    sent = add.length + update.length;
    done = source.updateData({ add, update }, true);
  }
  if (unitsPending.full) st.unitsOnMap = new Set(st.unitRows.keys());
  else for (const name of unitsPending.changed.keys()) st.unitsOnMap.add(name);
  unitsPending.full = false;
  unitsPending.changed.clear();
  const built = performance.now();
  const fetch = unitsPending.fetch;
  done?.then(() => notePerf({ fetch, build: built - t0, setData: performance.now() - built, sent, units: st.unitRows.size }));
  refreshBreachLayer();
  const n = st.unitRows.size;
  const dense = n > DENSE_UNITS;
  if (dense !== !!st.unitsDense) {
    st.unitsDense = dense;
    for (const [k, v] of Object.entries(UNIT_DOTS[dense ? 'dense' : 'sparse'])) st.map.setPaintProperty('units', k, v);
  }
  el.mapDiv.dataset.units = String(n);
  el.mapStatus.textContent = (st.noBasemap ? 'No basemap. ' : '') + (n
    ? `${n} units${st.replayAt != null ? ` as of ${utc(st.replayAt)}` : ''}`
    : session.role === 'observer'
      ? 'Observers see no unit positions (the public summary only).'
      : st.replayAt != null ? `No unit positions as of ${utc(st.replayAt)}.` : 'No unit positions yet: waiting for reports.');
  if (st.tab === 'mapitems') render();
}
st.unitsOnMap = new Set();

/** The highlight of units in breach: a source of its own with only those units, so that a
 * breach starting or ending never touches the 10,000-unit source. */
function refreshBreachLayer() {
  if (!st.mapReady) return;
  const inBreach = unitsInBreach();
  const features = [];
  for (const [unit, rules] of inBreach) {
    const row = st.unitRows.get(unit);
    if (row) features.push({ type: 'Feature', id: unitId(unit), geometry: { type: 'Point', coordinates: [row[4], row[5]] }, properties: { unit, rules: rules.join(', ') } });
  }
  const signature = features.map((f) => `${f.properties.unit}@${f.geometry.coordinates}`).join('|');
  if (signature !== st.breachSignature) {
    st.breachSignature = signature;
    st.map.getSource('breaches').setData({ type: 'FeatureCollection', features });
  }
  el.mapDiv.dataset.breachUnits = String(features.length);
}

/** Called when feed items arrive (breaches may have started or ended). */
function refreshUnitsLayer() {
  refreshBreachLayer();
}

async function pollUnits() {
  if (st.replayAt != null || st.polling) return;
  st.polling = true;
  try {
    const t0 = performance.now();
    const since = st.unitsSeq;
    const u = await session.get(since ? `/v1/console/units?since=${since}` : '/v1/console/units');
    if (st.replayAt != null) return;
    unitsPending.fetch = performance.now() - t0;
    // A restarted server counts from 0 again: then take everything afresh.
    if (since && u.seq < since) {
      st.unitsSeq = 0;
      return;
    }
    st.unitsSeq = u.seq;
    takeUnits(u, !since);
    st.engineTime = u.engine_time;
    st.serverTimeMs = Date.parse(u.server_time);
    st.serverTimeAt = Date.now();
    if (u.history_from) st.historyFrom = Date.parse(u.history_from);
    updateClock();
    updateSlider();
    el.mapStatus.classList.remove('bad');
  } catch (e) {
    el.mapStatus.textContent = `Unit positions unavailable: ${e.message}. Retrying every ${UNITS_POLL_MS / 1000} s.`;
    el.mapStatus.classList.add('bad');
  } finally {
    st.polling = false;
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
  clear(el.sliderLabel, 'Replay ', time(ms));
  el.liveBtn.disabled = false;
  el.mapDiv.dataset.mode = 'replay';
  try {
    const u = await session.get(`/v1/console/units?at=${encodeURIComponent(new Date(ms).toISOString())}`);
    if (st.replayAt !== ms) return;
    takeUnits(u, true);
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
  st.unitsSeq = 0;
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
          h('div.when', h('span.sr-only', i.kind === 'event' ? 'Report time ' : 'Server time '), i.kind === 'event' ? time(i.data.t) : time(i.time)),
          h('div.what', feedText(i)),
          i.kind === 'event' && i.data.lon != null ? h('button.link', { type: 'button', dataset: { key: `show:${i.id}` }, 'aria-label': `Show ${i.data.unit || i.data.rule || 'event'} on the map`, onclick: () => st.map?.flyTo({ center: [i.data.lon, i.data.lat], zoom: 10 }) }, 'Show') : null)))
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
  const act = (label, fn, cls = '') => h(`button${cls}`, { type: 'button', dataset: { action: label.toLowerCase(), key: `${n.id}:${label}` }, onclick: async () => { try { await fn(); await loadNotices(); renderNotices(); } catch (e) { showError(e); } } }, label);
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
  const count = h('input#notice-count', { type: 'number', min: 1, value: 10, required: true, 'aria-label': 'Number of forces' });
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
    pick.textContent = 'Click the map (or Enter on it)…';
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
          h('button.link', { type: 'button', dataset: { key: `incident:${i.id}` }, onclick: () => { st.selectedIncident = i.id; renderIncidents(); } }, i.id), ' ',
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
      // Without the basemap the agreement is still worth showing: say so on the map.
      fetch(countriesUrl).then((r) => (r.ok ? r.json() : null)).catch(() => null),
    ]);
    st.meta = meta;
    st.agreement = agreement;
    st.colours = partyColours(meta.parties);
    st.feed = [];
    layout();
    renderLegend();
    buildMap(countriesTopo ? feature(countriesTopo, countriesTopo.objects.countries) : { type: 'FeatureCollection', features: [] });
    st.noBasemap = !countriesTopo;
    if (st.noBasemap) el.mapStatus.textContent = 'The basemap (country outlines) did not load; the agreement is shown without it.';
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
