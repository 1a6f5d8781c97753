// The console's Talks tab in a real browser (Debian's Chromium through playwright-core)
// against the real `truceline serve` on a free loopback port, with the demo's agreement
// (examples/golan-illustrative) in force and no reports posted:
// - IL files the every-zone draft (examples/drafts/golan-every-zone) through the upload
//   form, after a broken one that the server refuses naming the file and line; SY does not
//   see IL's draft;
// - the mediator files the version in force and shares IL's draft with SY, which sees it
//   arrive live, authored by the mediator;
// - the mediator opens the gap of the two: the map draws the three hatched layers (only in
//   A, only in B, in both), the legend's km² are the server's, the rule differences are
//   listed key by key; the impact table comes back;
// - SY comments (disputed) on a zone and the mediator sees it live; IL does not;
// - IL and SY sign the version (each through the confirmation dialog), the mediator
//   countersigns it with the instant it enters into force, and the observer US, which saw
//   no draft before, sees the version countersigned;
// - axe-core finds no serious or critical violation on the Talks tab (the mediator's with
//   a gap open, the observer's), and no page has a script error.
//
// Run from web/: `node --test tests/talks.test.js`. The binary is $TRUCELINE_BIN, else
// $CARGO_TARGET_DIR/release/truceline, else ../target/release/truceline; Chromium is
// $CHROMIUM, else /usr/bin/chromium; TRUCELINE_WEB_DIST=dist loads the console from web/dist
// (tests/dist.js). Screenshots and axe reports go to web/test-artifacts/ (gitignored).

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

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const inForce = join(root, 'examples/golan-illustrative');
const everyZone = join(root, 'examples/drafts/golan-every-zone');
const artifacts = join(here, '..', 'test-artifacts');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server, base, data, browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'truceline-talks-'));
  writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
  ({ server, base } = await startServer(binary(root), inForce, data));
  browser = await chromium();
});

const pages = [];
after(async () => {
  // On failure, the last state of every page.
  for (const [name, page] of pages) await page.screenshot({ path: join(artifacts, `talks-last-${name}.png`) }).catch(() => {});
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
  assert.match(await page.textContent('#who'), new RegExp(`^${id} `));
  const who = { id, page, context, errors };
  pages.push([id, page]);
  return who;
}

async function openTalks(page) {
  await page.click('#tab-talks');
  await page.waitForSelector('#tab-talks[aria-selected=true]');
  await page.waitForSelector('#talks-drafts');
}

const shot = (page, name) => page.screenshot({ path: join(artifacts, `talks-${name}.png`) });

const audits = [];
async function audit(page, name) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] }));
  const violations = r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })) }));
  writeFileSync(join(artifacts, `axe-talks-${name}.json`), JSON.stringify({ url: r.url, testEngine: r.testEngine, violations }, null, 2));
  audits.push({ name, violations: violations.map((v) => `${v.impact} ${v.id} (${v.nodes.length})`) });
  for (const v of violations) console.log(`axe ${name}: ${v.impact} ${v.id}: ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
const describe = (serious) => serious.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);

/** Files a draft through the form: resolves to the result element's state. */
async function fileDraft(page, title, dir, agreement = null) {
  if (!(await page.evaluate(() => document.querySelector('#draft-form').open))) await page.click('#draft-form summary');
  await page.fill('#draft-title', title);
  await page.fill('#draft-note', `${title}: filed by the browser test`);
  await page.setInputFiles('#draft-agreement', agreement ? { name: 'agreement.toml', mimeType: 'text/plain', buffer: Buffer.from(agreement) } : join(dir, 'agreement.toml'));
  await page.setInputFiles('#draft-geometry', join(dir, 'zones.geojson'));
  await page.evaluate(() => {
    const r = document.querySelector('#draft-result');
    delete r.dataset.filed;
    delete r.dataset.refused;
  });
  await page.click('#draft-submit');
  await page.waitForSelector('#draft-result[data-filed], #draft-result[data-refused]');
  return { filed: await page.getAttribute('#draft-result', 'data-filed'), text: await page.textContent('#draft-result') };
}

/** Clicks the act `key` and answers its confirmation dialog. */
async function actConfirmed(page, key, { cancel = false } = {}) {
  await page.click(`[data-key="${key}"]`);
  await page.waitForSelector('dialog#confirm[open]');
  const text = await page.textContent('dialog#confirm');
  await page.click(cancel ? '#confirm-cancel' : '#confirm-ok');
  await page.waitForFunction(() => !document.querySelector('dialog#confirm'));
  return text;
}

const draftSel = (id, extra = '') => `#drafts li[data-id="${id}"]${extra}`;

// The journey as steps that run in order and share what they made; each has its own time
// limit (CI runs on two slow cores), and a step after a failed one is skipped.
const STEP_TIMEOUT_MS = 120_000;
const journey = { done: 0, il: null, sy: null, ru: null, us: null, ilDraft: null, ruDraft: null, serious: [] };
let stepStart = 0;
/** How long the step has run, logged at a milestone (to tell slow parts on CI). */
const mark = (what) => console.log(`  ${what}: ${Date.now() - stepStart} ms`);
function step(n, name, body) {
  test(name, { timeout: STEP_TIMEOUT_MS }, async (t) => {
    if (journey.done !== n - 1) return t.skip(`step ${journey.done + 1} did not finish`);
    const started = (stepStart = Date.now());
    await body();
    console.log(`talks step ${n} took ${Date.now() - started} ms`);
    journey.done = n;
  });
}

step(1, 'talks: IL files the every-zone draft through the form (a broken one refused with its line); SY does not see it', async () => {
  const il = (journey.il = await signIn('IL'));
  await openTalks(il.page);
  await il.page.waitForSelector('#talks-empty');

  // A broken agreement.toml: the server's refusal names the file and the line.
  const broken = readFileSync(join(everyZone, 'agreement.toml'), 'utf8').replace('kind = "exclusion"', 'kind = "nonsense"');
  const refused = await fileDraft(il.page, 'Broken counter-proposal', everyZone, broken);
  assert.equal(refused.filed, null, 'a broken draft is refused');
  assert.match(refused.text, /agreement\.toml:\d+/, `the refusal names the file and line: ${refused.text}`);

  const filed = await fileDraft(il.page, 'Counter-proposal: every zone moved', everyZone);
  assert.match(filed.filed || '', /^D-\d+$/, filed.text);
  const id = (journey.ilDraft = filed.filed);
  await il.page.waitForSelector(draftSel(id, '[data-author="IL"][data-countersigned="false"]'));
  const item = await il.page.textContent(draftSel(id));
  assert.match(item, /Counter-proposal: every zone moved/);
  assert.match(item, /by IL/);
  assert.match(item, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/, 'filed time in UTC');
  const sha = await il.page.getAttribute(`${draftSel(id)} code.hash`, 'title');
  assert.match(sha, /^[0-9a-f]{64}$/);
  assert.equal(await il.page.textContent(`${draftSel(id)} code.hash`), sha.slice(0, 12));
  await shot(il.page, '1-il-filed');

  // SY sees none of IL's drafts.
  const sy = (journey.sy = await signIn('SY'));
  await openTalks(sy.page);
  await sy.page.waitForSelector('#talks-empty');
  assert.equal(await sy.page.locator('#drafts li').count(), 0, 'SY sees IL\'s unshared draft');
});

step(2, 'talks: the mediator files the version in force and shares IL\'s draft; SY sees it live, authored RU', async () => {
  const { il, sy, ilDraft } = journey;
  const ru = (journey.ru = await signIn('RU'));
  await openTalks(ru.page);
  // The mediator sees every draft, with its real author.
  await ru.page.waitForSelector(draftSel(ilDraft, '[data-author="IL"]'));
  const filed = await fileDraft(ru.page, 'The version in force', inForce);
  assert.match(filed.filed || '', /^D-\d+$/, filed.text);
  journey.ruDraft = filed.filed;
  await ru.page.waitForSelector(draftSel(journey.ruDraft, '[data-author="RU"]'));

  // Share IL's draft with SY (behind a confirmation).
  await ru.page.click(`[data-key="${ilDraft}:share-summary"]`);
  await ru.page.check(`#share-${ilDraft}-SY`);
  const ask = await actConfirmed(ru.page, `${ilDraft}:share`);
  assert.match(ask, /SY/);
  await ru.page.waitForFunction((sel) => /Shared with: SY/.test(document.querySelector(sel)?.textContent || ''), `${draftSel(ilDraft)} .shared`);

  // SY, its Talks tab open, sees it arrive: authored by the mediator, IL not named.
  await sy.page.waitForSelector(draftSel(ilDraft, '[data-author="RU"]'), { timeout: 30_000 });
  const seen = await sy.page.textContent(draftSel(ilDraft));
  assert.match(seen, /by RU/);
  assert.doesNotMatch(seen, /\bIL\b/, 'SY\'s copy names IL');
  assert.equal(await sy.page.locator(draftSel(journey.ruDraft)).count(), 0, 'SY sees the mediator\'s unshared draft');
  // IL still sees its own draft as its own.
  assert.equal(await il.page.getAttribute(draftSel(ilDraft), 'data-author'), 'IL');
  await shot(sy.page, '2-sy-shared');
});

step(3, 'talks: the gap of the two on the map (three hatched layers, the server\'s km²), rule differences, the impact', async () => {
  const { ru, ilDraft, ruDraft } = journey;
  const { page } = ru;
  await page.selectOption('#talks-a', ruDraft);
  await page.selectOption('#talks-b', ilDraft);
  await page.click('#talks-compare-go');
  await page.waitForSelector(`#talks-gap[data-a="${ruDraft}"][data-b="${ilDraft}"]`, { timeout: 60_000 });

  // The map: each hatched layer (a fill-pattern made on a canvas) has rendered features.
  const layers = { only_a: 'gap-only-a', only_b: 'gap-only-b', both: 'gap-both' };
  await page.waitForFunction((layers) => {
    const map = window.__truceline.map;
    if (!map.loaded() || map.isMoving()) return false;
    return Object.values(layers).every((l) => map.getLayoutProperty(l, 'visibility') === 'visible' && map.queryRenderedFeatures({ layers: [l] }).length > 0)
      && map.queryRenderedFeatures({ layers: ['gap-line-a'] }).length > 0 && map.queryRenderedFeatures({ layers: ['gap-line-b'] }).length > 0;
  }, layers, { timeout: 60_000 });
  const patterns = await page.evaluate((layers) => Object.entries(layers).map(([p, l]) => [p, window.__truceline.map.getPaintProperty(l, 'fill-pattern'), window.__truceline.map.hasImage(`hatch-${p}`)]), layers);
  for (const [p, pattern, has] of patterns) {
    assert.equal(pattern, `hatch-${p}`, `${p}'s layer is hatched`);
    assert.ok(has, `${p}'s hatch image is on the map`);
  }
  assert.equal(new Set(patterns.map((x) => x[1])).size, 3, 'three different hatches');

  // The legend's km² are the server's (the sum of each piece over the zones).
  const token = await signInNode(base, data, 'RU');
  const r = await fetch(`${base}/v1/drafts/${ruDraft}/gap/${ilDraft}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  const gap = await r.json();
  const fmt = (x) => `${new Intl.NumberFormat('en', { maximumFractionDigits: 2 }).format(x)} km²`;
  for (const p of Object.keys(layers)) {
    const sum = gap.zones.reduce((a, z) => a + z[`${p}_km2`], 0);
    assert.ok(sum > 0, `the gap has area ${p}`);
    assert.equal(await page.textContent(`#gap-legend .km2[data-piece="${p}"]`), fmt(sum), `legend ${p}`);
  }
  assert.ok(await page.isVisible('#gap-legend'));
  assert.equal(Number(await page.getAttribute('#gap-summary dd[data-km2]', 'data-km2')), gap.summary.disputed_km2);
  assert.equal(await page.locator('#gap-zones tbody tr').count(), gap.zones.length);
  assert.ok(gap.zones.every((z) => z.status === 'changed'), 'every zone changed');

  // The rules side by side: IL's tank cap 75 in A, 50 in B; a rule dropped, one added.
  const cap = await page.textContent('#gap-rules .keyed-item[data-id="il-aol10-tanks"] tr[data-key="max"]');
  assert.match(cap, /max\s*75\s*50/);
  await page.waitForSelector('#gap-rules .keyed-item[data-id="sy-aol20-artillery"][data-status="only_a"]');
  await page.waitForSelector('#gap-rules .keyed-item[data-id="il-aol20-artillery"][data-status="only_b"]');
  await page.waitForSelector('#gap-categories .keyed-item[data-id="militia"]');
  await shot(page, '3-ru-gap');

  // The impact (no reports: zero breaches either way, per rule and party).
  await page.click('#impact-go');
  await page.waitForSelector(`#impact-result[data-a="${ruDraft}"][data-b="${ilDraft}"]`, { timeout: 60_000 });
  assert.ok((await page.locator('#impact-rules tbody tr').count()) > 0);
  assert.ok((await page.locator('#impact-parties tbody tr').count()) > 0);

  journey.serious.push(...(await audit(page, 'ru-gap')));

  // In Arabic (right to left) and the dark theme: the gap drawn anew in them, its legend
  // and tables kept; then back.
  await page.selectOption('#theme', 'dark');
  await page.selectOption('#lang', 'ar');
  await page.waitForFunction(() => document.documentElement.dir === 'rtl' && document.querySelector('#tab-talks')?.textContent === 'المفاوضات');
  await page.waitForSelector(`#talks-gap[data-a="${ruDraft}"] #gap-zones tbody tr`);
  assert.match(await page.textContent('#gap-legend'), /في A وحدها/);
  assert.equal(await page.locator('#gap-legend .km2').count(), 3);
  await shot(page, '3b-ru-gap-ar-dark');
  journey.serious.push(...(await audit(page, 'ru-gap-ar-dark')));
  await page.selectOption('#lang', 'en');
  await page.selectOption('#theme', 'auto');
  await page.waitForFunction(() => document.documentElement.dir === 'ltr' && document.querySelector('#tab-talks')?.textContent === 'Talks');
});

step(4, 'talks: SY comments (disputed) on a zone; the mediator sees it live, IL does not', async () => {
  const { sy, ru, il, ilDraft } = journey;
  await sy.page.waitForSelector('#comment-form');
  await sy.page.selectOption('#comment-draft', ilDraft);
  await sy.page.waitForSelector('#comment-on option[value="feature:AOS"]', { state: 'attached' });
  await sy.page.selectOption('#comment-on', 'feature:AOS');
  await sy.page.selectOption('#comment-stance', 'disputed');
  await sy.page.fill('#comment-reason', 'The buffer moves east onto our side of the line');
  await sy.page.click('#comment-submit');
  await sy.page.waitForSelector(`#comment-result[data-commented="${ilDraft}|feature:AOS"]`);
  const comment = '.comment[data-by="SY"][data-on="feature:AOS"][data-stance="disputed"]';
  await sy.page.waitForSelector(`${draftSel(ilDraft)} ${comment}`, { state: 'attached' });

  mark('SY commented');
  // The mediator, the gap open, sees it among the comments on B.
  await ru.page.waitForSelector(`#gap-comments [data-draft="${ilDraft}"] ${comment}`, { timeout: 30_000 });
  assert.match(await ru.page.textContent(`#gap-comments ${comment}`), /The buffer moves east/);
  await shot(ru.page, '4-ru-sees-comment');
  mark('the mediator saw it');
  // IL reads only its own comments (in a new session, which fetches the drafts afresh).
  await il.context.close();
  const il2 = (journey.il = await signIn('IL'));
  assert.deepEqual(il.errors, [], 'no script errors (IL)');
  await openTalks(il2.page);
  await il2.page.waitForSelector(draftSel(ilDraft));
  assert.equal(await il2.page.locator(`${draftSel(ilDraft)} .comment`).count(), 0, 'IL reads SY\'s comment');
});

step(5, 'talks: the observer sees no draft before a version is countersigned, and says so', async () => {
  const us = (journey.us = await signIn('US'));
  await openTalks(us.page);
  await us.page.waitForSelector('#talks-empty');
  assert.match(await us.page.textContent('#talks-empty'), /observers see only the versions the mediator countersigned/);
  assert.equal(await us.page.locator('#talks-impact').count(), 0, 'no impact for an observer');
});

step(6, 'talks: IL and SY sign the version, each through the confirmation dialog', async () => {
  const { il, sy, ru, ilDraft } = journey;
  // IL: Cancel signs nothing; then it signs.
  const ask = await actConfirmed(il.page, `${ilDraft}:sign`, { cancel: true });
  assert.match(ask, /cannot be withdrawn/);
  assert.equal(await il.page.getAttribute(draftSel(ilDraft), 'data-signed-by'), '');
  await actConfirmed(il.page, `${ilDraft}:sign`);
  await il.page.waitForSelector(draftSel(ilDraft, '[data-signed-by~="IL"]'));
  assert.equal(await il.page.locator(`[data-key="${ilDraft}:sign"]`).count(), 0, 'no second signature offered');
  mark('IL signed');
  await actConfirmed(sy.page, `${ilDraft}:sign`);
  await sy.page.waitForSelector(draftSel(ilDraft, '[data-signed-by~="SY"]'));
  mark('SY signed');
  // The mediator sees both signatures arrive.
  await ru.page.waitForSelector(draftSel(ilDraft, '[data-signed-by~="IL"][data-signed-by~="SY"]'), { timeout: 30_000 });
  // IL's part is done: its page goes (one map fewer to draw on a slow machine).
  assert.deepEqual(il.errors, [], 'no script errors (IL)');
  await il.context.close();
});

step(7, 'talks: the mediator countersigns; the observer sees the version countersigned, live', async () => {
  const { sy, ru, us, ilDraft, ruDraft } = journey;
  await ru.page.click(`[data-key="${ilDraft}:countersign-summary"]`);
  // In force a day from now (no reports were posted: any later instant is after the last).
  const at = new Date(Date.now() + 86_400_000);
  const pad = (n) => String(n).padStart(2, '0');
  const atText = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}`;
  await ru.page.fill(`#countersign-at-${ilDraft}`, atText);
  const cs = await actConfirmed(ru.page, `${ilDraft}:countersign`);
  assert.match(cs, new RegExp(`${atText} UTC`));
  await ru.page.waitForSelector(draftSel(ilDraft, '[data-countersigned="true"]'), { timeout: 30_000 });
  assert.match(await ru.page.textContent(`${draftSel(ilDraft)} .version`), new RegExp(`in force from ${atText}:00 UTC`));
  await shot(ru.page, '5-ru-countersigned');
  mark('countersigned');

  // The observer: the version arrives live; it sees that draft alone, countersigned, due.
  await us.page.waitForSelector(draftSel(ilDraft, '[data-countersigned="true"]'), { timeout: 30_000 });
  assert.equal(await us.page.locator('#drafts li').count(), 1, 'the observer sees an uncountersigned draft');
  assert.equal(await us.page.locator(draftSel(ruDraft)).count(), 0);
  assert.match(await us.page.textContent(draftSel(ilDraft)), /Signed by: IL, SY/);
  const sha = await us.page.getAttribute(`${draftSel(ilDraft)} code.hash`, 'title');
  await us.page.waitForSelector(`#versions li[data-sha="${sha}"][data-countersigned="true"][data-state="due"]`);
  await shot(us.page, '6-us-version');
  journey.serious.push(...(await audit(us.page, 'us')));
  mark('observer audited');
  // The observer's feed says so too.
  await us.page.click('#tab-feed');
  await us.page.waitForSelector('#feed li[data-kind="version"]');
  assert.match(await us.page.textContent('#feed li[data-kind="version"]'), new RegExp(`version ${sha.slice(0, 12)} of draft ${ilDraft} countersigned: in force from ${atText}:00 UTC`));
  // SY's own view: countersigned, with both signatures now public.
  await sy.page.waitForSelector(draftSel(ilDraft, '[data-countersigned="true"][data-signed-by~="IL"]'), { timeout: 30_000 });

  writeFileSync(join(artifacts, 'axe-talks-summary.json'), JSON.stringify(audits, null, 2));
  assert.deepEqual(describe(journey.serious), [], 'axe: serious or critical violations');
  for (const who of [sy, ru, us]) assert.deepEqual(who.errors, [], `no script errors (${who.id})`);
});
