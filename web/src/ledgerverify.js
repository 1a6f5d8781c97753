// The record checked in the browser: the ledger's formats, and their verification with
// WebCrypto (SHA-256 and Ed25519 from crypto.subtle), as crates/ledger does it:
// - an entry is its canonical envelope (RFC 8785), byte for byte as the export carries it;
//   its leaf hash is SHA-256(0x00 || bytes), an interior node SHA-256(0x01 || left ||
//   right) (RFC 6962 / RFC 9162 section 2.1); its signature is the author's Ed25519
//   signature over the envelope without `sig`;
// - a checkpoint is a C2SP signed note: "origin\nsize\nbase64 root\n", a blank line, and
//   signature lines "— name base64(key id (4 bytes) || signature)"; the log's line is an
//   Ed25519 signature of the text, key id SHA-256(name "\n" 0x01 key)[:4];
// - a cosignature (C2SP tlog-cosignature) is "— name base64(key id || time (8 bytes, big
//   endian) || signature)" over "cosignature/v1\ntime T\n" + the checkpoint text, key id
//   SHA-256(name "\n" 0x04 key)[:4];
// - keys are "name+hash+base64(0x01 || key)" lines (the verifier keyring);
// - an export is JSON Lines: a header, {"index","entry"} or {"index","leaf"} per entry,
//   {"checkpoint"} and {"receipt"} lines (crates/ledger/src/export.rs).
// Pure: no DOM; runs the same in Node (tests/ledgerverify.test.js) and in the browser.

const subtle = () => globalThis.crypto.subtle;
const enc = new TextEncoder();
const dec = new TextDecoder();

export function b64decode(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64encode(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest('SHA-256', bytes));
}

/** Leaf hash of an entry's canonical bytes: SHA-256(0x00 || bytes). */
export function leafHash(bytes) {
  return sha256(concat(Uint8Array.of(0), bytes));
}

/** Interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

/** RFC 9162 section 2.1.3.2: does `proof` lead from the leaf at `index` of a tree of `size`
 * leaves to `root`? */
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (!(index >= 0 && index < size) || proof.length > 128) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/** SHA-256(name || "\n" || alg || key)[:4] as a number: a note or cosignature key id. */
export async function keyId(name, alg, key) {
  const d = await sha256(concat(enc.encode(`${name}\n`), Uint8Array.of(alg), key));
  return ((d[0] << 24) >>> 0) + (d[1] << 16) + (d[2] << 8) + d[3];
}

export const ALG_ED25519 = 0x01;
export const ALG_COSIGNATURE_V1 = 0x04;

/** The verifier keyring: Map name -> 32-byte Ed25519 key, each line's hash checked. */
export async function parseKeyring(text) {
  const keys = new Map();
  for (const [i, raw] of String(text).split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([^+\s]+)\+([0-9a-fA-F]{8})\+([A-Za-z0-9+/=]+)$/);
    if (!m) throw new Error(`keyring line ${i + 1}: not name+hash+key`);
    const bytes = b64decode(m[3]);
    if (bytes.length !== 33 || bytes[0] !== ALG_ED25519) throw new Error(`keyring line ${i + 1}: not an Ed25519 key`);
    const key = bytes.slice(1);
    if ((await keyId(m[1], ALG_ED25519, key)) !== parseInt(m[2], 16)) throw new Error(`keyring line ${i + 1}: the key hash does not match ${m[1]}'s key`);
    keys.set(m[1], key);
  }
  return keys;
}

export async function ed25519Verify(key, signature, message) {
  try {
    const k = await subtle().importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
    return await subtle().verify({ name: 'Ed25519' }, k, signature, message);
  } catch {
    return false;
  }
}

/** A signed note: its text (up to and with the newline before the blank line) and its
 * signature lines. */
export function parseNote(input) {
  const split = input.indexOf('\n\n');
  if (split < 0 || !input.endsWith('\n')) throw new Error('not a signed note');
  const text = input.slice(0, split + 1);
  const signatures = input.slice(split + 2, -1).split('\n').map((line) => {
    const m = line.match(/^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/);
    if (!m) throw new Error(`not a signature line: ${line}`);
    const raw = b64decode(m[2]);
    if (raw.length < 5) throw new Error('signature too short');
    return { name: m[1], keyId: ((raw[0] << 24) >>> 0) + (raw[1] << 16) + (raw[2] << 8) + raw[3], payload: raw.slice(4) };
  });
  return { text, signatures };
}

/** The three lines of a checkpoint's text. */
export function parseCheckpoint(text) {
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines.length !== 3 || !/^(0|[1-9]\d*)$/.test(lines[1])) throw new Error('not a checkpoint (origin, size, root)');
  const root = b64decode(lines[2]);
  if (root.length !== 32) throw new Error('checkpoint root is not a 32-byte hash');
  return { origin: lines[0], size: Number(lines[1]), root };
}

/** Verifies a checkpoint note: the log's signature (the key named by the origin, else the
 * mediator's, under which the server's keyring holds the log key), and every other line
 * as a cosignature of a key in the keyring. */
export async function verifyCheckpoint(noteText, keyring, mediatorId = null) {
  const note = parseNote(noteText);
  const cp = parseCheckpoint(note.text);
  const body = enc.encode(note.text);
  const logKey = keyring.get(cp.origin) || (mediatorId && keyring.get(mediatorId)) || null;
  const logId = logKey ? await keyId(cp.origin, ALG_ED25519, logKey) : null;
  let logOk = false;
  const cosignatures = [];
  for (const s of note.signatures) {
    if (logKey && s.name === cp.origin && s.keyId === logId) {
      logOk ||= s.payload.length === 64 && (await ed25519Verify(logKey, s.payload, body));
      continue;
    }
    const key = keyring.get(s.name);
    let ok = false;
    let time = null;
    if (key && s.payload.length === 72 && s.keyId === (await keyId(s.name, ALG_COSIGNATURE_V1, key))) {
      const view = new DataView(s.payload.buffer, s.payload.byteOffset, 8);
      const t = view.getBigUint64(0);
      time = Number(t);
      ok = await ed25519Verify(key, s.payload.slice(8), concat(enc.encode(`cosignature/v1\ntime ${t}\n`), body));
    }
    cosignatures.push({ name: s.name, ok, time, known: !!key });
  }
  return { ...cp, logOk, logKnown: !!logKey, cosignatures };
}

/** The canonical envelope's parts: its signature and the bytes that were signed (the same
 * bytes without `,"sig":"..."`, which in RFC 8785 order sits between `seq` and `time`). */
export function splitSignature(bytes) {
  const text = dec.decode(bytes);
  const m = text.match(/,"sig":"([A-Za-z0-9+/=]{86,88})"(,"time":\d+\})$/);
  if (!m) return null;
  return { sig: b64decode(m[1]), signed: enc.encode(text.slice(0, m.index) + m[2]) };
}

/** An entry's author signature, with the author's key from the keyring. */
export async function verifyEntrySignature(bytes, entry, keyring) {
  const key = keyring.get(entry.author);
  const parts = splitSignature(bytes);
  if (!key || !parts || parts.sig.length !== 64) return false;
  return ed25519Verify(key, parts.sig, parts.signed);
}

/** Reads an export (its text) into its header, entries (index -> {bytes, entry}), leaves
 * (index -> leaf hash of an entry shown only as that), checkpoints and receipts. An entry's
 * bytes are those of the line, unchanged (the export writes them verbatim). */
export function parseExport(text) {
  const lines = String(text).split('\n').filter((l) => l.length);
  if (!lines.length) throw new Error('the export is empty');
  const header = JSON.parse(lines[0]);
  if (header.format !== 'truceline-export/v1') throw new Error(`not a truceline export (${header.format})`);
  const entries = new Map();
  const leaves = new Map();
  const checkpoints = [];
  const receipts = [];
  for (const line of lines.slice(1)) {
    const m = line.match(/^\{"index":(\d+),"entry":(.*)\}$/s);
    if (m) {
      const bytes = enc.encode(m[2]);
      entries.set(Number(m[1]), { bytes, entry: JSON.parse(m[2]) });
      continue;
    }
    const v = JSON.parse(line);
    if (v.leaf != null) leaves.set(v.index, b64decode(v.leaf));
    else if (v.checkpoint != null) checkpoints.push(v.checkpoint);
    else if (v.receipt != null) receipts.push(v.receipt);
  }
  return { header, entries, leaves, checkpoints, receipts };
}

/** Everything the console says of one entry: what it is (as this principal may read it,
 * or only its leaf hash), and each check: the leaf hash, the author's signature, its
 * inclusion in `checkpoint` by `proof` (base64 hashes of GET /v1/ledger/proof/inclusion),
 * and that checkpoint's signatures (a verifyCheckpoint result). */
export async function verifyEntry({ index, shown, leaf, proof, checkpoint, keyring, receipt = null }) {
  const out = { index, visible: !!shown, checks: {} };
  if (shown) {
    out.entry = shown.entry;
    out.leaf = await leafHash(shown.bytes);
    out.checks.signature = await verifyEntrySignature(shown.bytes, shown.entry, keyring);
    // The export's own leaf hash, where it gave one, must be the same.
    if (leaf) out.checks.leafMatches = equal(leaf, out.leaf);
  } else if (leaf) {
    out.leaf = leaf;
  } else {
    out.checks.present = false;
    return out;
  }
  out.checks.inclusion = !!checkpoint && index < checkpoint.size && (await verifyInclusion(index, checkpoint.size, out.leaf, proof.map(b64decode), checkpoint.root));
  out.checks.checkpoint = !!checkpoint?.logOk;
  out.cosigners = (checkpoint?.cosignatures || []).map((c) => ({ ...c }));
  if (receipt) out.receipt = receipt;
  return out;
}

/** Is every check of a verifyEntry result (and of its cosignatures) a pass? */
export function allPass(r) {
  return Object.values(r.checks).every(Boolean) && (r.cosigners || []).every((c) => c.ok);
}

/** The log key as `truceline log verify --log-key` takes it: the mediator's key (under
 * which the server's keyring holds the log key) named by the checkpoints' origin. */
export async function logKeyLine(keyringText, mediatorId, origin) {
  const ring = await parseKeyring(keyringText);
  const key = ring.get(origin) || ring.get(mediatorId);
  if (!key) throw new Error(`the keyring has no key for ${mediatorId}`);
  const id = await keyId(origin, ALG_ED25519, key);
  return `${origin}+${id.toString(16).padStart(8, '0')}+${b64encode(concat(Uint8Array.of(ALG_ED25519), key))}\n`;
}
