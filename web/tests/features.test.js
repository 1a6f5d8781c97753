// The console's tools, in a real browser against the real `truceline serve` with the demo's
// agreement and the first reports of its tracks (posted by the monitor):
// - replay: play and pause, a speed, a chosen window (it plays to the window's end and
//   stops; the feed holds nothing later), back to live;
// - export: the incident list and the visible units as CSV and GeoJSON, named by the
//   agreement and the period or instant, holding what the console shows;
// - triage: incidents filtered by status, rule and party; the mediator takes several
//   alleged incidents into investigation at once;
// - measure: a distance measured on the map by clicks, as the map's own projection and a
//   great-circle distance give it; an area (km² as the server measures zones, and its
//   perimeter); the metric scale bar, mirrored in Hebrew.
//
// Run from web/ with `npm test` (see console.test.js for the binary and TRUCELINE_WEB_DIST).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from './pw.js';
import { writeKeys, signInNode } from './principals.js';
import { binary, startServer } from './server.js';
import { useLocalDist } from './dist.js';
import { pathKm, ringAreaKm2 } from '../src/geo.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const example = join(root, 'examples/golan-illustrative');
const artifacts = join(here, '..', 'test-artifacts');
const tracks = readFileSync(join(example, 'tracks.jsonl'), 'utf8').split('\n').filter(Boolean);

let server, base, data, browser, monitorToken;
const pages = [];

async function postReports(lines) {
  const r = await fetch(`${base}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${monitorToken}`, 'content-type': 'application/x-ndjson' }, body: lines.join('\n') + '\n' });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return JSON.parse(text);
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'truceline-features-'));
  writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
  ({ server, base } = await startServer(binary(root), example, data));
  monitorToken = await signInNode(base, data, 'RU-MP');
  await postReports(tracks.slice(0, 1500));
  browser = await chromium();
});

after(async () => {
  for (const [name, page] of pages) await page.screenshot({ path: join(artifacts, `last-${name}.png`) }).catch(() => {});
  await browser?.close();
  server?.kill('SIGKILL');
  if (data) rmSync(data, { recursive: true, force: true });
});

async function signIn(id, { viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
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
  pages.push([`features-${id}-${pages.length}`, page]);
  return { page, context, errors };
}

const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`) });

// axe-core on the new controls (as console.test.js runs it): the serious and critical
// violations, with the report kept in test-artifacts/axe-features-*.json.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
async function audit(page, name) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } }));
  const violations = r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  writeFileSync(join(artifacts, `axe-features-${name}.json`), JSON.stringify(violations, null, 2));
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${name}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).join('; ')})`);
}
const st = (page, fn, arg) => page.evaluate(fn, arg);
const pad = (n) => String(n).padStart(2, '0');
const utcField = (ms) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
};

test('replay: play, pause, speed and a window over the recorded period', { timeout: 90_000 }, async () => {
  const { page, errors } = await signIn('RU');
  await page.waitForSelector('#replay-play:not([disabled])', { timeout: 15_000 });
  // The slider runs over the recorded period the server holds, to the engine's time.
  const [min, max, from0, engine] = await st(page, () => [Number(document.querySelector('#time-slider').min), Number(document.querySelector('#time-slider').max), window.__truceline.historyFrom, window.__truceline.engineTime]);
  assert.equal(min, from0);
  assert.equal(max, Date.parse(engine));
  assert.ok(max - min > 2 * 3600_000, 'hours of history');

  // At 1x, a few steps move the replay time on by about the real time they took.
  await page.selectOption('#replay-speed', '1');
  const t0 = await st(page, () => performance.now());
  await page.click('#replay-play');
  await page.waitForSelector('#replay-play[aria-pressed=true]');
  await page.waitForFunction(() => window.__truceline.play.steps >= 4);
  await page.click('#replay-play');
  const [t1, at1] = await st(page, () => [performance.now(), window.__truceline.replayAt]);
  assert.equal(await page.getAttribute('#replay-play', 'aria-pressed'), 'false');
  assert.ok(at1 > min && at1 - min <= (t1 - t0) + 1000, `1x moved ${at1 - min} ms in ${t1 - t0} ms`);
  await page.waitForSelector('#map[data-mode=replay]');
  // Paused, it stays where it is.
  const steps = await st(page, () => window.__truceline.play.steps);
  await page.waitForFunction(() => document.querySelector('#map-status').textContent.includes(' as of '));
  assert.equal(await st(page, () => window.__truceline.replayAt), at1);
  assert.equal(await st(page, () => window.__truceline.play.timer), 0);
  assert.equal(await st(page, () => window.__truceline.play.steps), steps);

  // A window of half an hour, an hour into the period, typed in UTC.
  const wFrom = Math.ceil((min + 3600_000) / 60_000) * 60_000;
  const wUntil = wFrom + 30 * 60_000;
  await page.click('#replay-window summary');
  await page.fill('#replay-from', utcField(wFrom));
  await page.fill('#replay-until', utcField(wUntil));
  await shot(page, 'f1-replay-window');
  assert.deepEqual(await audit(page, 'replay-window'), []);
  await page.click('#replay-window-apply');
  await page.waitForFunction(([f, u]) => document.querySelector('#time-slider').min === String(f) && document.querySelector('#time-slider').max === String(u), [wFrom, wUntil]);
  // The replay time moved into the window.
  await page.waitForFunction((f) => window.__truceline.replayAt === f, wFrom);

  // At 3600x it plays the half hour to the window's end in about half a second, and stops.
  await page.selectOption('#replay-speed', '3600');
  await page.click('#replay-play');
  await page.waitForFunction((u) => !window.__truceline.play.on && window.__truceline.replayAt === u, wUntil, { timeout: 20_000 });
  assert.equal(await page.getAttribute('#replay-play', 'aria-pressed'), 'false');
  await page.waitForFunction((u) => document.querySelector('#map').dataset.replayAt === new Date(u).toISOString(), wUntil);
  // The feed holds nothing later than the replay time.
  await page.click('#tab-feed');
  await page.waitForFunction((u) => [...document.querySelectorAll('#feed time')].every((e) => Date.parse(e.getAttribute('datetime')) <= u), wUntil);
  assert.ok((await page.locator('#feed li').count()) > 0, 'events of the window are shown');
  await shot(page, 'f2-replay-window-end');

  // Play again from the end starts at the window's start; Back to live stops it.
  await page.click('#replay-play');
  await page.waitForSelector('#replay-play[aria-pressed=true]');
  await page.click('#go-live');
  await page.waitForSelector('#map[data-mode=live]');
  assert.equal(await page.getAttribute('#replay-play', 'aria-pressed'), 'false');
  // The whole period again.
  await page.click('#replay-window summary');
  await page.click('#replay-window-whole');
  await page.waitForFunction((m) => document.querySelector('#time-slider').min === String(m), min);

  // In Arabic the bar speaks Arabic (the state kept).
  await page.selectOption('#lang', 'ar');
  await page.waitForFunction(() => document.documentElement.dir === 'rtl');
  assert.match(await page.textContent('#replay-play'), /تشغيل/);
  await shot(page, 'f3-replay-ar');
  await page.selectOption('#lang', 'en');
  // Signing out while it plays stops it: the next principal starts live.
  await page.click('#replay-play');
  await page.waitForSelector('#replay-play[aria-pressed=true]');
  await page.click('#signout');
  await page.waitForSelector('#signin-key');
  assert.deepEqual(await st(page, () => [window.__truceline.play.on, window.__truceline.replayAt, window.__truceline.replayWindow.from]), [false, null, null]);
  assert.deepEqual(errors, []);
});

/** Clicks `selector` and returns the download it starts: { name, text }. */
async function downloaded(page, selector) {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.click(selector)]);
  return { name: d.suggestedFilename(), text: readFileSync(await d.path(), 'utf8') };
}

/** CSV rows (RFC 4180, as the console writes it), the header first. */
function csvRows(text) {
  assert.ok(text.startsWith('\uFEFF'));
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let k = 1; k < text.length; k++) {
    const c = text[k];
    if (quoted) {
      if (c === '"' && text[k + 1] === '"') { field += '"'; k++; } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\r' && text[k + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; k++; } else field += c;
  }
  return rows;
}

test('export: the incidents shown and the units on the map, as CSV and GeoJSON', { timeout: 90_000 }, async () => {
  const { page, errors } = await signIn('RU');
  await page.click('#tab-incidents');
  await page.waitForSelector('#incidents li');
  const all = await st(page, () => window.__truceline.incidents.map((i) => ({ id: i.id, rule: i.engine?.rule || '', status: i.status, place: !!(i.draft || i).place })));
  // Every incident the mediator sees, named by agreement and period.
  const c = await downloaded(page, '[data-key="incidents-export:csv"]');
  assert.match(c.name, /^golan-illustrative_incidents_\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv$/);
  const rows = csvRows(c.text);
  assert.equal(rows[0][0], 'id');
  assert.deepEqual(rows.slice(1).map((r) => r[0]).sort(), all.map((i) => i.id).sort());
  const g = await downloaded(page, '[data-key="incidents-export:geojson"]');
  assert.match(g.name, /^golan-illustrative_incidents_.*\.geojson$/);
  const geo = JSON.parse(g.text);
  assert.equal(geo.type, 'FeatureCollection');
  assert.deepEqual(geo.features.map((f) => f.id).sort(), all.filter((i) => i.place).map((i) => i.id).sort());
  // With a filter: only what it lets through.
  await page.selectOption('#triage-rule', 'il-sy-separation');
  const filtered = await downloaded(page, '[data-key="incidents-export:csv"]');
  const fr = csvRows(filtered.text);
  const ruleCol = fr[0].indexOf('rule');
  assert.ok(fr.length > 1);
  assert.ok(fr.slice(1).every((r) => r[ruleCol] === 'il-sy-separation'));
  assert.equal(fr.length - 1, all.filter((i) => i.rule === 'il-sy-separation').length);
  await page.selectOption('#triage-rule', '');

  // The units on the map at the engine's time, then without IL's (hidden in the legend).
  await page.click('#tab-mapitems');
  await page.waitForSelector('[data-key="units-export:geojson"]');
  const [n, engine] = await st(page, () => [window.__truceline.unitRows.size, window.__truceline.engineTime]);
  const u = await downloaded(page, '[data-key="units-export:geojson"]');
  assert.equal(u.name, `golan-illustrative_units_${new Date(engine).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '')}.geojson`);
  const ug = JSON.parse(u.text);
  assert.equal(ug.features.length, n);
  await page.click('#legend button[data-toggle="IL"]');
  const uc = csvRows((await downloaded(page, '[data-key="units-export:csv"]')).text);
  assert.deepEqual(uc[0], ['unit', 'party', 'category', 'count', 'lon', 'lat', 't']);
  assert.ok(uc.length > 1 && uc.slice(1).every((r) => r[1] !== 'IL'), 'no IL unit once hidden');
  assert.equal(uc.length - 1, ug.features.filter((f) => f.properties.party !== 'IL').length);
  await page.click('#legend button[data-toggle="IL"]');
  // In replay: the units as of the replay time, named by it.
  const min = Number(await page.getAttribute('#time-slider', 'min'));
  const at = min + 30 * 60_000;
  await page.locator('#time-slider').fill(String(at));
  await page.waitForFunction((at) => document.querySelector('#map').dataset.replayAt === new Date(at).toISOString() && document.querySelector('#map-status').textContent.includes(' as of '), at);
  await page.waitForFunction(() => window.__truceline.unitRows.size > 0);
  const r = await downloaded(page, '[data-key="units-export:csv"]');
  assert.match(r.name, new RegExp(`_units_${new Date(at).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z\\.csv$`));
  const rr = csvRows(r.text);
  assert.ok(rr.slice(1).every((row) => Date.parse(row[6]) <= at), 'no position later than the replay time');
  await page.click('#go-live');
  await shot(page, 'f4-export');
  assert.deepEqual(errors, []);
});

test('triage: filters by status, rule and party; the mediator takes several incidents into investigation at once', { timeout: 90_000 }, async () => {
  const { page, errors } = await signIn('RU');
  await page.click('#tab-incidents');
  await page.waitForSelector('#incidents li');
  const shownIds = () => page.evaluate(() => [...document.querySelectorAll('#incidents li')].map((li) => li.dataset.id));
  const incidents = () => page.evaluate(() => window.__truceline.incidents);
  await page.selectOption('#triage-status', 'alleged');
  await page.waitForFunction(() => [...document.querySelectorAll('#incidents li')].every((li) => li.dataset.status === 'alleged'));
  await page.selectOption('#triage-rule', 'il-sy-separation');
  await page.waitForFunction(() => [...document.querySelectorAll('#incidents li')].every((li) => li.dataset.rule === 'il-sy-separation'));
  await page.selectOption('#triage-party', 'IL');
  const list = await incidents();
  const expect = list.filter((i) => i.status === 'alleged' && i.engine?.rule === 'il-sy-separation' && i.about.includes('IL')).map((i) => i.id);
  assert.ok(expect.length >= 2, `alleged separation incidents: ${expect.length}`);
  assert.deepEqual((await shownIds()).sort(), expect.sort());
  assert.match(await page.textContent('#triage-count'), new RegExp(`^${expect.length} of ${list.length} shown\\.$`));
  // Search: by unit id.
  const unit = list.find((i) => i.id === expect[0]).engine.unit;
  await page.fill('#triage-q', unit);
  await page.waitForFunction((u) => [...document.querySelectorAll('#incidents li')].length >= 1 && window.__truceline.triage.q === u, unit);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'triage-q', 'typing keeps the focus in the search box');
  for (const id of await shownIds()) {
    const i = list.find((x) => x.id === id);
    assert.ok(JSON.stringify(i).includes(unit), `${id} matches ${unit}`);
  }
  await page.fill('#triage-q', '');
  await shot(page, 'f5-triage-filters');
  assert.deepEqual(await audit(page, 'triage'), []);

  // Two of them selected, taken into investigation with one confirmation.
  const picked = expect.slice(0, 2);
  for (const id of picked) await page.check(`input.triage-pick[data-id="${id}"]`);
  assert.match(await page.textContent('#bulk-investigate'), /Investigate 2 selected/);
  await page.fill('#bulk-note', 'Patrols sent to both places');
  await page.click('#bulk-investigate');
  await page.waitForSelector('dialog#confirm[open]');
  assert.match(await page.textContent('#confirm'), new RegExp(picked.join(', ')));
  await shot(page, 'f6-triage-bulk-confirm');
  assert.deepEqual(await audit(page, 'triage-confirm'), []);
  await page.click('#confirm-ok');
  await page.waitForFunction(() => /2 incidents taken into investigation/.test(document.querySelector('#bulk-status')?.textContent || ''), null, { timeout: 15_000 });
  const after = await incidents();
  for (const id of picked) {
    const i = after.find((x) => x.id === id);
    assert.equal(i.status, 'investigating', id);
    assert.match(JSON.stringify(i.history), /Patrols sent to both places/);
  }
  for (const id of expect.slice(2)) assert.equal(after.find((x) => x.id === id).status, 'alleged', `${id} left as it was`);
  // The alleged filter no longer shows them.
  for (const id of picked) assert.ok(!(await shownIds()).includes(id));
  await shot(page, 'f7-triage-bulk-done');

  // A party filters too, but has nothing to take into investigation.
  const il = await signIn('IL');
  await il.page.click('#tab-incidents');
  await il.page.waitForSelector('#incidents li');
  await il.page.waitForSelector('#triage-status');
  assert.equal(await il.page.locator('input.triage-pick, #bulk').count(), 0);
  assert.deepEqual([...errors, ...il.errors], []);
});

test('measure: a distance on the map by clicks and by keyboard', { timeout: 90_000 }, async () => {
  const { page, errors } = await signIn('SY');
  await page.click('#measure-toggle');
  await page.waitForSelector('#measure-toggle[aria-pressed=true]');
  await page.waitForSelector('#measure:not([hidden])');
  const box = await page.locator('#map canvas').boundingBox();
  const clicks = [[0.45, 0.45], [0.6, 0.55], [0.62, 0.3]];
  const points = [];
  for (const [fx, fy] of clicks) {
    const [x, y] = [box.width * fx, box.height * fy];
    await page.mouse.click(box.x + x, box.y + y);
    await page.waitForFunction((n) => document.querySelector('#measure').dataset.points === String(n), points.length + 1);
    // The point taken is where the click was (the browser rounds the pointer to whole
    // pixels), and the distance is the great circle through the points taken.
    const [taken, px] = await st(page, () => {
      const p = window.__truceline.measure.points.at(-1);
      return [p, window.__truceline.map.project(p)];
    });
    assert.ok(Math.abs(px.x - x) <= 1.5 && Math.abs(px.y - y) <= 1.5, `point at ${px.x},${px.y}, clicked ${x},${y}`);
    points.push(taken);
    const shownKm = Number(await page.getAttribute('#measure', 'data-km'));
    assert.ok(Math.abs(shownKm - pathKm(points)) < 1e-6, `${shownKm} vs ${pathKm(points)}`);
  }
  assert.match(await page.textContent('#measure-total'), /^\d+(\.\d+)? km in all$/);
  assert.match(await page.textContent('#measure'), / \+ /, 'each leg shown');
  // Clicks while measuring open no details.
  assert.ok(!(await page.getAttribute('#map', 'data-popup')));
  await shot(page, 'f8-measure');
  assert.deepEqual(await audit(page, 'measure'), []);
  // Enter on the map adds its centre.
  await page.focus('#map canvas');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#measure').dataset.points === '4');
  const centre = await st(page, () => window.__truceline.map.getCenter().toArray().map((v) => Math.round(v * 1e6) / 1e6));
  assert.ok(Math.abs(Number(await page.getAttribute('#measure', 'data-km')) - pathKm([...points, centre])) < 1e-6);
  // Escape ends it: the path goes.
  await page.keyboard.press('Escape');
  await page.waitForSelector('#measure-toggle[aria-pressed=false]');
  assert.ok(await page.locator('#measure').isHidden());
  assert.equal(await st(page, () => window.__truceline.measure.points.length), 0);
  // In Hebrew the button is on the left with the other controls, and speaks Hebrew.
  await page.selectOption('#lang', 'he');
  await page.waitForFunction(() => document.documentElement.dir === 'rtl');
  assert.equal(await page.getAttribute('#measure-toggle', 'aria-label'), 'מדידת מרחק');
  const b = await page.locator('#measure-toggle').boundingBox();
  const heBox = await page.locator('#map canvas').boundingBox();
  assert.ok(b.x < heBox.x + heBox.width / 2, `on the map's left in Hebrew: ${JSON.stringify([b, heBox])}`);
  await page.selectOption('#lang', 'en');
  assert.deepEqual(errors, []);
});

test('measure: an area and its perimeter; the scale bar', { timeout: 90_000 }, async () => {
  const { page, errors } = await signIn('RU');
  // The scale bar: metric, at the bottom where a line ends (right in English).
  const scale = page.locator('.maplibregl-ctrl-scale');
  await scale.waitFor();
  assert.match(await scale.textContent(), /^\d+(\.\d+)?\s?(km|m)$/);
  const box = await page.locator('#map canvas').boundingBox();
  let b = await scale.boundingBox();
  assert.ok(b.x > box.x + box.width / 2 && b.y > box.y + box.height / 2, `bottom right: ${JSON.stringify(b)}`);

  await page.click('#measure-toggle');
  await page.click('#measure-mode-area');
  await page.waitForSelector('#measure[data-mode=area]');
  assert.equal(await page.getAttribute('#measure-mode-area', 'aria-pressed'), 'true');
  assert.match(await page.textContent('#measure-total'), /corners of an area/);
  const corners = [[0.4, 0.35], [0.6, 0.35], [0.6, 0.6], [0.4, 0.6]];
  for (const [k, [fx, fy]] of corners.entries()) {
    await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
    await page.waitForFunction((n) => document.querySelector('#measure').dataset.points === String(n), k + 1);
  }
  const points = await st(page, () => window.__truceline.measure.points);
  const [km2, perimeter] = await st(page, () => [Number(document.querySelector('#measure').dataset.km2), Number(document.querySelector('#measure').dataset.perimeterKm)]);
  // The area the server's formula gives for the points taken, and the closed path's length.
  assert.ok(Math.abs(km2 - ringAreaKm2(points)) < 1e-9, `${km2} vs ${ringAreaKm2(points)}`);
  assert.ok(Math.abs(perimeter - pathKm([...points, points[0]])) < 1e-9);
  // About the width times the height of the box clicked, as the map's projection has it.
  const w = pathKm([points[0], points[1]]);
  const hgt = pathKm([points[1], points[2]]);
  assert.ok(Math.abs(km2 - w * hgt) / km2 < 0.01, `${km2} vs ${w} x ${hgt}`);
  assert.match(await page.textContent('#measure-total'), /^[\d.,]+ km², perimeter [\d.,]+ km$/);
  // The polygon is drawn.
  await page.waitForFunction(() => window.__truceline.map.queryRenderedFeatures({ layers: ['measure-fill'] }).length > 0);
  await shot(page, 'f9-measure-area');
  assert.deepEqual(await audit(page, 'measure-area'), []);
  // Back to a distance: the same points read as a path.
  await page.click('#measure-mode-distance');
  await page.waitForSelector('#measure[data-mode=distance]');
  assert.ok(Math.abs(Number(await page.getAttribute('#measure', 'data-km')) - pathKm(points)) < 1e-9);
  await page.click('#measure-mode-area');
  // In Hebrew: the readout in Hebrew, the scale bar at the bottom left.
  await page.selectOption('#lang', 'he');
  await page.waitForFunction(() => document.documentElement.dir === 'rtl');
  assert.match(await page.textContent('#measure-total'), /קמ״ר/);
  b = await page.locator('.maplibregl-ctrl-scale').boundingBox();
  const heBox = await page.locator('#map canvas').boundingBox();
  assert.ok(b.x < heBox.x + heBox.width / 2 && b.y > heBox.y + heBox.height / 2, `bottom left in Hebrew: ${JSON.stringify([b, heBox])}`);
  await shot(page, 'f10-measure-area-he');
  assert.deepEqual(await audit(page, 'measure-area-he'), []);
  await page.keyboard.press('Escape');
  await page.selectOption('#lang', 'en');
  assert.deepEqual(errors, []);
});
