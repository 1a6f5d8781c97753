import { clear, time, utc, num } from './util.js';
import { session, UNITS_POLL_MS, st, el } from './state.js';
import { t } from './i18n.js';
import { render } from './layout.js';
import { DENSE_UNITS, unitIconSize } from './map.js';
import { updateSlider } from './replay.js';
import { unitImageName } from './unitimages.js';
import { extendTrail, trailHeading } from './symbology.js';
import { placeUnitLabels } from './unitlabels.js';

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
const unitsPending = { full: false, changed: new Map(), trails: new Set(), trailsFull: false, frame: 0, fetch: 0 };

function unitId(name) {
  let id = st.unitIds.get(name);
  if (id == null) {
    id = st.unitNames.length;
    st.unitIds.set(name, id);
    st.unitNames.push(name);
  }
  return id;
}

// Each unit's last positions (its trail, oldest first), from the answers this console has
// had: the API gives a unit's current position (or its position at a time), so the trail
// grows as the console follows the units, and is seeded at sign-in from the positions of
// the last few sampled times (seedTrails). Its last move gives the unit's heading.
st.trails = new Map();
export const TRAIL_POINTS = 8;
const TRAIL_SEED_STEPS_MIN = [15, 10, 5];
const TRAIL_SEED_MAX_UNITS = 5000;

/** A unit's map feature: its image (category, party and the viewer's relation: one image
 * per kind, shared), its party (the legend's filter), its id (the label) and its heading
 * when it has moved. */
function unitFeature(row) {
  const properties = { party: row[1], icon: unitImageName(row[2], row[1]), unit: row[0] };
  const heading = trailHeading(st.trails.get(row[0]));
  if (heading != null) properties.heading = Math.round(heading);
  return { type: 'Feature', id: unitId(row[0]), geometry: { type: 'Point', coordinates: [row[4], row[5]] }, properties };
}

const trailFeature = (name, trail) => ({ type: 'Feature', id: unitId(name), geometry: { type: 'LineString', coordinates: trail.map((p) => [p[0], p[1]]) }, properties: { party: st.unitRows.get(name)?.[1] || '' } });

function noteTrail(row) {
  const before = st.trails.get(row[0]);
  const after = extendTrail(before, row[4], row[5], Date.parse(row[6]), TRAIL_POINTS);
  if (after !== before) {
    st.trails.set(row[0], after);
    unitsPending.trails.add(row[0]);
  }
}

/** Trails at sign-in: the positions of the last few sampled times before the latest report
 * (oldest first), so that units show where they came from at once. Skipped for very many
 * units (each step fetches them all); their trails then grow as they move. */
export async function seedTrails() {
  if (!st.engineTime || st.unitRows.size === 0 || st.unitRows.size > TRAIL_SEED_MAX_UNITS) return;
  const end = Date.parse(st.engineTime);
  const seeded = new Map();
  for (const min of TRAIL_SEED_STEPS_MIN) {
    const at = new Date(end - min * 60_000).toISOString();
    let u;
    try {
      u = await session.get(`/v1/console/units?at=${encodeURIComponent(at)}`);
    } catch {
      return;
    }
    if (st.replayAt != null || !st.signedIn) return;
    for (const row of u.units) seeded.set(row[0], extendTrail(seeded.get(row[0]), row[4], row[5], Date.parse(row[6]), TRAIL_POINTS));
  }
  for (const [name, trail] of seeded) {
    let merged = trail;
    for (const p of st.trails.get(name) || []) merged = extendTrail(merged, p[0], p[1], p[2], TRAIL_POINTS);
    st.trails.set(name, merged);
    const row = st.unitRows.get(name);
    if (row) unitsPending.changed.set(name, row);
  }
  unitsPending.trailsFull = true;
  scheduleUnits();
}

/** Takes an answer of /v1/console/units: all units (`full`) or those that moved. */
export function takeUnits(answer, full) {
  if (full) {
    st.unitRows = new Map();
    unitsPending.changed.clear();
    unitsPending.full = true;
    unitsPending.trailsFull = true;
  }
  for (const row of answer.units) {
    noteTrail(row);
    st.unitRows.set(row[0], row);
    if (!unitsPending.full) unitsPending.changed.set(row[0], row);
  }
  // A unit no longer in a full answer (a replay before its first report) has no trail.
  if (full) for (const name of st.trails.keys()) if (!st.unitRows.has(name)) st.trails.delete(name);
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
      if (st.unitIds.has(row[0]) && st.unitsOnMap.has(row[0])) {
        // Position and heading change; image, party and name stay (a unit keeps its category).
        const heading = trailHeading(st.trails.get(row[0]));
        const u = { id: st.unitIds.get(row[0]), newGeometry: { type: 'Point', coordinates: [row[4], row[5]] } };
        if (heading != null) u.addOrUpdateProperties = [{ key: 'heading', value: Math.round(heading) }];
        else u.removeProperties = ['heading'];
        update.push(u);
      } else add.push(unitFeature(row));
    }
    sent = add.length + update.length;
    done = source.updateData({ add, update }, true);
  }
  applyTrails();
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
    st.map.setLayoutProperty('units', 'icon-size', unitIconSize(dense));
    st.map.setLayoutProperty('units-heading', 'icon-size', unitIconSize(dense));
  }
  placeUnitLabels();
  el.mapDiv.dataset.units = String(n);
  showUnitsStatus();
  if (st.tab === 'mapitems') render();
}
st.unitsOnMap = new Set();
st.trailsOnMap = new Set();

/** The trails' layer by difference, as the units': trails of two positions or more. */
function applyTrails() {
  const source = st.map.getSource('trails');
  if (!source) return;
  if (unitsPending.trailsFull) {
    const features = [];
    for (const [name, trail] of st.trails) if (trail.length > 1 && st.unitRows.has(name)) features.push(trailFeature(name, trail));
    source.setData({ type: 'FeatureCollection', features });
    st.trailsOnMap = new Set(features.map((f) => st.unitNames[f.id]));
  } else if (unitsPending.trails.size) {
    const add = [];
    const update = [];
    const remove = [];
    for (const name of unitsPending.trails) {
      const trail = st.trails.get(name);
      const on = st.trailsOnMap.has(name);
      if (!trail || trail.length < 2) {
        if (on) remove.push(unitId(name));
        st.trailsOnMap.delete(name);
      } else if (on) update.push({ id: unitId(name), newGeometry: trailFeature(name, trail).geometry });
      else {
        add.push(trailFeature(name, trail));
        st.trailsOnMap.add(name);
      }
    }
    source.updateData({ add, update, remove });
  }
  unitsPending.trailsFull = false;
  unitsPending.trails.clear();
  el.mapDiv.dataset.trails = String(st.trailsOnMap.size);
}

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

