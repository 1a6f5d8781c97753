// Not part of `npm test`: 10,000 units on the map, frames per second while panning, in
// headless Chromium with SwiftShader (software WebGL; a real GPU does better).
// Run from web/: node tests/perf-10k.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from './pw.js';
import { writeKeys, signInNode } from './principals.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = process.env.TRUCELINE_BIN || [process.env.CARGO_TARGET_DIR, join(root, 'target')].filter(Boolean).map((d) => join(d, 'release', 'truceline')).find(existsSync);
const data = mkdtempSync(join(tmpdir(), 'truceline-perf-'));
writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
const server = spawn(bin, ['serve', '--agreement', join(root, 'examples/golan-illustrative'), '--data', data, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
const base = await new Promise((ok) => server.stderr.on('data', (c) => { out += c; const m = out.match(/ on (http:\/\/[\d.:]+) /); if (m) ok(m[1]); }));
const token = await signInNode(base, data, 'RU-MP');
const lines = [];
const N = Number(process.env.N ?? 10_000);
for (let i = 0; i < N; i++) {
  const party = i % 2 ? 'IL' : 'SY';
  const lon = party === 'IL' ? 35.55 + (i % 97) * 0.002 : 35.95 + (i % 89) * 0.002;
  lines.push(JSON.stringify({ t: '2025-12-01T00:00:00Z', unit: `${party}-U${i}`, party, category: 'personnel', count: 10, lon, lat: 32.7 + (i % 311) * 0.002 }));
}
let t0 = Date.now();
const r = await fetch(`${base}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body: lines.join('\n') });
console.log('posted 10,000 reports:', r.status, `${Date.now() - t0} ms`);
const browser = await chromium();
const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
await page.goto(base + '/');
await page.setInputFiles('#signin-key', join(data, 'keys', 'RU.key'));
await page.click('button[type=submit]');
t0 = Date.now();
await page.waitForFunction((n) => Number(document.querySelector('#map')?.dataset.renderedUnits) >= Math.min(5000, n), N, { timeout: 60_000 });
console.log(`signed in to 10,000 units rendered: ${Date.now() - t0} ms`);
const fps = await page.evaluate(() => new Promise((ok) => {
  const map = window.__truceline.map;
  let frames = 0;
  const start = performance.now();
  const tick = () => {
    frames++;
    map.panBy([4, 2], { duration: 0 });
    if (performance.now() - start < 3000) requestAnimationFrame(tick);
    else ok((frames * 1000) / (performance.now() - start));
  };
  requestAnimationFrame(tick);
}));
console.log(`panning with 10,000 units: ${fps.toFixed(1)} frames/s (SwiftShader)`);
await page.screenshot({ path: join(root, 'web/test-artifacts/perf-10k.png') });
await browser.close();
server.kill('SIGINT');
rmSync(data, { recursive: true, force: true });
