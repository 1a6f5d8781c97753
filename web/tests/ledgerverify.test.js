// The record checked in the browser's way (WebCrypto), against vectors the real server made
// (tests/vectors/make-ledger.mjs): leaf hashes, entry signatures, inclusion proofs, the
// checkpoint's log signature and IL's cosignature; and a byte changed anywhere fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseKeyring, parseExport, verifyCheckpoint, verifyEntry, verifyInclusion, leafHash, nodeHash,
  b64decode, b64encode, allPass, verifyEntrySignature, logKeyLine, parseNote,
} from '../src/ledgerverify.js';

const v = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'vectors', 'ledger.json'), 'utf8'));

test('the keyring: every line\'s hash checked; a changed key is refused', async () => {
  const ring = await parseKeyring(v.keys);
  assert.deepEqual([...ring.keys()].sort(), ['IL', 'RU', 'RU-MP', 'SY', 'US']);
  const line = v.keys.split('\n').find((l) => l.startsWith('SY+'));
  const bad = line.slice(0, -3) + (line.at(-3) === 'A' ? 'B' : 'A') + line.slice(-2);
  await assert.rejects(parseKeyring(bad), /hash does not match|not an Ed25519/);
});

test('the checkpoint: the log\'s signature and IL\'s cosignature verify; changed, they do not', async () => {
  const ring = await parseKeyring(v.keys);
  const cp = await verifyCheckpoint(v.checkpoint, ring, v.mediator);
  assert.equal(cp.origin, 'truceline/golan-illustrative');
  assert.equal(cp.size, v.size);
  assert.equal(cp.logOk, true);
  assert.deepEqual(cp.cosignatures.map((c) => [c.name, c.ok]), [['IL', true]]);
  assert.ok(cp.cosignatures[0].time > 1.7e9);
  // Without the mediator's id the log key is unknown (the keyring names it so).
  assert.equal((await verifyCheckpoint(v.checkpoint, ring)).logOk, false);
  // Another root: neither signature holds.
  const [text, sigs] = v.checkpoint.split('\n\n');
  const lines = text.split('\n');
  const root = b64decode(lines[2]);
  root[0] ^= 1;
  const forged = await verifyCheckpoint(`${lines[0]}\n${lines[1]}\n${b64encode(root)}\n\n${sigs}`, ring, v.mediator);
  assert.equal(forged.logOk, false);
  assert.equal(forged.cosignatures[0].ok, false);
  // A changed byte in the cosignature line.
  const note = parseNote(v.checkpoint);
  assert.equal(note.signatures.length, 2);
  const cs = v.checkpoint.split('\n').findIndex((l) => l.startsWith('\u2014 IL '));
  const all = v.checkpoint.split('\n');
  const raw = b64decode(all[cs].slice(5));
  raw[40] ^= 0x10;
  all[cs] = `\u2014 IL ${b64encode(raw)}`;
  assert.equal((await verifyCheckpoint(all.join('\n'), ring, v.mediator)).cosignatures[0].ok, false);
});

test('each entry of the exports: leaf hash, signature and inclusion in the latest checkpoint', async () => {
  const ring = await parseKeyring(v.keys);
  const cp = await verifyCheckpoint(v.checkpoint, ring, v.mediator);
  for (const [who, text] of [['IL', v.exportIL], ['*', v.exportRU]]) {
    const ex = parseExport(text);
    assert.equal(ex.header.party, who);
    assert.equal(ex.header.size, v.size);
    assert.equal(ex.entries.size + ex.leaves.size, v.size);
    for (const i of Object.keys(v.proofs).map(Number)) {
      const r = await verifyEntry({ index: i, shown: ex.entries.get(i), leaf: ex.leaves.get(i), proof: v.proofs[i], checkpoint: cp, keyring: ring });
      assert.ok(allPass(r), `${who} ${i}: ${JSON.stringify(r.checks)}`);
      assert.equal(r.visible, ex.entries.has(i));
    }
  }
  // IL reads its own notice and the mediator's relay of it, and only a leaf hash of what
  // it may not read (the monitor's report batch).
  const il = parseExport(v.exportIL);
  const [submitted, relayed] = v.notice.ledger;
  assert.equal(il.entries.get(submitted).entry.author, 'IL');
  assert.match(il.entries.get(submitted).entry.kind, /^notice\//);
  assert.equal(il.entries.get(relayed).entry.author, 'RU');
  assert.ok(il.leaves.size > 0);
  // The mediator's export holds the same bytes for IL's entry.
  const ru = parseExport(v.exportRU);
  assert.deepEqual(ru.entries.get(submitted).bytes, il.entries.get(submitted).bytes);
});

test('a byte changed in an entry fails its signature and its inclusion', async () => {
  const ring = await parseKeyring(v.keys);
  const cp = await verifyCheckpoint(v.checkpoint, ring, v.mediator);
  const i = v.notice.ledger[0];
  const ex = parseExport(v.exportIL);
  const shown = ex.entries.get(i);
  // The description, one letter changed.
  const text = new TextDecoder().decode(shown.bytes).replace('Vectors: a move', 'Vectors: a mova');
  assert.notEqual(text, new TextDecoder().decode(shown.bytes));
  const bytes = new TextEncoder().encode(text);
  const r = await verifyEntry({ index: i, shown: { bytes, entry: JSON.parse(text) }, proof: v.proofs[i], checkpoint: cp, keyring: ring });
  assert.equal(r.checks.signature, false);
  assert.equal(r.checks.inclusion, false);
  assert.equal(allPass(r), false);
  // Every single byte flipped, one at a time, breaks inclusion (the leaf hash covers all).
  for (let k = 0; k < shown.bytes.length; k += 97) {
    const b = shown.bytes.slice();
    b[k] ^= 1;
    assert.equal(await verifyInclusion(i, cp.size, await leafHash(b), v.proofs[i].map(b64decode), cp.root), false, `byte ${k}`);
  }
  // The right entry at the wrong index, or a proof with a hash changed, fails too.
  const leaf = await leafHash(shown.bytes);
  assert.equal(await verifyInclusion(i, cp.size, leaf, v.proofs[i].map(b64decode), cp.root), true);
  assert.equal(await verifyInclusion(i + 1, cp.size, leaf, v.proofs[i].map(b64decode), cp.root), false);
  const proof = v.proofs[i].map(b64decode);
  proof[0][5] ^= 0x80;
  assert.equal(await verifyInclusion(i, cp.size, leaf, proof, cp.root), false);
  assert.equal(await verifyEntrySignature(shown.bytes, { ...shown.entry, author: 'SY' }, ring), false, 'another author\'s key');
});

test('RFC 6962 hashes: the empty-tree-free known answers', async () => {
  // Leaf and node hashes as RFC 6962 defines them (prefix bytes 0x00 and 0x01).
  const hex = (b) => Buffer.from(b).toString('hex');
  assert.equal(hex(await leafHash(new Uint8Array())), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  const a = await leafHash(Uint8Array.of(0));
  const b = await leafHash(Uint8Array.of(0x10));
  assert.equal(await verifyInclusion(0, 2, a, [b], await nodeHash(a, b)), true);
  assert.equal(await verifyInclusion(1, 2, b, [a], await nodeHash(a, b)), true);
  assert.equal(await verifyInclusion(0, 1, a, [], a), true);
  assert.equal(await verifyInclusion(1, 1, a, [], a), false);
});

test('the log key for `truceline log verify --log-key`, named by the origin', async () => {
  const line = await logKeyLine(v.keys, v.mediator, 'truceline/golan-illustrative');
  assert.match(line, /^truceline\/golan-illustrative\+[0-9a-f]{8}\+/);
  const ring = await parseKeyring(line);
  assert.deepEqual((await parseKeyring(v.keys)).get(v.mediator), ring.get('truceline/golan-illustrative'));
});
