import { h, clear } from './util.js';
import { session, app, st, el } from './state.js';
import { signInView, stop } from './signin.js';
import { renderMapItems } from './mapitems.js';
import { replayTo, goLive } from './replay.js';
import { renderFeed } from './feed.js';
import { renderNotices } from './notices.js';
import { renderIncidents } from './incidents.js';
import { renderCompliance } from './compliance.js';

// ---------------------------------------------------------------- layout

/** Local times beside every UTC time (remembered in this browser, where it may store). */
function showLocalTimes(on) {
  document.body.classList.toggle('show-local', on);
  try { localStorage.setItem('truceline.showLocal', on ? '1' : '0'); } catch { /* storage off: this page only */ }
}

function localTimesWanted() {
  try { return localStorage.getItem('truceline.showLocal') === '1'; } catch { return false; }
}


export function layout() {
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
export function render() {
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
