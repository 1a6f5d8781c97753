// The console's exports (src/exportformat.js), in Node: CSV as RFC 4180 reads it (quotes,
// commas, line breaks, non-Latin text), no formula run by a spreadsheet, incidents and units
// in CSV and GeoJSON with the same values, and file names by agreement and period.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csv, csvField, incidentsCsv, incidentsGeoJson, unitsCsv, unitsGeoJson, fileName, incidentPeriod, INCIDENT_COLUMNS } from '../src/exportformat.js';

/** A small RFC 4180 reader, to read back what csv() wrote. */
function parseCsv(text) {
  assert.ok(text.startsWith('\uFEFF'), 'a byte order mark');
  text = text.slice(1);
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (quoted) {
      if (c === '"' && text[k + 1] === '"') { field += '"'; k++; } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\r' && text[k + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; k++; } else field += c;
  }
  assert.equal(field, '', 'the file ends with a line end');
  return rows;
}

test('CSV fields: quoted where they must be, formulas defused', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a, b'), '"a, b"');
  assert.equal(csvField('say "no"'), '"say ""no"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField(' padded'), '" padded"');
  assert.equal(csvField(null), '');
  assert.equal(csvField(35.9), '35.9');
  assert.equal(csvField(-3), '-3');
  assert.equal(csvField('=HYPERLINK("http://x")'), '"\'=HYPERLINK(""http://x"")"');
  assert.equal(csvField('+1'), '\'+1');
  assert.equal(csvField('@SUM(A1)'), '\'@SUM(A1)');
  const text = csv(['a', 'b'], [['وحدة, تابعة', 'יחידה "של"'], ['line\r\nbreak', 'подразделение']]);
  assert.deepEqual(parseCsv(text), [['a', 'b'], ['وحدة, تابعة', 'יחידה "של"'], ['line\r\nbreak', 'подразделение']]);
});

const incidents = [
  { id: 'I-000004', status: 'alleged', source: 'engine', reporter: 'engine', about: ['IL', 'SY'], opened_at: '2025-12-01T02:48:21.000Z',
    draft: { category: 'separation', occurred_at: '2025-12-01T02:48:21Z', place: { lon: 35.87, lat: 32.83, precision_m: 0 }, description: 'IL-TAN-4 and a unit of SY closer than the separation of rule il-sy-separation' },
    engine: { rule: 'il-sy-separation', kind: 'separation_breach', unit: 'IL-TAN-4', other_party: 'SY', other_label: 'a unit of SY', occurrences: 2 } },
  { id: 'I-000009', status: 'verified', source: 'party', reporter: 'IL', about: ['SY'], opened_at: '2025-12-01T05:00:00.000Z',
    draft: { category: 'fire_across_line', occurred_at: '2025-12-01T04:59:00Z', alleged_party: 'SY', description: 'Mortar fire, 3 rounds' },
    finding: { outcome: 'verified', at: '2025-12-01T06:00:00.000Z' } },
];

test('incidents: CSV and GeoJSON hold the same values; the other side as the principal received it', () => {
  const rows = parseCsv(incidentsCsv(incidents));
  assert.deepEqual(rows[0], INCIDENT_COLUMNS);
  assert.equal(rows.length, 3);
  const col = (r, c) => rows[r][INCIDENT_COLUMNS.indexOf(c)];
  assert.equal(col(1, 'id'), 'I-000004');
  assert.equal(col(1, 'about'), 'IL SY');
  assert.equal(col(1, 'other_unit'), 'a unit of SY');
  assert.equal(col(1, 'other_party'), 'SY');
  assert.equal(col(1, 'lon'), '35.87');
  assert.equal(col(2, 'lon'), '');
  assert.equal(col(2, 'finding'), 'verified');
  assert.equal(col(2, 'description'), 'Mortar fire, 3 rounds');
  const geo = JSON.parse(incidentsGeoJson(incidents));
  assert.equal(geo.type, 'FeatureCollection');
  assert.equal(geo.features.length, 1, 'only incidents with a place');
  assert.deepEqual(geo.features[0].geometry, { type: 'Point', coordinates: [35.87, 32.83] });
  assert.equal(geo.features[0].properties.rule, 'il-sy-separation');
  assert.equal(geo.features[0].properties.other_unit, 'a unit of SY');
  assert.deepEqual(incidentPeriod(incidents), [Date.parse('2025-12-01T02:48:21Z'), Date.parse('2025-12-01T04:59:00Z')]);
});

test('units at an instant: CSV and GeoJSON', () => {
  const units = [['SY-PER-1', 'SY', 'personnel', 349, 35.901314, 33.237892, '2025-12-01T00:00:40.000Z'], ['SY-ART-2', 'SY', 'artillery', 19, 35.961019, 33.12498, '2025-12-01T00:00:21.000Z']];
  const rows = parseCsv(unitsCsv(units));
  assert.deepEqual(rows[0], ['unit', 'party', 'category', 'count', 'lon', 'lat', 't']);
  assert.deepEqual(rows[1], ['SY-PER-1', 'SY', 'personnel', '349', '35.901314', '33.237892', '2025-12-01T00:00:40.000Z']);
  const geo = JSON.parse(unitsGeoJson(units, '2025-12-01T00:01:00.000Z'));
  assert.equal(geo.at, '2025-12-01T00:01:00.000Z');
  assert.deepEqual(geo.features.map((f) => [f.properties.unit, ...f.geometry.coordinates]), [['SY-PER-1', 35.901314, 33.237892], ['SY-ART-2', 35.961019, 33.12498]]);
});

test('file names: agreement, what, period or instant, in UTC', () => {
  assert.equal(fileName('golan-illustrative', 'incidents', Date.parse('2025-12-01T00:01:28Z'), Date.parse('2025-12-01T07:18:09.500Z'), 'csv'), 'golan-illustrative_incidents_20251201T000128Z-20251201T071809Z.csv');
  assert.equal(fileName('golan illustrative/1', 'units', Date.parse('2025-12-01T07:18:09Z'), undefined, 'geojson'), 'golan-illustrative-1_units_20251201T071809Z.geojson');
  assert.equal(fileName('x', 'incidents', null, null, 'csv'), 'x_incidents_none-none.csv');
});
