// Names in the page's language, in the real browser against the real `truceline serve`
// with the demo's agreement:
// - a zone's or line's `name:ar`, `name:he` or `name:ru` (as OpenStreetMap tags names) in
//   Map items and its details, its `name` where it has none in that language;
// - parties and force categories in the legend from the catalogue outside English (the
//   agreement gives each one `name`), the agreement's own names in English.
// The names come from the example's geometry file through the engine's loader and the
// server's /v1/console/map, which the test checks gives them exactly as the file does.
//
// Run from web/ with `npm test` (see console.test.js for the binary and TRUCELINE_WEB_DIST).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from './pw.js';
import { writeKeys } from './principals.js';
import { binary, startServer } from './server.js';
import { useLocalDist } from './dist.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const example = join(root, 'examples/golan-illustrative');
const artifacts = join(here, '..', 'test-artifacts');
const geometry = JSON.parse(readFileSync(join(example, 'zones.geojson'), 'utf8'));
const localNames = new Map(geometry.features.map((f) => [f.properties.id, Object.fromEntries(Object.entries(f.properties).filter(([k]) => k.startsWith('name:')))]));

let server, base, data, browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'truceline-names-'));
  writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
  ({ server, base } = await startServer(binary(root), example, data));
  browser = await chromium();
});

after(async () => {
  await browser?.close();
  server?.kill('SIGKILL');
  if (data) rmSync(data, { recursive: true, force: true });
});

test('names of zones, lines, parties and categories in the page\'s language', { timeout: 90_000 }, async () => {
  const withNames = [...localNames].filter(([, n]) => n['name:ar']).map(([id]) => id);
  assert.ok(withNames.length >= 3, 'the example names a few features in Arabic, Hebrew and Russian');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await useLocalDist(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const served = new Map();
  page.on('response', async (res) => {
    if (!res.url().endsWith('/v1/console/map')) return;
    for (const f of (await res.json()).geojson.features) {
      served.set(f.properties.id, Object.fromEntries(Object.entries(f.properties).filter(([k]) => k.startsWith('name:'))));
    }
  });
  await page.goto(base + '/');
  await page.setInputFiles('#signin-key', join(data, 'keys', 'RU.key'));
  await page.waitForFunction(() => document.querySelector('#signin-id').value === 'RU');
  await page.click('button[type=submit]');
  await page.waitForSelector('#app[data-ready=true]', { timeout: 15_000 });
  await page.waitForSelector('#map[data-ready=true]', { timeout: 15_000 });
  // The server gives every feature's names in other languages as the geometry file does.
  assert.deepEqual(served, localNames);
  const itemText = (id) => page.textContent(`#map-features [data-key="feature:${id}"]`);
  const legend = () => page.textContent('#legend');
  await page.click('#tab-mapitems');
  await page.waitForSelector('#map-features');
  // English: the features' and the agreement's own names.
  assert.match(await itemText('AOS'), /Area of separation/);
  assert.match(await legend(), /IL Israel/);
  for (const [lang, other] of [['ar', 'he'], ['he', 'ru'], ['ru', 'ar']]) {
    await page.selectOption('#lang', lang);
    await page.waitForFunction((l) => document.documentElement.lang === l, lang);
    await page.waitForSelector('#map-features');
    for (const id of withNames) {
      const text = await itemText(id);
      assert.ok(text.includes(localNames.get(id)[`name:${lang}`]), `${lang} ${id}: ${text}`);
      assert.ok(!text.includes(localNames.get(id)[`name:${other}`]));
    }
    // A feature without a name in this language keeps its own.
    assert.match(await itemText('AOL10-IL'), /Area of limitation 0-10 km, west/);
  }
  // The details of a feature, in Arabic; the parties and categories in the legend.
  await page.selectOption('#lang', 'ar');
  await page.waitForFunction(() => document.documentElement.lang === 'ar');
  assert.match(await legend(), /IL إسرائيل/);
  assert.match(await legend(), /SY سوريا/);
  assert.match(await legend(), /دبابات قتال رئيسية/);
  await page.click('#tab-mapitems');
  await page.click('#map-features [data-key="feature:AOS"]');
  await page.waitForSelector('.maplibregl-popup');
  assert.match(await page.textContent('.maplibregl-popup'), /منطقة الفصل/);
  await page.screenshot({ path: join(artifacts, 'names-ar.png') });
  await page.selectOption('#lang', 'ru');
  await page.waitForFunction(() => document.documentElement.lang === 'ru');
  assert.match(await legend(), /RU-MP Патрули сил разъединения/);
  await page.selectOption('#lang', 'en');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.match(await legend(), /RU-MP Separation force patrols/);
  assert.deepEqual(errors, []);
});
