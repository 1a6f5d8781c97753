// The console's shared state: the session, the state object, the page's elements, and
// helpers every panel uses.
import { Session } from './api.js';
import { h, clear } from './util.js';
import { t } from './i18n.js';

export const session = new Session();
export const app = document.getElementById('app');

export const FEED_RENDER_MAX = 400;
export const UNITS_POLL_MS = 2000;
export const NOTICE_KINDS = ['movement', 'deployment', 'exercise', 'flight', 'strike'];

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
  clear(el.error, String(err.message || err), ' ', h('button', { type: 'button', onclick: () => showError(null) }, t('common.dismiss')));
}

export function serverNow() {
  return st.serverTimeMs == null ? Date.now() : st.serverTimeMs + (Date.now() - st.serverTimeAt);
}

/** A word of the API (a status, a kind, an outcome) in the page's language; the API's own
 * word, with underscores as spaces, where the catalogue has none. */
export function word(group, value) {
  const key = `words.${group}.${value}`;
  const out = t(key);
  return out === key ? String(value).replace(/_/g, ' ') : out;
}

/** The other unit of a separation event or breach as this principal may know it: its id
 * (the mediator's and the monitors' view), else "a unit of SY" in the page's language (a
 * party's copy names no unit of the other side: `other_party`, `other_label`); null when
 * the event has no other unit. */
export function otherUnit(d) {
  if (!d) return null;
  if (d.other) return d.other;
  if (d.other_party) return t('common.unitOf', { party: d.other_party });
  return d.other_label || null;
}

/** The role of a principal, in words. */
export function roleName(role) {
  return word('role', role);
}
