import { h, clear, time, humanKind, km, utc, utcInText } from './util.js';
import { session, FEED_RENDER_MAX, st, el, serverNow } from './state.js';
import { render } from './layout.js';
import { refreshUnitsLayer } from './units.js';
import { loadNotices } from './notices.js';
import { loadIncidents } from './incidents.js';
import { loadSummary } from './compliance.js';

// ---------------------------------------------------------------- feed

export async function loadFeed() {
  let after = 0;
  for (let page = 0; page < 200; page++) {
    const r = await session.get(`/v1/feed?after=${after}&limit=1000`);
    st.feed.push(...r.items);
    if (!r.items.length || r.next_after === after) break;
    after = r.next_after;
  }
  st.lastFeedId = st.feed.length ? st.feed[st.feed.length - 1].id : 0;
}

export function connectStream() {
  st.stream?.close();
  const es = new EventSource(session.streamUrl(st.lastFeedId));
  st.stream = es;
  es.onopen = () => {
    el.live.textContent = '● live';
    el.live.className = 'live ok';
  };
  es.onerror = () => {
    el.live.textContent = '○ reconnecting…';
    el.live.className = 'live bad';
    // EventSource retries on its own, but not after a refusal (an expired token, say):
    // then sign the next challenge and reconnect from the last item seen.
    if (es.readyState === EventSource.CLOSED && st.stream === es) {
      st.stream = null;
      session.renew().then(connectStream, () => setTimeout(() => st.map && connectStream(), 3000));
    }
  };
  for (const kind of ['event', 'notice', 'incident', 'escalation']) {
    es.addEventListener(kind, (m) => onItem({ id: Number(m.lastEventId), kind, time: new Date(serverNow()).toISOString(), data: JSON.parse(m.data) }));
  }
}


let pending = null;
function onItem(item) {
  if (item.id <= st.lastFeedId) return;
  st.lastFeedId = item.id;
  st.feed.push(item);
  if (st.feed.length > 50_000) st.feed.splice(0, st.feed.length - 50_000);
  // Coalesce bursts into one refresh.
  pending ||= setTimeout(async () => {
    pending = null;
    const kinds = new Set(st.feed.slice(-200).map((i) => i.kind));
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
    const bits = [humanKind(d.kind), d.rule];
    if (d.unit) bits.push(`unit ${d.unit}`);
    if (d.other) bits.push(`and ${d.other}`);
    if (d.zone) bits.push(`zone ${d.zone}`);
    if (d.target) bits.push(`target ${d.target}`);
    if (d.value != null) bits.push(`${d.value} of ${d.limit}`);
    if (d.distance_km != null) bits.push(`${km(d.distance_km, d.limit_km)} (min ${km(d.limit_km)})`);
    return bits.join(' · ');
  }
  if (item.kind === 'notice') return `notice ${d.notice?.id} by ${d.notice?.party}: ${d.note || d.notice?.status}`;
  if (item.kind === 'incident') return `incident ${d.incident?.id || d.id || ''}: ${d.note || d.incident?.status || ''}`;
  if (item.kind === 'escalation') {
    const m = String(d.why || '').match(/^no answer from (.+) by (\S+)$/);
    return m ? `escalation: notice ${d.notice}: no answer from ${m[1]} by ${utc(m[2])}` : `escalation: notice ${d.notice}: ${utcInText(d.why)}`;
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
  const select = (name, label, values) =>
    h('label', label, ' ', h(`select#filter-${name}`, { onchange: (e) => { f[name] = e.target.value; renderFeed(); } },
      h('option', { value: '' }, 'all'), values.map((v) => h('option', { value: v, selected: f[name] === v }, v))));
  let items = st.feed.filter((i) =>
    (!f.rule || i.data.rule === f.rule) && (!f.party || itemParties(i).includes(f.party)) && (!f.kind || itemKind(i) === f.kind));
  // In replay, nothing later than the slider's time: engine events by their report time,
  // notices, incidents and escalations by the time the server published them.
  if (st.replayAt != null) items = items.filter((i) => itemTime(i) <= st.replayAt);
  const shown = items.slice(-FEED_RENDER_MAX).reverse();
  clear(
    el.panelBody,
    h('div.filters', select('rule', 'Rule', st.meta.rules.map((r) => r.id)), select('party', 'Party', st.meta.parties.filter((p) => p.role === 'party').map((p) => p.id)), select('kind', 'Kind', kinds)),
    shown.length
      ? h('ol.feed#feed', { 'aria-live': 'polite' }, shown.map((i) =>
        h(`li.item.k-${i.kind}${/_(breach|exceeded)$/.test(i.data.kind || '') ? '.breach' : ''}`, { dataset: { kind: itemKind(i), rule: i.data.rule || '' } },
          h('div.when', h('span.sr-only', i.kind === 'event' ? 'Report time ' : 'Server time '), i.kind === 'event' ? time(i.data.t) : time(i.time)),
          h('div.what', feedText(i)),
          i.kind === 'event' && i.data.lon != null ? h('button.link', { type: 'button', dataset: { key: `show:${i.id}` }, 'aria-label': `Show ${i.data.unit || i.data.rule || 'event'} on the map`, onclick: () => st.map?.flyTo({ center: [i.data.lon, i.data.lat], zoom: 10 }) }, 'Show') : null)))
      : h('p.empty#feed-empty', st.feed.length ? 'Nothing matches these filters.' : session.role === 'observer' ? 'Observers see the public summary only; no events are shared with you.' : 'No events yet: they appear here as reports arrive.'),
    items.length > FEED_RENDER_MAX ? h('p.muted', `Showing the latest ${FEED_RENDER_MAX} of ${items.length}.`) : null,
  );
}
