// truceline console: the agreement on a map, live events, notices, incidents and compliance,
// for whoever signs in with their key, showing what the API shows that principal.

import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';
import countriesUrl from 'world-atlas/countries-50m.json?url';
import { feature } from 'topojson-client';
import { h, clear, partyColours } from './util.js';
import { session, app, UNITS_POLL_MS, st, el, showError } from './state.js';
import { signInView } from './signin.js';
import { layout, render } from './layout.js';
import { buildMap, renderLegend } from './map.js';
import { pollUnits } from './units.js';
import { loadFeed, connectStream } from './feed.js';
import { loadNotices } from './notices.js';
import { loadIncidents } from './incidents.js';
import { loadSummary, renderCompliance } from './compliance.js';

// ---------------------------------------------------------------- start

export async function start() {
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
