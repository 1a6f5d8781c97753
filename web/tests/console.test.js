// The console in a real browser (Debian's Chromium through playwright-core) against the
// real `truceline serve` on a free loopback port, with the demo's agreement
// (examples/golan-illustrative) and the demo's reports, which the test posts as the
// monitor so that it knows when each was sent:
// - the map loads with the agreement's zones and the units;
// - a breach appears in the feed within seconds of the reports that cause it;
// - SY gives a notice; IL never sees it before the mediator relays it; the mediator relays
//   it and IL acknowledges it in its own browser context; SY sees the acknowledgement live.
// (Not `truceline demo`: its scaled clock also runs the sign-in tokens, which then last
// 1.5 s at 600x; see the report to the lead.)
//
// Run from web/: `npm test` (node --test). The binary is $TRUCELINE_BIN, else
// $CARGO_TARGET_DIR/release/truceline, else ../target/release/truceline; Chromium is
// $CHROMIUM, else /usr/bin/chromium. Screenshots go to web/test-artifacts/ (gitignored).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { chromium } from './pw.js';
import { writeKeys, signInNode } from './principals.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const example = join(root, 'examples/golan-illustrative');
const artifacts = join(here, '..', 'test-artifacts');
const BREACH_LATENCY_MS = 5000;

function binary() {
  if (process.env.TRUCELINE_BIN) return process.env.TRUCELINE_BIN;
  const dirs = [process.env.CARGO_TARGET_DIR, join(root, 'target')].filter(Boolean);
  for (const d of dirs) {
    const p = join(d, 'release', 'truceline');
    if (existsSync(p)) return p;
  }
  throw new Error('no truceline binary: build it with `cargo build --release -p truceline` or set TRUCELINE_BIN');
}

const tracks = readFileSync(join(example, 'tracks.jsonl'), 'utf8').split('\n').filter(Boolean);
const firstBreach = JSON.parse(readFileSync(join(example, 'expected.jsonl'), 'utf8').split('\n')[0]);
// Reports before the first breach, and the one that causes it.
const calm = tracks.filter((l) => Date.parse(JSON.parse(l).t) < Date.parse(firstBreach.t));
const trigger = tracks.slice(calm.length, tracks.findIndex((l) => JSON.parse(l).t === firstBreach.t && JSON.parse(l).unit === firstBreach.unit) + 1);
const more = tracks.slice(calm.length + trigger.length, 1500);

let server, base, data, browser, monitorToken;

async function postReports(lines) {
  const r = await fetch(`${base}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${monitorToken}`, 'content-type': 'application/x-ndjson' }, body: lines.join('\n') + '\n' });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return JSON.parse(text);
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'truceline-console-'));
  writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
  server = spawn(binary(), ['serve', '--agreement', example, '--data', data, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${out}`)), 20_000);
    const onData = (chunk) => {
      out += chunk;
      const m = out.match(/ on (http:\/\/[\d.:]+) /);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => fail(new Error(`server exited (${code}):\n${out}`)));
  });
  monitorToken = await signInNode(base, data, 'RU-MP');
  browser = await chromium();
});

after(async () => {
  // On failure, the last state of every page.
  for (const [name, page] of pages) await page.screenshot({ path: join(artifacts, `last-${name}.png`) }).catch(() => {});
  await browser?.close();
  server?.kill('SIGINT');
  if (data) rmSync(data, { recursive: true, force: true });
});

async function signIn(id) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'Asia/Damascus' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && console.log(`browser ${id}: ${m.text()}`));
  page.on('response', (r) => r.status() >= 400 && console.log(`browser ${id}: HTTP ${r.status()} ${r.url().split('?')[0]}`));
  await page.goto(base + '/');
  console.log(`${id}: ${page.url()} ${await page.title()}`);
  await page.setInputFiles('#signin-key', join(data, 'keys', `${id}.key`));
  await page.waitForFunction((id) => document.querySelector('#signin-id').value === id, id);
  await page.click('button[type=submit]');
  await page.waitForSelector('#app[data-ready=true]', { timeout: 15_000 });
  assert.match(await page.textContent('#who'), new RegExp(`^${id} `));
  return { page, context, errors };
}

const pages = [];
const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`) });

test('the console: map, live breaches, a notice given, kept private, relayed and acknowledged', { timeout: 110_000 }, async () => {
  const sy = await signIn('SY');
  pages.push(['sy', sy.page]);

  // The map: zones and lines of the agreement, then units as reports arrive.
  const mapHas = (page, attr, min) =>
    page.waitForFunction(([attr, min]) => Number(document.querySelector('#map')?.dataset[attr]) >= min, [attr, min], { timeout: 15_000 });
  await sy.page.waitForSelector('#map[data-ready=true]', { timeout: 15_000 });
  await mapHas(sy.page, 'zones', 4);
  assert.match(await sy.page.textContent('#legend'), /exclusion/);
  await sy.page.waitForSelector('#feed-empty');
  await postReports(calm);
  await mapHas(sy.page, 'units', 1);

  // A breach in the feed within seconds of the report that causes it.
  const sentAt = Date.now();
  const answer = await postReports(trigger);
  assert.ok(answer.events.length >= 1, 'the trigger batch breaks a rule');
  const breach = sy.page.locator('#feed li.breach').first();
  await breach.waitFor({ timeout: BREACH_LATENCY_MS });
  const latency = Date.now() - sentAt;
  console.log(`first breach shown ${latency} ms after its report was posted`);
  assert.match(await breach.textContent(), new RegExp(firstBreach.unit));
  await postReports(more);
  await mapHas(sy.page, 'units', 1);
  await mapHas(sy.page, 'renderedUnits', 1);
  // SY's map holds only SY's units.
  const parties = await sy.page.evaluate(() => [...new Set(window.__truceline.units.units.map((u) => u[1]))]);
  assert.deepEqual(parties, ['SY']);
  await shot(sy.page, '1-sy-map-feed');

  // Feed filters.
  await sy.page.selectOption('#filter-rule', 'no-militia-aol10');
  await sy.page.waitForFunction(() => [...document.querySelectorAll('#feed li')].every((li) => li.dataset.rule === 'no-militia-aol10'));
  await sy.page.selectOption('#filter-rule', '');

  // SY gives notice of an exercise: an area drawn on the map.
  await sy.page.click('#tab-notices');
  await sy.page.click('#draw');
  const box = await sy.page.locator('#map canvas').boundingBox();
  for (const [fx, fy] of [[0.62, 0.35], [0.72, 0.35], [0.72, 0.45], [0.62, 0.45]]) {
    await sy.page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
  }
  await sy.page.waitForFunction(() => document.querySelector('#draw-count').textContent === '4 points');
  await sy.page.click('#draw');
  await sy.page.selectOption('#notice-kind', 'exercise');
  await sy.page.fill('#notice-count', '40');
  await sy.page.fill('#notice-description', 'Browser test exercise');
  await sy.page.click('#notice-submit');
  await sy.page.waitForSelector('#notice-result[data-submitted^="N-"]', { timeout: 10_000 });
  const id = await sy.page.getAttribute('#notice-result', 'data-submitted');
  const sel = (status) => `#notices li[data-id="${id}"]${status ? `[data-status="${status}"]` : ''}`;
  await sy.page.waitForSelector(sel('submitted'));
  await shot(sy.page, '2-sy-notice-submitted');

  // IL does not see SY's notice before it is relayed: not in its notices, not in its feed.
  const il = await signIn('IL');
  pages.push(['il', il.page]);
  await il.page.click('#tab-notices');
  await il.page.waitForSelector('#notices li, #notices-empty');
  assert.equal(await il.page.locator(sel()).count(), 0, 'IL sees SY\'s unrelayed notice');
  await il.page.click('#tab-feed');
  assert.ok(!(await il.page.textContent('#panel-body')).includes(id), 'IL\'s feed names SY\'s unrelayed notice');
  await il.page.click('#tab-notices');
  await shot(il.page, '3-il-before-relay');

  // The mediator relays it.
  const ru = await signIn('RU');
  pages.push(['ru', ru.page]);
  await ru.page.click('#tab-notices');
  await ru.page.click(`${sel()} button[data-action=relay]`);
  await ru.page.waitForSelector(sel('relayed'), { timeout: 10_000 });

  // IL sees it arrive live and acknowledges it.
  await il.page.waitForSelector(sel(), { timeout: 10_000 });
  await il.page.click(`${sel()} button[data-action=acknowledge]`);
  await il.page.waitForSelector(sel('acknowledged'), { timeout: 10_000 });
  await shot(il.page, '4-il-acknowledged');

  // IL reports an incident about SY with a piece of evidence; its detail shows the hash.
  await il.page.click('#tab-incidents');
  await il.page.click('#incident-form summary');
  await il.page.selectOption('#incident-category', 'fire_across_line');
  await il.page.fill('#incident-lon', '35.9');
  await il.page.fill('#incident-lat', '33.1');
  await il.page.selectOption('#incident-alleged', 'SY');
  await il.page.fill('#incident-description', 'Mortar fire observed across line B');
  await il.page.setInputFiles('#incident-evidence', { name: 'photo.txt', mimeType: 'text/plain', buffer: Buffer.from('evidence bytes') });
  await il.page.click('#incident-submit');
  await il.page.waitForSelector('#incident-result[data-reported^="I-"]', { timeout: 10_000 });
  const sha = createHash('sha256').update('evidence bytes').digest('hex');
  await il.page.locator('#incident-detail code', { hasText: sha }).waitFor();
  await shot(il.page, '4b-il-incident-reported');

  // SY sees the acknowledgement without reloading.
  await sy.page.waitForSelector(sel('acknowledged'), { timeout: 10_000 });
  assert.match(await sy.page.textContent(sel()), /IL: acknowledge/);
  await shot(sy.page, '5-sy-sees-ack');

  // The mediator's compliance view: headroom bars under each cap.
  await ru.page.click('#tab-compliance');
  await ru.page.waitForSelector('.cap .bar', { timeout: 10_000 });
  await shot(ru.page, '6-ru-compliance');

  // Incidents: the engine opened one for SY's breach; its detail shows the timeline.
  await sy.page.click('#tab-incidents');
  await sy.page.click('#incidents li button');
  await sy.page.waitForSelector('#incident-detail .timeline li');
  await shot(sy.page, '7-sy-incident');

  // The time slider replays the map as it was.
  await sy.page.click('#tab-feed');
  const min = Number(await sy.page.getAttribute('#time-slider', 'min'));
  await sy.page.locator('#time-slider').fill(String(min + 10 * 60_000));
  await sy.page.waitForSelector('#map[data-mode=replay]');
  await sy.page.waitForFunction(() => document.querySelector('#map-status').textContent.includes(' as of '));
  await shot(sy.page, '8-sy-replay');
  await sy.page.click('#go-live');
  await sy.page.waitForSelector('#map[data-mode=live]');

  // An observer sees the agreement, but no units, events or notices.
  const us = await signIn('US');
  pages.push(['us', us.page]);
  await us.page.waitForFunction(() => document.querySelector('#map-status')?.textContent.includes('Observers'));
  assert.equal(await us.page.locator('#feed li').count(), 0);
  await shot(us.page, '9-us-observer');

  for (const who of [sy, il, ru, us]) assert.deepEqual(who.errors, [], 'no script errors');
});
