// Units as their users draw them, in a real browser against the real server (the demo's
// agreement, whose categories carry MIL-STD-2525 codes, and the first reports of its
// tracks): each unit's image is its category's symbol in its party's colour, in the frame
// of the viewer's relation (own units friend; for the mediator every party neutral; for a
// party the other side unknown; never hostile), made once per kind and shared; the legend
// shows the same drawings; labels (unit ids) when zoomed in, toggled from the legend;
// headings of units that moved; trails of their last positions.
//
// Run from web/ with `npm test` (see console.test.js for the binary and TRUCELINE_WEB_DIST).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from './pw.js';
import { writeKeys, signInNode } from './principals.js';
import { binary, startServer } from './server.js';
import { useLocalDist } from './dist.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const example = join(root, 'examples/golan-illustrative');
const artifacts = join(here, '..', 'test-artifacts');
const tracks = readFileSync(join(example, 'tracks.jsonl'), 'utf8').split('\n').filter(Boolean);

let server, base, data, browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'truceline-units-'));
  writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
  ({ server, base } = await startServer(binary(root), example, data));
  const token = await signInNode(base, data, 'RU-MP');
  const r = await fetch(`${base}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body: tracks.slice(0, 1500).join('\n') + '\n' });
  assert.equal(r.status, 200, await r.text());
  browser = await chromium();
});

after(async () => {
  await browser?.close();
  server?.kill('SIGKILL');
  if (data) rmSync(data, { recursive: true, force: true });
});

async function signIn(id) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await useLocalDist(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base + '/');
  await page.setInputFiles('#signin-key', join(data, 'keys', `${id}.key`));
  await page.waitForFunction((id) => document.querySelector('#signin-id').value === id, id);
  await page.click('button[type=submit]');
  await page.waitForSelector('#app[data-ready=true]', { timeout: 15_000 });
  await page.waitForSelector('#map[data-ready=true]', { timeout: 15_000 });
  await page.waitForFunction(() => Number(document.querySelector('#map').dataset.renderedUnits) > 0, null, { timeout: 20_000 });
  return { page, context, errors };
}

/** What the map holds of units: the images it has, and the kinds the units need. */
const unitImages = (page) => page.evaluate(() => {
  const st = window.__truceline;
  const map = st.map;
  const names = map.listImages().filter((n) => n.startsWith('unit|')).sort();
  const kinds = [...new Set([...st.unitRows.values()].map((r) => `${r[1]}|${r[2]}`))].sort();
  const sizes = Object.fromEntries(names.map((n) => [n, [map.getImage(n).data.width, map.getImage(n).data.height]]));
  return { names, kinds, sizes, units: st.unitRows.size };
});

test('the mediator: symbols by category in each party\'s colour, parties neutral, its patrols friend; one image per kind', { timeout: 90_000 }, async () => {
  const { page, context, errors } = await signIn('RU');
  const im = await unitImages(page);
  assert.ok(im.units > 10, `units: ${im.units}`);
  // Every kind of unit on the map has its one image, and no image is made twice or per unit.
  await page.waitForFunction((n) => window.__truceline.map.listImages().filter((x) => x.startsWith('unit|')).length >= n, im.kinds.length);
  const names = (await unitImages(page)).names;
  assert.equal(names.length, im.kinds.length, `${names.join(', ')} for ${im.kinds.join(', ')}`);
  assert.ok(names.length < im.units, 'images are shared, not per unit');
  for (const n of names) {
    const [, party, category, relation] = n.split('|');
    assert.equal(relation, party === 'RU-MP' ? 'friend' : 'neutral', n);
    assert.ok(im.kinds.includes(`${party}|${category}`), n);
  }
  // A symbol is drawn (a frame and its icon, bigger than a dot), not a plain marker.
  for (const [n, [w, hgt]] of Object.entries(im.sizes)) assert.ok(w > 24 && hgt > 24, `${n}: ${w}x${hgt}`);
  // The symbol's colours: the party's fill is in the image.
  const fills = await page.evaluate(() => {
    const st = window.__truceline;
    const out = {};
    for (const n of st.map.listImages().filter((x) => x.startsWith('unit|'))) {
      const party = n.split('|')[1];
      const hex = st.colours[party].replace('#', '');
      const want = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
      const { data } = st.map.getImage(n).data;
      let hits = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] === 255 && want.every((c, k) => Math.abs(data[i + k] - c) <= 8)) hits++;
      out[n] = hits;
    }
    return out;
  });
  for (const [n, hits] of Object.entries(fills)) assert.ok(hits > 30, `${n}: ${hits} pixels of its party's colour`);

  // The legend: each principal's frame in its colour, the relations it uses, each category's symbol.
  const legend = await page.evaluate(() => ({
    principals: [...document.querySelectorAll('#legend [data-toggle] img.unit-swatch')].map((i) => [i.closest('[data-toggle]').dataset.toggle, i.dataset.relation, i.naturalWidth > 0 || i.src.startsWith('data:image/png')]),
    relations: [...document.querySelectorAll('#legend-relations [data-relation]')].map((e) => e.dataset.relation),
    categories: [...document.querySelectorAll('#legend-categories [data-category]')].map((e) => e.dataset.category),
    toggles: [...document.querySelectorAll('#legend [data-toggle]')].map((e) => e.dataset.toggle),
  }));
  assert.deepEqual(legend.principals.map((p) => p.slice(0, 2)), [['IL', 'neutral'], ['SY', 'neutral'], ['RU-MP', 'friend']]);
  assert.deepEqual(legend.relations.sort(), ['friend', 'neutral']);
  assert.deepEqual(legend.categories, ['personnel', 'tank', 'artillery', 'sam', 'militia', 'patrol']);
  for (const k of ['labels', 'headings', 'trails']) assert.ok(legend.toggles.includes(k), k);

  // Trails and headings: units that moved have both.
  await page.waitForFunction(() => Number(document.querySelector('#map').dataset.trails) > 0, null, { timeout: 20_000 });
  const moved = await page.evaluate(() => {
    const st = window.__truceline;
    const f = st.map.querySourceFeatures('units').filter((x) => x.properties.heading != null);
    const trails = [...st.trails.values()].filter((t) => t.length > 1);
    return { headings: f.length, trails: trails.length, rendered: st.map.queryRenderedFeatures({ layers: ['units-heading'] }).length, trailLines: st.map.queryRenderedFeatures({ layers: ['units-trails'] }).length };
  });
  assert.ok(moved.trails > 0 && moved.headings > 0, JSON.stringify(moved));
  assert.ok(moved.rendered > 0 && moved.trailLines > 0, JSON.stringify(moved));

  // Labels: none while many units are in view; zoomed in on one, its id beside it.
  const unit = await page.evaluate(() => [...window.__truceline.unitRows.values()][0]);
  await page.evaluate(([lon, lat]) => window.__truceline.map.jumpTo({ center: [lon, lat], zoom: 14 }), [unit[4], unit[5]]);
  await page.waitForFunction((u) => [...document.querySelectorAll('.unit-label')].some((e) => e.dataset.unit === u), unit[0], { timeout: 10_000 });
  assert.ok(['shown', 'some'].includes(await page.getAttribute('#map', 'data-unit-labels-state')));
  await page.screenshot({ path: join(artifacts, 'u1-ru-symbols-zoomed.png') });
  await page.click('#legend [data-toggle=labels]');
  await page.waitForFunction(() => document.querySelectorAll('.unit-label').length === 0);
  assert.equal(await page.getAttribute('#map', 'data-unit-labels-state'), 'hidden');
  await page.click('#legend [data-toggle=labels]');
  await page.waitForFunction(() => document.querySelectorAll('.unit-label').length > 0);
  // Trails and headings hide from the legend too.
  await page.click('#legend [data-toggle=trails]');
  await page.click('#legend [data-toggle=headings]');
  await page.waitForFunction(() => ['units-trails', 'units-heading'].every((l) => window.__truceline.map.getLayoutProperty(l, 'visibility') === 'none'));
  await page.click('#legend [data-toggle=trails]');
  await page.click('#legend [data-toggle=headings]');
  // A click on a symbol opens its unit's details, as a dot's did.
  await page.evaluate(([lon, lat]) => window.__truceline.map.jumpTo({ center: [lon, lat], zoom: 12 }), [unit[4], unit[5]]);
  await page.waitForFunction(() => !window.__truceline.map.isMoving() && window.__truceline.map.loaded());
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction(() => (document.querySelector('#map').dataset.popup || '').startsWith('unit:'), null, { timeout: 10_000 });
  await page.evaluate(() => window.__truceline.map.fitBounds([[35.6, 32.6], [36.1, 33.4]], { duration: 0 }));
  await page.waitForFunction(() => document.querySelector('#map').dataset.unitLabelsState, null);
  await page.screenshot({ path: join(artifacts, 'u2-ru-symbols.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a party: its own units friend, the patrols neutral, nothing hostile; the legend matches', { timeout: 60_000 }, async () => {
  const { page, context, errors } = await signIn('IL');
  await page.waitForFunction(() => window.__truceline.map.listImages().some((x) => x.startsWith('unit|')));
  const { names, kinds } = await unitImages(page);
  for (const n of names) {
    const [, party, , relation] = n.split('|');
    assert.equal(party, 'IL', `IL sees its own units only: ${n}`);
    assert.equal(relation, 'friend', n);
  }
  assert.ok(kinds.every((k) => k.startsWith('IL|')));
  const legend = await page.evaluate(() => [...document.querySelectorAll('#legend [data-toggle] img.unit-swatch')].map((i) => [i.closest('[data-toggle]').dataset.toggle, i.dataset.relation]));
  assert.deepEqual(legend, [['IL', 'friend'], ['SY', 'unknown'], ['RU-MP', 'neutral']]);
  assert.ok(!(await page.evaluate(() => document.body.innerHTML.includes('|hostile'))));
  await page.screenshot({ path: join(artifacts, 'u3-il-symbols.png') });
  assert.deepEqual(errors, []);
  await context.close();
});
