// The talks: the drafts this principal may see (the mediator all of them, a party its own and
// those the mediator shared with it, observers and monitors the countersigned versions only),
// the gap between two of them on the map and in tables, the parties' comments, the impact
// of the change on what the forces did, and the acts that put a version in force: each
// party signs it, the mediator shares drafts and countersigns with the instant it enters
// into force. A party's acts are its own signed ledger entries (api.js signs them).

import { h, clear, time, num, utc, toInputUtc, fromInputUtc, INPUT_UTC_PATTERN } from './util.js';
import { session, st, el, showError, serverNow, word } from './state.js';
import { t } from './i18n.js';
import { onThemeChange } from './theme.js';
import { confirmAct } from './confirm.js';
import { recordButton } from './record.js';
import { render } from './layout.js';
import { bboxOf } from './geo.js';
import { framePadding } from './map.js';
import { draftForm } from './draftform.js';
import { GAP_PIECES, hatchCanvas, gapColour, gapHidden, setGapData, syncGapLayers } from './gaplayers.js';

/** The Talks tab's state. */
function talks() {
  st.talks ||= {
    loaded: false, loading: null, drafts: [], versions: [], history: [], inForce: null,
    a: '', b: '', gap: null, gapKey: '', gapBusy: false, gapError: null,
    impact: null, impactBusy: false, impactError: null, impactFrom: '', impactTo: '',
    parts: {}, inputs: {}, errors: {},
  };
  return st.talks;
}

const short = (sha) => String(sha || '').slice(0, 12);
const enc = encodeURIComponent;
const km2 = (x) => `${num(Number(x) || 0, 2)} ${t('units.km2')}`;

/** The drafts, versions and the agreement's history, fetched again. */
export async function loadTalks() {
  const T = talks();
  try {
    const [d, v, ag] = await Promise.all([
      session.get('/v1/drafts'),
      session.get('/v1/versions'),
      session.get('/v1/agreement').catch(() => null),
    ]);
    // Newest first.
    T.drafts = d.items.slice().sort((x, y) => (x.filed_at === y.filed_at ? (x.id < y.id ? 1 : -1) : x.filed_at < y.filed_at ? 1 : -1));
    T.versions = v.items || [];
    T.history = ag?.history || [];
    T.inForce = ag?.in_force || null;
    T.loaded = true;
    const ids = new Set(T.drafts.map((x) => x.id));
    // A: the version in force if it is among the drafts, else the oldest; B: the newest other.
    if (!ids.has(T.a)) T.a = (T.drafts.find((x) => x.sha256 === T.inForce?.sha256) || T.drafts[T.drafts.length - 1])?.id || '';
    if (!ids.has(T.b) || T.b === T.a) T.b = T.drafts.find((x) => x.id !== T.a)?.id || '';
    if (T.gap && !(ids.has(T.gap.drafts.a) && ids.has(T.gap.drafts.b))) {
      T.gap = null;
      T.gapKey = '';
      setGapData(null);
    }
  } catch (e) {
    T.loaded = true;
    showError(e);
  }
}

/** The gap's layers and legend, as the open tab wants them (called on every render). */
export function syncGap() {
  syncGapLayers();
  renderGapLegend();
}

// ---------------------------------------------------------------- the tab

export function renderTalks() {
  const T = talks();
  if (!T.loaded) {
    T.loading ||= loadTalks().finally(() => {
      T.loading = null;
      if (st.tab === 'talks') render();
    });
    clear(el.panelBody, h('h2', t('talks.title')), h('p.loading', { role: 'status' }, t('talks.loading')));
    return;
  }
  const canFile = session.role === 'party' || session.role === 'mediator';
  // The forms are made once and kept, so that live updates never lose what is typed.
  if (canFile && !el.draftForm) el.draftForm = draftForm({ onFiled: async () => { await loadTalks(); render(); } });
  if (session.role === 'party' && !el.commentForm) el.commentForm = commentForm();
  el.commentForm?.update();
  // Drawn anew by a live update, the tab stays where its reader had scrolled it.
  const top = el.panelBody.dataset.view === 'talks' ? el.panelBody.scrollTop : 0;
  clear(
    el.panelBody,
    h('h2#talks-title', t('talks.title')),
    h('p.muted', t(`talks.intro.${session.role}`)),
    el.draftForm,
    draftsSection(),
    T.drafts.length >= 2 ? compareSection() : null,
    T.gap ? gapSection() : null,
    T.drafts.length ? el.commentForm : null,
    session.role !== 'observer' && T.drafts.length >= 2 ? impactSection() : null,
    versionsSection(),
  );
  el.panelBody.scrollTop = top;
}

// ---------------------------------------------------------------- drafts

function draftsSection() {
  const T = talks();
  const empty = session.role === 'observer' || session.role === 'monitor' ? 'talks.emptyOutside' : `talks.empty.${session.role}`;
  return h('section#talks-drafts', { 'aria-labelledby': 'talks-drafts-title' },
    h('h3#talks-drafts-title', t('talks.drafts')),
    T.drafts.length ? h('ul.drafts#drafts', T.drafts.map(draftItem)) : h('p.empty#talks-empty', t(empty)));
}

function versionState(sha) {
  return talks().history.find((v) => v.sha256 === sha)?.state || null;
}

function draftItem(d) {
  const T = talks();
  const state = versionState(d.sha256);
  const mine = d.signed_by.includes(session.id);
  return h(`li.draft${d.version ? '.countersigned' : ''}`, { dataset: { id: d.id, author: d.author, countersigned: String(!!d.version), signedBy: d.signed_by.join(' '), state: state || '' } },
    h('div.row', h('strong', { dir: 'ltr' }, d.id), ' ', h('span.draft-title', { dir: 'auto' }, d.title), ' ',
      d.version ? h('span.badge.version-badge', word('versionState', state || 'countersigned')) : null),
    h('div.muted', t('talks.author', { author: d.author }), ' · ', t('talks.filed'), ' ', time(d.filed_at)),
    h('div', t('talks.hash'), ' ', h('code.hash', { dir: 'ltr', title: d.sha256 }, short(d.sha256)), h('span.sr-only', ` (${d.sha256})`)),
    h('div.signed', t('talks.signedBy'), ' ', h('span.signers', { dir: 'ltr' }, d.signed_by.length ? d.signed_by.join(', ') : t('talks.nobody')),
      session.role === 'party' && !d.version ? h('span.muted', ` ${t('talks.ownSignatureOnly')}`) : null),
    d.version
      ? h('div.version', t('talks.countersignedAt'), ' ', time(d.version.countersigned_at), '; ', t('talks.inForceAt'), ' ', time(d.version.in_force_at))
      : h('div.muted', t('talks.notCountersigned')),
    session.role === 'mediator' ? h('div.muted.shared', t('talks.sharedWith', { with: (d.shared_with || []).join(', ') || t('talks.nobody') })) : null,
    d.note ? h('p.description', { dir: 'auto' }, d.note) : null,
    d.comments.length ? h('details.comments', { open: !!T.inputs[`${d.id}:commentsOpen`], ontoggle: (e) => (T.inputs[`${d.id}:commentsOpen`] = e.currentTarget.open) },
      h('summary', { dataset: { key: `${d.id}:comments` } }, t('talks.commentsCount', { n: num(d.comments.length) })), commentList(d.comments)) : null,
    T.errors[d.id] ? h('p.bad.act-error', { role: 'alert' }, T.errors[d.id]) : null,
    h('div.actions', draftActions(d, mine), (d.ledger || []).length ? recordButton({ label: d.id, indices: d.ledger }, d.id) : null));
}

/** A button for an act on draft `d`; `ask` gives the confirmation, or null to stop. */
function act(d, action, label, fn, ask = null) {
  const T = talks();
  return h('button', { type: 'button', dataset: { action, key: `${d.id}:${action}` }, onclick: async () => {
    try {
      if (ask) {
        const q = ask();
        if (!q) return;
        if (!(await confirmAct(q))) return;
      }
      delete T.errors[d.id];
      await fn();
    } catch (e) {
      T.errors[d.id] = e.message;
    }
    await loadTalks();
    render();
  } }, label);
}

function draftActions(d, mine) {
  const T = talks();
  const out = [];
  if (session.role === 'party' && !d.version && !mine) {
    out.push(act(d, 'sign', t('talks.sign'), () => session.post(`/v1/drafts/${enc(d.id)}/sign`, {}), () => ({
      title: t('talks.signTitle', { id: d.id }),
      text: t('talks.signText'),
      detail: `${d.title}\nSHA-256 ${d.sha256}`,
      confirm: t('talks.signConfirm'),
    })));
  }
  if (session.role !== 'mediator' || d.version) return out;
  // Share with parties (not its author, who has it; not those that have it already).
  const shared = new Set(d.shared_with || []);
  const parties = st.meta.parties.filter((p) => p.role === 'party' && p.id !== d.author);
  const chosen = () => parties.filter((p) => !shared.has(p.id) && T.inputs[`${d.id}:share:${p.id}`]).map((p) => p.id);
  const boxes = parties.map((p) => {
    const key = `${d.id}:share:${p.id}`;
    const box = h('input', { type: 'checkbox', id: `share-${d.id}-${p.id}`, dataset: { key, party: p.id }, checked: shared.has(p.id) || !!T.inputs[key], disabled: shared.has(p.id), onchange: (e) => (T.inputs[key] = e.currentTarget.checked) });
    return h('label.share-check', { for: `share-${d.id}-${p.id}` }, box, ' ', p.id, shared.has(p.id) ? h('span.muted', ` (${t('talks.alreadyShared')})`) : null);
  });
  const openKey = `${d.id}:shareOpen`;
  out.push(h('details.act-box.share', { open: !!T.inputs[openKey], ontoggle: (e) => (T.inputs[openKey] = e.currentTarget.open) },
    h('summary', { dataset: { key: `${d.id}:share-summary` } }, t('talks.shareWith')),
    h('fieldset', h('legend', t('talks.shareLegend', { id: d.id })), boxes),
    parties.some((p) => !shared.has(p.id))
      ? act(d, 'share', t('talks.share'), () => session.post(`/v1/drafts/${enc(d.id)}/share`, { with: chosen() }), () => {
        if (!chosen().length) {
          T.errors[d.id] = t('talks.shareNobody');
          render();
          return null;
        }
        return { title: t('talks.shareTitle', { id: d.id }), text: t('talks.shareText', { with: chosen().join(', ') }), detail: d.title, confirm: t('talks.share') };
      })
      : h('p.muted', t('talks.sharedWithAll'))));
  // Countersign, with the instant it enters into force.
  const atKey = `${d.id}:at`;
  T.inputs[atKey] ??= toInputUtc(Math.ceil((serverNow() + 3600_000) / 300_000) * 300_000);
  const at = h(`input#countersign-at-${d.id}.utc-input`, { type: 'text', inputmode: 'numeric', pattern: INPUT_UTC_PATTERN, placeholder: 'YYYY-MM-DD HH:MM', autocomplete: 'off', dir: 'ltr', value: T.inputs[atKey], 'aria-describedby': `countersign-help-${d.id}`, oninput: (e) => (T.inputs[atKey] = e.currentTarget.value) });
  const csOpen = `${d.id}:csOpen`;
  const missing = st.meta.parties.filter((p) => p.role === 'party' && !d.signed_by.includes(p.id)).map((p) => p.id);
  out.push(h('details.act-box.countersign', { open: !!T.inputs[csOpen], ontoggle: (e) => (T.inputs[csOpen] = e.currentTarget.open) },
    h('summary', { dataset: { key: `${d.id}:countersign-summary` } }, t('talks.countersignOpen')),
    missing.length ? h('p.muted', t('talks.notSignedBy', { parties: missing.join(', ') })) : null,
    h('label', { for: `countersign-at-${d.id}` }, t('talks.inForceAtLabel')), ' ', at,
    h('div.muted', { id: `countersign-help-${d.id}` }, t('common.utcHelp')),
    act(d, 'countersign', t('talks.countersign'), () => session.post(`/v1/drafts/${enc(d.id)}/countersign`, { in_force_at: fromInputUtc(at.value) }), () => {
      const iso = fromInputUtc(at.value);
      if (!iso) {
        T.errors[d.id] = t('talks.badTime');
        render();
        document.getElementById(`countersign-at-${d.id}`)?.focus();
        return null;
      }
      return { title: t('talks.countersignTitle', { id: d.id }), text: t('talks.countersignText', { at: utc(iso, false) }), detail: `${d.title}\nSHA-256 ${d.sha256}`, confirm: t('talks.countersign') };
    })));
  return out;
}

function commentList(comments, { grouped = true } = {}) {
  const item = (c) => h(`li.comment.st-${c.stance}`, { dataset: { on: c.on, by: c.by, stance: c.stance } },
    h('strong', { dir: 'ltr' }, c.by), ' ', h(`span.badge${c.stance === 'disputed' ? '.bad' : ''}`, word('stance', c.stance)),
    grouped ? null : h('span', { dir: 'ltr' }, ` ${c.on} `), ' ', time(c.at),
    c.reason ? h('div', { dir: 'auto' }, c.reason) : null);
  if (!grouped) return h('ul.comments', comments.map(item));
  const by = new Map();
  for (const c of comments) by.set(c.on, [...(by.get(c.on) || []), c]);
  return h('ul.comment-groups', [...by].map(([on, cs]) => h('li', { dataset: { on } }, h('span.part', { dir: 'ltr' }, on === 'draft' ? t('talks.wholeDraft') : on), h('ul.comments', cs.map(item)))));
}

// ---------------------------------------------------------------- comparing two drafts

function compareSection() {
  const T = talks();
  const select = (id, which) => h(`select#${id}`, { onchange: (e) => (T[which] = e.currentTarget.value) },
    T.drafts.map((d) => h('option', { value: d.id, selected: d.id === T[which] }, `${d.id} · ${d.title}${d.version ? ` (${word('versionState', versionState(d.sha256) || 'countersigned')})` : ''}`)));
  return h('section#talks-compare', { 'aria-labelledby': 'talks-compare-title' },
    h('h3#talks-compare-title', t('talks.compare.title')),
    h('div.grid',
      h('label', { for: 'talks-a' }, t('talks.compare.a')), select('talks-a', 'a'),
      h('label', { for: 'talks-b' }, t('talks.compare.b')), select('talks-b', 'b')),
    h('div.actions',
      h('button#talks-compare-go', { type: 'button', disabled: T.gapBusy, onclick: compare }, t('talks.compare.go')),
      h('button.secondary#talks-swap', { type: 'button', onclick: () => { [T.a, T.b] = [T.b, T.a]; render(); } }, t('talks.compare.swap'))),
    h('div#talks-compare-status', { role: 'status' }, T.gapBusy ? t('talks.compare.busy') : T.gapError ? h('p.bad', T.gapError) : null));
}

async function compare() {
  const T = talks();
  T.gapError = null;
  if (!T.a || !T.b || T.a === T.b) {
    T.gapError = t('talks.compare.twoDrafts');
    render();
    return;
  }
  T.gapBusy = true;
  render();
  try {
    const g = await session.get(`/v1/drafts/${enc(T.a)}/gap/${enc(T.b)}`);
    T.gap = g;
    T.gapKey = `${g.drafts.a}/${g.drafts.b}`;
    T.impact = null;
    T.impactError = null;
    setGapData(g.geojson);
    const box = g.geojson?.features?.length ? bboxOf(g.geojson) : null;
    if (box && st.map) st.map.fitBounds(box, { padding: framePadding(), maxZoom: 12, duration: 0 });
  } catch (e) {
    T.gapError = e.message;
  } finally {
    T.gapBusy = false;
  }
  render();
  document.getElementById(T.gap ? 'gap-title' : 'talks-compare-go')?.focus();
}

const STATUS = (s) => word('gapStatus', s);

function showZone(zone) {
  const T = talks();
  const features = (T.gap?.geojson?.features || []).filter((f) => f.properties.zone === zone || f.properties.line === zone);
  if (features.length && st.map) st.map.fitBounds(bboxOf({ features }), { padding: framePadding(), maxZoom: 13 });
}

/** "Comment" on a part: the comment form, aimed at it (on the draft it is in, B first). */
function commentButton(part, status) {
  if (session.role !== 'party' || !el.commentForm) return null;
  const T = talks();
  const draft = status === 'only_a' ? T.gap.drafts.a : T.gap.drafts.b;
  return h('button.link', { type: 'button', dataset: { key: `comment:${part}` }, 'aria-label': t('talks.commentOnAria', { part }), onclick: () => el.commentForm.target(draft, part) }, t('talks.commentOn'));
}

function gapSection() {
  const T = talks();
  const g = T.gap;
  const s = g.summary;
  const table = (id, caption, heads, rows) => h('div.table-wrap', h(`table.gap-table#${id}`, h('caption', caption), h('thead', h('tr', heads.map((x) => h('th', { scope: 'col' }, x)))), h('tbody', rows)));
  const n2 = (x) => num(Number(x) || 0, 2);
  const zones = g.zones.map((z) => h(`tr.st-${z.status}`, { dataset: { zone: z.id, status: z.status } },
    h('th', { scope: 'row', dir: 'ltr' }, z.id), h('td', STATUS(z.status)),
    h('td.n', n2(z.area_a_km2)), h('td.n', n2(z.area_b_km2)), h('td.n', n2(z.only_a_km2)), h('td.n', n2(z.only_b_km2)), h('td.n', n2(z.both_km2)),
    h('td.acts', h('button.link', { type: 'button', dataset: { key: `show-zone:${z.id}` }, 'aria-label': t('talks.gap.showAria', { id: z.id }), onclick: () => showZone(z.id) }, t('talks.gap.show')), commentButton(`feature:${z.id}`, z.status))));
  const lines = g.lines.map((l) => h(`tr.st-${l.status}`, { dataset: { line: l.id, status: l.status } },
    h('th', { scope: 'row', dir: 'ltr' }, l.id), h('td', STATUS(l.status)),
    h('td.n', n2(l.length_a_km)), h('td.n', n2(l.length_b_km)), h('td.n', l.max_offset_m != null ? num(l.max_offset_m, 1) : '—'),
    h('td.acts', l.status !== 'same' ? h('button.link', { type: 'button', dataset: { key: `show-line:${l.id}` }, 'aria-label': t('talks.gap.showAria', { id: l.id }), onclick: () => showZone(l.id) }, t('talks.gap.show')) : null, commentButton(`feature:${l.id}`, l.status))));
  const comments = [g.drafts.a, g.drafts.b].map((id) => [id, T.drafts.find((d) => d.id === id)]).filter(([, d]) => d?.comments.length);
  return h('section.gap#talks-gap', { 'aria-labelledby': 'gap-title', dataset: { a: g.drafts.a, b: g.drafts.b } },
    h('h3#gap-title', { tabindex: '-1' }, t('talks.gap.title', { a: g.drafts.a, b: g.drafts.b })),
    h('p.muted', h('span', { dir: 'auto' }, `A: ${g.a.title}`), ` (v${g.a.version}, `, h('code', { dir: 'ltr' }, short(g.a.sha256)), ')', h('br'),
      h('span', { dir: 'auto' }, `B: ${g.b.title}`), ` (v${g.b.version}, `, h('code', { dir: 'ltr' }, short(g.b.sha256)), ')'),
    h('dl.gap-summary#gap-summary',
      h('dt', t('talks.gap.disputed')), h('dd', { dataset: { km2: String(s.disputed_km2) } }, km2(s.disputed_km2)),
      h('dt', t('talks.gap.zonesChanged')), h('dd', num(s.zones_changed)),
      h('dt', t('talks.gap.linesChanged')), h('dd', num(s.lines_changed)),
      h('dt', t('talks.gap.rulesChanged')), h('dd', num(s.rules_changed))),
    h('p.muted', t('talks.gap.mapHelp')),
    table('gap-zones', t('talks.gap.zones'), [t('talks.gap.zone'), t('talks.gap.status'), t('talks.gap.areaA'), t('talks.gap.areaB'), t('talks.gap.onlyA'), t('talks.gap.onlyB'), t('talks.gap.both'), h('span.sr-only', t('talks.gap.actions'))], zones),
    table('gap-lines', t('talks.gap.lines'), [t('talks.gap.line'), t('talks.gap.status'), t('talks.gap.lengthA'), t('talks.gap.lengthB'), t('talks.gap.offset'), h('span.sr-only', t('talks.gap.actions'))], lines),
    keyedSection('rules', g.rules, 'rule'),
    keyedSection('parties', g.parties, 'party'),
    keyedSection('categories', g.categories, 'category'),
    g.phases ? keyedSection('phases', g.phases, 'phase') : null,
    h('section#gap-comments', { 'aria-labelledby': 'gap-comments-title' },
      h('h4#gap-comments-title', t(session.role === 'mediator' ? 'talks.gap.commentsAll' : 'talks.gap.commentsOwn')),
      comments.length ? comments.map(([id, d]) => h('div.draft-comments', { dataset: { draft: id } }, h('strong', { dir: 'ltr' }, id === g.drafts.a ? `A · ${id}` : `B · ${id}`), commentList(d.comments))) : h('p.muted', t('talks.gap.noComments'))));
}

/** A value of a rule's key as the report gives it (absent as null). */
function value(v) {
  if (v == null) return h('span.muted', t('talks.gap.absent'));
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return utc(v, false);
  return typeof v === 'number' ? num(v, 6) : String(v);
}

/** Rules (or parties, categories, phases) that differ: each with its keys side by side. */
function keyedSection(kind, items, part) {
  const changed = (items || []).filter((x) => x.status !== 'same');
  return h(`section.keyed#gap-${kind}`, { 'aria-labelledby': `gap-${kind}-title` },
    h(`h4#gap-${kind}-title`, t(`talks.gap.${kind}`)),
    changed.length
      ? changed.map((x) => h(`div.keyed-item.st-${x.status}`, { dataset: { id: x.id, status: x.status } },
        h('div.row', h('strong', { dir: 'ltr' }, x.id), ' ', h('span.badge', STATUS(x.status)), ' ', commentButton(`${part}:${x.id}`, x.status)),
        x.changes?.length ? h('div.table-wrap', h('table.gap-table.changes', h('caption.sr-only', t('talks.gap.changesOf', { id: x.id })),
          h('thead', h('tr', h('th', { scope: 'col' }, t('talks.gap.key')), h('th', { scope: 'col' }, 'A'), h('th', { scope: 'col' }, 'B'))),
          h('tbody', x.changes.map((c) => h('tr', { dataset: { key: c.key } }, h('th', { scope: 'row', dir: 'ltr' }, c.key), h('td', { dir: 'auto' }, value(c.a)), h('td', { dir: 'auto' }, value(c.b)))))))
          : null,
        x.geometry_changed?.length ? h('p.muted', t('talks.gap.geometryChanged', { ids: x.geometry_changed.join(', ') })) : null))
      : h('p.muted', t('talks.gap.noneDiffer')));
}

// ---------------------------------------------------------------- the gap's legend on the map

function renderGapLegend() {
  if (!el.gapLegend) return;
  const T = st.talks;
  const on = st.tab === 'talks' && !!T?.gap;
  el.gapLegend.hidden = !on;
  if (!on) return clear(el.gapLegend);
  const g = T.gap;
  const sums = Object.fromEntries(GAP_PIECES.map((p) => [p, g.zones.reduce((a, z) => a + (Number(z[`${p}_km2`]) || 0), 0)]));
  const label = { only_a: t('talks.legend.onlyA', { id: g.drafts.a }), only_b: t('talks.legend.onlyB', { id: g.drafts.b }), both: t('talks.legend.both') };
  const toggle = (key, swatch, text, extra) => h('button.key', { type: 'button', 'aria-pressed': String(!gapHidden.has(key)), dataset: { toggle: key }, onclick: (e) => {
    if (gapHidden.has(key)) gapHidden.delete(key);
    else gapHidden.add(key);
    e.currentTarget.setAttribute('aria-pressed', String(!gapHidden.has(key)));
    syncGapLayers();
  } }, swatch, h('span.key-text', text), extra);
  clear(el.gapLegend,
    h('strong', t('talks.legend.title', { a: g.drafts.a, b: g.drafts.b })),
    GAP_PIECES.map((p) => toggle(p, h('img.hatch-swatch', { src: hatchCanvas(p).toDataURL(), alt: '', width: 18, height: 18 }), label[p],
      h('span.km2', { dataset: { piece: p, km2: String(Math.round(sums[p] * 100) / 100) } }, km2(sums[p])))),
    toggle('lines', h('span.line-swatch', { 'aria-hidden': 'true' }, h('span', { style: `border-top-color:${gapColour('only_a')}` }), h('span.dashed', { style: `border-top-color:${gapColour('only_b')}` })), t('talks.legend.lines', { a: g.drafts.a, b: g.drafts.b })));
}

// The legend's swatches are the map's hatches, in the theme's colours.
onThemeChange(() => renderGapLegend());

// ---------------------------------------------------------------- comments (a party's form)

/** A draft's parts a comment may be on, from its files: features from the GeoJSON, rules,
 * parties, categories and phases from agreement.toml's tables. */
function partsOf(files) {
  const out = ['draft'];
  try {
    for (const f of JSON.parse(files.geometry).features || []) if (f.properties?.id != null) out.push(`feature:${f.properties.id}`);
  } catch { /* the server validated it; nothing to offer if it is unreadable here */ }
  const kinds = { rules: 'rule', parties: 'party', categories: 'category', phases: 'phase' };
  let table = null;
  for (const line of String(files.agreement_toml || '').split('\n')) {
    const arr = line.match(/^\s*\[\[\s*([A-Za-z_]+)\s*\]\]\s*(#.*)?$/);
    if (arr) {
      table = kinds[arr[1]] || null;
      continue;
    }
    if (/^\s*\[/.test(line)) {
      table = null;
      continue;
    }
    const id = table && line.match(/^\s*id\s*=\s*"([^"]+)"/);
    if (id) out.push(`${table}:${id[1]}`);
  }
  return out;
}

function commentForm() {
  const T = talks();
  const draft = h('select#comment-draft', { onchange: () => refreshParts() });
  const on = h('select#comment-on');
  const stance = h('select#comment-stance', ['agreed', 'disputed'].map((s) => h('option', { value: s }, word('stance', s))));
  const reason = h('textarea#comment-reason', { rows: 2, maxlength: 4000, dir: 'auto' });
  const result = h('div#comment-result', { role: 'status', 'aria-live': 'polite' });
  let wanted = null; // the part a "Comment" button asked for, once the draft's parts are in
  const partLabel = (p) => (p === 'draft' ? t('talks.wholeDraft') : p);
  const refreshParts = async () => {
    const id = draft.value;
    if (!id) return clear(on);
    if (!T.parts[id]) {
      clear(on, h('option', { value: 'draft' }, t('talks.wholeDraft')));
      try {
        T.parts[id] = partsOf(await session.get(`/v1/drafts/${enc(id)}?files=true`));
      } catch (e) {
        clear(result, h('p.bad', e.message));
        return;
      }
    }
    if (draft.value !== id) return;
    const keep = wanted || on.value;
    clear(on, T.parts[id].map((p) => h('option', { value: p, selected: p === keep }, partLabel(p))));
    if (wanted && on.value === wanted) {
      wanted = null;
      stance.focus();
    }
  };
  const form = h('form.notice-form#comment-form', { onsubmit: async (e) => {
    e.preventDefault();
    try {
      const d = await session.post(`/v1/drafts/${enc(draft.value)}/comments`, { on: on.value, stance: stance.value, reason: reason.value });
      clear(result, h('p.ok', t('talks.comment.recorded', { on: partLabel(on.value), id: d.id })));
      result.dataset.commented = `${d.id}|${on.value}`;
      reason.value = '';
      await loadTalks();
      render();
    } catch (err) {
      clear(result, h('p.bad', t('talks.comment.refused', { why: err.message })));
    }
  } },
  h('h3', t('talks.comment.title')),
  h('p.muted', t('talks.comment.help')),
  h('div.grid',
    h('label', { for: 'comment-draft' }, t('talks.comment.draft')), draft,
    h('label', { for: 'comment-on' }, t('talks.comment.on')), on,
    h('label', { for: 'comment-stance' }, t('talks.comment.stance')), stance,
    h('label', { for: 'comment-reason' }, t('talks.comment.reason')), reason),
  h('div.actions', h('button#comment-submit', { type: 'submit' }, t('talks.comment.submit'))),
  result);
  /** The drafts' choice drawn again from the list (keeping the one chosen). */
  form.update = () => {
    const keep = draft.value || T.gap?.drafts.b || T.drafts[0]?.id;
    const ids = T.drafts.map((d) => d.id);
    if (ids.join() !== [...draft.options].map((o) => o.value).join()) {
      clear(draft, T.drafts.map((d) => h('option', { value: d.id }, `${d.id} · ${d.title}`)));
      draft.value = ids.includes(keep) ? keep : ids[0] || '';
      refreshParts();
    } else if (!on.options.length) refreshParts();
  };
  form.target = (id, part) => {
    wanted = part;
    draft.value = id;
    form.scrollIntoView({ block: 'nearest' });
    refreshParts();
    if (T.parts[id]) {
      on.value = part;
      wanted = null;
      stance.focus();
    }
  };
  return form;
}

// ---------------------------------------------------------------- impact

function impactSection() {
  const T = talks();
  const field = (id, key, label) => [h('label', { for: id }, label),
    h(`input#${id}.utc-input`, { type: 'text', inputmode: 'numeric', pattern: INPUT_UTC_PATTERN, placeholder: 'YYYY-MM-DD HH:MM', autocomplete: 'off', dir: 'ltr', value: T[key], 'aria-describedby': 'impact-help', oninput: (e) => (T[key] = e.currentTarget.value) })];
  const r = T.impact;
  const row = (x, cells) => h('tr', { dataset: { id: x.id } }, h('th', { scope: 'row', dir: 'ltr' }, x.id), cells.map((c) => h('td.n', c)));
  const delta = (x) => {
    const d = x.breaches_b - x.breaches_a;
    return d === 0 ? '0' : `${d > 0 ? '+' : '−'}${num(Math.abs(d))}`;
  };
  return h('section#talks-impact', { 'aria-labelledby': 'impact-title' },
    h('h3#impact-title', t('talks.impact.title', { a: T.a, b: T.b })),
    h('p.muted', t('talks.impact.help')),
    h('div.grid', field('impact-from', 'impactFrom', t('talks.impact.from')), field('impact-to', 'impactTo', t('talks.impact.to')),
      h('span'), h('span.muted#impact-help', t('talks.impact.timeHelp'))),
    h('div.actions', h('button#impact-go', { type: 'button', disabled: T.impactBusy, onclick: runImpact }, t('talks.impact.go'))),
    h('div#impact-status', { role: 'status' }, T.impactBusy ? t('talks.impact.busy') : T.impactError ? h('p.bad', T.impactError) : null),
    r ? h('div#impact-result', { dataset: { a: r.drafts?.a, b: r.drafts?.b } },
      h('p', t('talks.impact.over', { n: num(r.reports ?? 0), a: r.drafts?.a, b: r.drafts?.b }), r.only_party ? ` ${t('talks.impact.onlyParty', { party: r.only_party })}` : ''),
      h('div.table-wrap', h('table.gap-table#impact-rules', h('caption', t('talks.impact.byRule')),
        h('thead', h('tr', [t('talks.impact.rule'), t('talks.impact.in'), t('talks.impact.underA'), t('talks.impact.underB'), t('talks.impact.change')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', r.rules.map((x) => row(x, [word('ruleIn', x.in), num(x.breaches_a), num(x.breaches_b), delta(x)]))))),
      h('div.table-wrap', h('table.gap-table#impact-parties', h('caption', t('talks.impact.byParty')),
        h('thead', h('tr', [t('talks.impact.party'), t('talks.impact.underA'), t('talks.impact.underB'), t('talks.impact.change')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', r.parties.map((x) => row(x, [num(x.breaches_a), num(x.breaches_b), delta(x)])))))) : null);
}

async function runImpact() {
  const T = talks();
  T.impactError = null;
  const q = new URLSearchParams();
  for (const [key, name] of [['impactFrom', 'from'], ['impactTo', 'to']]) {
    if (!T[key].trim()) continue;
    const iso = fromInputUtc(T[key]);
    if (!iso) {
      T.impactError = t('talks.badTime');
      render();
      document.getElementById(`impact-${name}`)?.focus();
      return;
    }
    q.set(name, iso);
  }
  if (!T.a || !T.b || T.a === T.b) {
    T.impactError = t('talks.compare.twoDrafts');
    render();
    return;
  }
  T.impactBusy = true;
  render();
  try {
    T.impact = await session.get(`/v1/drafts/${enc(T.a)}/impact/${enc(T.b)}${q.size ? `?${q}` : ''}`);
  } catch (e) {
    T.impactError = e.status === 503 ? t('talks.impact.another') : e.message;
  } finally {
    T.impactBusy = false;
  }
  render();
}

// ---------------------------------------------------------------- versions

function versionsSection() {
  const T = talks();
  const history = T.history.length ? T.history : T.versions.map((v) => ({ sha256: v.sha256, in_force_from: v.in_force_at, state: null, countersigned: true }));
  return h('section#talks-versions', { 'aria-labelledby': 'versions-title' },
    h('h3#versions-title', t('talks.versions.title')),
    history.length ? h('ol.versions#versions', history.map((x) => {
      const v = T.versions.find((y) => y.sha256 === x.sha256);
      return h('li.version', { dataset: { sha: x.sha256, state: x.state || '', countersigned: String(!!v) } },
        h('div.row', h('code.hash', { dir: 'ltr', title: x.sha256 }, short(x.sha256)), ' ', x.state ? h('span.badge', word('versionState', x.state)) : null, v ? h('span', { dir: 'auto' }, ` ${v.title} (${v.draft})`) : h('span.muted', ` ${t('talks.versions.original')}`)),
        h('div', t('talks.versions.from'), ' ', x.in_force_from ? time(x.in_force_from, false) : t('talks.versions.fromStart')),
        v ? h('div', t('talks.countersignedAt'), ' ', time(v.countersigned_at)) : null,
        v ? h('div', t('talks.versions.signatures'), ' ', v.signatures.map((s, i) => [i ? '; ' : '', h('span', { dir: 'ltr' }, s.party), ' ', time(s.at)])) : null);
    })) : h('p.empty', t('talks.versions.none')));
}
