// Benchmark, not a test: the console with 10,000 live units. It starts the real
// `truceline serve` (the bundled example agreement), posts N units' reports as the monitor,
// signs in as the mediator (who sees every unit) in headless Chromium, and then, while a
// load keeps moving units (MOVE reports every UPDATE_MS, as JSON Lines batches), pans and
// zooms the map on every animation frame for SECONDS. It measures:
// - frames per second (requestAnimationFrame callbacks) and frame times (median, p95, max);
// - main-thread long tasks (> 50 ms, PerformanceObserver) during the window;
// - each unit-layer update the console made meanwhile: fetch of /v1/console/units, the
//   main thread's work to turn it into the layer's data, and the map's worker re-indexing
//   it (setData until its promise resolves).
// RUNS runs (a fresh browser context each), then the median of each figure.
//
// Run from web/ after `cargo build --release -p truceline`:
//   node bench/units.mjs            (N=10000 RUNS=3 SECONDS=8 UPDATE_MS=1000 MOVE=2000)
// To see where a frame's time goes: HIDE=units,land (layer ids) measures without those
// layers; PROFILE=1 prints the main thread's top functions (self time); TRACE=FILE writes a
// Chrome trace of the window (the renderer and GPU process threads); XEVAL='js' runs a
// line in the page first (for experiments, say a paint property).
// The binary is $TRUCELINE_BIN, else $CARGO_TARGET_DIR/release/truceline, else
// ../target/release/truceline; with TRUCELINE_WEB_DIST=dist it measures the console built
// in web/dist rather than the one the binary embeds (tests/dist.js). Chromium runs headless with software WebGL (SwiftShader
// through ANGLE; flags in tests/pw.js): a real GPU draws much faster, so these figures are
// a floor. A screenshot goes to test-artifacts/bench-units.png.

import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, ARGS } from '../tests/pw.js';
import { writeKeys, signInNode } from '../tests/principals.js';
import { binary, startServer } from '../tests/server.js';
import { useLocalDist } from '../tests/dist.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const env = (k, d) => Number(process.env[k] ?? d);
const N = env('N', 10_000);
const RUNS = env('RUNS', 3);
const SECONDS = env('SECONDS', 8);
const UPDATE_MS = env('UPDATE_MS', 1000);
const MOVE = Math.min(env('MOVE', 2000), N);

const bin = binary(root);

const data = mkdtempSync(join(tmpdir(), 'truceline-bench-'));
writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
const { server, base } = await startServer(bin, join(root, 'examples/golan-illustrative'), data);
const token = await signInNode(base, data, 'RU-MP');

// Units spread over the example's area, each on its own side: IL west of the lines, SY east.
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const units = Array.from({ length: N }, (_, i) => {
  const party = i % 2 ? 'IL' : 'SY';
  return { unit: `${party}-U${i}`, party, lon: party === 'IL' ? 35.45 + rand() * 0.3 : 35.95 + rand() * 0.3, lat: 32.65 + rand() * 0.75 };
});
let tMs = Date.parse('2025-12-01T00:00:00Z');
let cursor = 0;
async function post(list) {
  const t = new Date(tMs).toISOString().replace('.000Z', 'Z');
  tMs += 10_000;
  const body = list.map((u) => JSON.stringify({ t, unit: u.unit, party: u.party, category: 'personnel', count: 10, lon: +u.lon.toFixed(5), lat: +u.lat.toFixed(5) })).join('\n') + '\n';
  const r = await fetch(`${base}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body });
  if (r.status !== 200) throw new Error(`reports: ${r.status} ${await r.text()}`);
}
let t0 = Date.now();
await post(units);
console.log(`posted ${N} units' reports in ${Date.now() - t0} ms`);

/** Moves MOVE units a little (the next ones in turn) and posts them, every UPDATE_MS. */
function startLoad() {
  let busy = false;
  let batches = 0;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    const list = [];
    for (let k = 0; k < MOVE; k++) {
      const u = units[cursor++ % N];
      u.lon += (rand() - 0.5) * 0.004;
      u.lat += (rand() - 0.5) * 0.004;
      list.push(u);
    }
    try {
      await post(list);
      batches++;
    } finally {
      busy = false;
    }
  }, UPDATE_MS);
  return () => {
    clearInterval(timer);
    return batches;
  };
}

const median = (xs) => {
  const s = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');

/** PROFILE=1: where the main thread's time went, by function (self time), top 25. */
function printProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) || 0) + (dt[i] || 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`main-thread profile (${total.toFixed(0)} ms sampled), self time:`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${v.toFixed(0).padStart(6)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
}

const browser = await chromium();
const results = [];
mkdirSync(join(root, 'web/test-artifacts'), { recursive: true });
try {
  for (let run = 1; run <= RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await useLocalDist(context); // TRUCELINE_WEB_DIST=dist: this console, not the binary's
    const page = await context.newPage();
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
    await page.goto(base + '/');
    await page.setInputFiles('#signin-key', join(data, 'keys', 'RU.key'));
    await page.waitForFunction(() => document.querySelector('#signin-id').value === 'RU');
    t0 = Date.now();
    await page.click('button[type=submit]');
    await page.waitForFunction((n) => Number(document.querySelector('#map')?.dataset.units) >= n && Number(document.querySelector('#map')?.dataset.renderedUnits) > 0, N, { timeout: 120_000 });
    const firstMs = Date.now() - t0;
    // HIDE=layer,layer: measure without those map layers (to see what each one costs).
    if (process.env.HIDE) await page.evaluate((ids) => ids.forEach((id) => window.__truceline.map.setLayoutProperty(id, 'visibility', 'none')), process.env.HIDE.split(','));
    if (process.env.XEVAL) await page.evaluate(process.env.XEVAL);
    if (process.env.TRACE) await browser.startTracing(page, { path: process.env.TRACE, categories: ['toplevel', 'devtools.timeline', 'gpu', 'disabled-by-default-devtools.timeline', 'v8'] });
    const stopLoad = startLoad();
    let cdp = null;
    if (process.env.PROFILE) {
      cdp = await context.newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
      await cdp.send('Profiler.start');
    }
    const m = await page.evaluate((seconds) => new Promise((ok) => {
      const st = window.__truceline;
      const map = st.map;
      const before = st.perf?.updates.length ?? 0;
      const long = [];
      const obs = new PerformanceObserver((l) => long.push(...l.getEntries().map((e) => e.duration)));
      obs.observe({ type: 'longtask' });
      const c0 = map.getCenter();
      const z0 = map.getZoom();
      const times = [];
      let last = null;
      const start = performance.now();
      const tick = (now) => {
        if (last != null) times.push(now - last);
        last = now;
        const s = (now - start) / 1000;
        // A slow circle around the start, zooming in and out by half a level.
        map.jumpTo({ center: [c0.lng + 0.08 * Math.sin(s), c0.lat + 0.06 * Math.cos(s) - 0.06], zoom: z0 + 0.5 * Math.sin(s * 1.3) });
        if (now - start < seconds * 1000) requestAnimationFrame(tick);
        else {
          obs.disconnect();
          const updates = st.perf?.updates.slice(before) ?? [];
          ok({ frames: times.length, ms: now - start, times, long, updates, rendered: Number(document.querySelector('#map').dataset.renderedUnits) });
        }
      };
      requestAnimationFrame(tick);
    }), SECONDS);
    const batches = stopLoad();
    if (process.env.TRACE) await browser.stopTracing();
    if (cdp) printProfile((await cdp.send('Profiler.stop')).profile);
    const fps = (m.frames * 1000) / m.ms;
    const r = {
      fps,
      frameMedian: median(m.times),
      frameP95: pct(m.times, 95),
      frameMax: Math.max(...m.times),
      longTasks: m.long.length,
      longTaskMs: m.long.reduce((a, b) => a + b, 0),
      updates: m.updates.length,
      fetch: median(m.updates.map((u) => u.fetch)),
      build: median(m.updates.map((u) => u.build)),
      setData: median(m.updates.map((u) => u.setData)),
      firstMs,
      batches,
    };
    results.push(r);
    console.log(`run ${run}: ${f1(r.fps)} frames/s (frame median ${f1(r.frameMedian)} ms, p95 ${f1(r.frameP95)}, max ${f1(r.frameMax)}); ` +
      `long tasks ${r.longTasks} (${f1(r.longTaskMs)} ms); ${r.updates} unit-layer updates: fetch ${f1(r.fetch)} ms, main-thread build ${f1(r.build)} ms, worker setData ${f1(r.setData)} ms (medians); ` +
      `${batches} load batches of ${MOVE}; first render ${firstMs} ms`);
    if (run === RUNS) await page.screenshot({ path: join(root, 'web/test-artifacts/bench-units.png') });
    await context.close();
  }
} finally {
  await browser.close();
  server.kill('SIGINT');
  rmSync(data, { recursive: true, force: true });
}

const med = (k) => median(results.map((r) => r[k]));
console.log(`\n${N} units, ${RUNS} runs of ${SECONDS} s at 1280x800, load ${MOVE} reports every ${UPDATE_MS} ms; Chromium headless, software WebGL (SwiftShader): ${ARGS.join(' ')}`);
console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`median: ${f1(med('fps'))} frames/s; frame median ${f1(med('frameMedian'))} ms, p95 ${f1(med('frameP95'))} ms, max ${f1(med('frameMax'))} ms; ` +
  `long tasks ${f1(med('longTasks'))} (${f1(med('longTaskMs'))} ms) per run; unit-layer update: fetch ${f1(med('fetch'))} ms, main-thread build ${f1(med('build'))} ms, worker setData ${f1(med('setData'))} ms; ` +
  `first render ${f1(med('firstMs'))} ms`);
