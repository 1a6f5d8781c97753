import { h, clear } from './util.js';
import { session, app, st, el, roleName } from './state.js';
import { t, isRtl, languageChooser } from './i18n.js';
import { themeChooser } from './theme.js';
import { signInView, stop } from './signin.js';
import { renderMapItems } from './mapitems.js';
import { timebar } from './replay.js';
import { measureBox } from './measure.js';
import { renderFeed } from './feed.js';
import { renderNotices } from './notices.js';
import { renderIncidents } from './incidents.js';
import { renderCompliance } from './compliance.js';
import { renderRecord } from './record.js';
import { renderTalks, syncGap } from './talks.js';
import { renderForce, syncForce } from './force.js';

// ---------------------------------------------------------------- layout

/** Local times beside every UTC time (remembered in this browser, where it may store). */
function showLocalTimes(on) {
  document.body.classList.toggle('show-local', on);
  try { localStorage.setItem('truceline.showLocal', on ? '1' : '0'); } catch { /* storage off: this page only */ }
}

function localTimesWanted() {
  try { return localStorage.getItem('truceline.showLocal') === '1'; } catch { return false; }
}

const TABS = ['feed', 'notices', 'incidents', 'compliance', 'talks', 'force', 'mapitems', 'record'];

/** The page: header, map, time bar and panels. Called again when the language changes:
 * then everything is drawn anew in it but the map, which is kept (with its view). */
export function layout() {
  document.body.classList.toggle('show-local', localTimesWanted());
  el.noticeForm = null;
  el.incidentForm = null;
  el.draftForm = null;
  el.commentForm = null;
  el.forceForms = null;
  el.clock = h('span.clock#engine-time', { title: t('header.engineTimeTitle') }, t('header.noReports'));
  el.live = h('span.live#live-status', { role: 'status' }, t('header.connecting'));
  el.error = h('div.error-banner#error', { role: 'alert', hidden: true });
  const tabs = TABS.map((tab) =>
    h(`button.tab#tab-${tab}`, { type: 'button', role: 'tab', 'aria-controls': 'panel-body', 'aria-selected': String(st.tab === tab), tabindex: st.tab === tab ? '0' : '-1', onclick: () => setTab(tab), onkeydown: tabKeys }, t(`tabs.${tab}`)),
  );
  el.tabs = tabs;
  el.panelBody = h('div.panel-body#panel-body', { role: 'tabpanel', 'aria-labelledby': `tab-${st.tab}`, tabindex: '0' });
  el.legend = h('div.legend#legend', { role: 'group', 'aria-label': t('legend.label') });
  el.mapDiv ||= h('div#map');
  el.mapDiv.setAttribute('role', 'region');
  el.mapDiv.setAttribute('aria-label', t('map.regionLabel'));
  el.mapStatus ||= h('div.map-status#map-status', { role: 'status' });
  el.readout ||= h('div.readout#pointer-readout', { 'aria-live': 'off', dir: 'ltr' });
  // The gap between two drafts (the Talks tab): its pieces' hatches and areas.
  el.gapLegend = h('div.gap-legend#gap-legend', { role: 'group', 'aria-label': t('talks.legend.label'), hidden: true });
  // On a phone the panels are a sheet over the map, opened and closed by this button.
  el.panelToggle = h('button.panel-toggle#panel-toggle', { type: 'button', 'aria-controls': 'panel', 'aria-expanded': String(!!st.panelOpen), onclick: () => openPanel(!st.panelOpen) }, t(st.panelOpen ? 'layout.hidePanels' : 'layout.showPanels'));
  el.panel = h('section.panel#panel', { 'aria-label': t('layout.panels'), tabindex: '-1' }, h('div.tabs', { role: 'tablist', 'aria-label': t('layout.panels') }, tabs), el.panelBody);
  el.main = h('main.main', { class: st.panelOpen ? 'panel-open' : null },
    h('section.map-wrap', { 'aria-label': t('map.label') }, el.mapDiv, el.legend, el.gapLegend, el.mapStatus, el.readout, measureBox(),
      timebar()),
    el.panel);
  clear(
    app,
    h(
      'header.top',
      h('a.skip', { href: '#panel' }, t('layout.skip')),
      h('h1.title', st.meta.agreement.title || st.meta.agreement.id),
      h('span.muted.version', ` v${st.meta.agreement.version}`),
      h('span.spacer'),
      h('span.engine', t('header.engineTime'), ' ', el.clock),
      h('label.local-times', h('input#show-local', { type: 'checkbox', checked: localTimesWanted(), onchange: (e) => showLocalTimes(e.currentTarget.checked) }), ' ', t('header.localTimes')),
      el.live,
      h('span.who#who', { dir: 'auto' }, `${session.id} (${roleName(session.role)})`),
      languageChooser('lang'),
      themeChooser('theme'),
      el.panelToggle,
      h('button#signout', { type: 'button', onclick: async () => { stop(); await session.signOut(); signInView('signin.signedOut'); } }, t('header.signOut')),
    ),
    el.error,
    el.main,
  );
}

/** The panels' sheet on a phone: open (over the map) or closed. */
export function openPanel(on) {
  st.panelOpen = on;
  el.main?.classList.toggle('panel-open', on);
  if (el.panelToggle) {
    el.panelToggle.setAttribute('aria-expanded', String(on));
    el.panelToggle.textContent = t(on ? 'layout.hidePanels' : 'layout.showPanels');
  }
  if (on) el.tabs?.find((b) => b.getAttribute('aria-selected') === 'true')?.focus({ preventScroll: true });
}

export function setTab(tab) {
  st.tab = tab;
  for (const b of el.tabs) {
    const on = b.id === `tab-${tab}`;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
  }
  el.panelBody.setAttribute('aria-labelledby', `tab-${tab}`);
  st.forceRender = true;
  render();
  st.forceRender = false;
}

/** Tabs as ARIA describes them: arrow keys (and Home, End) move between tabs; in Arabic
 * and Hebrew, whose tabs run from the right, the arrows follow the screen. */
function tabKeys(e) {
  const i = el.tabs.indexOf(e.currentTarget);
  const step = isRtl() ? -1 : 1;
  const j = { ArrowRight: i + step, ArrowLeft: i - step, Home: 0, End: el.tabs.length - 1 }[e.key];
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
  else if (st.tab === 'record') renderRecord();
  else if (st.tab === 'talks') renderTalks();
  else if (st.tab === 'force') renderForce();
  else renderCompliance();
  el.panelBody.dataset.view = st.tab;
  syncGap();
  syncForce();
  if (key && !el.panelBody.contains(document.activeElement)) el.panelBody.querySelector(key)?.focus();
}
