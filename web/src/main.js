// truceline console: the agreement on a map, live events, notices, incidents and compliance,
// for whoever signs in with their key, showing what the API shows that principal, in
// English, Arabic, Hebrew or Russian.

import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';
import countriesUrl from 'world-atlas/countries-50m.json?url';
import regionUrl from './data/levant.json?url';
import { feature } from 'topojson-client';
import { h, clear } from './util.js';
import { session, app, UNITS_POLL_MS, st, el, showError } from './state.js';
import { t, setLanguage, preferredLanguage, onLanguageChange } from './i18n.js';
import { initTheme, onThemeChange } from './theme.js';
import { partyColours } from './colours.js';
import { signInView } from './signin.js';
import { layout, render } from './layout.js';
import { buildMap, placeControls, themeMap } from './map.js';
import { renderLegend } from './legend.js';
import { placeLabels } from './labels.js';
import { pollUnits, updateClock, showUnitsStatus, seedTrails } from './units.js';
import { updateSlider } from './replay.js';
import { loadFeed, connectStream } from './feed.js';
import { loadNotices } from './notices.js';
import { loadIncidents } from './incidents.js';
import { loadSummary, renderCompliance } from './compliance.js';
import { loadMissionBasemap } from './basemap.js';
import { refreshPlaceLabels } from './placelabels.js';
import { pollForce } from './force.js';

// ---------------------------------------------------------------- start

export async function start() {
  clear(app, h('p.loading', { role: 'status' }, t('app.loading')));
  try {
    const [meta, agreement, countriesTopo, mission, region] = await Promise.all([
      session.get('/v1/console/map'),
      session.get('/v1/agreement'),
      // Without the basemap the agreement is still worth showing: say so on the map.
      fetch(countriesUrl).then((r) => (r.ok ? r.json() : null)).catch(() => null),
      // The mission's own map, if the server serves one (else the bundled one alone).
      loadMissionBasemap().catch((e) => ({ error: e.message || String(e), sources: {}, layers: [], labelLayers: [] })),
      // The bundled towns and lakes of the region (scripts/region-basemap.mjs).
      fetch(regionUrl).then((r) => (r.ok ? r.json() : null)).catch(() => null),
    ]);
    st.meta = meta;
    st.agreement = agreement;
    st.colours = partyColours(meta.parties);
    st.feed = [];
    layout();
    renderLegend();
    st.basemap = mission && { info: mission.info || null, error: mission.error || null, layers: mission.layers.map((l) => l.id) };
    buildMap(countriesTopo ? feature(countriesTopo, countriesTopo.objects.countries) : { type: 'FeatureCollection', features: [] }, mission?.error ? null : mission, region);
    st.noBasemap = !countriesTopo;
    if (st.noBasemap) el.mapStatus.textContent = t('map.noBasemap');
    if (mission?.error) el.mapStatus.textContent = t('map.missionBasemapFailed', { why: mission.error });
    st.signedIn = true;
    await Promise.all([loadFeed(), loadNotices(), loadIncidents(), pollUnits()]);
    connectStream();
    seedTrails();
    st.pollTimer = setInterval(() => {
      pollUnits();
      if (st.tab === 'compliance') loadSummary().then(() => st.tab === 'compliance' && renderCompliance());
      pollForce();
    }, UNITS_POLL_MS);
    render();
    app.dataset.ready = 'true';
  } catch (e) {
    if (!el.panelBody) clear(app, h('main.signin-wrap', h('div.signin', h('h1', t('app.loadFailed')), h('p.error', e.message), h('button', { type: 'button', onclick: () => start() }, t('app.tryAgain')))));
    else showError(e);
  }
}

/** The page in another language: the sign-in page, or the whole console but its map
 * (kept, with its view, its units and its popups' state), drawn anew. */
function relayout() {
  if (!st.signedIn || !st.map) {
    if (!el.panelBody) signInView(st.signInMessage);
    return;
  }
  const focusedId = document.activeElement?.id;
  layout();
  renderLegend();
  placeControls();
  updateClock();
  updateSlider();
  showUnitsStatus();
  if (st.liveState) {
    el.live.textContent = `${st.liveState === 'live' ? '●' : '○'} ${t(`header.${st.liveState}`)}`;
    el.live.className = `live ${st.liveState === 'live' ? 'ok' : 'bad'}`;
  }
  st.forceRender = true;
  render();
  st.forceRender = false;
  st.map.resize();
  placeLabels();
  refreshPlaceLabels();
  if (focusedId) document.getElementById(focusedId)?.focus();
  app.dataset.ready = 'true';
}

onLanguageChange(relayout);
onThemeChange((dark) => themeMap(dark));
initTheme();
setLanguage(preferredLanguage());
signInView();
