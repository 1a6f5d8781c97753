// The record in the browser, against the real server: IL gives a notice (an act it signs)
// that the mediator relays; in IL's console the notice's Record shows its ledger entries as
// IL may read them, each verified here (leaf hash, IL's and the log's signatures, inclusion
// in the latest checkpoint, the checkpoint's signature and IL's cosignature); an export
// with one byte changed in transit fails; an engine event's entry is found and verified;
// the Record tab lists the checkpoint and who cosigned it and downloads IL's export, which
// `truceline log verify` accepts with the keys it downloads beside it; in Arabic too.
//
// Run from web/ with `npm test` (see console.test.js for the binary and TRUCELINE_WEB_DIST).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
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

let server, base, data, browser, notice;
const tok = {};
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const keyOf = (id) => createPrivateKey({ key: Buffer.concat([PKCS8, Buffer.from(readFileSync(join(data, 'keys', `${id}.key`), 'utf8').trim().split('+').slice(4).join('+'), 'base64').subarray(1)]), format: 'der', type: 'pkcs8' });
const call = (id, path, init = {}) => fetch(base + path, { ...init, headers: { authorization: `Bearer ${tok[id]}`, 'content-type': 'application/json', ...(init.headers || {}) } });

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'truceline-record-'));
  writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
  ({ server, base } = await startServer(binary(root), example, data));
  for (const id of ['IL', 'RU', 'RU-MP']) tok[id] = await signInNode(base, data, id);
  const r = await call('RU-MP', '/v1/reports', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: tracks.slice(0, 600).join('\n') + '\n' });
  assert.equal(r.status, 200, await r.text());
  const from = new Date(Date.now() + 6 * 3600_000);
  const draft = { kind: 'movement', place: { area: { ring: [[35.7, 33.0], [35.75, 33.0], [35.75, 33.05], [35.7, 33.05], [35.7, 33.0]] } }, from: from.toISOString(), until: new Date(from.getTime() + 3600_000).toISOString(), forces: [{ category: 'tank', count: 2 }], description: 'Two tanks to the range' };
  const prep = await call('IL', '/v1/notices', { method: 'POST', body: JSON.stringify(draft) });
  assert.equal(prep.status, 428);
  const p = await prep.json();
  const sig = sign(null, Buffer.from(p.signing_input, 'base64'), keyOf('IL')).toString('base64');
  const done = await call('IL', '/v1/acts', { method: 'POST', body: JSON.stringify({ ...p.envelope, sig }) });
  assert.ok(done.ok, await done.clone().text());
  const id = (await done.json()).result.id;
  assert.ok((await call('RU', `/v1/notices/${id}/relay`, { method: 'POST', body: '{}' })).ok);
  // IL cosigns the latest checkpoint, as its witness would.
  const cp = await (await call('IL', '/v1/ledger/checkpoint')).text();
  const body = cp.slice(0, cp.indexOf('\n\n') + 1);
  const keys = await (await call('IL', '/v1/ledger/keys')).text();
  const pub = Buffer.from(keys.split('\n').find((l) => l.startsWith('IL+')).split('+').slice(2).join('+'), 'base64').subarray(1);
  const ts = Buffer.alloc(8);
  const now = Math.floor(Date.now() / 1000);
  ts.writeBigUInt64BE(BigInt(now));
  const kid = createHash('sha256').update(Buffer.concat([Buffer.from('IL\n'), Buffer.from([4]), pub])).digest().subarray(0, 4);
  const csig = sign(null, Buffer.from(`cosignature/v1\ntime ${now}\n${body}`), keyOf('IL'));
  const cs = await call('IL', '/v1/ledger/cosignatures', { method: 'POST', body: JSON.stringify({ size: Number(body.split('\n')[1]), signature: `\u2014 IL ${Buffer.concat([kid, ts, csig]).toString('base64')}` }) });
  assert.equal(cs.status, 204, await cs.text());
  notice = await (await call('IL', `/v1/notices/${id}`)).json();
  browser = await chromium();
});

after(async () => {
  await browser?.close();
  server?.kill('SIGKILL');
  if (data) rmSync(data, { recursive: true, force: true });
});

async function signIn(id, { tamper = null } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await useLocalDist(context);
  if (tamper) await context.route((url) => url.pathname === '/v1/ledger/export', async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, body: tamper(await res.text()) });
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base + '/');
  await page.setInputFiles('#signin-key', join(data, 'keys', `${id}.key`));
  await page.waitForFunction((id) => document.querySelector('#signin-id').value === id, id);
  await page.click('button[type=submit]');
  await page.waitForSelector('#app[data-ready=true]', { timeout: 15_000 });
  return { page, context, errors };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
async function audit(page, name) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document.querySelector('#panel'), { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }));
  const v = r.violations.map((x) => ({ id: x.id, impact: x.impact, help: x.help, nodes: x.nodes.map((n) => n.target.join(' ')) }));
  writeFileSync(join(artifacts, `axe-record-${name}.json`), JSON.stringify(v, null, 2));
  return v.filter((x) => x.impact === 'serious' || x.impact === 'critical').map((x) => `${name}: ${x.id} ${x.nodes.slice(0, 3).join('; ')}`);
}

const cards = (page) => page.evaluate(() => [...document.querySelectorAll('#record-entries .entry-card')].map((c) => ({
  index: Number(c.dataset.index), verified: c.dataset.verified === 'true', body: !!c.querySelector('.entry-body'),
  checks: Object.fromEntries([...c.querySelectorAll('[data-check]')].map((x) => [x.dataset.check, x.dataset.ok === 'true'])),
})));

test('a notice\'s ledger entries, verified in the browser; the checkpoint and its cosigners; the export for log verify', { timeout: 90_000 }, async () => {
  const { page, context, errors } = await signIn('IL');
  await page.click('#tab-notices');
  await page.click(`[data-key="record:${notice.id}"]`);
  await page.waitForSelector('#tab-record[aria-selected=true]');
  await page.waitForFunction((n) => document.querySelectorAll('#record-entries .entry-card').length === n, notice.ledger.length, { timeout: 20_000 });
  const c = await cards(page);
  assert.deepEqual(c.map((x) => x.index), notice.ledger);
  for (const x of c) {
    assert.ok(x.verified, JSON.stringify(x));
    assert.equal(x.checks.inclusion, true);
    assert.equal(x.checks.checkpoint, true);
    assert.equal(x.checks['cosigned:IL'], true);
  }
  // IL's own act: its body as IL wrote it, its signature, and its receipt.
  assert.equal(c[0].body, true);
  assert.equal(c[0].checks.signature, true);
  assert.equal(c[0].checks.receipt, true);
  assert.match(await page.textContent('#record-entries .entry-card:first-child pre'), /Two tanks to the range/);
  // The checkpoint: size, root, the log's signature, IL's cosignature; who has not cosigned.
  const size = Number(await page.getAttribute('#record-checkpoint', 'data-size'));
  assert.ok(size > Math.max(...notice.ledger));
  assert.equal(await page.getAttribute('#record-checkpoint', 'data-log'), 'true');
  assert.equal(await page.getAttribute('#record-checkpoint [data-check="cosigned:IL"]', 'data-ok'), 'true');
  assert.match(await page.textContent('#record-waiting'), /SY/);
  await page.screenshot({ path: join(artifacts, 'r1-il-notice-record.png') });
  assert.deepEqual(await audit(page, 'en'), []);

  // The export and the keys, downloaded, verify offline with `truceline log verify`.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#record-export')]);
  const exportPath = join(data, 'il-export.jsonl');
  await dl.saveAs(exportPath);
  assert.equal(JSON.parse(readFileSync(exportPath, 'utf8').split('\n')[0]).party, 'IL');
  const downloads = [];
  page.on('download', (d) => downloads.push(d));
  await page.click('#record-keys');
  await page.waitForFunction(() => true);
  await new Promise((ok) => { const w = () => (downloads.length >= 2 ? ok() : setTimeout(w, 50)); w(); });
  const paths = {};
  for (const d of downloads) {
    const p = join(data, d.suggestedFilename());
    await d.saveAs(p);
    paths[d.suggestedFilename().endsWith('.pub') ? 'log' : 'ring'] = p;
  }
  const out = execFileSync(binary(root), ['log', 'verify', exportPath, '--party-keys', paths.ring, '--log-key', paths.log, '--as', 'IL'], { encoding: 'utf8' });
  assert.match(out, /^OK /);
  assert.match(out, /cosigned by: IL/);
  // The command the tab shows names those files.
  assert.match(await page.textContent('pre.command'), /truceline log verify .*--party-keys .*keyring\.txt --log-key .*log-key\.pub --as IL/);

  // An engine event's entry: found in the export and verified.
  await page.click('#tab-feed');
  const ev = page.locator('#feed [data-key^="record:event:"]').first();
  await ev.click();
  await page.waitForFunction(() => document.querySelectorAll('#record-entries .entry-card').length === 1, null, { timeout: 20_000 });
  const e = (await cards(page))[0];
  assert.ok(e.verified && e.body, JSON.stringify(e));
  assert.match(await page.textContent('#record-entries .entry-card dd'), /engine\/events/);

  // In Arabic: the same checks, translated, and axe finds nothing serious.
  await page.selectOption('#lang', 'ar');
  await page.waitForFunction(() => document.documentElement.lang === 'ar' && document.querySelector('#tab-record').textContent === 'السجل الموقَّع');
  await page.waitForSelector('#record-entries .entry-card[data-verified=true]');
  await page.screenshot({ path: join(artifacts, 'r2-il-event-record-ar.png') });
  assert.deepEqual(await audit(page, 'ar'), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('one byte changed in the export on its way: the entry is not verified', { timeout: 60_000 }, async () => {
  // The description's first letter, changed in the export the browser receives.
  const { page, context, errors } = await signIn('IL', { tamper: (text) => text.replace('Two tanks to the range', 'Twa tanks to the range') });
  await page.click('#tab-notices');
  await page.click(`[data-key="record:${notice.id}"]`);
  await page.waitForFunction(() => document.querySelectorAll('#record-entries .entry-card').length > 0, null, { timeout: 20_000 });
  const c = await cards(page);
  assert.equal(c[0].verified, false);
  assert.equal(c[0].checks.signature, false);
  assert.equal(c[0].checks.inclusion, false);
  assert.match(await page.textContent('#record-entries .entry-card:first-child .badge'), /NOT verified/);
  await page.screenshot({ path: join(artifacts, 'r3-il-tampered.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('the mediator: the full view of a notice, and the Record tab as it opens', { timeout: 60_000 }, async () => {
  const { page, context, errors } = await signIn('RU');
  await page.click('#tab-record');
  await page.waitForSelector('#record-checkpoint[data-log=true]', { timeout: 20_000 });
  await page.click('#tab-notices');
  await page.click(`[data-key="record:${notice.id}"]`);
  await page.waitForFunction((n) => document.querySelectorAll('#record-entries .entry-card[data-verified=true]').length === n, notice.ledger.length, { timeout: 20_000 });
  assert.ok((await cards(page)).every((x) => x.body));
  assert.doesNotMatch(await page.textContent('pre.command'), /--as/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a notice objected to: the mediator\'s next steps escalate it as an incident and put a note on the record', { timeout: 60_000 }, async () => {
  // SY objects to IL's notice (an act SY signs).
  tok.SY = await signInNode(base, data, 'SY');
  const prep = await call('SY', `/v1/notices/${notice.id}/answer`, { method: 'POST', body: JSON.stringify({ answer: 'object', reason: 'Too close to line B' }) });
  assert.equal(prep.status, 428, await prep.clone().text());
  const p = await prep.json();
  const sig = sign(null, Buffer.from(p.signing_input, 'base64'), keyOf('SY')).toString('base64');
  assert.ok((await call('SY', '/v1/acts', { method: 'POST', body: JSON.stringify({ ...p.envelope, sig }) })).ok);

  const { page, context, errors } = await signIn('RU');
  await page.click('#tab-notices');
  const box = `.next-steps[data-notice="${notice.id}"]`;
  await page.waitForSelector(box);
  assert.match(await page.textContent(box), /SY objected: Too close to line B/);
  assert.match(await page.textContent(box), /Relaying again is not possible/);
  await page.fill(`#next-note-${notice.id}`, 'Asked both liaison cells to meet at the crossing.');
  await page.click(`[data-key="${notice.id}:escalate"]`);
  await page.waitForSelector('#confirm[open]');
  assert.match(await page.textContent('#confirm'), /about IL/);
  await page.click('#confirm-ok');
  await page.waitForFunction((b) => document.querySelector(b)?.dataset.escalation, box, { timeout: 15_000 });
  const incId = await page.getAttribute(box, 'data-escalation');
  const inc = await (await call('RU', `/v1/incidents/${incId}`)).json();
  assert.equal(inc.category, 'other');
  assert.equal(inc.alleged_party, 'IL');
  assert.ok(inc.description.startsWith(`${notice.id}:`));
  assert.match(inc.description, /Too close to line B/);
  assert.match(inc.description, /meet at the crossing/);
  // IL, whom it is about, sees it.
  assert.equal((await call('IL', `/v1/incidents/${incId}`)).status, 200);
  // A further note: the escalation's investigation note, on the record.
  await page.fill(`#next-note-${notice.id}`, 'IL agreed to move the range 2 km west.');
  await page.click(`[data-key="${notice.id}:note"]`);
  await page.waitForFunction((b) => /investigat/i.test(document.querySelector(b)?.textContent || ''), box, { timeout: 15_000 });
  const after = await (await call('RU', `/v1/incidents/${incId}`)).json();
  assert.equal(after.status, 'investigating');
  assert.ok(after.history.some((s) => s.note === 'IL agreed to move the range 2 km west.'));
  await page.screenshot({ path: join(artifacts, 'r4-ru-notice-next-steps.png') });
  assert.deepEqual(await audit(page, 'next-steps'), []);
  // IL sees no next steps (the mediator's only).
  const il = await signIn('IL');
  await il.page.click('#tab-notices');
  await il.page.waitForSelector(`#notices [data-id="${notice.id}"]`);
  assert.equal(await il.page.$(box), null);
  await il.context.close();
  assert.deepEqual(errors, []);
  await context.close();
});
