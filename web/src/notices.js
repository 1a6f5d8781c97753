// Notices: the list (with each principal's actions on them) and their places on the map.

import { h, clear, time, num } from './util.js';
import { session, st, el, showError, serverNow, word } from './state.js';
import { t } from './i18n.js';
import { ringOf, bboxOf } from './geo.js';
import { confirmAct } from './confirm.js';
import { noticeForm } from './noticeform.js';

export async function loadNotices() {
  try {
    const r = await session.get('/v1/notices');
    st.notices = r.items.sort((a, b) => (a.submitted_at < b.submitted_at ? 1 : -1));
    refreshNoticesLayer();
  } catch (e) {
    showError(e);
  }
}

function placeGeometry(place) {
  if (place?.area) return { type: 'Polygon', coordinates: [place.area.ring] };
  if (place?.route) return { type: 'LineString', coordinates: place.route.line };
  return null;
}

export function refreshNoticesLayer() {
  if (!st.mapReady) return;
  const features = st.notices
    .filter((n) => n.status !== 'withdrawn' && placeGeometry((n.draft || n).place))
    .map((n) => ({ type: 'Feature', geometry: placeGeometry((n.draft || n).place), properties: { id: n.id, party: n.party, kind: (n.draft || n).kind, status: n.status, selected: n.id === st.selectedNotice } }));
  st.map.getSource('notices').setData({ type: 'FeatureCollection', features });
}

export function refreshDraft() {
  if (!st.mapReady) return;
  const pts = st.draft.points;
  const features = pts.map((p) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: p }, properties: {} }));
  if (pts.length > 1) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: st.draft.mode === 'area' ? ringOf(pts) : pts }, properties: {} });
  st.map.getSource('draft').setData({ type: 'FeatureCollection', features });
  const ta = document.getElementById('notice-coords');
  if (ta) ta.value = pts.map((p) => p.join(', ')).join('\n');
  const c = document.getElementById('draw-count');
  if (c) c.textContent = t('notices.points', { count: pts.length, n: num(pts.length) });
}

/** Relayed, its answer window past, but not yet flagged by the server (which then makes it
 * `overdue`): shown as overdue already. */
function pastDue(n) {
  return n.status === 'relayed' && n.relay && Date.parse(n.relay.deadline) < serverNow();
}

function noticeActions(n) {
  const out = [];
  const act = (action, fn, cls = '', ask = null) => h(`button${cls}`, { type: 'button', dataset: { action, key: `${n.id}:${action}` }, onclick: async () => {
    try {
      if (ask && !(await confirmAct(ask))) return;
      await fn();
      await loadNotices();
      renderNotices();
    } catch (e) {
      showError(e);
    }
  } }, t(`notices.${action}`));
  if (session.role === 'mediator' && n.status === 'submitted') out.push(act('relay', () => session.post(`/v1/notices/${n.id}/relay`, {})));
  const relayedToMe = n.relay?.to?.includes(session.id);
  if (relayedToMe && ['relayed', 'overdue'].includes(n.status) && !(n.answers || []).some((a) => a.party === session.id)) {
    out.push(act('acknowledge', () => session.post(`/v1/notices/${n.id}/answer`, { answer: 'acknowledge' })));
    const reason = h('input.reason', { type: 'text', maxlength: 4000, placeholder: t('notices.reasonPlaceholder'), 'aria-label': t('notices.reasonLabel', { id: n.id }) });
    out.push(reason);
    out.push(act('object', async () => {
      if (!reason.value.trim()) {
        reason.focus();
        throw new Error(t('notices.reasonNeeded'));
      }
      return session.post(`/v1/notices/${n.id}/answer`, { answer: 'object', reason: reason.value });
    }));
  }
  if (n.party === session.id && n.status !== 'withdrawn') {
    out.push(act('withdraw', () => session.post(`/v1/notices/${n.id}/withdraw`, {}), '.secondary', {
      title: t('notices.withdrawTitle', { id: n.id }),
      text: n.relay ? t('notices.withdrawTextRelayed', { to: n.relay.to.join(', ') }) : t('notices.withdrawText'),
      confirm: t('notices.withdrawConfirm'),
    }));
  }
  return out;
}

function renderNotice(n) {
  const d = n.draft || n;
  const overdue = n.status === 'overdue' || pastDue(n);
  const checkProblems = n.check && !n.check.ok
    ? [!n.check.lead_time_met ? t('notices.leadNotMet') : null, ...n.check.rule_conflicts.map((c) => `${c.rule}: ${c.detail}`), ...n.check.overlaps.map((o) => t('notices.overlapsShort', { id: o.notice }))].filter(Boolean)
    : [];
  return h(`li.notice.s-${n.status}`, { dataset: { id: n.id, party: n.party, status: n.status } },
    // One badge: its status, or "overdue" once the answer window has passed.
    h('div.row', h('strong', { dir: 'ltr' }, n.id), ' ', h(`span.badge${overdue ? '.bad' : ''}`, word('status', pastDue(n) ? 'overdue' : n.status)), h('span.muted', ` ${n.party} · ${word('noticeKind', d.kind)}`)),
    h('div', t('notices.window'), ' ', time(d.from, false), ' – ', time(d.until, false)),
    d.description ? h('p.description', { dir: 'auto' }, d.description) : null,
    n.relay ? h('div', t('notices.answerDue'), ' ', time(n.relay.deadline), ` (${t('notices.to', { to: n.relay.to.join(', ') })})`) : n.party === session.id ? h('div.muted', t('notices.waitingRelay')) : null,
    n.escalated_at ? h('div.bad', t('notices.escalated'), ' ', time(n.escalated_at)) : null,
    d.forces ? h('div.muted', d.forces.map((f) => `${f.count != null ? num(f.count) : '?'} ${f.category}`).join(', ')) : null,
    (n.answers || []).length ? h('div', n.answers.map((a) => h('div', `${a.party}: ${word('answer', a.answer)}${a.reason ? ` (${a.reason})` : ''}${a.late ? ` (${t('notices.late')})` : ''} `, time(a.at)))) : null,
    checkProblems.length ? h('div.bad', t('notices.checkPrefix'), ' ', checkProblems.join('; ')) : null,
    h('div.actions', h('button.link', { type: 'button', dataset: { key: `${n.id}:show` }, onclick: () => showNotice(n) }, t('notices.showOnMap')), noticeActions(n)),
  );
}

function showNotice(n) {
  st.selectedNotice = n.id;
  refreshNoticesLayer();
  const g = placeGeometry((n.draft || n).place);
  if (g && st.map) st.map.fitBounds(bboxOf({ features: [{ geometry: g }] }), { padding: 80, maxZoom: 11 });
}

export function renderNotices() {
  // The form is made once and kept, so that live updates never lose what is being typed;
  // its window's defaults follow the time.
  if (session.role === 'party' && !el.noticeForm) el.noticeForm = noticeForm({ onGiven: async () => { await loadNotices(); renderNotices(); } });
  el.noticeForm?.refreshDefaults();
  clear(
    el.panelBody,
    el.noticeForm,
    h('h2', t('notices.title')),
    st.notices.length ? h('ul.notices#notices', st.notices.map(renderNotice)) : h('p.empty#notices-empty', session.role === 'monitor' || session.role === 'observer' ? t('notices.notShared') : t('notices.none')),
  );
}
