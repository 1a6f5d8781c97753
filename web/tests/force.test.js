// The console's Force tab in a real browser (Debian's Chromium through playwright-core)
// against the real `truceline serve` on a free loopback port, with the demo's agreement
// (examples/golan-illustrative, its patrol notice set to none so that a patrol can start
// within seconds on the server's real clock):
// - the mediator tasks a patrol along line A through the form (behind the confirmation
//   dialog): it is on the timeline, scheduled or starting, its route and corridor on the map;
// - the force posts its reports along the first part of line A (over HTTP, as the other
//   tests do): the mediator sees the patrol on route, its track on the map and its coverage
//   so far; more reports along the rest: the coverage rises; the coverage layer (24 h, then
//   7 days) shows line A patrolled, on the map and in the table;
// - the party SY sees the announced patrol with its route or without it as the agreement's
//   future_routes says, and never the track (none on its map, 403 from the API);
// - SY declares its holdings in a zone through the form (where the server has declarations);
// - axe-core finds no serious or critical violation on the Force tab, in English and in
//   Arabic (right to left), and no page has a script error.
//
// Run from web/: `node --test tests/force.test.js`. The binary is $TRUCELINE_BIN, else
// $CARGO_TARGET_DIR/release/truceline, else ../target/release/truceline; Chromium is
// $CHROMIUM, else /usr/bin/chromium; TRUCELINE_WEB_DIST=dist loads the console from web/dist
// (tests/dist.js). Screenshots and axe reports go to web/test-artifacts/ (gitignored).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from './pw.js';
import { writeKeys, signInNode } from './principals.js';
import { binary, startServer } from './server.js';
import { useLocalDist } from './dist.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const example = join(root, 'examples/golan-illustrative');
const artifacts = join(here, '..', 'test-artifacts');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const UNIT = 'RU-MP-P1';

let server, base, data, browser, agreementDir, futureRoutes;

/** The example's agreement with no patrol notice (the server's clock is the machine's: a
 * patrol tasked now starts in seconds). */
function agreementCopy() {
  const dir = join(data, 'agreement');
  cpSync(example, dir, { recursive: true });
  const file = join(dir, 'agreement.toml');
  let text = readFileSync(file, 'utf8');
  if (/^\s*patrol_notice_minutes\s*=/m.test(text)) text = text.replace(/^(\s*patrol_notice_minutes\s*=\s*)\d+/m, '$10');
  else if (/^\[operations\]/m.test(text)) text = text.replace(/^\[operations\]\s*$/m, '[operations]\npatrol_notice_minutes = 0');
  else text += '\n[operations]\npatrol_notice_minutes = 0\n';
  writeFileSync(file, text);
  futureRoutes = text.match(/^\s*future_routes\s*=\s*"([a-z_]+)"/m)?.[1] || 'announced';
  return dir;
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'truceline-force-'));
  writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
  agreementDir = agreementCopy();
  ({ server, base } = await startServer(binary(root), agreementDir, data));
  browser = await chromium();
});

const pages = [];
after(async () => {
  for (const [name, page] of pages) await page.screenshot({ path: join(artifacts, `force-last-${name}.png`) }).catch(() => {});
  await browser?.close();
  server?.kill('SIGINT');
  if (data) rmSync(data, { recursive: true, force: true });
});

async function signIn(id) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'Asia/Jerusalem' });
  await useLocalDist(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && console.log(`browser ${id}: ${m.text()}`));
  page.on('response', (r) => r.status() >= 400 && console.log(`browser ${id}: HTTP ${r.status()} ${r.url().split('?')[0]}`));
  await page.goto(base + '/');
  await page.setInputFiles('#signin-key', join(data, 'keys', `${id}.key`));
  await page.waitForFunction((id) => document.querySelector('#signin-id').value === id, id);
  await page.click('button[type=submit]');
  await page.waitForSelector('#app[data-ready=true]', { timeout: 30_000 });
  await page.waitForSelector('#map[data-ready=true]', { timeout: 30_000 });
  const who = { id, page, context, errors };
  pages.push([id, page]);
  return who;
}

async function openForce(page) {
  await page.click('#tab-force');
  await page.waitForSelector('#tab-force[aria-selected=true]');
  await page.waitForSelector('#force-patrols');
}

const shot = (page, name) => page.screenshot({ path: join(artifacts, `force-${name}.png`) });

const audits = [];
async function audit(page, name) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] }));
  const violations = r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })) }));
  writeFileSync(join(artifacts, `axe-force-${name}.json`), JSON.stringify({ url: r.url, testEngine: r.testEngine, violations }, null, 2));
  audits.push({ name, violations: violations.map((v) => `${v.impact} ${v.id} (${v.nodes.length})`) });
  for (const v of violations) console.log(`axe ${name}: ${v.impact} ${v.id}: ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
const describe = (serious) => serious.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);

/** Submits a form of the tab and answers its confirmation dialog; resolves to the result
 * element's state ({ done, refused, text }). */
async function submitConfirmed(page, id) {
  await page.evaluate((id) => {
    const r = document.querySelector(`#${id}-result`);
    delete r.dataset.done;
    delete r.dataset.refused;
  }, id);
  await page.click(`#${id}-submit`);
  await page.waitForSelector(`dialog#confirm[open], #${id}-result[data-refused]`);
  const ask = await page.evaluate(() => document.querySelector('dialog#confirm')?.textContent || '');
  if (ask) {
    await page.click('#confirm-ok');
    await page.waitForFunction(() => !document.querySelector('dialog#confirm'));
  }
  await page.waitForSelector(`#${id}-result[data-done], #${id}-result[data-refused]`, { timeout: 30_000 });
  return { ask, done: await page.getAttribute(`#${id}-result`, 'data-done'), refused: await page.getAttribute(`#${id}-result`, 'data-refused'), text: await page.textContent(`#${id}-result`) };
}

const pad = (n) => String(n).padStart(2, '0');
const utcField = (ms) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};

// Line A's vertices, and a position `share` of the way along them (by vertex count).
const lineA = JSON.parse(readFileSync(join(example, 'zones.geojson'), 'utf8')).features.find((f) => f.properties.id === 'line-a').geometry.coordinates;
function along(share) {
  const x = Math.min(Math.max(share, 0), 1) * (lineA.length - 1);
  const i = Math.min(Math.floor(x), lineA.length - 2);
  const f = x - i;
  return [lineA[i][0] + (lineA[i + 1][0] - lineA[i][0]) * f, lineA[i][1] + (lineA[i + 1][1] - lineA[i][1]) * f];
}

let monitorToken = null;
let lastReportMs = 0;
/** The force's reports along line A from share `a` to `b`, `n` of them, timed in order
 * between the last one posted (or `after`) and now. */
async function postAlong(a, b, n, after) {
  monitorToken ||= await signInNode(base, data, 'RU-MP');
  const start = Math.max(lastReportMs, after) + 1;
  const end = Date.now() - 50;
  assert.ok(end - start > n, `room for ${n} reports in time order`);
  const lines = [];
  for (let k = 0; k < n; k++) {
    const [lon, lat] = along(a + ((b - a) * k) / (n - 1));
    const t = Math.round(start + ((end - start) * k) / (n - 1));
    lastReportMs = t;
    lines.push(JSON.stringify({ t: new Date(t).toISOString(), unit: UNIT, party: 'RU-MP', category: 'patrol', count: 1, lon, lat }));
  }
  const r = await fetch(`${base}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${monitorToken}`, 'content-type': 'application/x-ndjson' }, body: lines.join('\n') + '\n' });
  assert.equal(r.status, 200, await r.text());
}

// The journey as steps that run in order and share what they made; each has its own time
// limit (CI runs on two slow cores), and a step after a failed one is skipped.
const STEP_TIMEOUT_MS = 120_000;
const journey = { done: 0, ru: null, sy: null, patrol: null, fromMs: 0, coverage: 0, serious: [] };
let stepStart = 0;
const mark = (what) => console.log(`  ${what}: ${Date.now() - stepStart} ms`);
function step(n, name, body) {
  test(name, { timeout: STEP_TIMEOUT_MS }, async (t) => {
    if (journey.done !== n - 1) return t.skip(`step ${journey.done + 1} did not finish`);
    const started = (stepStart = Date.now());
    await body(t);
    console.log(`force step ${n} took ${Date.now() - started} ms`);
    journey.done = n;
  });
}

/** The selected patrol's state in the tab ({ id, progress, coverage, reports, track }),
 * once it is `want`: 'shown' (patrol `arg`), 'onRoute' (on route with its track and some
 * coverage), or 'above' (coverage above `arg`). */
async function patrolState(page, want, arg, timeout = 30_000) {
  const read = () => {
    const d = document.querySelector('#patrol-detail');
    if (!d) return null;
    const so = document.querySelector('#patrol-so-far');
    return { id: d.dataset.id, progress: d.dataset.progress, coverage: so ? Number(so.dataset.coverage) : null, reports: so ? Number(so.dataset.reports) : null, track: document.querySelector('#map').dataset.forceTrack };
  };
  await page.waitForFunction(([want, arg]) => {
    const d = document.querySelector('#patrol-detail');
    if (!d) return false;
    const so = document.querySelector('#patrol-so-far');
    const coverage = so ? Number(so.dataset.coverage) : null;
    if (want === 'shown') return d.dataset.id === arg;
    if (want === 'onRoute') return d.dataset.progress === 'on_route' && coverage > 0 && document.querySelector('#map').dataset.forceTrack === '1';
    return coverage > arg;
  }, [want, arg], { timeout, polling: 250 });
  return page.evaluate(read);
}

step(1, 'force: the mediator tasks a patrol along line A through the form; it is on the timeline and its route on the map', async () => {
  const ru = (journey.ru = await signIn('RU'));
  const { page } = ru;
  await openForce(page);
  await page.waitForSelector('#patrols-empty');
  // The places of the agreement are drawn (if it has any) and listed in the legend.
  const places = await page.evaluate(() => window.__truceline.meta.geojson.features.filter((f) => f.geometry.type === 'Point').length);
  if (places) await page.waitForSelector('#legend img.place-swatch', { state: 'attached' });

  await page.click('#patrol-form summary');
  await page.fill('#patrol-unit', UNIT);
  await page.selectOption('#patrol-target', 'line');
  await page.selectOption('#patrol-feature', 'line-a');
  // Starts in a few seconds (no notice in this agreement), ends in half an hour.
  const fromMs = (journey.fromMs = Math.ceil((Date.now() + 4000) / 1000) * 1000);
  await page.fill('#patrol-from', utcField(fromMs));
  await page.fill('#patrol-until', utcField(fromMs + 30 * 60_000));
  await page.fill('#patrol-corridor', '500');
  await page.fill('#patrol-observers', 'RU, KZ');
  await page.fill('#patrol-purpose', 'Line A, north to south (browser test)');
  const r = await submitConfirmed(page, 'patrol-form');
  assert.match(r.ask, /RU-MP-P1/);
  assert.match(r.ask, /IL, SY/, 'the dialog names the parties told');
  assert.match(r.done || '', /^P-\d+$/, r.text);
  journey.patrol = r.done;
  await page.waitForSelector(`#patrol-timeline li[data-id="${r.done}"]`);
  const st = await patrolState(page, 'shown', r.done);
  assert.ok(['scheduled', 'starting'].includes(st.progress), st.progress);
  // The route and its corridor on the map, from the tasking.
  await page.waitForFunction((id) => {
    const map = window.__truceline.map;
    return map.getContainer().dataset.forcePatrol === id && map.getLayoutProperty('force-corridor', 'visibility') === 'visible'
      && map.queryRenderedFeatures({ layers: ['force-route'] }).length > 0 && map.queryRenderedFeatures({ layers: ['force-corridor'] }).length > 0;
  }, r.done, { timeout: 30_000 });
  await shot(page, '1-ru-tasked');
});

step(2, 'force: reports along line A: the mediator sees the patrol on route with its track, then the coverage rising', async () => {
  const { ru, patrol, fromMs } = journey;
  const { page } = ru;
  // The window has opened (the server's clock is this machine's).
  while (Date.now() < fromMs + 1500) await new Promise((ok) => setTimeout(ok, 100));
  await postAlong(0, 0.4, 70, fromMs);
  mark('first reports posted');
  const first = await patrolState(page, 'onRoute', null, 40_000);
  assert.ok(first.coverage < 0.8, `coverage after 40% of the line: ${first.coverage}`);
  assert.equal(first.reports, 70);
  mark(`on route, coverage ${first.coverage}`);
  // The track on the map (the force and the mediator see it).
  await page.waitForFunction(() => window.__truceline.map.queryRenderedFeatures({ layers: ['force-track'] }).length > 0, null, { timeout: 20_000 });
  assert.equal(await page.textContent(`#patrol-timeline li[data-id="${patrol}"] .badge`), 'on route');
  await shot(page, '2-ru-on-route');

  await postAlong(0.4, 1, 100, fromMs);
  const second = await patrolState(page, 'above', first.coverage, 40_000);
  assert.ok(second.coverage > 0.8, `coverage after the whole line: ${second.coverage}`);
  journey.coverage = second.coverage;
  mark(`coverage ${second.coverage}`);

  // The coverage layer: line A patrolled today, in the table and on the map; then the week.
  await page.waitForFunction(() => Number(document.querySelector('#coverage-table tr[data-feature="line-a"]')?.dataset.share24h) > 0.5, null, { timeout: 30_000 });
  await page.waitForFunction(() => {
    const map = window.__truceline.map;
    return map.getContainer().dataset.forceCoverage === '1' && map.queryRenderedFeatures({ layers: ['force-coverage'] }).length > 0;
  }, null, { timeout: 20_000 });
  await page.click('[data-key="coverage-days:7"]');
  await page.waitForSelector('#coverage-table[data-days="7"] tr[data-feature="line-a"]');
  assert.ok(Number(await page.getAttribute('#coverage-table tr[data-feature="line-a"]', 'data-share7d')) > 0.5);
  await page.waitForFunction(() => window.__truceline.map.getContainer().dataset.forceCoverage === '7');
  await shot(page, '3-ru-coverage');
});

step(3, 'force: the party SY sees the announced patrol (its route as future_routes says), never the track', async () => {
  const { patrol } = journey;
  const sy = (journey.sy = await signIn('SY'));
  const { page } = sy;
  await openForce(page);
  await page.waitForSelector(`#patrol-timeline li[data-id="${patrol}"]`);
  await page.click(`[data-key="patrol:${patrol}"]`);
  await page.waitForSelector(`#patrol-detail[data-id="${patrol}"]`);
  const routeTold = await page.getAttribute('#patrol-detail', 'data-route');
  // A running patrol's route: told from the announcement under "announced", not before its
  // end under "force_only".
  assert.equal(routeTold, String(futureRoutes === 'announced'), `future_routes = ${futureRoutes}`);
  if (routeTold === 'false') await page.waitForSelector('#patrol-no-route');
  // Never the track: none in the tab, none on the map, and the API refuses it.
  assert.equal(await page.locator('#patrol-so-far').count(), 0, 'SY sees the figures so far');
  assert.equal(await page.locator('#patrol-last').count(), 0, 'SY sees the last report');
  await page.waitForFunction(() => window.__truceline.map.getContainer().dataset.forceTrack === '0');
  const token = await signInNode(base, data, 'SY');
  const r = await fetch(`${base}/v1/patrols/${patrol}/track`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 403);
  const list = await (await fetch(`${base}/v1/patrols`, { headers: { authorization: `Bearer ${token}` } })).json();
  const seen = list.items.find((p) => p.id === patrol);
  assert.ok(seen && !seen.so_far && !seen.last_report, 'the API gives SY no figures or position');
  // The coverage layer is everyone's.
  await page.waitForSelector('#coverage-table tr[data-feature="line-a"]');
  await shot(page, '4-sy-announced');
});

step(4, 'force: SY declares its holdings in a zone through the form (where the server has declarations)', async (t) => {
  const { page } = journey.sy;
  if (await page.locator('#force-declarations .unavailable').count()) return t.skip('this server has no declarations yet');
  await page.click('#declare-form summary');
  await page.selectOption('#declare-zone', 'AOL10-SY');
  await page.fill('#declare-count-tank', '60');
  await page.fill('#declare-count-personnel', '5000');
  const r = await submitConfirmed(page, 'declare-form');
  assert.ok(r.done, `declared: ${r.text}`);
  assert.match(r.ask, /AOL10-SY/);
  await page.waitForSelector('#force-declarations table[data-zone="AOL10-SY"] tr[data-category="tank"][data-declared="60"]', { timeout: 30_000 });
  await shot(page, '5-sy-declared');
});

step(5, 'force: axe on the Force tab in English and Arabic (right to left); no script errors', async () => {
  const { ru, sy } = journey;
  journey.serious.push(...(await audit(ru.page, 'ru-en')));
  journey.serious.push(...(await audit(sy.page, 'sy-en')));
  await ru.page.selectOption('#lang', 'ar');
  await ru.page.waitForFunction(() => document.documentElement.dir === 'rtl' && document.querySelector('#tab-force')?.textContent === 'القوة');
  await ru.page.waitForSelector(`#patrol-detail[data-id="${journey.patrol}"]`);
  assert.match(await ru.page.textContent('#force-patrols'), /على المسار/);
  await shot(ru.page, '6-ru-ar');
  journey.serious.push(...(await audit(ru.page, 'ru-ar')));
  await ru.page.selectOption('#lang', 'en');
  writeFileSync(join(artifacts, 'axe-force-summary.json'), JSON.stringify(audits, null, 2));
  assert.deepEqual(describe(journey.serious), [], 'axe: serious or critical violations');
  for (const who of [ru, sy]) assert.deepEqual(who.errors, [], `no script errors (${who.id})`);
});
