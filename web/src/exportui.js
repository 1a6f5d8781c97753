// Export buttons: the incident list as shown (its filters applied) and the units on the map
// at the instant shown (live or replay; those the legend hides left out), as CSV and
// GeoJSON, named by the agreement and the period or instant. The files are made in the
// browser from what the API gave this principal: nothing more leaves the server.

import { h } from './util.js';
import { st } from './state.js';
import { t } from './i18n.js';
import { incidentsCsv, incidentsGeoJson, unitsCsv, unitsGeoJson, fileName, incidentPeriod } from './exportformat.js';

const TYPES = { csv: 'text/csv;charset=utf-8', geojson: 'application/geo+json' };

/** Saves `text` as a file called `name`. */
export function download(name, ext, text) {
  const url = URL.createObjectURL(new Blob([text], { type: TYPES[ext] }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function agreementId() {
  return st.meta?.agreement?.id || st.agreement?.id || 'agreement';
}

export function exportIncidents(list, ext) {
  const [from, until] = incidentPeriod(list);
  download(fileName(agreementId(), 'incidents', from, until, ext), ext, ext === 'csv' ? incidentsCsv(list) : incidentsGeoJson(list));
}

/** The units the map shows now: at the replay time or live, less those the legend hides. */
export function visibleUnits() {
  return [...st.unitRows.values()].filter((r) => !st.hidden?.principals.has(r[1])).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function unitsInstant() {
  return st.replayAt != null ? st.replayAt : st.engineTime ? Date.parse(st.engineTime) : null;
}

export function exportUnits(ext) {
  const at = unitsInstant();
  const rows = visibleUnits();
  download(fileName(agreementId(), 'units', at, undefined, ext), ext, ext === 'csv' ? unitsCsv(rows) : unitsGeoJson(rows, at != null ? new Date(at).toISOString() : null));
}

/** "Export: CSV · GeoJSON" for `what` (a message key naming it), calling `go(ext)`. */
export function exportButtons(id, label, go) {
  return h(`div.export#${id}`, { role: 'group', 'aria-label': label },
    h('span.muted', `${label}: `),
    ['csv', 'geojson'].map((ext) => h('button.link', { type: 'button', dataset: { key: `${id}:${ext}`, ext }, onclick: () => go(ext) }, t(`export.${ext}`))));
}
