// The console in each language and on each screen, in a real browser (Chromium through
// playwright-core) against the real `truceline serve`:
// - in English, Arabic, Hebrew and Russian (the browser's language picks it): <html lang dir>,
//   the sign-in page and the console's tabs in that language, the map's zoom buttons on the
//   side a line ends (left in Arabic and Hebrew), and the axe-core audit in each;
// - the language chooser switches the page at once (the map kept), and the choice is
//   remembered over a reload;
// - a phone (390x844): the map keeps a usable height, the panels are a sheet that slides
//   over it from the header's button, and the legend does not cover the feed;
// - a tablet (1024x768): no unit is under the legend, which starts folded;
// - dark mode, from the system's preference and from the header's chooser.
// Screenshots go to test-artifacts/screens-*.png, axe reports to test-artifacts/axe-screens-*.json.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from './pw.js';
import { writeKeys, signInNode } from './principals.js';
import { binary, startServer } from './server.js';
import { useLocalDist } from './dist.js';
import en from '../src/locales/en.js';
import ar from '../src/locales/ar.js';
import he from '../src/locales/he.js';
import ru from '../src/locales/ru.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const example = join(root, 'examples/golan-illustrative');
const artifacts = join(here, '..', 'test-artifacts');
const CATALOGUES = { en, ar, he, ru };
const RTL = new Set(['ar', 'he']);

let server, base, data, browser;
const contexts = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'truceline-screens-'));
  writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
  ({ server, base } = await startServer(binary(root), example, data));
  // Some units on the map: the example's first reports, posted by the monitor.
  const token = await signInNode(base, data, 'RU-MP');
  const tracks = readFileSync(join(example, 'tracks.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 400);
  const r = await fetch(`${base}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body: tracks.join('\n') + '\n' });
  assert.equal(r.status, 200, await r.text());
  browser = await chromium();
});

after(async () => {
  for (const [name, page] of contexts) await page.screenshot({ path: join(artifacts, `last-screens-${name}.png`) }).catch(() => {});
  await browser?.close();
  server?.kill('SIGINT');
  if (data) rmSync(data, { recursive: true, force: true });
});

const shot = (page, name) => page.screenshot({ path: join(artifacts, `screens-${name}.png`) });

async function open(name, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  await useLocalDist(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/status of 428/.test(m.text()) && console.log(`browser ${name}: ${m.text()}`));
  await page.goto(base + '/');
  contexts.push([name, page]);
  return { context, page, errors };
}

async function signIn(page, id) {
  await page.setInputFiles('#signin-key', join(data, 'keys', `${id}.key`));
  await page.waitForFunction((id) => document.querySelector('#signin-id').value === id, id);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('#app[data-ready=true]', { timeout: 15_000 });
  await page.waitForSelector('#map[data-ready=true]', { timeout: 15_000 });
  await page.waitForFunction(() => Number(document.querySelector('#map').dataset.units) >= 1, null, { timeout: 15_000 });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const audits = [];

/** axe on the page as it is; keeps the report; returns the serious and critical violations. */
async function audit(page, name) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] }));
  const violations = r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })) }));
  writeFileSync(join(artifacts, `axe-screens-${name}.json`), JSON.stringify({ url: r.url, testEngine: r.testEngine, violations }, null, 2));
  audits.push({ name, violations: violations.map((v) => `${v.impact} ${v.id} (${v.nodes.length})`) });
  for (const v of violations) console.log(`axe ${name}: ${v.impact} ${v.id}: ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${name}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')})`);
}

test('each language: lang and dir, translated pages, the map mirrored, axe finds nothing serious', { timeout: 150_000 }, async () => {
  let serious = [];
  for (const [lang, cat] of Object.entries(CATALOGUES)) {
    const { context, page, errors } = await open(lang, { locale: lang === 'en' ? 'en-GB' : lang, timezoneId: 'Asia/Jerusalem' });
    // The browser's language picks the page's.
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    assert.equal(await page.getAttribute('html', 'dir'), RTL.has(lang) ? 'rtl' : 'ltr');
    assert.equal((await page.textContent('form.signin button[type=submit]')).trim(), cat.signin.submit);
    assert.equal(await page.title(), cat.app.title);
    serious = serious.concat(await audit(page, `signin-${lang}`));
    await shot(page, `signin-${lang}`);
    await signIn(page, 'SY');
    assert.equal((await page.textContent('#tab-feed')).trim(), cat.tabs.feed);
    assert.equal((await page.textContent('#tab-notices')).trim(), cat.tabs.notices);
    assert.match(await page.textContent('#engine-time'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'times are UTC and labelled in every language');
    // The zoom buttons sit where a line ends: right in English and Russian, left in Arabic and Hebrew.
    const zoomCorner = await page.evaluate(() => document.querySelector('.maplibregl-ctrl-zoom-in').closest('[class*=maplibregl-ctrl-top-]').className);
    assert.match(zoomCorner, RTL.has(lang) ? /top-left/ : /top-right/);
    assert.equal(await page.getAttribute('.maplibregl-ctrl-zoom-in', 'title'), cat.maplibre.NavigationControl_ZoomIn);
    // The legend and the panels mirror: the legend on the side a line starts.
    const [legend, map, panel] = await Promise.all(['#legend', '#map', '#panel'].map((s) => page.locator(s).boundingBox()));
    if (RTL.has(lang)) {
      assert.ok(legend.x + legend.width > map.x + map.width - 30, 'the legend is at the right in RTL');
      assert.ok(panel.x < map.x, 'the panels are at the left in RTL');
    } else {
      assert.ok(legend.x < map.x + 30, 'the legend is at the left');
      assert.ok(panel.x > map.x, 'the panels are at the right');
    }
    await page.click('#tab-notices');
    await page.waitForSelector('#notice-form');
    assert.equal((await page.textContent('#notice-form h2')).trim(), cat.noticeForm.title);
    await shot(page, `notices-${lang}`);
    serious = serious.concat(await audit(page, `notices-${lang}`));
    await page.click('#tab-feed');
    serious = serious.concat(await audit(page, `feed-${lang}`));
    await shot(page, `feed-${lang}`);
    assert.deepEqual(errors, [], `no script errors in ${lang}`);
    await context.close();
  }
  writeFileSync(join(artifacts, 'axe-screens-summary.json'), JSON.stringify(audits, null, 2));
  assert.deepEqual(serious, [], 'axe: serious or critical violations');
});

test('the language chooser switches the page at once, keeps the map, and is remembered', { timeout: 60_000 }, async () => {
  const { context, page, errors } = await open('chooser', { locale: 'en-US' });
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await signIn(page, 'IL');
  const units = await page.getAttribute('#map', 'data-units');
  await page.focus('#lang');
  await page.selectOption('#lang', 'he');
  await page.waitForFunction(() => document.documentElement.lang === 'he' && document.documentElement.dir === 'rtl');
  assert.equal((await page.textContent('#tab-incidents')).trim(), he.tabs.incidents);
  assert.equal(await page.getAttribute('#map', 'data-units'), units, 'the map and its units are kept');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'lang', 'the focus stays on the chooser');
  await shot(page, 'chooser-he');
  await page.selectOption('#lang', 'ru');
  await page.waitForFunction(() => document.documentElement.lang === 'ru' && document.documentElement.dir === 'ltr');
  assert.equal((await page.textContent('#tab-compliance')).trim(), ru.tabs.compliance);
  // Remembered: the next visit (sign-in page) is in Russian though the browser says English.
  await page.reload();
  await page.waitForSelector('form.signin');
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  assert.equal((await page.textContent('form.signin h1')).trim(), ru.signin.title);
  await page.selectOption('#signin-lang', 'ar');
  await page.waitForFunction(() => document.documentElement.dir === 'rtl');
  assert.equal((await page.textContent('form.signin button[type=submit]')).trim(), ar.signin.submit);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a phone (390 px): the map stays usable, the panels slide over it, the legend does not cover the feed', { timeout: 60_000 }, async () => {
  const { context, page, errors } = await open('phone', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-GB' });
  await shot(page, 'phone-signin');
  await signIn(page, 'SY');
  const map = await page.locator('#map').boundingBox();
  console.log(`phone: map ${Math.round(map.width)}x${Math.round(map.height)}`);
  assert.ok(map.height > 200, `the map is ${map.height} px high`);
  assert.ok(map.width >= 380, `the map is ${map.width} px wide`);
  assert.ok(!(await page.locator('#panel-body').isVisible()), 'the panels start closed, the map in full');
  await shot(page, 'phone-map');
  let serious = await audit(page, 'phone-map');
  await page.click('#panel-toggle');
  await page.waitForFunction(() => document.querySelector('#panel-toggle').getAttribute('aria-expanded') === 'true');
  await page.locator('#feed li').first().waitFor();
  // The sheet has finished sliding when it stops moving.
  await page.waitForFunction(() => {
    const y = document.querySelector('#panel').getBoundingClientRect().top;
    const same = window.__lastPanelTop === y;
    window.__lastPanelTop = y;
    return same;
  }, null, { polling: 100 });
  const panel = await page.locator('#panel').boundingBox();
  assert.ok(panel.y > 0 && panel.y < 844 - 200, 'the sheet covers part of the screen');
  assert.ok(await page.locator('#map').isVisible(), 'the map stays behind the sheet');
  // Nothing lies on top of the feed: the point at the middle of each visible item is the feed's own.
  const covered = await page.evaluate(() => [...document.querySelectorAll('#feed li')].slice(0, 5).filter((li) => {
    const r = li.getBoundingClientRect();
    if (r.bottom > window.innerHeight) return false;
    const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !li.contains(at);
  }).length);
  assert.equal(covered, 0, 'feed items covered');
  const [legend, feed] = await Promise.all([page.locator('#legend').boundingBox(), page.locator('#panel').boundingBox()]);
  const overlap = legend.y + legend.height > feed.y && legend.x < feed.x + feed.width && feed.x < legend.x + legend.width;
  if (overlap) assert.ok(await page.evaluate(() => Number(getComputedStyle(document.querySelector('#panel')).zIndex) > Number(getComputedStyle(document.querySelector('#legend')).zIndex)), 'the sheet is above the legend');
  await shot(page, 'phone-panels');
  serious = serious.concat(await audit(page, 'phone-panels'));
  await page.click('#panel-toggle');
  await page.waitForFunction(() => document.querySelector('#panel-toggle').getAttribute('aria-expanded') === 'false');
  assert.deepEqual(serious, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a tablet (1024 px): no unit under the legend, the map and panels side by side', { timeout: 60_000 }, async () => {
  const { context, page, errors } = await open('tablet', { viewport: { width: 1024, height: 768 }, locale: 'ar' });
  await signIn(page, 'RU');
  await page.waitForFunction(() => Number(document.querySelector('#map').dataset.renderedUnits) >= 1, null, { timeout: 15_000 });
  const map = await page.locator('#map').boundingBox();
  assert.ok(map.height > 200 && map.width > 500, `map ${map.width}x${map.height}`);
  const underLegend = await page.evaluate(() => {
    const st = window.__truceline;
    const l = document.querySelector('#legend').getBoundingClientRect();
    const m = document.querySelector('#map').getBoundingClientRect();
    return [...st.unitRows.values()].filter((row) => {
      const p = st.map.project([row[4], row[5]]);
      const x = m.left + p.x;
      const y = m.top + p.y;
      return x >= l.left - 4 && x <= l.right + 4 && y >= l.top - 4 && y <= l.bottom + 4;
    }).map((row) => row[0]);
  });
  assert.deepEqual(underLegend, [], 'units under the legend');
  // The legend opens on request, and folds again.
  await page.click('#legend summary');
  assert.ok(await page.locator('#legend strong').first().isVisible());
  await shot(page, 'tablet-legend-open');
  await page.click('#legend summary');
  await shot(page, 'tablet');
  assert.deepEqual(await audit(page, 'tablet-ar'), []);
  assert.deepEqual(errors, []);
  await context.close();
});

const luminance = (rgb) => {
  const [r, g, b] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};

test('dark mode: from the system, and from the header\'s chooser', { timeout: 60_000 }, async () => {
  const { context, page, errors } = await open('dark', { colorScheme: 'dark', locale: 'en-GB' });
  const bg = () => page.evaluate(() => getComputedStyle(document.querySelector('#panel, .signin')).backgroundColor);
  assert.ok(luminance(await bg()) < 0.1, 'the sign-in card is dark');
  await signIn(page, 'SY');
  assert.ok(luminance(await bg()) < 0.1, `the panels are dark (${await bg()})`);
  assert.ok(luminance(await page.evaluate(() => getComputedStyle(document.body).color)) > 0.6, 'the text is light');
  const land = () => page.evaluate(() => window.__truceline.map.getPaintProperty('land', 'fill-color'));
  assert.ok(luminance(await page.evaluate((c) => { const e = document.createElement('div'); e.style.color = c; document.body.append(e); const v = getComputedStyle(e).color; e.remove(); return v; }, await land())) < 0.1, 'the land is dark');
  await shot(page, 'dark');
  const serious = await audit(page, 'dark-feed');
  await page.click('#tab-notices');
  serious.push(...(await audit(page, 'dark-notices')));
  await page.selectOption('#theme', 'light');
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
  assert.ok(luminance(await bg()) > 0.8, `light on request, though the system prefers dark (${await bg()})`);
  assert.equal(await land(), '#f4f1ea');
  await shot(page, 'dark-then-light');
  await page.selectOption('#theme', 'dark');
  await page.reload();
  await page.waitForSelector('form.signin');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'the choice is remembered');
  assert.deepEqual(serious, []);
  assert.deepEqual(errors, []);
  await context.close();
});
