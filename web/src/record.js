// The record in the browser: the "Record" tab shows the latest checkpoint (size, root, the
// log's signature and who cosigned it, each checked here), downloads this principal's export
// for `truceline log verify` with the keys it needs, and shows the ledger entries of a
// notice, incident or event the console shows: each entry as this principal may read it (or
// only its leaf hash), its leaf hash computed here, its author's signature, its inclusion in
// the latest checkpoint (GET /v1/ledger/proof/inclusion) and that checkpoint's signatures,
// all verified in this browser with WebCrypto (ledgerverify.js), trusting the server for
// nothing but the bytes.
//
// The API has no route for one entry: the entries come from this principal's export
// (GET /v1/ledger/export), fetched when an entry is asked for and again only when the
// ledger has grown past it. Engine events carry no ledger index in the feed: an event's
// entry is found in the export as the `engine/events` entry that holds it.

import { h, clear, time, num } from './util.js';
import { session, st, el, showError } from './state.js';
import { t } from './i18n.js';
import { setTab, openPanel, render } from './layout.js';
import { parseKeyring, verifyCheckpoint, parseExport, verifyEntry, allPass, verifyInclusion, b64decode, b64encode, logKeyLine, parseNote, parseCheckpoint } from './ledgerverify.js';

st.record = { keysText: null, keyring: null, checkpoint: null, checkpointText: '', exportText: null, export: null, focus: null, results: null, busy: false, error: null };

const mediatorId = () => st.meta?.parties?.find((p) => p.role === 'mediator')?.id || null;

/** The keys (once) and the latest checkpoint, verified. */
async function loadCheckpoint() {
  const r = st.record;
  if (!r.keyring) {
    r.keysText = await (await session.authed('/v1/ledger/keys')).text();
    r.keyring = await parseKeyring(r.keysText);
  }
  r.checkpointText = await (await session.authed('/v1/ledger/checkpoint')).text();
  r.checkpoint = r.checkpointText ? await verifyCheckpoint(r.checkpointText, r.keyring, mediatorId()) : null;
  r.checkedAt = Date.now();
}

/** This principal's export, fetched again only when the ledger has grown past it. */
async function loadExport(minSize) {
  const r = st.record;
  if (r.export && r.export.header.size >= minSize) return r.export;
  r.exportText = await (await session.authed('/v1/ledger/export')).text();
  r.export = parseExport(r.exportText);
  return r.export;
}

/** The fields an event is known by, in the feed and in its ledger entry alike. */
const eventKey = (e) => [e.kind, e.rule, e.t, e.unit || '', e.other || '', e.other_party || ''].join('|');

/** The index of the `engine/events` entry that holds event `d`, from the export. */
function findEventEntry(ex, d) {
  const want = eventKey(d);
  for (const [index, { entry }] of ex.entries) {
    if (entry.kind !== 'engine/events') continue;
    if ((entry.body?.events || []).some((e) => eventKey(e) === want)) return index;
  }
  return null;
}

/** Verifies the entries of the focus: each against the latest checkpoint. */
async function verifyFocus() {
  const r = st.record;
  const f = r.focus;
  if (!f) return;
  const cp = r.checkpoint;
  const ex = await loadExport(Math.max(cp?.size || 0, ...(f.indices || []).map((i) => i + 1)));
  let indices = f.indices || [];
  if (f.event) {
    const i = findEventEntry(ex, f.event);
    indices = i == null ? [] : [i];
    f.indices = indices;
  }
  const results = [];
  for (const index of indices) {
    const shown = ex.entries.get(index);
    const leaf = ex.leaves.get(index);
    let proof = [];
    if (cp && index < cp.size) proof = (await session.get(`/v1/ledger/proof/inclusion?index=${index}&size=${cp.size}`)).proof;
    const res = await verifyEntry({ index, shown, leaf, proof, checkpoint: cp, keyring: r.keyring });
    // A receipt the export carries for it (its author's): its own checkpoint and proof.
    const receipt = ex.receipts.find((x) => x.index === index);
    if (receipt) {
      try {
        const rc = await verifyCheckpoint(receipt.checkpoint, r.keyring, mediatorId());
        res.receipt = { size: rc.size, ok: rc.logOk && (await verifyInclusion(index, rc.size, b64decode(receipt.leaf_hash), receipt.inclusion.map(b64decode), rc.root)) && b64encode(res.leaf || []) === receipt.leaf_hash };
      } catch {
        res.receipt = { size: null, ok: false };
      }
    }
    results.push(res);
  }
  r.results = results;
}

/** Checks again: the checkpoint, then the entries in focus. */
export async function refreshRecord() {
  const r = st.record;
  if (r.busy) return;
  r.busy = true;
  r.error = null;
  rerender();
  try {
    await loadCheckpoint();
    await verifyFocus();
  } catch (e) {
    r.error = e.message;
  } finally {
    r.busy = false;
    rerender();
  }
}

function rerender() {
  if (st.tab !== 'record') return;
  st.forceRender = true;
  render();
  st.forceRender = false;
}

/** Opens the Record tab on the entries of what `focus` names: { label, indices } for a
 * notice or incident (their `ledger` indices), { label, event } for an engine event. */
export function openRecord(focus) {
  st.record.focus = focus;
  st.record.results = null;
  setTab('record');
  openPanel(true);
  refreshRecord();
}

/** The Record button that goes with a notice, an incident or an event. */
export function recordButton(focus, key) {
  return h('button.link', { type: 'button', dataset: { key: `record:${key}` }, 'aria-label': t('record.showAria', { what: focus.label }), onclick: () => openRecord(focus) }, t('record.show'));
}

const mark = (ok) => h(`span.check.${ok ? 'ok' : 'bad'}`, { 'aria-hidden': 'true' }, ok ? '✓' : '✗');
const check = (ok, text, key) => h(`li.${ok ? 'pass' : 'fail'}`, { dataset: { check: key, ok: String(!!ok) } }, mark(ok), ' ', h('span.sr-only', `${t(ok ? 'record.pass' : 'record.fail')}: `), text);

function entryCard(res) {
  const cp = st.record.checkpoint;
  const e = res.entry;
  const leaf = res.leaf ? b64encode(res.leaf) : null;
  const items = [];
  if (res.checks.present === false) items.push(check(false, t('record.missing'), 'present'));
  if (res.visible) items.push(check(res.checks.signature, t('record.signature', { author: e.author }), 'signature'));
  if ('leafMatches' in res.checks) items.push(check(res.checks.leafMatches, t('record.leafMatches'), 'leaf'));
  if (cp && res.checks.inclusion !== undefined) {
    items.push(check(res.checks.inclusion, res.index < cp.size ? t('record.included', { size: num(cp.size) }) : t('record.notYet', { size: num(cp.size) }), 'inclusion'));
    items.push(check(res.checks.checkpoint, t('record.checkpointSigned'), 'checkpoint'));
    for (const c of res.cosigners || []) items.push(check(c.ok, t('record.cosignedBy', { who: c.name }), `cosigned:${c.name}`));
  }
  if (res.receipt) items.push(check(res.receipt.ok, t('record.receipt', { size: res.receipt.size != null ? num(res.receipt.size) : '?' }), 'receipt'));
  return h('li.entry-card', { dataset: { index: String(res.index), verified: String(allPass(res) && res.checks.present !== false) } },
    h('div.row', h('strong', t('record.entry', { index: num(res.index) })), ' ',
      h(`span.badge${allPass(res) && res.checks.present !== false ? '' : '.bad'}`, t(allPass(res) && res.checks.present !== false ? 'record.verified' : 'record.notVerified'))),
    e ? h('dl.entry-fields',
      h('dt', t('record.kind')), h('dd', { dir: 'ltr' }, e.kind),
      h('dt', t('record.author')), h('dd', { dir: 'ltr' }, e.author, ` (${t('record.seq', { seq: num(e.seq) })})`),
      h('dt', t('record.time')), h('dd', time(new Date(e.time).toISOString())),
      h('dt', t('record.audience')), h('dd', { dir: 'ltr' }, e.audience.length ? e.audience.join(', ') : t('record.mediatorOnly'))) : null,
    e ? h('details.entry-body', h('summary', t('record.body')), h('pre', { dir: 'ltr', tabindex: '0' }, JSON.stringify(e.body, null, 2)))
      : res.checks.present === false ? null : h('p.muted', t('record.hidden')),
    leaf ? h('p.leaf', t('record.leaf'), ' ', h('code', { dir: 'ltr' }, leaf)) : null,
    h('ul.checks', items));
}

function checkpointBox() {
  const r = st.record;
  const cp = r.checkpoint;
  if (!cp) return h('p.muted#record-empty', r.busy ? t('record.checking') : t('record.noCheckpoint'));
  const parties = (st.meta?.parties || []).filter((p) => p.role === 'party' || p.role === 'monitor').map((p) => p.id);
  const cosigned = new Set(cp.cosignatures.filter((c) => c.ok).map((c) => c.name));
  const waiting = parties.filter((p) => !cosigned.has(p));
  return h('section#record-checkpoint', { dataset: { size: String(cp.size), log: String(cp.logOk) } },
    h('h2', t('record.latest')),
    h('dl.entry-fields',
      h('dt', t('record.origin')), h('dd', { dir: 'ltr' }, cp.origin),
      h('dt', t('record.size')), h('dd', t('record.entries', { count: cp.size, n: num(cp.size) })),
      h('dt', t('record.root')), h('dd', h('code', { dir: 'ltr' }, b64encode(cp.root)))),
    h('ul.checks',
      check(cp.logOk, cp.logKnown ? t('record.logSigned') : t('record.logUnknown'), 'log'),
      cp.cosignatures.map((c) => check(c.ok, [t('record.cosignedBy', { who: c.name }), c.time ? [' ', time(new Date(c.time * 1000).toISOString())] : null], `cosigned:${c.name}`))),
    h('p.muted#record-waiting', waiting.length ? t('record.notCosigned', { who: waiting.join(', ') }) : t('record.allCosigned')),
    r.checkedAt ? h('p.muted', t('record.checkedAt'), ' ', time(new Date(r.checkedAt).toISOString())) : null);
}

function download(name, text, type = 'text/plain') {
  const a = h('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

const fileBase = () => `${st.meta?.agreement?.id || 'truceline'}-${session.id}`;

async function downloadExport() {
  try {
    const text = await (await session.authed('/v1/ledger/export')).text();
    const ex = parseExport(text);
    st.record.export = ex;
    st.record.exportText = text;
    download(`${fileBase()}-export-${ex.header.size}.jsonl`, text, 'application/x-ndjson');
    el.panelBody.querySelector('#record-downloaded')?.replaceChildren(t('record.downloaded', { n: num(ex.header.size) }));
  } catch (e) {
    showError(e);
  }
}

async function downloadKeys() {
  try {
    await loadCheckpoint();
    const r = st.record;
    download(`${fileBase()}-keyring.txt`, r.keysText);
    // The keyring holds the log key under the mediator's id; `log verify` wants it named by
    // the origin (or given with --log-key): this is that file.
    const origin = r.checkpoint?.origin || parseCheckpoint(parseNote(r.checkpointText).text).origin;
    download(`${fileBase()}-log-key.pub`, await logKeyLine(r.keysText, mediatorId(), origin));
  } catch (e) {
    showError(e);
  }
}

export function renderRecord() {
  const r = st.record;
  if (!r.checkpoint && !r.busy && !r.error && !r.checkedAt) refreshRecord();
  const f = r.focus;
  // Live updates draw the open tab again: this one only when what it shows changed, so
  // that an entry's body someone opened stays open.
  const signature = `${r.busy}|${r.error}|${r.checkedAt}|${r.results?.length}|${f?.label}|${session.id}`;
  if (!st.forceRender && signature === r.signature && el.panelBody.querySelector('#record-status')) return;
  r.signature = signature;
  const base = fileBase();
  const me = session.role === 'mediator' ? '' : ` --as ${session.id}`;
  clear(el.panelBody,
    h('p.muted', t('record.intro')),
    h('div#record-status', { role: 'status', 'aria-live': 'polite' }, r.busy ? t('record.checking') : r.error ? h('span.bad', t('record.failed', { why: r.error })) : ''),
    f ? h('section#record-focus', { dataset: { label: f.label } },
      h('div.row', h('h2', t('record.of', { what: f.label })), h('button.link', { type: 'button', onclick: () => { r.focus = null; r.results = null; rerender(); } }, t('common.close'))),
      r.results == null ? h('p.muted', t('record.checking'))
        : r.results.length ? h('ol.entries#record-entries', r.results.map(entryCard))
          : h('p.empty#record-none', f.event ? t('record.noEventEntry') : t('record.noEntries'))) : null,
    checkpointBox(),
    h('div.actions',
      h('button#record-refresh', { type: 'button', disabled: r.busy, onclick: () => refreshRecord() }, t('record.refresh')),
      h('button#record-export', { type: 'button', onclick: downloadExport }, t('record.download')),
      h('button.secondary#record-keys', { type: 'button', onclick: downloadKeys }, t('record.downloadKeys'))),
    h('p.muted#record-downloaded', { 'aria-live': 'polite' }),
    h('p', t('record.verifyHelp')),
    h('pre.command', { dir: 'ltr', tabindex: '0' }, `truceline log verify ${base}-export-N.jsonl --party-keys ${base}-keyring.txt --log-key ${base}-log-key.pub${me}`),
  );
}

/** Signing out: nothing of this principal's record stays. */
export function resetRecord() {
  st.record = { keysText: null, keyring: null, checkpoint: null, checkpointText: '', exportText: null, export: null, focus: null, results: null, busy: false, error: null };
}

