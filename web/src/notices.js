// Notices: the list (with each principal's actions on them) and their places on the map.

import { h, clear, time, num } from './util.js';
import { session, st, el, showError, serverNow, word } from './state.js';
import { t } from './i18n.js';
import { ringOf, bboxOf } from './geo.js';
import { confirmAct } from './confirm.js';
import { noticeForm } from './noticeform.js';
import { recordButton } from './record.js';
import { loadIncidents } from './incidents.js';
import { setTab } from './layout.js';

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

// ---------------------------------------------------------------- the mediator's next steps

/** A notice that needs the mediator: objected to, or its answer window past. */
function needsMediator(n) {
  const objections = (n.answers || []).filter((a) => a.answer === 'object');
  const overdue = n.status === 'overdue' || pastDue(n);
  const missing = overdue ? (n.relay?.to || []).filter((p) => !(n.answers || []).some((a) => a.party === p)) : [];
  return objections.length || overdue ? { objections, overdue, missing } : null;
}

/** The escalation incident the mediator opened for notice `n` (its description names it). */
function escalationOf(n) {
  return st.incidents.find((i) => i.reporter === session.id && (i.draft || i).description?.startsWith(`${n.id}:`));
}

/** What the mediator can do next with a notice objected to or overdue, with the existing
 * API: escalate it as an incident (POST /v1/incidents: about the party that has not answered,
 * or the notice's party whose activity is objected to, with the facts and the mediator's
 * note, so that the parties concerned and the monitors see it and it is investigated and
 * found on like any incident), and put a further note on the record as the escalation's
 * investigation note (POST /v1/incidents/{id}/investigate). Relaying again is not offered:
 * the server relays a notice once (POST /v1/notices/{id}/relay answers 409 after that). */
function mediatorNext(n) {
  if (session.role !== 'mediator' || n.status === 'withdrawn') return null;
  const need = needsMediator(n);
  if (!need) return null;
  const esc = escalationOf(n);
  st.noticeNotes ||= {};
  const note = h('textarea.note', { rows: 2, dir: 'auto', id: `next-note-${n.id}`, oninput: (e) => (st.noticeNotes[n.id] = e.currentTarget.value) });
  note.value = st.noticeNotes[n.id] || '';
  const facts = [
    ...need.objections.map((a) => t('notices.next.objectedBy', { party: a.party, reason: a.reason || '—' })),
    need.overdue ? (need.missing.length ? t('notices.next.noAnswer', { parties: need.missing.join(', ') }) : t('notices.next.lateWindow')) : null,
  ].filter(Boolean);
  const act = (action, fn, ask) => h('button', { type: 'button', dataset: { action, key: `${n.id}:${action}` }, onclick: async () => {
    try {
      if (ask && !(await confirmAct(ask()))) return;
      await fn();
      delete st.noticeNotes[n.id];
      await Promise.all([loadNotices(), loadIncidents()]);
      renderNotices();
    } catch (e) {
      showError(e);
    }
  } }, t(`notices.next.${action}`));
  const about = need.missing[0] || (need.objections.length ? n.party : null);
  const description = () => [`${n.id}: ${t('notices.next.escalationText', { id: n.id, party: n.party, kind: word('noticeKind', (n.draft || n).kind) })}`, ...facts, note.value.trim()].filter(Boolean).join('\n');
  const actions = [];
  if (!esc) {
    actions.push(act('escalate', () => session.post('/v1/incidents', { category: 'other', occurred_at: new Date(serverNow()).toISOString(), description: description(), ...(about ? { alleged_party: about } : {}) }), () => ({
      title: t('notices.next.escalateTitle', { id: n.id }),
      text: t('notices.next.escalateConfirmText', { about: about || '—' }),
      detail: description(),
      confirm: t('notices.next.escalate'),
    })));
  } else if (esc.status === 'alleged') {
    actions.push(act('note', async () => {
      if (!note.value.trim()) {
        note.focus();
        throw new Error(t('notices.next.noteNeeded'));
      }
      return session.post(`/v1/incidents/${esc.id}/investigate`, { note: note.value.trim() });
    }));
  }
  return h('section.next-steps', { dataset: { notice: n.id, escalation: esc?.id || '' }, 'aria-label': t('notices.next.title', { id: n.id }) },
    h('h3', t('notices.next.title', { id: n.id })),
    h('ul', facts.map((f) => h('li', { dir: 'auto' }, f))),
    esc ? h('p', t('notices.next.escalated', { id: esc.id, status: word('status', esc.status) }), ' ',
      h('button.link', { type: 'button', dataset: { key: `${n.id}:open-escalation` }, onclick: () => { st.selectedIncident = esc.id; setTab('incidents'); } }, t('notices.next.open'))) : null,
    !esc || esc.status === 'alleged' ? [h('label', { for: `next-note-${n.id}` }, t(esc ? 'notices.next.noteLabel' : 'notices.next.noteWithEscalation')), note] : null,
    h('div.actions', actions),
    h('p.muted', t('notices.next.noRelayAgain')));
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
    mediatorNext(n),
    h('div.actions', h('button.link', { type: 'button', dataset: { key: `${n.id}:show` }, onclick: () => showNotice(n) }, t('notices.showOnMap')), (n.ledger || []).length ? recordButton({ label: n.id, indices: n.ledger }, n.id) : null, noticeActions(n)),
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
