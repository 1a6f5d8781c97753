// The Force tab: the separation force at work as this principal may see it. Patrols on a
// timeline (their windows as bars, the server's now as a line, a late start, a patrol off
// its route and an overdue report standing out) and the selected one on the map (its
// planned route with its corridor, against its track: the force and the mediator only);
// the share of each line and zone edge patrolled over the last day or week, with the
// stretches on the map; inspections due and overdue; declarations of holdings against the
// caps, the live totals and the last inspection's counts; denials of access (listed and on
// the map); checkpoint crossings per hour. The forms are forceforms.js's. It reloads on the
// feed's items of the force's kinds and, while open, every few seconds (a patrol's
// progress moves with the force's reports, which make no feed item).

import { h, clear, time, num, utc, km } from './util.js';
import { session, st, el, showError, serverNow, word } from './state.js';
import { t, lang, localName, categoryName } from './i18n.js';
import { render } from './layout.js';
import { bboxOf } from './geo.js';
import { framePadding } from './map.js';
import { showPlace } from './overlays.js';
import { openPopup } from './popups.js';
import { forceForms } from './forceforms.js';
import { setForceData, syncForceLayers, routeFeature } from './forcelayers.js';
import { isPlace } from './places.js';

export const FORCE_ITEM_KINDS = ['patrol', 'inspection', 'declaration', 'denial', 'crossing'];
const LIVE_MS = 4000;
const EMPTY = { type: 'FeatureCollection', features: [] };
const enc = encodeURIComponent;
// Progress that needs someone's attention.
const ALERT = new Set(['late_start', 'off_route', 'overdue']);

function force() {
  st.force ||= {
    loaded: false, loading: null, lastLoad: 0, patrols: [], coverage: null, coverageDays: 1, coverageOn: true,
    selected: '', track: null, inspections: null, declarations: null, denials: null, checkpoints: null,
    missing: {}, errors: {},
  };
  return st.force;
}

const seesTracks = () => session.role === 'mediator' || session.role === 'monitor';
const pct = (x) => new Intl.NumberFormat(lang(), { style: 'percent', maximumFractionDigits: 0 }).format(Number(x) || 0);
const items = (r) => (Array.isArray(r) ? r : r?.items || []);
const featureOf = (id) => st.meta.geojson.features.find((f) => f.properties.id === id);
const nameOf = (id) => {
  const f = featureOf(id);
  return f ? localName(f.properties, id) : id;
};

/** A route of the API the server may not have (a domain not yet there: 404, 405, 501), or
 * may not show this principal (403): null then, with the reason kept. */
async function optional(name, path) {
  const F = force();
  try {
    const r = await session.get(path);
    delete F.missing[name];
    delete F.errors[name];
    return r;
  } catch (e) {
    if ([403, 404, 405, 501, 503].includes(e.status) || e instanceof SyntaxError) F.missing[name] = e.status === 403 ? 'forbidden' : 'absent';
    else F.errors[name] = e.message;
    return null;
  }
}

/** Everything the tab shows, fetched again. */
export async function loadForce() {
  const F = force();
  F.lastLoad = Date.now();
  try {
    const [p, c, i, d, n, k] = await Promise.all([
      optional('patrols', '/v1/patrols'),
      optional('coverage', `/v1/coverage?days=${F.coverageDays}`),
      optional('inspections', '/v1/inspections'),
      optional('declarations', '/v1/declarations'),
      optional('denials', '/v1/denials'),
      optional('checkpoints', '/v1/checkpoints'),
    ]);
    F.patrols = items(p);
    F.coverage = c;
    F.inspections = i && items(i);
    F.declarations = d;
    F.denials = n && items(n);
    F.checkpoints = k && items(k);
    if (F.selected && !F.patrols.some((x) => x.id === F.selected)) F.selected = '';
    // The first patrol needing attention, else the first under way, else the newest.
    if (!F.selected && F.patrols.length) F.selected = (F.patrols.find((x) => ALERT.has(x.progress)) || F.patrols.find((x) => x.progress === 'on_route') || F.patrols[0]).id;
    F.track = F.selected && seesTracks() ? await session.get(`/v1/patrols/${enc(F.selected)}/track`).catch(() => null) : null;
    F.loaded = true;
    mapData();
  } catch (e) {
    F.loaded = true;
    showError(e);
  }
}

/** While the tab is open, the patrols' progress every few seconds (from the units' poll). */
export function pollForce() {
  const F = st.force;
  if (st.tab !== 'force' || !F?.loaded || F.loading || Date.now() - F.lastLoad < LIVE_MS) return;
  F.loading = loadForce().finally(() => {
    F.loading = null;
    if (st.tab === 'force' && !typingHere()) render();
  });
}

const typingHere = () => el.panelBody?.contains(document.activeElement) && ['TEXTAREA', 'INPUT', 'SELECT'].includes(document.activeElement.tagName);

/** The map's layers' data from what was loaded. */
function mapData() {
  const F = force();
  const p = F.patrols.find((x) => x.id === F.selected);
  const route = F.track?.features?.find((f) => f.properties?.kind === 'route')?.geometry?.coordinates || p?.route;
  const track = F.track?.features?.find((f) => f.properties?.kind === 'track');
  const trackFeatures = [];
  if (track && track.geometry.coordinates.length > 1) trackFeatures.push(track);
  if (p?.last_report && Number.isFinite(p.last_report.lon)) trackFeatures.push({ type: 'Feature', properties: { patrol: p.id, kind: 'last' }, geometry: { type: 'Point', coordinates: [p.last_report.lon, p.last_report.lat] } });
  const denials = (F.denials || []).filter((d) => Number.isFinite(d.place?.lon) && Number.isFinite(d.place?.lat))
    .map((d) => ({ type: 'Feature', properties: { id: d.id, outcome: d.outcome }, geometry: { type: 'Point', coordinates: [d.place.lon, d.place.lat] } }));
  setForceData({
    route: p && route?.length > 1 ? { type: 'FeatureCollection', features: [routeFeature(p.id, route, Number(p.corridor_m) || 500)] } : EMPTY,
    track: { type: 'FeatureCollection', features: trackFeatures },
    coverage: F.coverage?.covered || EMPTY,
    denials: { type: 'FeatureCollection', features: denials },
  });
}

/** The force's layers as the open tab wants them (called on every render). */
export function syncForce() {
  syncForceLayers();
}

// ---------------------------------------------------------------- the tab

export function renderForce() {
  const F = force();
  if (!F.loaded) {
    F.loading ||= loadForce().finally(() => {
      F.loading = null;
      if (st.tab === 'force') render();
    });
    clear(el.panelBody, h('h2', t('force.title')), h('p.loading', { role: 'status' }, t('force.loading')));
    return;
  }
  el.forceForms ||= forceForms(async (r) => {
    if (r?.id && /^P-/.test(r.id)) F.selected = r.id;
    await loadForce();
    render();
  });
  const forms = el.forceForms;
  for (const f of Object.values(forms)) f.update?.();
  const top = el.panelBody.dataset.view === 'force' ? el.panelBody.scrollTop : 0;
  clear(
    el.panelBody,
    h('h2#force-title', t('force.title')),
    h('p.muted', t(`force.intro.${session.role}`)),
    patrolsSection(forms),
    coverageSection(),
    inspectionsSection(forms),
    declarationsSection(forms),
    denialsSection(forms),
    checkpointsSection(),
  );
  el.panelBody.scrollTop = top;
}

const section = (id, title, ...body) => h(`section.force-section#${id}`, { 'aria-labelledby': `${id}-title` }, h(`h3#${id}-title`, title), body);
const unavailable = (name) => h('p.muted.unavailable', { dataset: { missing: force().missing[name] } }, t(force().missing[name] === 'forbidden' ? 'force.notShown' : 'force.notAvailable'));

// ---------------------------------------------------------------- patrols

function patrolsSection(forms) {
  const F = force();
  if (F.missing.patrols) return section('force-patrols', t('force.patrols.title'), unavailable('patrols'));
  const selected = F.patrols.find((p) => p.id === F.selected);
  return section('force-patrols', t('force.patrols.title'),
    forms.task || null,
    forms.report || null,
    F.patrols.length ? timeline(F.patrols) : h('p.empty#patrols-empty', t(session.role === 'observer' ? 'force.patrols.observer' : 'force.patrols.none')),
    selected ? patrolDetail(selected) : null);
}

/** The patrols' windows as bars on one time axis, with the server's now. */
function timeline(patrols) {
  const F = force();
  const now = serverNow();
  const times = patrols.flatMap((p) => [Date.parse(p.from), Date.parse(p.until)]).filter(Number.isFinite);
  let lo = Math.min(now, ...times);
  let hi = Math.max(now, ...times);
  const pad = Math.max((hi - lo) * 0.04, 5 * 60_000);
  lo -= pad;
  hi += pad;
  const x = (ms) => `${(((ms - lo) / (hi - lo)) * 100).toFixed(2)}%`;
  const w = (a, b) => `${Math.max(((b - a) / (hi - lo)) * 100, 0.6).toFixed(2)}%`;
  return h('div.patrol-timeline-wrap',
    h('ol.patrol-timeline#patrol-timeline', { 'aria-label': t('force.patrols.timeline') },
      patrols.map((p) => {
        const a = Date.parse(p.from);
        const b = Date.parse(p.until);
        const alert = ALERT.has(p.progress);
        return h(`li.ptl-row.pg-${p.progress}${p.id === F.selected ? '.selected' : ''}`, { dataset: { id: p.id, progress: p.progress, status: p.status } },
          h('button.ptl-pick', { type: 'button', 'aria-pressed': String(p.id === F.selected), dataset: { key: `patrol:${p.id}` }, onclick: () => select(p.id) },
            h('span.ptl-label', h('strong', { dir: 'ltr' }, p.id), ' ', h('span', { dir: 'ltr' }, p.unit), ' ', h('span.muted', { dir: 'ltr' }, p.line || p.area || '')),
            ' ', h(`span.badge.progress${alert ? '.bad' : ''}`, word('progress', p.progress)),
            h('span.sr-only', ` ${utc(p.from, false)} – ${utc(p.until, false)}`)),
          h('div.ptl-track', { 'aria-hidden': 'true' },
            h(`span.ptl-bar.pg-${p.progress}`, { style: `inset-inline-start:${x(a)};width:${w(a, b)}`, title: `${p.id} ${utc(p.from, false)} – ${utc(p.until, false)}` }),
            h('span.ptl-now', { style: `inset-inline-start:${x(now)}` })));
      })),
    h('div.ptl-axis.muted', { 'aria-hidden': 'true' }, h('span', { dir: 'ltr' }, utc(lo, false)), h('span.ptl-now-label', t('force.patrols.now')), h('span', { dir: 'ltr' }, utc(hi, false))),
    h('p.muted.ptl-key', t('force.patrols.key')));
}

async function select(id) {
  const F = force();
  F.selected = id;
  F.track = seesTracks() ? await session.get(`/v1/patrols/${enc(id)}/track`).catch(() => null) : null;
  mapData();
  render();
  showRoute(false);
}

function showRoute(animate = true) {
  const F = force();
  const p = F.patrols.find((x) => x.id === F.selected);
  const route = F.track?.features?.find((f) => f.properties?.kind === 'route')?.geometry?.coordinates || p?.route;
  if (!route?.length || !st.map) return;
  const box = bboxOf({ features: [{ geometry: { type: 'LineString', coordinates: route } }] });
  st.map.fitBounds(box, { padding: framePadding(), maxZoom: 13, duration: animate ? 500 : 0 });
}

function figures(f, id) {
  if (!f) return null;
  return h(`dl.force-figures#${id}`, { dataset: { coverage: String(f.coverage ?? ''), reports: String(f.reports ?? '') } },
    h('dt', t('force.patrol.coverage')), h('dd.coverage', pct(f.coverage), ' ', h('span.muted', t('force.patrol.coveredOf', { covered: km(f.covered_km), route: km(f.route_km) }))),
    h('dt', t('force.patrol.reports')), h('dd', num(f.reports ?? 0)),
    h('dt', t('force.patrol.timeOnRoute')), h('dd', t('force.minutes', { n: num((f.time_on_route_s || 0) / 60) })),
    f.first_on_route ? [h('dt', t('force.patrol.firstOnRoute')), h('dd', time(f.first_on_route))] : null,
    f.last_on_route ? [h('dt', t('force.patrol.lastOnRoute')), h('dd', time(f.last_on_route))] : null,
    h('dt', t('force.patrol.deviations')), h('dd', f.deviations?.length
      ? h('ul.deviations', f.deviations.map((d) => h('li', time(d.from), ' – ', time(d.until), ': ', t('force.patrol.deviation', { m: num(d.max_distance_m), n: num(d.reports) }))))
      : t('force.patrol.noDeviation')));
}

function patrolDetail(p) {
  const alert = ALERT.has(p.progress);
  return h(`div.detail.patrol-detail#patrol-detail`, { dataset: { id: p.id, progress: p.progress, status: p.status, route: String(!!p.route) } },
    h('div.row', h('h4', { tabindex: '-1' }, t('force.patrol.title', { id: p.id })), h(`span.badge${alert ? '.bad' : ''}`, word('progress', p.progress))),
    h('dl.force-figures',
      h('dt', t('force.patrol.unit')), h('dd', { dir: 'ltr' }, p.unit),
      h('dt', t('force.patrol.window')), h('dd', time(p.from, false), ' – ', time(p.until, false)),
      h('dt', t('force.patrol.along')), h('dd', p.line ? t('force.patrol.line', { id: p.line, name: nameOf(p.line) }) : p.area ? t('force.patrol.area', { id: p.area, name: nameOf(p.area) }) : t('force.patrol.ownRoute')),
      h('dt', t('force.patrol.corridor')), h('dd', t('force.metres', { n: num(p.corridor_m) })),
      h('dt', t('force.patrol.observers')), h('dd', { dir: 'ltr' }, (p.observers || []).join(', ') || '—'),
      h('dt', t('force.patrol.announcedTo')), h('dd', { dir: 'ltr' }, (p.announced_to || []).join(', ') || '—'),
      h('dt', t('force.patrol.reportDue')), h('dd', time(p.report_due, false)),
      p.purpose ? [h('dt', t('force.patrol.purpose')), h('dd', { dir: 'auto' }, p.purpose)] : null),
    p.route ? h('div.actions', h('button.secondary#patrol-show', { type: 'button', onclick: () => showRoute() }, t('force.patrol.show'))) : h('p.muted#patrol-no-route', t('force.patrol.routeLater')),
    seesTracks() ? h('p.muted', t('force.patrol.mapKey')) : h('p.muted', t('force.patrol.noTrack')),
    p.last_report ? h('p#patrol-last', t('force.patrol.last'), ' ', time(p.last_report.t), ': ', t('force.patrol.fromRoute', { m: num(p.last_report.distance_to_route_m ?? 0) }),
      p.last_report.distance_to_route_m > p.corridor_m ? h('strong.bad', ` ${t('force.patrol.outside')}`) : null) : null,
    p.so_far && !p.report ? [h('h5', t('force.patrol.soFar')), figures(p.so_far, 'patrol-so-far')] : null,
    p.report ? [h('h5', t('force.patrol.report', { by: p.report.by })), h('p', time(p.report.at), p.report.late ? h('strong.bad', ` ${t('force.patrol.late')}`) : null),
      p.report.observed ? h('blockquote.server-text', { dir: 'auto' }, p.report.observed) : null, figures(p.report.figures, 'patrol-report-figures')] : null);
}

// ---------------------------------------------------------------- coverage

function coverageSection() {
  const F = force();
  if (F.missing.coverage) return section('force-coverage', t('force.coverage.title'), unavailable('coverage'));
  const c = F.coverage;
  const days = (d) => h('button.seg', { type: 'button', 'aria-pressed': String(F.coverageDays === d), dataset: { days: String(d), key: `coverage-days:${d}` }, onclick: async () => {
    F.coverageDays = d;
    await loadForce();
    render();
  } }, t(d === 1 ? 'force.coverage.day' : 'force.coverage.week'));
  const bar = (x) => h('span.share', h('span.bar', { 'aria-hidden': 'true' }, h('span', { style: `width:${Math.round(Math.min(1, Number(x) || 0) * 100)}%` })), ' ', pct(x));
  const shares = (c?.shares || []).slice().sort((a, b) => String(a.feature).localeCompare(String(b.feature)));
  return section('force-coverage', t('force.coverage.title'),
    h('div.row.coverage-tools',
      h('div.measure-modes', { role: 'group', 'aria-label': t('force.coverage.period') }, days(1), days(7)),
      h('label', h('input#coverage-on', { type: 'checkbox', checked: F.coverageOn, onchange: (e) => { F.coverageOn = e.currentTarget.checked; syncForceLayers(); } }), ' ', t('force.coverage.onMap'))),
    c ? h('p.muted', t('force.coverage.asOf'), ' ', time(c.as_of), ' · ', t(F.coverageDays === 1 ? 'force.coverage.mapDay' : 'force.coverage.mapWeek')) : null,
    shares.length ? h('div.table-wrap', h('table.gap-table#coverage-table', { dataset: { days: String(F.coverageDays) } },
      h('caption.sr-only', t('force.coverage.caption')),
      h('thead', h('tr', [t('force.coverage.feature'), t('force.coverage.share24h'), t('force.coverage.share7d')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', shares.map((s) => h('tr', { dataset: { feature: s.feature, share24h: String(s.share_24h), share7d: String(s.share_7d) } },
        h('th', { scope: 'row' }, h('span', { dir: 'ltr' }, s.feature), nameOf(s.feature) !== s.feature ? h('span.muted', ` ${nameOf(s.feature)}`) : null),
        h('td', bar(s.share_24h)), h('td', bar(s.share_7d))))))) : h('p.empty', t('force.coverage.none')));
}

// ---------------------------------------------------------------- inspections

const INSPECTION_ORDER = { overdue: 0, requested: 1, scheduled: 2, reported: 3 };

function inspectionsSection(forms) {
  const F = force();
  if (F.missing.inspections) return section('force-inspections', t('force.inspections.title'), unavailable('inspections'));
  const list = (F.inspections || []).slice().sort((a, b) => (INSPECTION_ORDER[a.status] ?? 4) - (INSPECTION_ORDER[b.status] ?? 4) || String(a.due).localeCompare(String(b.due)));
  return section('force-inspections', t('force.inspections.title'),
    forms.inspect || null,
    list.length ? h('ul.force-list#inspections', list.map((i) => h(`li.inspection.st-${i.status}`, { dataset: { id: i.id, status: i.status, zone: i.zone } },
      h('div.row', h('span', h('strong', { dir: 'ltr' }, i.id), ' ', h('span', { dir: 'ltr' }, i.zone), ' ', h('span.muted', nameOf(i.zone) !== i.zone ? nameOf(i.zone) : '')),
        h(`span.badge${i.status === 'overdue' ? '.bad' : ''}`, word('inspectionStatus', i.status))),
      i.due ? h('div', t('force.inspections.due'), ' ', time(i.due, false)) : null,
      i.requested_by ? h('div.muted', t('force.inspections.requestedBy', { party: i.requested_by })) : null,
      i.reason ? h('div', { dir: 'auto' }, i.reason) : null,
      i.report ? inspectionReport(i.report) : null))) : h('p.empty#inspections-empty', t('force.inspections.none')));
}

function inspectionReport(r) {
  const counts = r.counts || [];
  const disc = r.discrepancies || [];
  return h('div.inspection-report',
    h('div.muted', t('force.inspections.reported'), ' ', time(r.at), r.by ? ` · ${r.by}` : ''),
    counts.length ? h('div.table-wrap', h('table.gap-table', h('caption.sr-only', t('force.inspections.counts')),
      h('thead', h('tr', [t('force.party'), t('force.category'), t('force.count')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', counts.map((c) => h('tr', h('td', { dir: 'ltr' }, c.party), h('td', catName(c.category)), h('td.n', num(c.count)))))) ) : null,
    disc.length ? h('ul.bad.discrepancies', disc.map((d) => h('li', typeof d === 'string' ? d : t('force.inspections.discrepancy', { party: d.party || '', category: catName(d.category), declared: num(d.declared ?? 0), counted: num(d.counted ?? d.count ?? 0) })))) : null);
}

const catName = (id) => {
  const c = (st.agreement?.categories || st.meta.categories || []).find((x) => x.id === id);
  return c ? categoryName(c, id) : String(id ?? '');
};

// ---------------------------------------------------------------- declarations

/** The rows to compare: one per zone, party and category, from what the server gives
 * (a list of declarations with their holdings, or of rows already compared). */
export function declarationRows(d) {
  const rows = [];
  const pick = (o, ...keys) => keys.map((k) => k.split('.').reduce((v, p) => (v == null ? v : v[p]), o)).find((v) => v != null);
  const list = Array.isArray(d) ? d : d?.rows || d?.items || [];
  for (const x of list) {
    const holdings = x.holdings || x.categories || [x];
    for (const hd of holdings) {
      const declared = pick(hd, 'declared', 'count');
      const cap = pick(hd, 'cap', 'max', 'cap.max');
      const live = pick(hd, 'live', 'live_total', 'live_count');
      const inspected = pick(hd, 'inspected', 'last_inspected', 'inspected_count', 'last_inspection.count');
      const flagged = pick(hd, 'mismatch', 'discrepancy', 'mismatched');
      const mismatch = flagged != null ? !!flagged : (cap != null && declared > cap) || (live != null && live !== declared) || (inspected != null && inspected !== declared);
      rows.push({ id: x.id, party: x.party || hd.party, zone: x.zone || hd.zone, as_of: x.as_of, category: hd.category, declared, cap, live, inspected, mismatch });
    }
  }
  return rows;
}

/** The latest "as of" of a zone's declarations. */
function asOf(rows, z) {
  const at = rows.filter((r) => r.zone === z && r.as_of).map((r) => r.as_of).sort().pop();
  return at ? h('span.muted', ' · ', t('force.declare.asOf'), ' ', time(at, false)) : null;
}

function declarationsSection(forms) {
  const F = force();
  if (F.missing.declarations) return section('force-declarations', t('force.declarations.title'), unavailable('declarations'));
  const rows = declarationRows(F.declarations);
  const zones = [...new Set(rows.map((r) => r.zone))];
  const n = (v) => (v == null ? h('span.muted', '—') : num(v));
  return section('force-declarations', t('force.declarations.title'),
    forms.declare || null,
    rows.length ? zones.map((z) => h('div.table-wrap', h('table.gap-table.declarations', { dataset: { zone: z } },
      h('caption', h('span', { dir: 'ltr' }, z), nameOf(z) !== z ? ` ${nameOf(z)}` : '', asOf(rows, z)),
      h('thead', h('tr', [t('force.party'), t('force.category'), t('force.declarations.declared'), t('force.declarations.cap'), t('force.declarations.live'), t('force.declarations.inspected'), t('force.declarations.match')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', rows.filter((r) => r.zone === z).map((r) => h(`tr${r.mismatch ? '.mismatch' : ''}`, { dataset: { category: r.category, party: r.party || '', mismatch: String(r.mismatch), declared: String(r.declared ?? '') } },
        h('td', { dir: 'ltr' }, r.party || ''), h('th', { scope: 'row' }, catName(r.category)),
        h('td.n', n(r.declared)), h('td.n', n(r.cap)), h('td.n', n(r.live)), h('td.n', n(r.inspected)),
        h('td', r.mismatch ? h('strong.bad', `⚠ ${t('force.declarations.mismatch')}`) : h('span.ok', t('force.declarations.matches'))))))))) : h('p.empty#declarations-empty', t('force.declarations.none')));
}

// ---------------------------------------------------------------- denials

export function denialPopup(id) {
  const d = (st.force?.denials || []).find((x) => x.id === id);
  if (!d) return h('p', id);
  return h('div', { dataset: { popup: `denial:${id}` } },
    h('strong', t('force.denials.item', { id: d.id })),
    h('div', time(d.at)),
    h('div', t('force.denials.by', { party: d.stopped_by }), ' · ', word('denialOutcome', d.outcome)),
    d.reason_given ? h('div', { dir: 'auto' }, d.reason_given) : null);
}

function denialsSection(forms) {
  const F = force();
  if (F.missing.denials) return section('force-denials', t('force.denials.title'), unavailable('denials'));
  const list = (F.denials || []).slice().sort((a, b) => String(b.at).localeCompare(String(a.at)));
  return section('force-denials', t('force.denials.title'),
    forms.denial || null,
    list.length ? h('ul.force-list#denials', list.map((d) => h('li.denial', { dataset: { id: d.id, outcome: d.outcome } },
      h('div.row', h('strong', { dir: 'ltr' }, d.id), h(`span.badge${d.outcome === 'turned_back' ? '.bad' : ''}`, word('denialOutcome', d.outcome))),
      h('div', time(d.at), ' · ', t('force.denials.by', { party: d.stopped_by })),
      d.task ? h('div.muted', t('force.denials.task', { task: d.task })) : null,
      d.reason_given ? h('div', { dir: 'auto' }, t('force.denials.reason'), ' ', d.reason_given) : null,
      d.delay_minutes ? h('div', t('force.denials.delay', { n: num(d.delay_minutes) })) : null,
      d.place ? h('button.link', { type: 'button', dataset: { key: `denial:${d.id}` }, onclick: (e) => {
        showPlace([d.place.lon, d.place.lat], 11, d.id);
        openPopup([d.place.lon, d.place.lat], denialPopup(d.id), e.currentTarget);
      } }, t('force.show')) : null))) : h('p.empty#denials-empty', t('force.denials.none')));
}

// ---------------------------------------------------------------- checkpoints

/** A checkpoint's crossings per hour of the day (0–23), from the server's rows. */
export function hourly(c) {
  const out = new Array(24).fill(0);
  const rows = c.hours || c.throughput || c.per_hour || [];
  if (Array.isArray(rows) && rows.length && typeof rows[0] === 'number') rows.slice(0, 24).forEach((n, i) => (out[i] = n));
  else for (const r of rows) {
    const hr = r.hour != null ? (typeof r.hour === 'number' ? r.hour : new Date(r.hour).getUTCHours()) : new Date(r.at || r.t).getUTCHours();
    if (hr >= 0 && hr < 24) out[hr] += Number(r.crossings ?? r.count ?? r.total ?? 0);
  }
  return out;
}

function checkpointsSection() {
  const F = force();
  if (F.missing.checkpoints) return section('force-checkpoints', t('force.checkpoints.title'), unavailable('checkpoints'));
  const list = F.checkpoints || [];
  const places = st.meta.geojson.features.filter((f) => isPlace(f) && f.properties.kind === 'checkpoint');
  return section('force-checkpoints', t('force.checkpoints.title'),
    list.length ? h('ul.force-list#checkpoints', list.map((c) => {
      const id = c.id || c.checkpoint;
      const hours = hourly(c);
      const max = Math.max(1, ...hours);
      const total = hours.reduce((a, b) => a + b, 0);
      const busiest = hours.indexOf(Math.max(...hours));
      const f = places.find((p) => p.properties.id === id);
      return h('li.checkpoint', { dataset: { id, total: String(total) } },
        h('div.row', h('span', h('strong', { dir: 'ltr' }, id), f ? ` ${localName(f.properties, id)}` : ''), f?.properties.hours ? h('span.muted', { dir: 'ltr' }, `${f.properties.hours} UTC`) : null),
        h('div.hour-bars', { role: 'img', 'aria-label': t('force.checkpoints.summary', { n: num(total), hour: String(busiest).padStart(2, '0'), m: num(hours[busiest]) }) },
          hours.map((n, i) => h('span.hour-bar', { style: `height:${Math.round((n / max) * 100)}%`, title: `${String(i).padStart(2, '0')}:00 UTC: ${num(n)}`, dataset: { hour: String(i), n: String(n) } }))),
        h('div.hour-axis.muted', { 'aria-hidden': 'true', dir: 'ltr' }, h('span', '00'), h('span', '06'), h('span', '12'), h('span', '18'), h('span', '23')),
        h('div.muted', t('force.checkpoints.total', { n: num(total) })));
    })) : h('p.empty#checkpoints-empty', t(places.length ? 'force.checkpoints.none' : 'force.checkpoints.noPlaces')));
}
