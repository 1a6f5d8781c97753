// Keys for the example agreement's principals, written as truceline writes them
// (crates/ledger/src/keys.rs): DATA/keys/ID.key holds `PRIVATE+KEY+ID+hash+base64(0x01||seed)`,
// DATA/keyring one `ID+hash+base64(0x01||public)` line each; hash = SHA-256(ID "\n" 0x01 public)[:4].
// Also signs in from Node, for the test's own API calls (the monitor posting reports).

import { createHash, generateKeyPairSync, sign, createPrivateKey } from 'node:crypto';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function keyHash(name, pub) {
  const d = createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([1]), pub])).digest();
  return d.subarray(0, 4).toString('hex');
}

export function writeKeys(data, ids) {
  mkdirSync(join(data, 'keys'), { recursive: true });
  const ring = [];
  for (const id of ids) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
    const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const hash = keyHash(id, pub);
    writeFileSync(join(data, 'keys', `${id}.key`), `PRIVATE+KEY+${id}+${hash}+${Buffer.concat([Buffer.from([1]), seed]).toString('base64')}\n`, { mode: 0o600 });
    ring.push(`${id}+${hash}+${Buffer.concat([Buffer.from([1]), pub]).toString('base64')}`);
  }
  writeFileSync(join(data, 'keyring'), ring.join('\n') + '\n');
}

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export async function signInNode(base, data, id) {
  const text = readFileSync(join(data, 'keys', `${id}.key`), 'utf8').trim();
  const seed = Buffer.from(text.split('+').slice(4).join('+'), 'base64').subarray(1);
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const post = async (path, body) => {
    const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const c = await post('/v1/auth/challenge', { id });
  const signature = sign(null, Buffer.from(c.message), key).toString('base64');
  return (await post('/v1/auth/token', { id, nonce: c.nonce, signature })).token;
}
