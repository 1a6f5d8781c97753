// Sign-in with the principal's own Ed25519 key, and calls to the API with the bearer token.
// The private key is read from the key file into a non-extractable WebCrypto key and never
// leaves the browser; only the signature over the server's challenge is sent.

const PKCS8_ED25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function b64decode(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function b64encode(bytes) {
  let bin = '';
  for (const b of new Uint8Array(bytes)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Reads a key file (`PRIVATE+KEY+<name>+<hash>+<base64 of 0x01 || seed>`, as `truceline`
 * writes it) into { name, key } with a non-extractable signing key. */
export async function readKeyFile(text) {
  const m = text.trim().match(/^PRIVATE\+KEY\+([^+\s]+)\+([0-9a-fA-F]{8})\+([A-Za-z0-9+/=]+)$/);
  if (!m) throw new Error('This is not a truceline key file (expected one line PRIVATE+KEY+name+hash+key).');
  let raw;
  try {
    raw = b64decode(m[3]);
  } catch {
    throw new Error('The key in the file is not base64.');
  }
  if (raw.length !== 33 || raw[0] !== 0x01) throw new Error('The key file does not hold an Ed25519 key.');
  const pkcs8 = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
  pkcs8.set(PKCS8_ED25519_PREFIX);
  pkcs8.set(raw.subarray(1), PKCS8_ED25519_PREFIX.length);
  raw.fill(0);
  let key;
  try {
    key = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
  } catch (e) {
    throw new Error(`This browser cannot use Ed25519 keys (${e.message}).`);
  } finally {
    pkcs8.fill(0);
  }
  return { name: m[1], key };
}

async function problem(res) {
  let text = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    text = body.detail || body.title || text;
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, text);
}

/** fetch, with a dead server as an ApiError the console can show like any other. */
function send(path, init) {
  return fetch(path, init).catch(() => {
    throw new ApiError(0, 'the server does not answer (network error)');
  });
}

async function postJson(path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await send(path, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!res.ok) throw await problem(res);
  return res.status === 204 ? null : res.json();
}

/** The session: token, who, and the key to sign in again before the token expires. */
export class Session {
  constructor() {
    this.token = null;
    this.id = null;
    this.role = null;
    this.renewing = null;
    this.key = null;
    this.timer = null;
    this.onExpired = () => {};
  }

  async signIn(id, key) {
    const challenge = await postJson('/v1/auth/challenge', { id });
    const sig = await crypto.subtle.sign({ name: 'Ed25519' }, key, new TextEncoder().encode(challenge.message));
    const t = await postJson('/v1/auth/token', { id, nonce: challenge.nonce, signature: b64encode(sig) });
    this.token = t.token;
    this.id = t.id;
    this.role = t.role;
    this.key = key;
    this.schedule();
    return t;
  }

  /** Signs a new challenge with the key held in memory (once at a time). */
  renew() {
    this.renewing ||= this.signIn(this.id, this.key).finally(() => (this.renewing = null));
    return this.renewing;
  }

  schedule() {
    clearTimeout(this.timer);
    // Tokens last 15 minutes; sign the next challenge a minute before. (expires_at is the
    // server's clock, which a demo may run faster than real time: a 401 also renews.)
    const ms = 14 * 60_000;
    this.timer = setTimeout(async () => {
      try {
        await this.signIn(this.id, this.key);
      } catch {
        this.onExpired();
      }
    }, ms);
  }

  async signOut() {
    clearTimeout(this.timer);
    if (this.token) {
      try {
        await postJson('/v1/auth/logout', {}, this.token);
      } catch {
        /* signed out locally either way */
      }
    }
    this.token = null;
    this.key = null;
  }

  /** fetch with the token; on 401 signs in again with the key and tries once more. A
   * status in `pass` comes back as the response instead of an error. */
  async authed(path, init = {}, pass = []) {
    const go = () => send(path, { ...init, headers: { ...(init.headers || {}), authorization: `Bearer ${this.token}` } });
    let res = await go();
    if (res.status === 401 && this.key) {
      try {
        await this.renew();
      } catch {
        this.onExpired();
        throw await problem(res);
      }
      res = await go();
    }
    if (res.status === 401) this.onExpired();
    if (!res.ok && !pass.includes(res.status)) throw await problem(res);
    return res;
  }

  async get(path) {
    return (await this.authed(path)).json();
  }

  /** Posts `body`. A party's or monitor's own acts (a notice, an answer, an incident
   * report, a response) are ledger entries signed with its own key: the server never signs
   * for it, so it answers 428 with the envelope to sign. The console signs it with the key
   * it signed in with and submits it; the answer is what the route itself would give. */
  async post(path, body, retried = false) {
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await this.authed(path, init, [428]);
    if (res.status === 428) {
      const prepared = await res.json();
      if (!prepared.envelope || !prepared.signing_input) throw new ApiError(428, prepared.detail || 'The server asked for a signature but sent nothing to sign.');
      const sig = await crypto.subtle.sign({ name: 'Ed25519' }, this.key, b64decode(prepared.signing_input));
      try {
        const done = await this.post('/v1/acts', { ...prepared.envelope, sig: b64encode(sig) }, true);
        return done.result;
      } catch (e) {
        // 409: another act of ours took that sequence number first; prepare it again, once.
        if (e.status === 409 && !retried) return this.post(path, body, true);
        throw e;
      }
    }
    return res.status === 204 ? null : res.json();
  }

  async getBytes(path) {
    return (await this.authed(path)).blob();
  }

  streamUrl(lastId) {
    const q = new URLSearchParams({ access_token: this.token });
    if (lastId != null) q.set('last_event_id', String(lastId));
    return `/v1/stream?${q}`;
  }
}
