import { clear, time, utc, num } from './util.js';
import { session, UNITS_POLL_MS, st, el } from './state.js';
import { t } from './i18n.js';
import { render } from './layout.js';
import { DENSE_UNITS, unitDots } from './map.js';
import { updateSlider } from './replay.js';

// ---------------------------------------------------------------- units, breaches, replay

/** What pairs a breach with the event that ends it: a cap is one breach of its rule
 * whatever unit's report tipped it or restored it (they differ); other rules, per unit
 * (and the other unit of a separation, where this principal knows it: a party's copy names
 * no unit of the other side, so its breach and clearing pair by its own unit). */
function eventKey(d) {
  if (/^cap_/.test(d.kind)) return d.rule;
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
export function unitsInBreach() {
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
export function takeUnits(answer, full) {
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
export function scheduleUnits() {
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
    for (const [k, v] of Object.entries(unitDots(dense))) st.map.setPaintProperty('units', k, v);
  }
  el.mapDiv.dataset.units = String(n);
  showUnitsStatus();
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
    if (row) features.push({ type: 'Feature', id: unitId(unit), geometry: { type: 'Point', coordinates: [row[4], row[5]] }, properties: { unit, party: row[1], rules: rules.join(', ') } });
  }
  const signature = features.map((f) => `${f.properties.unit}@${f.geometry.coordinates}`).join('|');
  if (signature !== st.breachSignature) {
    st.breachSignature = signature;
    st.map.getSource('breaches').setData({ type: 'FeatureCollection', features });
  }
  el.mapDiv.dataset.breachUnits = String(features.length);
}

/** Called when feed items arrive (breaches may have started or ended). */
export function refreshUnitsLayer() {
  refreshBreachLayer();
}

/** The map's status line: how many units, as of when; or why there are none. */
export function showUnitsStatus() {
  if (!el.mapStatus || el.mapStatus.classList.contains('bad')) return;
  const n = st.unitRows.size;
  const at = st.replayAt != null ? utc(st.replayAt) : null;
  el.mapStatus.textContent = (st.noBasemap ? `${t('map.noBasemapShort')} ` : '') + (n
    ? at ? t('map.unitsAsOf', { count: n, n: num(n), at }) : t('map.units', { count: n, n: num(n) })
    : session.role === 'observer'
      ? t('map.observerNoUnits')
      : at ? t('map.noUnitsAsOf', { at }) : t('map.noUnitsYet'));
}

export async function pollUnits() {
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
    el.mapStatus.textContent = t('map.unitsUnavailable', { why: e.message, s: num(UNITS_POLL_MS / 1000) });
    el.mapStatus.classList.add('bad');
  } finally {
    st.polling = false;
  }
}

export function updateClock() {
  clear(el.clock, st.engineTime ? time(st.engineTime) : t('header.noReports'));
}

