// The mission's own basemap (`truceline serve --basemap FILE`): after sign-in the console
// asks the server what it serves (GET /v1/console/basemap: 404 when nothing) and, if it
// serves a file, draws it above the bundled basemap (which stays underneath, outside the
// file's bounds and where its tiles leave gaps):
// - raster tiles as a raster source;
// - vector tiles with a style made here from the file's `vector_layers`: each layer a fill,
//   a line and a circle layer by geometry, in muted colours, with the layer names of
//   OpenMapTiles and Protomaps (water, roads, buildings, ...) drawn as such; names of
//   points are DOM labels (placelabels.js: no glyph server, and the browser shapes Arabic
//   and Hebrew).
// Every request carries the principal's bearer token: PMTiles through the `pmtiles`
// package's FetchSource (its custom headers, set anew before each read so a renewed token
// is used), MBTiles tiles through MapLibre's transformRequest.

import maplibregl from 'maplibre-gl';
import { PMTiles, FetchSource, Protocol } from 'pmtiles';
import { session } from './state.js';

export const BASEMAP_SOURCE = 'mission';
const API = '/v1/console/basemap';

/** The API's absolute URL of `path` (MapLibre fetches tiles from workers: no relative
 * URLs), its {z}/{x}/{y} left as they are (URL() would escape the braces). */
const absolute = (path) => (path.startsWith('/') ? location.origin + path : path);

/** Whether a request MapLibre is about to make is one for the server's basemap. */
function isBasemapUrl(url) {
  return url.startsWith(absolute(API));
}

/** MapLibre's transformRequest: the bearer token on basemap tile requests (MBTiles). */
export function transformRequest(url) {
  if (isBasemapUrl(url) && session.token) return { url, headers: { authorization: `Bearer ${session.token}` } };
  return { url };
}

let protocol = null;

/** A PMTiles source reading the server's file with range requests and the token. */
function pmtilesArchive(url) {
  const fetcher = new FetchSource(url);
  const source = {
    getKey: () => url,
    getBytes: (offset, length, signal, etag) => {
      fetcher.setHeaders(new Headers({ authorization: `Bearer ${session.token}` }));
      return fetcher.getBytes(offset, length, signal, etag);
    },
  };
  return new PMTiles(source);
}

/** What the server serves, made ready to draw: { sources, layers, labelLayers,
 * attribution, info }, or null when it serves no basemap (or it cannot be read: the
 * bundled one is drawn alone then, and the reason is kept in `error`). */
export async function loadMissionBasemap() {
  const res = await session.authed(API, {}, [404]);
  if (res.status === 404) return null;
  const info = await res.json();
  try {
    return await prepare(info);
  } catch (e) {
    return { error: e.message || String(e), info, sources: {}, layers: [], labelLayers: [] };
  }
}

async function prepare(info) {
  const vector = info.format === 'pbf' || info.format === 'mvt';
  const source = { minzoom: num(info.minzoom, 0), maxzoom: num(info.maxzoom, 14) };
  if (Array.isArray(info.bounds) && info.bounds.length === 4 && info.bounds.every(Number.isFinite)) source.bounds = info.bounds;
  let vectorLayers = info.vector_layers || [];
  let attribution = info.attribution || '';
  if (info.kind === 'pmtiles') {
    const url = absolute(info.url);
    const archive = pmtilesArchive(url);
    if (!protocol) {
      protocol = new Protocol();
      maplibregl.addProtocol('pmtiles', protocol.tile);
    }
    protocol.add(archive);
    source.url = `pmtiles://${url}`;
    if (vector) {
      const meta = await archive.getMetadata();
      vectorLayers = meta.vector_layers || [];
      attribution ||= meta.attribution || '';
    }
  } else {
    // The server numbers tiles as XYZ (it flips the file's TMS rows).
    source.tiles = [absolute(info.url)];
  }
  if (attribution) source.attribution = attribution;
  if (!vector) {
    return {
      info, sources: { [BASEMAP_SOURCE]: { type: 'raster', tileSize: 256, ...source } },
      layers: [{ id: 'mission-raster', type: 'raster', source: BASEMAP_SOURCE }], labelLayers: [],
    };
  }
  const { layers, labelLayers } = vectorStyle(vectorLayers.map((l) => l.id).filter(Boolean));
  return { info, sources: { [BASEMAP_SOURCE]: { type: 'vector', ...source } }, layers, labelLayers };
}

const num = (v, d) => (Number.isFinite(Number(v)) && v !== null ? Number(v) : d);

// ---------------------------------------------------------------- a style from vector_layers

// Muted colours, so that the agreement's zones and the units stay what the eye finds first.
const WATER = '#a9c6de';
const GREEN = '#d5e3c7';
const BUILT = '#e3ddd3';
const ROAD = '#ffffff';
const ROAD_CASE = '#b8b0a2';
const BOUNDARY = '#9c8fb0';
const OTHER_FILL = '#e8e4dc';
const OTHER_LINE = '#b9b2a6';
const POINT = '#7a7266';

// Layer names of the two common vector schemas, OpenMapTiles and Protomaps, by what they
// hold; anything else gets the generic look.
const KINDS = [
  ['water', /^(water|ocean|lake|waterway|water_polygons?)$/],
  ['green', /^(landcover|park|natural|forest|wood|vegetation)$/],
  ['landuse', /^(landuse|earth|land|aeroway)$/],
  ['building', /^(building|buildings)$/],
  ['road', /^(transportation|roads?|highway|railway|transit)$/],
  ['boundary', /^(boundary|boundaries|admin)$/],
  ['place', /^(place|places|poi|pois|mountain_peak|water_name|transportation_name|housenumber)$/],
];

export function layerKind(id) {
  for (const [kind, re] of KINDS) if (re.test(id)) return kind;
  return 'other';
}

// Draw order: land first, then water, buildings, roads, boundaries, points.
const ORDER = ['landuse', 'green', 'other', 'water', 'building', 'road', 'boundary', 'place'];

const isPolygon = ['==', ['geometry-type'], 'Polygon'];
const isLine = ['==', ['geometry-type'], 'LineString'];
const isPoint = ['==', ['geometry-type'], 'Point'];

/** MapLibre layers for the vector layers `ids` (one fill, line and circle each, by
 * geometry) and the ids of the circle layers whose named points are labelled. */
export function vectorStyle(ids) {
  const sorted = [...ids].sort((a, b) => ORDER.indexOf(layerKind(a)) - ORDER.indexOf(layerKind(b)));
  const layers = [];
  const labelLayers = [];
  for (const id of sorted) {
    const kind = layerKind(id);
    const base = { source: BASEMAP_SOURCE, 'source-layer': id };
    const name = `mission-${id}`;
    const fill = { water: WATER, green: GREEN, landuse: OTHER_FILL, building: BUILT }[kind] || OTHER_FILL;
    if (kind !== 'road' && kind !== 'boundary' && kind !== 'place') {
      layers.push({ ...base, id: `${name}-fill`, type: 'fill', filter: isPolygon, paint: { 'fill-color': fill, 'fill-opacity': kind === 'building' ? 0.9 : 0.8 } });
    }
    if (kind === 'road') {
      // Roads as a light line on a darker casing, wider by zoom and by class where the
      // schema says it (OpenMapTiles' class, Protomaps' kind).
      const major = ['match', ['to-string', ['coalesce', ['get', 'class'], ['get', 'kind'], '']], ['motorway', 'trunk', 'highway', 'primary', 'major_road'], 1, 0];
      const width = (k) => ['interpolate', ['linear'], ['zoom'], 6, ['*', k, ['+', 0.6, major]], 12, ['*', k, ['+', 1.6, ['*', 2, major]]], 16, ['*', k, ['+', 5, ['*', 4, major]]]];
      layers.push({ ...base, id: `${name}-case`, type: 'line', filter: isLine, layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': ROAD_CASE, 'line-width': width(1.6) } });
      layers.push({ ...base, id: `${name}-line`, type: 'line', filter: isLine, layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': ROAD, 'line-width': width(1) } });
    } else if (kind === 'boundary') {
      layers.push({ ...base, id: `${name}-line`, type: 'line', filter: isLine, paint: { 'line-color': BOUNDARY, 'line-width': 1.2, 'line-dasharray': [3, 2] } });
    } else {
      const colour = kind === 'water' ? '#7fa7c9' : kind === 'building' ? '#cfc6b8' : OTHER_LINE;
      layers.push({ ...base, id: `${name}-line`, type: 'line', filter: isLine, paint: { 'line-color': colour, 'line-width': kind === 'water' ? 1.2 : 0.8 } });
    }
    layers.push({
      ...base, id: `${name}-point`, type: 'circle', filter: isPoint,
      paint: { 'circle-radius': kind === 'place' ? 3 : 2, 'circle-color': POINT, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
    });
    labelLayers.push(`${name}-point`);
  }
  return { layers, labelLayers };
}
