// The files the console exports, as plain functions of what it holds (no page, no state:
// tests/export.test.js runs them in Node): CSV (RFC 4180) and GeoJSON of incidents and of
// units at an instant, and their names (agreement, what, period or instant, in UTC).

/** A CSV field: numbers as they are; text quoted when it holds a comma, a quote, a line
 * break or leading or trailing space, quotes doubled. Text that a spreadsheet would take
 * for a formula (= + - @, a tab or a carriage return first) gets a leading apostrophe, so
 * that a description written by the other side cannot run in the reader's spreadsheet. */
export function csvField(v) {
  if (v == null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV file: a header line of `columns`, then one line per row (an array in the
 * columns' order), CRLF line ends, UTF-8 with a byte order mark (so that a spreadsheet
 * reads Arabic, Hebrew and Russian text as such). */
export function csv(columns, rows) {
  return `\uFEFF${[columns, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}

export const INCIDENT_COLUMNS = ['id', 'status', 'category', 'source', 'reporter', 'about', 'alleged_party', 'occurred_at', 'opened_at', 'lon', 'lat', 'precision_m', 'rule', 'event_kind', 'unit', 'other_unit', 'other_party', 'occurrences', 'cleared_at', 'finding', 'finding_at', 'description'];

/** An incident as the API gave it, flattened into INCIDENT_COLUMNS. The other unit of a
 * separation is as this principal received it: its id, or the server's "a unit of SY". */
export function incidentRow(i) {
  const d = i.draft || i;
  const e = i.engine || {};
  const place = d.place || {};
  return [
    i.id, i.status, d.category, i.source, i.reporter, (i.about || []).join(' '), d.alleged_party ?? null,
    d.occurred_at, i.opened_at, place.lon ?? null, place.lat ?? null, place.precision_m ?? null,
    e.rule ?? null, e.kind ?? null, e.unit ?? null, e.other ?? e.other_label ?? null, e.other_party ?? null,
    e.occurrences ?? null, e.cleared_at ?? null, i.finding?.outcome ?? null, i.finding?.at ?? null, d.description || null,
  ];
}

export function incidentsCsv(incidents) {
  return csv(INCIDENT_COLUMNS, incidents.map(incidentRow));
}

/** The incidents that have a place, as Point features with the CSV's columns as
 * properties (those with no place are in the CSV only). */
export function incidentsGeoJson(incidents) {
  const features = [];
  for (const i of incidents) {
    const row = incidentRow(i);
    const props = Object.fromEntries(INCIDENT_COLUMNS.map((c, k) => [c, row[k]]));
    const { lon, lat } = props;
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) continue;
    delete props.lon;
    delete props.lat;
    features.push({ type: 'Feature', id: i.id, geometry: { type: 'Point', coordinates: [lon, lat] }, properties: props });
  }
  return `${JSON.stringify({ type: 'FeatureCollection', features }, null, 1)}\n`;
}

/** Units as GET /v1/console/units gives them: [unit, party, category, count, lon, lat, t]. */
export const UNIT_COLUMNS = ['unit', 'party', 'category', 'count', 'lon', 'lat', 't'];

export function unitsCsv(rows) {
  return csv(UNIT_COLUMNS, rows);
}

export function unitsGeoJson(rows, at) {
  const features = rows.map((r) => ({ type: 'Feature', id: r[0], geometry: { type: 'Point', coordinates: [r[4], r[5]] }, properties: { unit: r[0], party: r[1], category: r[2], count: r[3], t: r[6] } }));
  return `${JSON.stringify({ type: 'FeatureCollection', at: at ?? null, features }, null, 1)}\n`;
}

/** 2025-12-01T07:18:09.000Z -> 20251201T071809Z (a time in a file name). */
export function stamp(ms) {
  if (ms == null || !Number.isFinite(Number(ms))) return 'none';
  return new Date(Number(ms)).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** "golan-illustrative_incidents_20251201T000128Z-20251201T071809Z.csv"; the agreement's id
 * kept to the characters a file name may safely hold. */
export function fileName(agreement, what, fromMs, untilMs, ext) {
  const safe = String(agreement || 'agreement').replace(/[^A-Za-z0-9._-]+/g, '-');
  const period = untilMs === undefined ? stamp(fromMs) : `${stamp(fromMs)}-${stamp(untilMs)}`;
  return `${safe}_${what}_${period}.${ext}`;
}

/** The period a list of incidents covers: its first and last times of occurrence. */
export function incidentPeriod(incidents) {
  let from = null;
  let until = null;
  for (const i of incidents) {
    const ms = Date.parse((i.draft || i).occurred_at);
    if (!Number.isFinite(ms)) continue;
    if (from == null || ms < from) from = ms;
    if (until == null || ms > until) until = ms;
  }
  return [from, until];
}
