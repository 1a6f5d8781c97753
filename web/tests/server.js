// Starts the real `truceline serve` on a loopback port chosen by the kernel, for the browser
// test and the console benchmark alike.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The release binary: TRUCELINE_BIN, or target/release under CARGO_TARGET_DIR or `root`. */
export function binary(root) {
  if (process.env.TRUCELINE_BIN) return process.env.TRUCELINE_BIN;
  const dirs = [process.env.CARGO_TARGET_DIR, join(root, 'target')].filter(Boolean);
  for (const d of dirs) {
    const p = join(d, 'release', 'truceline');
    if (existsSync(p)) return p;
  }
  throw new Error('no truceline binary: build it with `cargo build --release -p truceline` or set TRUCELINE_BIN');
}

/** Serves `agreement` with its data in `data` (and `extra` arguments: `--basemap FILE`);
 * resolves to { server, base } once the server
 * prints the address it listens on (no fixed wait: it fails if the server exits or says
 * nothing within 20 s). */
export async function startServer(bin, agreement, data, extra = []) {
  const server = spawn(bin, ['serve', '--agreement', agreement, '--data', data, '--listen', '127.0.0.1:0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const base = await new Promise((ok, fail) => {
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
  return { server, base };
}
