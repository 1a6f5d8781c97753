// The console's shared state: the session, the state object, the page's elements, and
// helpers every panel uses.
import { Session } from './api.js';
import { h, clear } from './util.js';

export const session = new Session();
export const app = document.getElementById('app');

export const RULE_COLOURS = { exclusion: '#d62728', cap: '#ff7f0e', standoff: '#8e44ad', none: '#607d8b' };
export const NOTICE_KINDS = ['movement', 'deployment', 'exercise', 'flight', 'strike'];
export const FEED_RENDER_MAX = 400;
export const UNITS_POLL_MS = 2000;

export const st = {
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

export const el = {};

export function showError(err) {
  if (!el.error) return;
  if (!err) {
    el.error.hidden = true;
    return;
  }
  el.error.hidden = false;
  clear(el.error, String(err.message || err), ' ', h('button', { type: 'button', onclick: () => showError(null) }, 'Dismiss'));
}

export function serverNow() {
  return st.serverTimeMs == null ? Date.now() : st.serverTimeMs + (Date.now() - st.serverTimeAt);
}
