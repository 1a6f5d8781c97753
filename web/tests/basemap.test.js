// The mission's own basemap in the real browser against the real `truceline serve
// --basemap FILE`, with map files made here (tilefixtures.js):
// - a raster PMTiles: read by range requests carrying the principal's token, and drawn
//   (the tile's colour read back from the map's canvas where nothing else is drawn);
// - a vector MBTiles of gzip MVT tiles (water, a road, a named place): tiles asked for by
//   z/x/y with the token, drawn with the style made from the file's vector_layers, and the
//   place named on the map in the page's language (its `name:ar` in Arabic).
// - without --basemap, the bundled basemap: at zoom 13 over the Golan more than a tan plane
//   (towns as dots with their names, lakes: the Sea of Galilee), and the request for the
//   server's basemap answered 404 without an error on the page.
//
// Run from web/ with `npm test` (see console.test.js for the binary and TRUCELINE_WEB_DIST).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from './pw.js';
import { writeKeys } from './principals.js';
import { binary, startServer } from './server.js';
import { useLocalDist } from './dist.js';
import { png, mvt, pmtiles, writeMbtiles, tilesOver, inTile, gzipSync } from './tilefixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const example = join(root, 'examples/golan-illustrative');
const artifacts = join(here, '..', 'test-artifacts');

// The files cover the demo's region, zooms 0 to 8 (MapLibre draws deeper zooms from 8).
const REGION = [34.6, 32.2, 36.9, 33.9];
const ZOOMS = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const TILE_RGB = [96, 150, 205];
const PLACE = { at: [35.95, 33.28], name: 'Testville', ar: 'بلدة الاختبار' };

let dir, browser;
const servers = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'truceline-basemap-'));
  const tiles = ZOOMS.flatMap((z) => tilesOver(REGION, z));
  // Raster PMTiles: every tile one opaque colour.
  const tile = png(TILE_RGB);
  writeFileSync(join(dir, 'raster.pmtiles'), pmtiles(tiles.map(([z, x, y]) => [z, x, y, tile]), {
    tileType: 2, tileCompression: 1, minZoom: 0, maxZoom: 8, bounds: REGION, metadata: { attribution: 'test raster' },
  }));
  // Vector MBTiles: each tile all water, a road across it, and the place where it falls.
  const vectorTiles = tiles.map((t) => {
    const [px, py] = inTile(PLACE.at, t);
    const inside = px >= 0 && px < 4096 && py >= 0 && py < 4096;
    return [...t, gzipSync(mvt({
      water: [{ type: 'Polygon', coords: [[0, 0], [4096, 0], [4096, 4096], [0, 4096], [0, 0]], props: { class: 'lake' } }],
      transportation: [{ type: 'LineString', coords: [[0, 3000], [4096, 1000]], props: { class: 'primary' } }],
      place: inside ? [{ type: 'Point', coords: [px, py], props: { name: PLACE.name, 'name:ar': PLACE.ar, class: 'town' } }] : [],
    }))];
  });
  writeMbtiles(join(dir, 'vector.mbtiles'), {
    name: 'test vector', format: 'pbf', minzoom: '0', maxzoom: '8', bounds: REGION.join(','),
    json: JSON.stringify({ vector_layers: [{ id: 'water', fields: {} }, { id: 'transportation', fields: {} }, { id: 'place', fields: { name: 'String' } }] }),
  }, vectorTiles);
  browser = await chromium();
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A server with `file` as its basemap, and the mediator signed in to it in the browser;
 * every request for the basemap is recorded with its Authorization header and status. */
async function open(file) {
  const data = mkdtempSync(join(dir, 'data-'));
  writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
  const { server, base } = await startServer(binary(root), example, data, file ? ['--basemap', join(dir, file)] : []);
  servers.push(server);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await useLocalDist(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  if (process.env.DEBUG_CONSOLE) page.on('console', (m) => console.log('console:', m.type(), m.text()));
  const requests = [];
  let mapAuth = null;
  page.on('requestfinished', async (r) => {
    const path = new URL(r.url()).pathname;
    const headers = await r.allHeaders();
    if (path === '/v1/console/map') mapAuth = headers.authorization;
    if (path.startsWith('/v1/console/basemap')) requests.push({ path, auth: headers.authorization, range: headers.range, status: (await r.response())?.status() });
  });
  await page.goto(base + '/');
  await page.setInputFiles('#signin-key', join(data, 'keys', 'RU.key'));
  await page.waitForFunction(() => document.querySelector('#signin-id').value === 'RU');
  await page.click('button[type=submit]');
  await page.waitForSelector('#app[data-ready=true]', { timeout: 15_000 });
  await page.waitForSelector('#map[data-ready=true]', { timeout: 15_000 }).catch(async (e) => {
    throw new Error(`${e.message}\nmap status: ${await page.textContent('#map-status').catch(() => '?')}`);
  });
  return { page, errors, requests, mapAuth: () => mapAuth };
}

/** Waits until the map has loaded the mission's tiles for the view. */
async function tilesLoaded(page) {
  await page.waitForFunction(() => {
    const m = window.__truceline.map;
    return m.getSource('mission') && m.isSourceLoaded('mission') && m.areTilesLoaded() && !m.isMoving();
  }, null, { timeout: 20_000 });
}

/** The colour drawn at the canvas's point (x, y) (CSS pixels), with only the mission's
 * layers shown for that frame (the agreement's zones, units and the bundled map hidden),
 * read inside the render event, while the frame is still in the drawing buffer. */
function pixelOfMission(page, x, y) {
  return page.evaluate(([x, y]) => new Promise((done) => {
    const m = window.__truceline.map;
    const hidden = m.getStyle().layers.filter((l) => !l.id.startsWith('mission-')).map((l) => [l.id, m.getLayoutProperty(l.id, 'visibility') || 'visible']);
    for (const [id] of hidden) m.setLayoutProperty(id, 'visibility', 'none');
    m.once('render', () => {
      const gl = m.painter.context.gl;
      const r = window.devicePixelRatio || 1;
      const px = new Uint8Array(4);
      gl.readPixels(Math.round(x * r), Math.round(gl.drawingBufferHeight - y * r), 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
      for (const [id, v] of hidden) m.setLayoutProperty(id, 'visibility', v);
      done([...px]);
    });
    m.triggerRepaint();
  }), [x, y]);
}

test('a raster PMTiles basemap: read by range requests with the token, and drawn', { timeout: 90_000 }, async () => {
  const { page, errors, requests, mapAuth } = await open('raster.pmtiles');
  const info = await page.evaluate(() => window.__truceline.basemap);
  assert.equal(info.info.kind, 'pmtiles');
  assert.equal(info.info.format, 'png');
  assert.deepEqual(info.layers, ['mission-raster']);
  await tilesLoaded(page);
  // Every read of the file was a range request with the principal's own token, answered.
  const reads = requests.filter((r) => r.path === '/v1/console/basemap.pmtiles');
  assert.ok(reads.length >= 2, `header and tiles read: ${JSON.stringify(requests)}`);
  assert.ok(mapAuth()?.startsWith('Bearer '), 'the console signs its requests');
  for (const r of reads) {
    assert.equal(r.auth, mapAuth(), 'the token the console holds');
    assert.match(r.range, /^bytes=\d+-\d+$/);
    assert.equal(r.status, 206);
  }
  // The tile's colour is what the canvas shows.
  const size = await page.evaluate(() => [window.__truceline.map.getCanvas().clientWidth, window.__truceline.map.getCanvas().clientHeight]);
  const px = await pixelOfMission(page, size[0] / 2, size[1] / 2);
  assert.ok(px.slice(0, 3).every((v, k) => Math.abs(v - TILE_RGB[k]) <= 3), `drawn ${px} vs ${TILE_RGB}`);
  // With the whole map shown again, the agreement is drawn over the basemap.
  await page.waitForFunction(() => Number(document.querySelector('#map').dataset.zones) > 0, null, { timeout: 15_000 });
  await page.screenshot({ path: join(artifacts, 'basemap-pmtiles-raster.png') });
  assert.deepEqual(errors, []);
});

test('a vector MBTiles basemap: tiles by z/x/y with the token, styled from its layers, its places named', { timeout: 90_000 }, async () => {
  const { page, errors, requests, mapAuth } = await open('vector.mbtiles');
  const info = await page.evaluate(() => window.__truceline.basemap);
  assert.equal(info.info.kind, 'mbtiles');
  assert.equal(info.info.format, 'pbf');
  // One style per layer and geometry, water under the road, the road under the places.
  const ids = info.layers;
  for (const id of ['mission-water-fill', 'mission-transportation-case', 'mission-transportation-line', 'mission-place-point']) assert.ok(ids.includes(id), `${id} in ${ids}`);
  assert.ok(ids.indexOf('mission-water-fill') < ids.indexOf('mission-transportation-line'));
  assert.ok(ids.indexOf('mission-transportation-line') < ids.indexOf('mission-place-point'));
  await tilesLoaded(page);
  const tiles = requests.filter((r) => /^\/v1\/console\/basemap\/\d+\/\d+\/\d+$/.test(r.path));
  assert.ok(tiles.length >= 1, JSON.stringify(requests));
  for (const r of tiles) assert.equal(r.auth, mapAuth());
  assert.ok(tiles.some((r) => r.status === 200), 'tiles answered');
  // Drawn: the water, the road and the place are on the map.
  const rendered = await page.evaluate(() => {
    const m = window.__truceline.map;
    const n = (layer) => m.queryRenderedFeatures({ layers: [layer] }).length;
    return { water: n('mission-water-fill'), road: n('mission-transportation-line'), place: n('mission-place-point') };
  });
  assert.ok(rendered.water > 0 && rendered.road > 0 && rendered.place > 0, JSON.stringify(rendered));
  const size = await page.evaluate(() => [window.__truceline.map.getCanvas().clientWidth, window.__truceline.map.getCanvas().clientHeight]);
  const px = await pixelOfMission(page, 8, size[1] / 2);
  assert.ok(px[2] > px[0] + 20, `water is blue where drawn: ${px}`);
  // The place's name, beside it (the place brought to the centre, clear of the legend);
  // in Arabic, its Arabic name.
  await page.evaluate((at) => window.__truceline.map.jumpTo({ center: at }), PLACE.at);
  await page.waitForFunction((n) => (document.querySelector('.place-labels')?.dataset.names || '').split('|').includes(n), PLACE.name, { timeout: 15_000 });
  await page.screenshot({ path: join(artifacts, 'basemap-mbtiles-vector.png') });
  await page.selectOption('#lang', 'ar');
  await page.waitForFunction((n) => (document.querySelector('.place-labels')?.dataset.names || '').split('|').includes(n), PLACE.ar, { timeout: 15_000 }).catch(async (e) => {
    throw new Error(`${e.message}: ${await page.evaluate(() => [document.querySelector('.place-labels')?.dataset.names, document.documentElement.lang, JSON.stringify(window.__truceline.map.queryRenderedFeatures({ layers: ['mission-place-point'] }).map((f) => f.properties))])}`);
  });
  assert.ok(await page.locator('.place-label', { hasText: PLACE.ar }).isVisible());
  await page.screenshot({ path: join(artifacts, 'basemap-mbtiles-vector-ar.png') });
  assert.deepEqual(errors, []);
});

test('the bundled basemap: towns with their names and lakes at zoom 13 over the Golan', { timeout: 90_000 }, async () => {
  const { page, errors, requests } = await open(null);
  assert.equal(await page.evaluate(() => window.__truceline.basemap), null, 'no server basemap');
  assert.deepEqual(requests.map((r) => [r.path, r.status]), [['/v1/console/basemap', 404]]);
  const settled = () => page.waitForFunction(() => {
    const m = window.__truceline.map;
    return m.loaded() && !m.isMoving() && m.areTilesLoaded();
  }, null, { timeout: 20_000 });
  const labels = () => page.evaluate(() => (document.querySelector('.place-labels')?.dataset.names || '').split('|').filter(Boolean));
  // Zoom 13 at Mas'ade, in the north of the Golan: the town and its name, and others near.
  await page.evaluate(() => window.__truceline.map.jumpTo({ center: [35.7557, 33.2320], zoom: 13 }));
  await settled();
  await page.waitForFunction(() => (document.querySelector('.place-labels')?.dataset.names || '').includes('Mas‘adah'), null, { timeout: 15_000 });
  const towns = await page.evaluate(() => window.__truceline.map.queryRenderedFeatures({ layers: ['towns'] }).map((f) => f.properties.name));
  assert.ok(towns.includes('Mas‘adah'), `${towns}`);
  await page.screenshot({ path: join(artifacts, 'basemap-bundled-z13-golan.png') });
  // Zoom 11 over the Sea of Galilee: the lake is drawn, and Tiberias named beside it.
  await page.evaluate(() => window.__truceline.map.jumpTo({ center: [35.59, 32.82], zoom: 11 }));
  await settled();
  const lake = await page.evaluate(() => window.__truceline.map.queryRenderedFeatures({ layers: ['water'] }).length);
  assert.ok(lake > 0, 'the lake is drawn');
  await page.waitForFunction(() => (document.querySelector('.place-labels')?.dataset.names || '').includes('Tiberias'), null, { timeout: 15_000 });
  // Zoomed out to the agreement, the biggest places are named first (Damascus in view).
  await page.evaluate(() => window.__truceline.map.jumpTo({ center: [36.0, 33.3], zoom: 8 }));
  await settled();
  await page.waitForFunction(() => (document.querySelector('.place-labels')?.dataset.names || '').includes('Damascus'), null, { timeout: 15_000 });
  assert.ok((await labels()).length > 3, `${await labels()}`);
  await page.screenshot({ path: join(artifacts, 'basemap-bundled-z8.png') });
  assert.deepEqual(errors, []);
});
