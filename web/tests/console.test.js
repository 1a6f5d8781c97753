// The console in a real browser (Debian's Chromium through playwright-core) against the
// real `truceline serve` on a free loopback port, with the demo's agreement
// (examples/golan-illustrative) and the demo's reports, which the test posts as the
// monitor so that it knows when each was sent:
// - the map loads with the agreement's zones and the units;
// - a breach appears in the feed within seconds of the reports that cause it;
// - SY gives a notice; IL never sees it before the mediator relays it; the mediator relays
//   it and IL acknowledges it in its own browser context; SY sees the acknowledgement live.
// Then, by keyboard only (Tab, Enter, Escape, and End on the tabs): the Map items list and
// the map itself open a zone's, a unit's and the centre's details, Escape closes them and
// the focus comes back; zone labels are all shown at 1280x800 and none overlap; times are
// UTC with the local time on hover; a wrong key file says so; and axe-core finds no
// serious or critical violation on the sign-in page and on every tab as SY and as the
// mediator (reports: test-artifacts/axe-*.json, with axe-summary.json).
// (Not `truceline demo`: its scaled clock also runs the sign-in tokens, which then last
// 1.5 s at 600x; see the report to the lead.)
//
// Run from web/: `npm test` (node --test). The binary is $TRUCELINE_BIN, else
// $CARGO_TARGET_DIR/release/truceline, else ../target/release/truceline; Chromium is
// $CHROMIUM, else /usr/bin/chromium. TRUCELINE_WEB_DIST=dist loads the console from web/dist
// rather than from the binary (tests/dist.js), to test a console change against an older binary. Screenshots and axe reports go to web/test-artifacts/
// (gitignored).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { chromium } from './pw.js';
import { writeKeys, signInNode } from './principals.js';
import { binary, startServer } from './server.js';
import { useLocalDist } from './dist.js';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import * as mgrsModule from 'mgrs';

const mgrs = mgrsModule.forward ? mgrsModule : mgrsModule.default;

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const example = join(root, 'examples/golan-illustrative');
const artifacts = join(here, '..', 'test-artifacts');
const BREACH_LATENCY_MS = 5000;

const tracks = readFileSync(join(example, 'tracks.jsonl'), 'utf8').split('\n').filter(Boolean);
const firstBreach = JSON.parse(readFileSync(join(example, 'expected.jsonl'), 'utf8').split('\n')[0]);
// Reports before the first breach, and the one that causes it.
const calm = tracks.filter((l) => Date.parse(JSON.parse(l).t) < Date.parse(firstBreach.t));
const trigger = tracks.slice(calm.length, tracks.findIndex((l) => JSON.parse(l).t === firstBreach.t && JSON.parse(l).unit === firstBreach.unit) + 1);
const more = tracks.slice(calm.length + trigger.length, 1500);

let server, base, data, browser, monitorToken;
let serverGone = false;

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
  ({ server, base } = await startServer(binary(root), example, data));
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

async function signIn(id, { before } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'Asia/Damascus' });
  await useLocalDist(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !serverGone && console.log(`browser ${id}: ${m.text()}`));
  page.on('response', (r) => r.status() >= 400 && console.log(`browser ${id}: HTTP ${r.status()} ${r.url().split('?')[0]}`));
  await page.goto(base + '/');
  console.log(`${id}: ${page.url()} ${await page.title()}`);
  if (before) await before(page);
  await page.setInputFiles('#signin-key', join(data, 'keys', `${id}.key`));
  await page.waitForFunction((id) => document.querySelector('#signin-id').value === id, id);
  await page.click('button[type=submit]');
  await page.waitForSelector('#app[data-ready=true]', { timeout: 15_000 });
  assert.match(await page.textContent('#who'), new RegExp(`^${id} `));
  return { page, context, errors };
}

const pages = [];
const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`) });

// One user's journey, told as steps that run in order and share what they made (the
// principals' pages, the notice, the incident). Each step has its own time limit, so a
// slow machine is judged step by step; a step after a failed one is skipped, not failed
// again.
const STEP_TIMEOUT_MS = 120_000;
const journey = { done: 0, sy: null, il: null, ru: null, us: null, notice: null, incident: null };
function step(n, name, body) {
  test(name, { timeout: STEP_TIMEOUT_MS }, async (t) => {
    if (journey.done !== n - 1) return t.skip(`step ${journey.done + 1} did not finish`);
    const started = Date.now();
    await body();
    console.log(`step ${n} took ${Date.now() - started} ms`);
    journey.done = n;
  });
}
const noticeSel = (status) => `#notices li[data-id="${journey.notice}"]${status ? `[data-status="${status}"]` : ''}`;
const mapHas = (page, attr, min) =>
  page.waitForFunction(([attr, min]) => Number(document.querySelector('#map')?.dataset[attr]) >= min, [attr, min], { timeout: 15_000 });

step(1, 'the console: the map, its units, a live breach within seconds, the legend, the pointer, the filters', async () => {
  const sy = (journey.sy = await signIn('SY'));
  pages.push(['sy', sy.page]);

  // The map: zones and lines of the agreement, then units as reports arrive.
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
  const parties = await sy.page.evaluate(() => [...new Set([...window.__truceline.unitRows.values()].map((u) => u[1]))]);
  assert.deepEqual(parties, ['SY']);
  await shot(sy.page, '1-sy-map-feed');

  // The legend names the monitors too, and its items hide and show what they name.
  assert.match(await sy.page.textContent('#legend'), /RU-MP/);
  const renderedOf = (page, party) => page.evaluate((party) => {
    const map = window.__truceline.map;
    return map.queryRenderedFeatures({ layers: ['units'] }).filter((f) => f.properties.party === party).length;
  }, party);
  const idle = (page) => page.evaluate(() => new Promise((ok) => (window.__truceline.map.loaded() && !window.__truceline.map.isMoving() ? ok() : window.__truceline.map.once('idle', ok))));
  assert.ok((await renderedOf(sy.page, 'SY')) > 0);
  await sy.page.click('#legend button[data-toggle="SY"]');
  assert.equal(await sy.page.getAttribute('#legend button[data-toggle="SY"]', 'aria-pressed'), 'false');
  await sy.page.waitForFunction(() => document.querySelector('#map').dataset.hidden === 'unit:SY');
  await idle(sy.page);
  assert.equal(await renderedOf(sy.page, 'SY'), 0, 'SY\'s units hidden');
  await sy.page.click('#legend button[data-toggle="exclusion"]');
  await idle(sy.page);
  assert.ok(await sy.page.evaluate(() => [...document.querySelectorAll('.map-label.k-exclusion')].every((e) => e.dataset.shown === 'false')), 'exclusion zones\' labels hidden');
  assert.equal(await sy.page.evaluate(() => window.__truceline.map.queryRenderedFeatures({ layers: ['zones-fill'] }).filter((f) => f.properties.style === 'exclusion').length), 0);
  await shot(sy.page, '1c-sy-legend-toggles');
  await sy.page.click('#legend button[data-toggle="SY"]');
  await sy.page.click('#legend button[data-toggle="exclusion"]');
  await idle(sy.page);
  assert.ok((await renderedOf(sy.page, 'SY')) > 0, 'SY\'s units back');

  // The pointer's position in degrees and MGRS; the scale bar.
  const canvas = await sy.page.locator('#map canvas').boundingBox();
  await sy.page.mouse.move(canvas.x + canvas.width * 0.55, canvas.y + canvas.height * 0.5);
  await sy.page.waitForFunction(() => document.querySelector('#pointer-readout').dataset.source === 'pointer');
  const readout = await sy.page.textContent('#pointer-readout');
  const [lng, lat] = (await sy.page.getAttribute('#pointer-readout', 'data-lng-lat')).split(',').map(Number);
  const expected = mgrs.forward([lng, lat], 5).replace(/^(\d+[A-Z])([A-Z]{2})(\d{5})(\d{5})$/, '$1 $2 $3 $4');
  assert.equal(readout, `${lat.toFixed(4)}° N, ${lng.toFixed(4)}° E · MGRS ${expected}`);
  // ... and it is where the pointer is (within a pixel or two of the map's own projection).
  const px = await sy.page.evaluate(([lng, lat]) => window.__truceline.map.project([lng, lat]), [lng, lat]);
  assert.ok(Math.abs(px.x - canvas.width * 0.55) < 2 && Math.abs(px.y - canvas.height * 0.5) < 2, `pointer at ${px.x},${px.y}`);
  assert.match(await sy.page.textContent('.maplibregl-ctrl-scale'), /^\d+\s(km|m)$/);

  // Feed filters.
  await sy.page.selectOption('#filter-rule', 'no-militia-aol10');
  await sy.page.waitForFunction(() => [...document.querySelectorAll('#feed li')].every((li) => li.dataset.rule === 'no-militia-aol10'));
  await sy.page.selectOption('#filter-rule', '');
});

step(2, 'the console: a notice given, kept private, relayed and acknowledged', async () => {
  const { sy } = journey;
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
  const id = (journey.notice = await sy.page.getAttribute('#notice-result', 'data-submitted'));
  const sel = noticeSel;
  await sy.page.waitForSelector(sel('submitted'));
  // The notice shows its description; the form is ready for the next one: no description,
  // and a window from its defaults, written in UTC as YYYY-MM-DD HH:MM.
  assert.match(await sy.page.textContent(`${sel()} .description`), /Browser test exercise/);
  assert.equal(await sy.page.inputValue('#notice-description'), '');
  assert.match(await sy.page.inputValue('#notice-from'), /^\d{4}-\d\d-\d\d \d\d:\d\d$/);
  await shot(sy.page, '2-sy-notice-submitted');

  // IL does not see SY's notice before it is relayed: not in its notices, not in its feed.
  const il = (journey.il = await signIn('IL'));
  pages.push(['il', il.page]);
  await il.page.click('#tab-notices');
  await il.page.waitForSelector('#notices li, #notices-empty');
  assert.equal(await il.page.locator(sel()).count(), 0, 'IL sees SY\'s unrelayed notice');
  await il.page.click('#tab-feed');
  assert.ok(!(await il.page.textContent('#panel-body')).includes(id), 'IL\'s feed names SY\'s unrelayed notice');
  await il.page.click('#tab-notices');
  await shot(il.page, '3-il-before-relay');

  // The mediator relays it.
  const ru = (journey.ru = await signIn('RU'));
  pages.push(['ru', ru.page]);
  await ru.page.click('#tab-notices');
  await ru.page.click(`${sel()} button[data-action=relay]`);
  await ru.page.waitForSelector(sel('relayed'), { timeout: 10_000 });

  // IL sees it arrive live and acknowledges it.
  await il.page.waitForSelector(sel(), { timeout: 10_000 });
  await il.page.click(`${sel()} button[data-action=acknowledge]`);
  await il.page.waitForSelector(sel('acknowledged'), { timeout: 10_000 });
  await shot(il.page, '4-il-acknowledged');

  // SY sees the acknowledgement without reloading.
  await sy.page.waitForSelector(sel('acknowledged'), { timeout: 10_000 });
  assert.match(await sy.page.textContent(sel()), /IL: acknowledge/);
  await shot(sy.page, '5-sy-sees-ack');
});

step(3, 'the console: an incident reported with evidence, found on the map; the compliance view; the engine\'s incident', async () => {
  const { sy, il, ru } = journey;
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
  // The form is cleared once sent: nothing to send twice by mistake.
  assert.equal(await il.page.inputValue('#incident-description'), '');
  assert.equal(await il.page.evaluate(() => document.querySelector('#incident-evidence').files.length), 0);
  assert.equal(await il.page.inputValue('#incident-lon'), '');
  await shot(il.page, '4b-il-incident-reported');

  // The incident is on IL's map, where it was reported; a click opens it.
  const reported = (journey.incident = await il.page.getAttribute('#incident-result', 'data-reported'));
  await il.page.click('#incident-detail button[data-key$=":show"]');
  await il.page.waitForSelector('.show-marker');
  await il.page.waitForFunction(() => document.querySelector('#map').dataset.shown === '35.9,33.1');
  await il.page.evaluate(() => new Promise((ok) => (window.__truceline.map.isMoving() ? window.__truceline.map.once('moveend', ok) : ok())));
  const at = await il.page.evaluate(() => window.__truceline.map.project([35.9, 33.1]));
  const ilCanvas = await il.page.locator('#map canvas').boundingBox();
  await il.page.click('#tab-feed');
  await il.page.mouse.click(ilCanvas.x + at.x, ilCanvas.y + at.y);
  await il.page.waitForFunction((id) => document.querySelector('#map').dataset.popup === `incident:${id}`, reported);
  await shot(il.page, '4c-il-incident-on-map');
  await il.page.click('.maplibregl-popup button.link');
  await il.page.waitForSelector('#tab-incidents[aria-selected=true]');
  assert.match(await il.page.textContent('#incident-detail h2'), new RegExp(reported));
  // "Show" left its marker, and it stays when the map moves.
  await il.page.evaluate(() => window.__truceline.map.jumpTo({ center: [35.7, 32.9] }));
  assert.equal(await il.page.locator('.show-marker').count(), 1);

  // The mediator's compliance view: headroom bars under each cap.
  await ru.page.click('#tab-compliance');
  await ru.page.waitForSelector('.cap .bar', { timeout: 10_000 });
  await shot(ru.page, '6-ru-compliance');

  // Incidents: the engine opened one for SY's breach; its detail shows the timeline.
  await sy.page.click('#tab-incidents');
  await sy.page.click('#incidents li button');
  await sy.page.waitForSelector('#incident-detail .timeline li');
  await shot(sy.page, '7-sy-incident');
});

step(4, 'the console: a finding is final, so a dialog asks first; Escape cancels, the keyboard confirms', async () => {
  const { ru } = journey;
  const incidentId = journey.incident;
  // The mediator's finding on IL's incident is final: a dialog asks first; Escape cancels
  // (no finding), and confirming by keyboard records it.
  await ru.page.click('#tab-incidents');
  await ru.page.click(`#incidents li[data-id="${incidentId}"] button`);
  await ru.page.fill('#incident-text', 'Monitors sent to the site');
  await ru.page.click(`#incident-detail button[data-key="${incidentId}:investigate"]`);
  await ru.page.waitForSelector(`#incidents li.s-investigating[data-id="${incidentId}"]`, { timeout: 10_000 });
  await ru.page.fill('#incident-text', 'Crater analysis and two monitors\' reports');
  const findingButton = `#incident-detail button[data-key="${incidentId}:finding:verified"]`;
  await ru.page.click(findingButton);
  await ru.page.waitForSelector('dialog#confirm[open]');
  assert.match(await ru.page.textContent('#confirm'), /final/);
  assert.match(await ru.page.textContent('#confirm'), /Crater analysis/);
  assert.equal(await ru.page.evaluate(() => document.activeElement.id), 'confirm-cancel', 'the focus starts on Cancel');
  await shot(ru.page, '6b-ru-confirm-finding');
  await ru.page.keyboard.press('Escape');
  await ru.page.waitForSelector('dialog#confirm', { state: 'detached' });
  assert.match(await ru.page.textContent('#incident-detail'), /No finding yet/);
  assert.equal(await ru.page.evaluate(() => document.activeElement.dataset.key), `${incidentId}:finding:verified`, 'the focus is back on the button');
  await ru.page.keyboard.press('Enter');
  await ru.page.waitForSelector('dialog#confirm[open]');
  await ru.page.keyboard.press('Tab');
  assert.equal(await ru.page.evaluate(() => document.activeElement.id), 'confirm-ok');
  await ru.page.keyboard.press('Enter');
  await ru.page.waitForFunction(() => !/No finding yet/.test(document.querySelector('#incident-detail').textContent), null, { timeout: 10_000 });
  assert.match(await ru.page.textContent('#incident-detail'), /verified by RU/);
});

step(5, 'the console: a notice withdrawn after a dialog; the time slider replays the map; an observer sees no units', async () => {
  const { sy, il, ru } = journey;
  const sel = noticeSel;
  // SY withdraws its notice: a dialog asks first; Cancel keeps it, confirming withdraws it.
  await sy.page.click('#tab-notices');
  await sy.page.click(`${sel()} button[data-action=withdraw]`);
  await sy.page.waitForSelector('dialog#confirm[open]');
  await sy.page.click('#confirm-cancel');
  await sy.page.waitForSelector('dialog#confirm', { state: 'detached' });
  assert.equal(await sy.page.getAttribute(sel(), 'data-status'), 'acknowledged');
  await sy.page.click(`${sel()} button[data-action=withdraw]`);
  await sy.page.click('#confirm-ok');
  await sy.page.waitForSelector(sel('withdrawn'), { timeout: 10_000 });

  // The time slider replays the map as it was.
  await sy.page.click('#tab-feed');
  const min = Number(await sy.page.getAttribute('#time-slider', 'min'));
  await sy.page.locator('#time-slider').fill(String(min + 10 * 60_000));
  await sy.page.waitForSelector('#map[data-mode=replay]');
  // In replay the feed holds nothing later than the slider: no later engine event, and no
  // notice (all given after the reports' time).
  await sy.page.waitForFunction((max) => [...document.querySelectorAll('#feed time')].every((e) => Date.parse(e.getAttribute('datetime')) <= max), min + 10 * 60_000);
  assert.equal(await sy.page.locator('#feed li.k-notice').count(), 0, 'no later notice in replay');
  await sy.page.waitForFunction(() => document.querySelector('#map-status').textContent.includes(' as of '));
  await shot(sy.page, '8-sy-replay');
  await sy.page.click('#go-live');
  await sy.page.waitForSelector('#map[data-mode=live]');
  assert.ok((await sy.page.locator('#feed li.k-notice').count()) > 0, 'the notices are back live');

  // An observer sees the agreement, but no units, events or notices.
  const us = (journey.us = await signIn('US'));
  pages.push(['us', us.page]);
  await us.page.waitForFunction(() => document.querySelector('#map-status')?.textContent.includes('Observers'));
  assert.equal(await us.page.locator('#feed li').count(), 0);
  await shot(us.page, '9-us-observer');

  for (const who of [sy, il, ru, us]) assert.deepEqual(who.errors, [], 'no script errors');
});

// axe-core, from node_modules, put into the page by Playwright (nothing is fetched): the
// page's CSP allows no inline script, so its source is evaluated through the DevTools
// protocol rather than added as a <script> tag.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const audits = [];

/** Runs axe on the page as it is now; keeps the report; returns the serious and critical
 * violations. */
async function audit(page, name) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations', 'incomplete'] }));
  const violations = r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })) }));
  writeFileSync(join(artifacts, `axe-${name}.json`), JSON.stringify({ url: r.url, timestamp: r.timestamp, testEngine: r.testEngine, passes: r.passes?.length, violations, incomplete: r.incomplete.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, first: v.nodes.slice(0, 400).map((n) => ({ target: n.target, why: [...n.any, ...n.all, ...n.none].map((c) => c.message) })) })) }, null, 2));
  audits.push({ name, violations: violations.map((v) => `${v.impact} ${v.id} (${v.nodes.length})`) });
  for (const v of violations) console.log(`axe ${name}: ${v.impact} ${v.id}: ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Presses Tab (Shift+Tab with `back`) until `pred` holds for the focused element, at most `max` times. */
async function tabTo(page, pred, arg, { max = 80, back = false } = {}) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate(pred, arg)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`Tab never reached the element (${pred})`);
}

const focusRing = (page) => page.evaluate(() => {
  const s = getComputedStyle(document.activeElement);
  return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
});

test('by keyboard only: map items and the map open details, Escape closes them; axe finds nothing serious', { timeout: 150_000 }, async () => {
  let serious = [];
  // A wrong key file: the sign-in form says what is wrong.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await useLocalDist(context);
    const page = await context.newPage();
    await page.goto(base + '/');
    await page.setInputFiles('#signin-key', { name: 'SY.key', mimeType: 'text/plain', buffer: Buffer.from('not a key\n') });
    await page.fill('#signin-id', 'SY');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /Sign-in failed: This is not a truceline key file/.test(document.querySelector('#signin-status').textContent));
    serious = serious.concat(await audit(page, 'signin-error'));
    await shot(page, '13-signin-error');
    await context.close();
  }
  const sy = await signIn('SY', { before: async (page) => (serious = serious.concat(await audit(page, 'signin'))) });
  pages.push(['sy-keys', sy.page]);
  const page = sy.page;
  await page.waitForSelector('#map[data-ready=true]', { timeout: 15_000 });
  await page.waitForFunction(() => Number(document.querySelector('#map').dataset.units) >= 1, null, { timeout: 15_000 });

  // Times in UTC, the local time (here Damascus, UTC+3) on hover.
  assert.match(await page.textContent('#engine-time'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  assert.match(await page.getAttribute('#engine-time time', 'title'), /^Local time: .*GMT\+3/);
  // ... and beside every UTC time once the header's box is ticked, by keyboard.
  const localAfter = () => page.evaluate(() => getComputedStyle(document.querySelector('#engine-time time'), '::after').content);
  assert.equal(await localAfter(), 'none');
  await page.focus('#show-local');
  await page.keyboard.press('Space');
  assert.match(await localAfter(), /GMT\+3/);
  await shot(page, '1b-sy-local-times');
  await page.keyboard.press('Space');
  assert.equal(await localAfter(), 'none');

  // Zone labels: every one shown at 1280x800, none overlapping another.
  const labels = await page.evaluate(() => [...document.querySelectorAll('.map-label')].map((e) => ({ id: e.textContent, shown: e.dataset.shown === 'true', r: e.getBoundingClientRect().toJSON() })));
  const shownLabels = labels.filter((l) => l.shown);
  console.log(`labels shown: ${shownLabels.length} of ${labels.length}`);
  assert.equal(shownLabels.length, labels.length, `hidden labels: ${labels.filter((l) => !l.shown).map((l) => l.id)}`);
  for (const [i, a] of shownLabels.entries()) {
    for (const b of shownLabels.slice(i + 1)) {
      const apart = a.r.right <= b.r.left || b.r.right <= a.r.left || a.r.bottom <= b.r.top || b.r.bottom <= a.r.top;
      assert.ok(apart, `labels ${a.id} and ${b.id} overlap`);
    }
  }

  // The tabs: Tab reaches the selected one, End moves to the last (Record), the arrow back
  // to the one before it (Map items).
  await tabTo(page, () => document.activeElement?.getAttribute('role') === 'tab');
  assert.ok(await focusRing(page), 'the focused tab shows a focus ring');
  await page.keyboard.press('End');
  await page.waitForSelector('#tab-record[aria-selected=true]');
  await page.keyboard.press('ArrowLeft');
  await page.waitForSelector('#tab-mapitems[aria-selected=true]');
  await page.waitForSelector('#map-features button');

  // A zone from the list: Enter opens its details on the map, focus goes into them, Escape
  // closes them and gives the focus back to the button.
  await tabTo(page, () => document.activeElement?.closest('#map-features') != null);
  assert.ok(await focusRing(page), 'the focused item shows a focus ring');
  const key = await page.evaluate(() => document.activeElement.dataset.key);
  await page.keyboard.press('Enter');
  await page.waitForFunction((k) => document.querySelector('#map').dataset.popup === k, key);
  assert.ok(await page.evaluate(() => document.activeElement.closest('.maplibregl-popup') != null), 'focus is in the details');
  assert.match(await page.textContent('.maplibregl-popup'), new RegExp(key.split(':')[1]));
  await shot(page, '10-sy-keyboard-zone');
  serious = serious.concat(await audit(page, 'sy-map-items-popup'));
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('.maplibregl-popup') && !document.querySelector('#map').dataset.popup);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.key), key, 'focus back on the item');

  // A unit, found by typing its id: its details, then Escape.
  await tabTo(page, () => document.activeElement?.id === 'unit-search', null, { back: true });
  await page.keyboard.type('SY-');
  await page.waitForSelector('#unit-results button');
  await tabTo(page, () => document.activeElement?.closest('#unit-results') != null);
  const unitKey = await page.evaluate(() => document.activeElement.dataset.key);
  await page.keyboard.press('Enter');
  await page.waitForFunction((k) => document.querySelector('#map').dataset.popup === k, unitKey);
  assert.match(await page.textContent('.maplibregl-popup'), /Reported/);
  await shot(page, '11-sy-keyboard-unit');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('.maplibregl-popup'));
  assert.equal(await page.evaluate(() => document.activeElement.dataset.key), unitKey);

  // The map itself: Tab to it; Enter shows what is under the centre; Escape closes it and
  // the focus stays on the map.
  await tabTo(page, () => document.activeElement?.classList.contains('maplibregl-canvas'), null, { back: true });
  assert.ok(await focusRing(page), 'the focused map shows a focus ring');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.maplibregl-popup');
  await shot(page, '12-sy-keyboard-map');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('.maplibregl-popup'));
  assert.ok(await page.evaluate(() => document.activeElement.classList.contains('maplibregl-canvas')));

  // A notice's area drawn by keyboard: "Draw on map", then Enter on the map takes its centre.
  await tabTo(page, () => document.activeElement?.getAttribute('role') === 'tab');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#tab-notices[aria-selected=true]');
  await tabTo(page, () => document.activeElement?.id === 'draw');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#draw[aria-pressed=true]');
  await tabTo(page, () => document.activeElement?.classList.contains('maplibregl-canvas'), null, { back: true });
  for (const key of ['Enter', 'ArrowRight', 'Enter', 'ArrowDown', 'Enter']) await page.keyboard.press(key);
  await page.waitForFunction(() => document.querySelector('#draw-count').textContent === '3 points');
  await shot(page, '14-sy-keyboard-draw');

  // axe on each of SY's tabs, and on the mediator's.
  for (const t of ['feed', 'notices', 'incidents', 'compliance']) {
    await page.click(`#tab-${t}`);
    if (t === 'compliance') await page.waitForSelector('section.party');
    serious = serious.concat(await audit(page, `sy-${t}`));
  }
  const ru = await signIn('RU');
  pages.push(['ru-axe', ru.page]);
  await ru.page.waitForSelector('#map[data-ready=true]');
  for (const t of ['feed', 'notices', 'incidents', 'compliance', 'mapitems']) {
    await ru.page.click(`#tab-${t}`);
    if (t === 'compliance') await ru.page.waitForSelector('.cap .bar');
    serious = serious.concat(await audit(ru.page, `ru-${t}`));
  }
  writeFileSync(join(artifacts, 'axe-summary.json'), JSON.stringify(audits, null, 2));

  // The server dies (last, since the tests share it; SIGKILL, as a graceful stop would wait
  // for the open streams): the console says so, on the live status and on the map, rather
  // than showing stale positions as if live.
  serverGone = true;
  server.kill('SIGKILL');
  await ru.page.waitForFunction(() => /reconnecting/.test(document.querySelector('#live-status').textContent), null, { timeout: 15_000 });
  await ru.page.waitForFunction(() => /Unit positions unavailable: the server does not answer/.test(document.querySelector('#map-status').textContent), null, { timeout: 15_000 });
  await shot(ru.page, '15-ru-server-gone');
  assert.deepEqual(serious.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`), [], 'axe: serious or critical violations');
  for (const who of [sy, ru]) assert.deepEqual(who.errors, [], 'no script errors');
});
