// What the console shows of the server's one source of truth (issue 10), in a real browser
// against the real `truceline serve` with the demo's agreement and the first reports of its
// tracks (posted by the monitor), up to a morning when IL and SY units have come closer than
// the separation and the buffer zone's phase-1 cap is not yet in force:
// - a party's copy of a separation event names no unit of the other side: IL's feed, its
//   incident detail and its compliance panel say "a unit of SY" (in Arabic too), never an
//   SY unit id, and its "Show" goes to IL's own unit only; the mediator sees both units;
// - a cap outside its window reads "not in force" with its count, no headroom, not red;
//   open breaches say since when;
// - items that arrive by the live stream carry the server's time (the `time` of
//   GET /v1/feed, to the millisecond), and the feed is in the server's order.
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

let server, base, data, browser, monitorToken;
const pages = [];

async function postReports(lines) {
  const r = await fetch(`${base}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${monitorToken}`, 'content-type': 'application/x-ndjson' }, body: lines.join('\n') + '\n' });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return JSON.parse(text);
}

async function apiGet(token, path) {
  const r = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, path);
  return r.json();
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'truceline-disclosure-'));
  writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
  ({ server, base } = await startServer(binary(root), example, data));
  monitorToken = await signInNode(base, data, 'RU-MP');
  // Up to 07:18 on the first day: separation breaches, buffer-phase1-cap not yet in force.
  await postReports(tracks.slice(0, 1500));
  browser = await chromium();
});

after(async () => {
  for (const [name, page] of pages) await page.screenshot({ path: join(artifacts, `last-${name}.png`) }).catch(() => {});
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
  pages.push([`disclosure-${id}`, page]);
  return { page, context, errors };
}

const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`) });
const SY_UNIT = /SY-[A-Z]+-\d+/;

test('a party sees the other side as "a unit of SY"; caps out of their window are not in force; the feed runs on the server\'s time', { timeout: 120_000 }, async () => {
  const il = await signIn('IL');
  const page = il.page;

  // The feed: IL's separation events name IL's unit and "a unit of SY".
  const sep = '#feed li[data-rule="il-sy-separation"]';
  await page.waitForSelector(sep, { timeout: 10_000 });
  const sepTexts = await page.locator(sep).allTextContents();
  assert.ok(sepTexts.length > 0);
  for (const text of sepTexts) {
    assert.match(text, /a unit of SY/, text);
    assert.doesNotMatch(text, SY_UNIT, `IL's feed names an SY unit: ${text}`);
  }
  // What the console holds of them has no SY unit or position at all.
  const held = await page.evaluate(() => window.__truceline.feed.filter((i) => i.kind === 'event' && i.data.rule === 'il-sy-separation').map((i) => i.data));
  for (const d of held) {
    assert.equal(d.other_party, 'SY');
    assert.ok(!('other' in d) && !('other_lon' in d) && !('other_lat' in d), JSON.stringify(d));
  }
  // "Show" goes to IL's own unit, where IL's copy puts it; there is nothing to show of SY's.
  const buttons = await page.evaluate((sep) => [...document.querySelectorAll(sep)].map((li) => [...li.querySelectorAll('button:not([data-key^="record:"])')].map((b) => b.getAttribute('aria-label'))), sep);
  for (const labels of buttons) {
    assert.ok(labels.length <= 1, 'one Show at most');
    for (const l of labels) assert.match(l, /^Show IL-/);
  }
  const first = page.locator(`${sep} button`).first();
  const key = await first.getAttribute('data-key');
  const item = held.length && (await page.evaluate((id) => window.__truceline.feed.find((i) => i.id === id).data, Number(key.split(':')[1])));
  await first.click();
  await page.waitForFunction((at) => document.querySelector('#map').dataset.shown === at, `${item.lon},${item.lat}`);
  await shot(page, 'd1-il-separation-feed');

  // The same in Arabic: the other side in the page's language.
  await page.selectOption('#lang', 'ar');
  await page.waitForFunction(() => document.documentElement.lang === 'ar');
  await page.waitForSelector(sep);
  assert.match(await page.locator(sep).first().textContent(), /وحدة تابعة لـSY/);
  await shot(page, 'd2-il-separation-feed-ar');
  await page.selectOption('#lang', 'en');
  await page.waitForFunction(() => document.documentElement.lang === 'en');

  // An engine incident of the separation: its detail names no SY unit either.
  const incident = await page.evaluate(() => window.__truceline.incidents.find((i) => i.engine?.rule === 'il-sy-separation')?.id);
  assert.ok(incident, 'an engine incident for the separation');
  await page.click('#tab-incidents');
  await page.click(`#incidents li[data-id="${incident}"] button`);
  await page.waitForSelector('#incident-detail');
  const detail = await page.textContent('#incident-detail');
  assert.match(detail, /a unit of SY/);
  assert.doesNotMatch(detail, SY_UNIT);

  // Compliance: IL's open separation breaches say "a unit of SY" and since when; the
  // phase-1 cap of the buffer zone is not in force yet: its count, no headroom, not red.
  await page.click('#tab-compliance');
  await page.waitForSelector('section.party[data-party="IL"] .cap');
  const summary = await page.evaluate(() => window.__truceline.summary);
  const ilSummary = summary.parties.find((p) => p.party === 'IL');
  const phase1 = ilSummary.caps.find((c) => c.rule === 'buffer-phase1-cap');
  assert.equal(phase1.in_force, false, 'the server says buffer-phase1-cap is not in force at 07:18');
  const cap = page.locator('section.party[data-party="IL"] .cap[data-rule="buffer-phase1-cap"]');
  const capText = await cap.textContent();
  assert.match(capText, /not in force/);
  assert.match(capText, new RegExp(`${phase1.present} of 400`));
  assert.doesNotMatch(capText, /headroom/);
  assert.equal(await cap.locator('.bad, .over').count(), 0, 'a cap not in force is never shown as violated');
  // A cap in force still shows its headroom.
  const inForce = ilSummary.caps.find((c) => c.in_force);
  assert.match(await page.textContent(`section.party[data-party="IL"] .cap[data-rule="${inForce.rule}"]`), /headroom/);
  const sepOpen = ilSummary.open_breaches.filter((b) => b.rule === 'il-sy-separation');
  if (sepOpen.length) {
    const li = page.locator('section.party[data-party="IL"] .open-breaches li[data-rule="il-sy-separation"]').first();
    const text = await li.textContent();
    assert.match(text, /a unit of SY/);
    assert.doesNotMatch(text, SY_UNIT);
  }
  // Every open breach says since when the server has it open (its `since`), not "—".
  const sinces = await page.evaluate(() => [...document.querySelectorAll('section.party .open-breaches li')].map((li) => li.querySelector('time')?.getAttribute('datetime') || null));
  const expected = summary.parties.flatMap((p) => p.open_breaches.slice(0, 20).map((b) => (b.since ? new Date(b.since).toISOString() : null)));
  assert.deepEqual(sinces, expected);
  await shot(page, 'd3-il-compliance');

  // Live items come with the server's time: post more reports while IL watches, then
  // compare what the console holds with GET /v1/feed for IL, item by item.
  await page.click('#tab-feed');
  const lastBefore = await page.evaluate(() => window.__truceline.lastFeedId);
  await postReports(tracks.slice(1500, 2600));
  const ilToken = await signInNode(base, data, 'IL');
  const server = [];
  for (let after = lastBefore; ;) {
    const r = await apiGet(ilToken, `/v1/feed?after=${after}&limit=1000`);
    server.push(...r.items);
    if (!r.items.length || r.next_after === after) break;
    after = r.next_after;
  }
  assert.ok(server.length > 0, 'the reports made feed items for IL');
  const lastId = server[server.length - 1].id;
  await page.waitForFunction((id) => window.__truceline.lastFeedId >= id, lastId, { timeout: 15_000 });
  const live = await page.evaluate(([after, last]) => window.__truceline.feed.filter((i) => i.id > after && i.id <= last), [lastBefore, lastId]);
  const byId = new Map(server.map((i) => [i.id, i]));
  assert.equal(live.length, server.length, 'every live item arrived once');
  for (const i of live) {
    const s = byId.get(i.id);
    assert.ok(s, `item ${i.id} is IL's`);
    assert.equal(i.time, s.time, `item ${i.id}: the server's time, not the browser's`);
    assert.deepEqual(i.data, s.data, `item ${i.id}: the same data as GET /v1/feed`);
  }
  // The feed is in the server's order (time, then id), and shown newest first.
  const order = await page.evaluate(() => window.__truceline.feed.map((i) => [Date.parse(i.time), i.id]));
  for (let k = 1; k < order.length; k++) {
    const [a, b] = [order[k - 1], order[k]];
    assert.ok(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), `feed out of order at ${k}: ${a} then ${b}`);
  }
  const shown = await page.evaluate(() => [...document.querySelectorAll('#feed li .link[data-key^="show:"]')].map((b) => Number(b.dataset.key.split(':')[1])));
  const pos = new Map(order.map(([, id], k) => [id, k]));
  for (let k = 1; k < shown.length; k++) assert.ok(pos.get(shown[k - 1]) > pos.get(shown[k]), 'newest first');

  // The mediator sees both units of a separation breach, by id.
  const ru = await signIn('RU');
  await ru.page.waitForSelector(sep);
  assert.match(await ru.page.locator(sep).first().textContent(), /and SY-[A-Z]+-\d+/);
  assert.ok(await ru.page.evaluate(() => window.__truceline.feed.some((i) => i.data.rule === 'il-sy-separation' && i.data.other && i.data.other_lon != null)));
  await shot(ru.page, 'd4-ru-separation-feed');

  for (const who of [il, ru]) assert.deepEqual(who.errors, [], 'no script errors');
});
