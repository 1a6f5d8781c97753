// Makes tests/vectors/ledger.json from the real server, for tests/ledgerverify.test.js:
// serves the demo's agreement, posts the first reports of its tracks (the monitor), has IL
// give a notice (an act it signs itself) that the mediator relays, has IL cosign the
// latest checkpoint (POST /v1/ledger/cosignatures: the server checks it), and keeps what
// the console reads: the verifier keyring, the checkpoint, IL's and the mediator's
// exports, and inclusion proofs. Run from web/ after a release build:
//   node tests/vectors/make-ledger.mjs

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKeys, signInNode } from '../principals.js';
import { binary, startServer } from '../server.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const example = join(root, 'examples/golan-illustrative');
const tracks = readFileSync(join(example, 'tracks.jsonl'), 'utf8').split('\n').filter(Boolean);
const data = mkdtempSync(join(tmpdir(), 'truceline-vectors-'));
writeKeys(data, ['IL', 'SY', 'RU', 'RU-MP', 'US']);
const { server, base } = await startServer(binary(root), example, data);

const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const seedOf = (id) => Buffer.from(readFileSync(join(data, 'keys', `${id}.key`), 'utf8').trim().split('+').slice(4).join('+'), 'base64').subarray(1);
const keyOf = (id) => createPrivateKey({ key: Buffer.concat([PKCS8, seedOf(id)]), format: 'der', type: 'pkcs8' });

try {
  const tok = {};
  for (const id of ['IL', 'RU', 'RU-MP']) tok[id] = await signInNode(base, data, id);
  const call = async (id, path, init = {}) => {
    const r = await fetch(base + path, { ...init, headers: { authorization: `Bearer ${tok[id]}`, ...(init.headers || {}) } });
    return r;
  };
  const ok = async (r) => {
    if (!r.ok) throw new Error(`${r.url}: ${r.status} ${await r.text()}`);
    return r;
  };
  await ok(await call('RU-MP', '/v1/reports', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: tracks.slice(0, 300).join('\n') + '\n' }));
  // IL's notice: the server answers 428 with the envelope to sign; IL signs it.
  const from = new Date(Date.now() + 6 * 3600_000);
  const draft = { kind: 'movement', place: { area: { ring: [[35.7, 33.0], [35.75, 33.0], [35.75, 33.05], [35.7, 33.05], [35.7, 33.0]] } }, from: from.toISOString(), until: new Date(from.getTime() + 3600_000).toISOString(), forces: [{ category: 'tank', count: 2 }], description: 'Vectors: a move west of line A' };
  const prep = await call('IL', '/v1/notices', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(draft) });
  if (prep.status !== 428) throw new Error(`notice: ${prep.status} ${await prep.text()}`);
  const p = await prep.json();
  const sig = sign(null, Buffer.from(p.signing_input, 'base64'), keyOf('IL')).toString('base64');
  const notice = (await (await ok(await call('IL', '/v1/acts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...p.envelope, sig }) }))).json()).result;
  await ok(await call('RU', `/v1/notices/${notice.id}/relay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
  const relayed = await (await ok(await call('IL', `/v1/notices/${notice.id}`))).json();

  // IL cosigns the latest checkpoint (C2SP tlog-cosignature), as its witness would.
  const cp0 = await (await ok(await call('IL', '/v1/ledger/checkpoint'))).text();
  const body = cp0.slice(0, cp0.indexOf('\n\n') + 1);
  const size = Number(body.split('\n')[1]);
  const ts = Math.floor(Date.now() / 1000);
  const keys = await (await ok(await call('IL', '/v1/ledger/keys'))).text();
  const ilPub = Buffer.from(keys.split('\n').find((l) => l.startsWith('IL+')).split('+').slice(2).join('+'), 'base64').subarray(1);
  const kid = createHash('sha256').update(Buffer.concat([Buffer.from('IL\n'), Buffer.from([4]), ilPub])).digest().subarray(0, 4);
  const tsBytes = Buffer.alloc(8);
  tsBytes.writeBigUInt64BE(BigInt(ts));
  const csig = sign(null, Buffer.from(`cosignature/v1\ntime ${ts}\n${body}`), keyOf('IL'));
  const line = `\u2014 IL ${Buffer.concat([kid, tsBytes, csig]).toString('base64')}`;
  await ok(await call('IL', '/v1/ledger/cosignatures', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size, signature: line }) }));

  const checkpoint = await (await ok(await call('IL', '/v1/ledger/checkpoint'))).text();
  const exportIL = await (await ok(await call('IL', '/v1/ledger/export'))).text();
  const exportRU = await (await ok(await call('RU', '/v1/ledger/export'))).text();
  const proofs = {};
  for (const i of [...relayed.ledger, 0, size - 1]) proofs[i] = (await (await ok(await call('IL', `/v1/ledger/proof/inclusion?index=${i}&size=${size}`))).json()).proof;
  const agreement = await (await ok(await call('IL', '/v1/agreement'))).json();
  writeFileSync(join(here, 'ledger.json'), JSON.stringify({
    note: 'Made by tests/vectors/make-ledger.mjs against the real truceline serve; read by tests/ledgerverify.test.js.',
    mediator: agreement.parties.find((x) => x.role === 'mediator').id,
    keys, checkpoint, size, notice: relayed, proofs, exportIL, exportRU,
  }, null, 1) + '\n');
  console.log(`size ${size}; notice ${relayed.id} at ${relayed.ledger.join(', ')}; export IL ${exportIL.length} B, RU ${exportRU.length} B`);
} finally {
  server.kill('SIGKILL');
  rmSync(data, { recursive: true, force: true });
}
