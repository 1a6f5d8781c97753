import { h, clear, time, km, num, utc, utcInText } from './util.js';
import { session, FEED_RENDER_MAX, st, el, serverNow, word, otherUnit } from './state.js';
import { t } from './i18n.js';
import { showPlace } from './overlays.js';
import { render } from './layout.js';
import { refreshUnitsLayer } from './units.js';
import { loadNotices } from './notices.js';
import { loadIncidents } from './incidents.js';
import { loadSummary } from './compliance.js';
import { recordButton } from './record.js';
import { loadTalks } from './talks.js';
import { loadForce, FORCE_ITEM_KINDS } from './force.js';

// ---------------------------------------------------------------- feed

export async function loadFeed() {
  let after = 0;
  for (let page = 0; page < 200; page++) {
    const r = await session.get(`/v1/feed?after=${after}&limit=1000`);
    st.feed.push(...r.items);
    if (!r.items.length || r.next_after === after) break;
    after = r.next_after;
  }
  st.feed.sort(byServerTime);
  st.lastFeedId = st.feed.reduce((m, i) => Math.max(m, i.id), 0);
}

/** The feed's order: the server's time of each item, then its id (never the browser's
 * clock, which differs from one screen to the next). */
function byServerTime(a, b) {
  return (Date.parse(a.time) - Date.parse(b.time)) || a.id - b.id;
}

/** An item as the stream sends it: its data carries `at`, the server's time of the item
 * (the `time` of GET /v1/feed); `at` is taken out of the data, so that an item reads the
 * same whichever way it came. Only a server too old to send `at` leaves the time to the
 * console's estimate of the server's clock. */
export function streamItem(kind, lastEventId, text) {
  const data = JSON.parse(text);
  let at = null;
  if (data && typeof data === 'object' && typeof data.at === 'string' && !Number.isNaN(Date.parse(data.at))) {
    at = data.at;
    delete data.at;
  }
  return { id: Number(lastEventId), kind, time: at ?? new Date(serverNow()).toISOString(), data };
}

export function connectStream() {
  st.stream?.close();
  const es = new EventSource(session.streamUrl(st.lastFeedId));
  st.stream = es;
  es.onopen = () => {
    st.liveState = 'live';
    el.live.textContent = `● ${t('header.live')}`;
    el.live.className = 'live ok';
  };
  es.onerror = () => {
    st.liveState = 'reconnecting';
    el.live.textContent = `○ ${t('header.reconnecting')}`;
    el.live.className = 'live bad';
    // EventSource retries on its own, but not after a refusal (an expired token, say):
    // then sign the next challenge and reconnect from the last item seen.
    if (es.readyState === EventSource.CLOSED && st.stream === es) {
      st.stream = null;
      session.renew().then(connectStream, () => setTimeout(() => st.map && connectStream(), 3000));
    }
  };
  for (const kind of ['event', 'notice', 'incident', 'escalation', 'draft', 'version', ...FORCE_ITEM_KINDS]) {
    es.addEventListener(kind, (m) => onItem(streamItem(kind, m.lastEventId, m.data)));
  }
}


let pending = null;
let burst = new Set(); // the kinds of the items since the last refresh
function onItem(item) {
  if (item.id <= st.lastFeedId) return;
  st.lastFeedId = item.id;
  // In the server's order: almost always at the end; an item the server stamped earlier
  // than the last one shown goes where its time puts it.
  let k = st.feed.length;
  while (k > 0 && byServerTime(st.feed[k - 1], item) > 0) k--;
  st.feed.splice(k, 0, item);
  if (st.feed.length > 50_000) st.feed.splice(0, st.feed.length - 50_000);
  burst.add(item.kind);
  // Coalesce bursts into one refresh.
  pending ||= setTimeout(async () => {
    pending = null;
    const kinds = new Set(st.feed.slice(-200).map((i) => i.kind));
    const fresh = burst;
    burst = new Set();
    // The talks, fetched again once they have been shown (a new draft, comment, signature
    // or countersigned version).
    if ((fresh.has('draft') || fresh.has('version')) && st.talks?.loaded) await loadTalks();
    // The force's records (a patrol tasked or reported, an inspection, a declaration, a
    // denial, a crossing), fetched again once the Force tab has been shown.
    if (st.force?.loaded && FORCE_ITEM_KINDS.some((k) => fresh.has(k))) await loadForce();
    if (kinds.has('notice') || kinds.has('escalation')) await loadNotices();
    if (kinds.has('incident') || kinds.has('event')) await loadIncidents();
    if (st.tab === 'compliance') await loadSummary();
    refreshUnitsLayer();
    // Do not pull text out from under someone typing in an incident.
    const typing = el.panelBody.contains(document.activeElement) && ['TEXTAREA', 'INPUT', 'SELECT'].includes(document.activeElement.tagName) && st.tab === 'incidents';
    if (!typing) render();
  }, 250);
}

function feedText(item) {
  const d = item.data;
  if (item.kind === 'event') {
    const bits = [word('event', d.kind), d.rule];
    if (d.unit) bits.push(t('feed.unit', { unit: d.unit }));
    const other = otherUnit(d);
    if (other) bits.push(t('feed.other', { other }));
    if (d.zone) bits.push(t('feed.zone', { zone: d.zone }));
    if (d.target) bits.push(t('feed.target', { target: d.target }));
    if (d.value != null) bits.push(t('feed.valueOf', { value: num(d.value), limit: num(d.limit) }));
    if (d.distance_km != null) bits.push(t('feed.distance', { d: km(d.distance_km, d.limit_km), min: km(d.limit_km) }));
    return bits.join(' · ');
  }
  if (item.kind === 'notice') return t('feed.notice', { id: d.notice?.id, party: d.notice?.party, note: word('note', d.note || d.notice?.status) });
  if (item.kind === 'incident') return t('feed.incident', { id: d.incident?.id || d.id || '', note: word('note', d.note || d.incident?.status || '') });
  if (item.kind === 'draft') return t('feed.draft', { id: d.draft?.id || '', title: d.draft?.title || '', note: word('draftNote', d.note || '') });
  if (item.kind === 'version') return t('feed.version', { sha: String(d.sha256 || '').slice(0, 12), draft: d.draft || '', at: utc(d.in_force_at) });
  if (item.kind === 'patrol') return t('feed.patrol', { id: d.patrol?.id || '', unit: d.patrol?.unit || '', note: word('patrolNote', d.note || d.patrol?.status || '') });
  if (FORCE_ITEM_KINDS.includes(item.kind)) {
    const rec = d[item.kind] || d;
    return t('feed.forceItem', { what: word('forceItem', item.kind), id: rec?.id || '', note: word('patrolNote', d.note || rec?.status || '') });
  }
  if (item.kind === 'escalation') {
    const m = String(d.why || '').match(/^no answer from (.+) by (\S+)$/);
    return m ? t('feed.escalationNoAnswer', { notice: d.notice, parties: m[1], at: utc(m[2]) }) : t('feed.escalation', { notice: d.notice, why: utcInText(d.why) });
  }
  return JSON.stringify(d);
}

function itemParties(item) {
  const d = item.data;
  if (item.kind === 'event') return [d.party, ...(st.meta.rules.find((r) => r.id === d.rule)?.detail?.parties || []), st.meta.rules.find((r) => r.id === d.rule)?.detail?.party].filter(Boolean);
  if (item.kind === 'notice') return [d.notice?.party].filter(Boolean);
  if (item.kind === 'incident') return d.incident?.about || [];
  return [];
}

function itemTime(item) {
  return Date.parse(item.kind === 'event' ? item.data.t : item.time);
}

function itemKind(item) {
  return item.kind === 'event' ? item.data.kind : item.kind;
}

export function renderFeed() {
  const f = st.filters;
  const kinds = [...new Set(st.feed.map(itemKind))].sort();
  const select = (name, label, values, show = (v) => v) =>
    h('label', label, ' ', h(`select#filter-${name}`, { onchange: (e) => { f[name] = e.target.value; renderFeed(); } },
      h('option', { value: '' }, t('feed.all')), values.map((v) => h('option', { value: v, selected: f[name] === v }, show(v)))));
  let items = st.feed.filter((i) =>
    (!f.rule || i.data.rule === f.rule) && (!f.party || itemParties(i).includes(f.party)) && (!f.kind || itemKind(i) === f.kind));
  // In replay, nothing later than the slider's time: engine events by their report time,
  // notices, incidents and escalations by the time the server published them.
  if (st.replayAt != null) items = items.filter((i) => itemTime(i) <= st.replayAt);
  const shown = items.slice(-FEED_RENDER_MAX).reverse();
  clear(
    el.panelBody,
    h('div.filters', select('rule', t('feed.filterRule'), st.meta.rules.map((r) => r.id)), select('party', t('feed.filterParty'), st.meta.parties.filter((p) => p.role === 'party').map((p) => p.id)), select('kind', t('feed.filterKind'), kinds, (k) => word('event', k))),
    shown.length
      ? h('ol.feed#feed', { 'aria-live': 'polite' }, shown.map((i) =>
        h(`li.item.k-${i.kind}${/_(breach|exceeded)$/.test(i.data.kind || '') ? '.breach' : ''}`, { dataset: { kind: itemKind(i), rule: i.data.rule || '' } },
          h('div.when', h('span.sr-only', `${t(i.kind === 'event' ? 'feed.reportTime' : 'feed.serverTime')} `), i.kind === 'event' ? time(i.data.t) : time(i.time)),
          h('div.what', feedText(i)),
          i.kind === 'event' && i.data.lon != null ? h('button.link', { type: 'button', dataset: { key: `show:${i.id}` }, 'aria-label': t('feed.showAria', { what: i.data.unit || i.data.rule || '' }), onclick: () => showPlace([i.data.lon, i.data.lat], 10, i.data.unit || i.data.rule) }, t('feed.show')) : null,
          i.kind === 'event' ? recordButton({ label: `${i.data.rule || ''} ${word('event', i.data.kind)}`.trim(), event: i.data }, `event:${i.id}`) : null)))
      : h('p.empty#feed-empty', st.feed.length ? t('feed.noMatch') : session.role === 'observer' ? t('feed.observer') : t('feed.noEvents')),
    items.length > FEED_RENDER_MAX ? h('p.muted', t('feed.showingLatest', { shown: num(FEED_RENDER_MAX), n: num(items.length) })) : null,
  );
}
