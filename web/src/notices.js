import { h, clear, time, toInputUtc, fromInputUtc, INPUT_UTC_PATTERN, km, utcInText } from './util.js';
import { confirmAct } from './confirm.js';
import { session, NOTICE_KINDS, st, el, showError, serverNow } from './state.js';
import { ringOf, bboxOf } from './geo.js';

// ---------------------------------------------------------------- notices

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
  if (c) c.textContent = `${pts.length} point${pts.length === 1 ? '' : 's'}`;
}

/** Relayed, its answer window past, but not yet flagged by the server (which then makes it
 * `overdue`): shown as overdue already. */
function pastDue(n) {
  return n.status === 'relayed' && n.relay && Date.parse(n.relay.deadline) < serverNow();
}

function noticeActions(n) {
  const out = [];
  const act = (label, fn, cls = '', ask = null) => h(`button${cls}`, { type: 'button', dataset: { action: label.toLowerCase(), key: `${n.id}:${label}` }, onclick: async () => {
    try {
      if (ask && !(await confirmAct(ask))) return;
      await fn();
      await loadNotices();
      renderNotices();
    } catch (e) {
      showError(e);
    }
  } }, label);
  if (session.role === 'mediator' && n.status === 'submitted') out.push(act('Relay', () => session.post(`/v1/notices/${n.id}/relay`, {})));
  const relayedToMe = n.relay?.to?.includes(session.id);
  if (relayedToMe && ['relayed', 'overdue'].includes(n.status) && !(n.answers || []).some((a) => a.party === session.id)) {
    out.push(act('Acknowledge', () => session.post(`/v1/notices/${n.id}/answer`, { answer: 'acknowledge' })));
    const reason = h('input.reason', { type: 'text', maxlength: 4000, placeholder: 'reason for an objection', 'aria-label': `Reason to object to ${n.id}` });
    out.push(reason);
    out.push(act('Object', async () => {
      if (!reason.value.trim()) {
        reason.focus();
        throw new Error('An objection gives its reason: type it next to the Object button.');
      }
      return session.post(`/v1/notices/${n.id}/answer`, { answer: 'object', reason: reason.value });
    }));
  }
  if (n.party === session.id && n.status !== 'withdrawn') {
    out.push(act('Withdraw', () => session.post(`/v1/notices/${n.id}/withdraw`, {}), '.secondary', {
      title: `Withdraw notice ${n.id}?`,
      text: `The mediator${n.relay ? ` and ${n.relay.to.join(', ')}` : ''} will see it withdrawn. A withdrawal cannot be undone: to carry out this activity later, give a new notice.`,
      confirm: 'Withdraw notice',
    }));
  }
  return out;
}

function renderNotice(n) {
  const d = n.draft || n;
  return h(`li.notice.s-${n.status}`, { dataset: { id: n.id, party: n.party, status: n.status } },
    h('div.row', h('strong', n.id), ' ', h(`span.badge${n.status === 'overdue' || pastDue(n) ? '.bad' : ''}`, pastDue(n) ? 'overdue' : n.status), h('span.muted', ` ${n.party} · ${d.kind}`)),
    h('div', 'Window ', time(d.from, false), ' – ', time(d.until, false)),
    d.description ? h('p.description', d.description) : null,
    n.relay ? h('div', 'Answer due ', time(n.relay.deadline), ` (to ${n.relay.to.join(', ')})`) : n.party === session.id ? h('div.muted', 'Waiting for the mediator to relay it.') : null,
    n.escalated_at ? h('div.bad', 'Escalated to the mediator ', time(n.escalated_at)) : null,
    d.forces ? h('div.muted', d.forces.map((f) => `${f.count ?? '?'} ${f.category}`).join(', ')) : null,
    (n.answers || []).length ? h('div', n.answers.map((a) => h('div', `${a.party}: ${a.answer}${a.reason ? ` (${a.reason})` : ''}${a.late ? ' (late)' : ''} `, time(a.at)))) : null,
    n.check && !n.check.ok ? h('div.bad', 'Check: ', [!n.check.lead_time_met ? 'lead time not met' : null, ...n.check.rule_conflicts.map((c) => `${c.rule}: ${c.detail}`), ...n.check.overlaps.map((o) => `overlaps ${o.notice}`)].filter(Boolean).join('; ')) : null,
    h('div.actions', h('button.link', { type: 'button', onclick: () => showNotice(n) }, 'Show on map'), noticeActions(n)),
  );
}

function showNotice(n) {
  st.selectedNotice = n.id;
  refreshNoticesLayer();
  const g = placeGeometry((n.draft || n).place);
  if (g && st.map) st.map.fitBounds(bboxOf({ features: [{ geometry: g }] }), { padding: 80, maxZoom: 11 });
}

export function renderNotices() {
  // The form is made once and kept, so that live updates never lose what is being typed.
  if (session.role === 'party' && !el.noticeForm) el.noticeForm = noticeForm();
  el.noticeForm?.refreshDefaults();
  clear(
    el.panelBody,
    el.noticeForm,
    h('h2', 'Notices'),
    st.notices.length ? h('ul.notices#notices', st.notices.map(renderNotice)) : h('p.empty#notices-empty', session.role === 'monitor' || session.role === 'observer' ? 'Notices are shared between the parties and the mediator only.' : 'No notices yet.'),
  );
}

function noticeForm() {
  const policy = st.agreement?.notices || {};
  const lead = (k) => policy.lead_time_by_kind?.[k] ?? policy.lead_time_min ?? 60;
  const kind = h('select#notice-kind', NOTICE_KINDS.map((k) => h('option', { value: k }, k)));
  const timeField = (id) => h(`input#${id}.utc-input`, { type: 'text', inputmode: 'numeric', pattern: INPUT_UTC_PATTERN, placeholder: 'YYYY-MM-DD HH:MM', required: true, autocomplete: 'off', 'aria-describedby': 'notice-time-help', oninput: () => (edited = true) });
  const from = timeField('notice-from');
  const until = timeField('notice-until');
  const leadNote = h('span.muted#lead-note');
  // The window's defaults: from the lead time (and half an hour) after now, on the next
  // five minutes, for four hours; computed afresh whenever the form is shown, the kind
  // changes or a notice was given, until the person types a time of their own.
  let edited = false;
  const refreshDefaults = () => {
    leadNote.textContent = `lead time ${lead(kind.value)} min`;
    if (edited) return;
    const start = Math.ceil((serverNow() + (lead(kind.value) + 30) * 60_000) / 300_000) * 300_000;
    from.value = toInputUtc(start);
    until.value = toInputUtc(start + 4 * 3600_000);
  };
  kind.addEventListener('change', refreshDefaults);
  const category = h('select#notice-category', st.meta.categories.map((c) => h('option', { value: c.id }, c.name)));
  const count = h('input#notice-count', { type: 'number', min: 1, value: 10, required: true, 'aria-label': 'Number of forces' });
  const width = h('input#notice-width', { type: 'number', min: 0.1, step: 0.1, value: 2 });
  const desc = h('textarea#notice-description', { rows: 2, maxlength: 4000 });
  const coords = h('textarea#notice-coords', { rows: 3, placeholder: 'lon, lat per line (or draw on the map)', 'aria-describedby': 'draw-count' });
  coords.addEventListener('change', () => {
    st.draft.points = coords.value.split('\n').map((l) => l.split(',').map(Number)).filter((p) => p.length === 2 && p.every(Number.isFinite));
    st.draft.mode ||= 'area';
    refreshDraft();
  });
  const shape = h('select#notice-shape', h('option', { value: 'area' }, 'area'), h('option', { value: 'route' }, 'route'));
  const result = h('div#notice-result', { role: 'status', 'aria-live': 'polite' });
  const draw = h('button#draw', { type: 'button', 'aria-pressed': String(!!st.draft.mode), onclick: () => {
    st.draft.mode = st.draft.mode ? null : shape.value;
    draw.setAttribute('aria-pressed', String(!!st.draft.mode));
    draw.textContent = st.draft.mode ? 'Stop drawing' : 'Draw on map';
    if (st.map) st.map.getCanvas().style.cursor = st.draft.mode ? 'crosshair' : '';
  } }, st.draft.mode ? 'Stop drawing' : 'Draw on map');
  const draftBody = () => {
    const pts = st.draft.points;
    const place = shape.value === 'area' ? { area: { ring: ringOf(pts) } } : { route: { line: pts, width_km: Number(width.value) } };
    return { kind: kind.value, place, from: fromInputUtc(from.value), until: fromInputUtc(until.value), forces: [{ category: category.value, count: Number(count.value) }], description: desc.value };
  };
  /** What is wrong with the window as typed, or null. */
  const windowProblem = () => {
    const [f, u] = [fromInputUtc(from.value), fromInputUtc(until.value)];
    if (!f) return [from, 'Write From as YYYY-MM-DD HH:MM, in UTC.'];
    if (!u) return [until, 'Write Until as YYYY-MM-DD HH:MM, in UTC.'];
    if (u <= f) return [until, 'Until must come after From.'];
    return null;
  };
  const showCheck = (c, head) => clear(result, h(c.ok ? 'p.ok' : 'p.bad', head, c.ok ? 'no conflicts' : 'problems found'),
    h('ul', h('li', `lead time: ${c.lead_time_given_min} of ${c.lead_time_required_min} min ${c.lead_time_met ? '(met)' : '(NOT met)'}`),
      c.rule_conflicts.map((x) => h('li.bad', `${x.rule} (${x.kind}): ${utcInText(x.detail)}`)),
      c.overlaps.map((o) => h('li.bad', `overlaps notice ${o.notice} of ${o.party} (${o.status}), ${km(o.distance_km)}`))));
  const checked = async (fn) => {
    const bad = windowProblem();
    if (bad) {
      clear(result, h('p.bad', bad[1]));
      bad[0].focus();
      return;
    }
    await fn();
  };
  const form = h('form.notice-form#notice-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      if (st.draft.points.length < (shape.value === 'area' ? 3 : 2)) {
        clear(result, h('p.bad', shape.value === 'area' ? 'Draw an area of at least 3 points (click the map after "Draw on map", or type lon, lat lines).' : 'Draw a route of at least 2 points.'));
        return;
      }
      await checked(async () => {
        try {
          const n = await session.post('/v1/notices', draftBody());
          showCheck(n.check, `Submitted ${n.id}: `);
          result.dataset.submitted = n.id;
          // Ready for the next notice: no points, no description, a fresh window.
          st.draft = { mode: null, points: [] };
          draw.setAttribute('aria-pressed', 'false');
          draw.textContent = 'Draw on map';
          desc.value = '';
          edited = false;
          refreshDraft();
          await loadNotices();
          renderNotices();
        } catch (err) {
          clear(result, h('p.bad', `Not submitted: ${err.message}`));
        }
      });
    },
  },
  h('h2', 'Give notice'),
  h('div.grid',
    h('label', { for: 'notice-kind' }, 'Kind'), h('span', kind, ' ', leadNote),
    h('label', { for: 'notice-from' }, 'From (UTC)'), from,
    h('label', { for: 'notice-until' }, 'Until (UTC)'), until,
    h('span'), h('span.muted#notice-time-help', 'UTC, 24-hour: YYYY-MM-DD HH:MM'),
    h('label', { for: 'notice-category' }, 'Forces'), h('span', count, ' ', category),
    h('label', { for: 'notice-shape' }, 'Place'), h('span', shape, ' ', draw, ' ', h('span.muted#draw-count', `${st.draft.points.length} points`)),
    h('label', { for: 'notice-width' }, 'Route width km'), width,
    h('label', { for: 'notice-coords' }, 'Points'), coords,
    h('label', { for: 'notice-description' }, 'Description'), desc),
  h('div.actions',
    h('button', { type: 'button', onclick: () => checked(async () => { try { showCheck(await session.post('/v1/notices/check', draftBody()), 'Check: '); } catch (err) { clear(result, h('p.bad', err.message)); } }) }, 'Check'),
    h('button#notice-submit', { type: 'submit' }, 'Submit notice'),
    h('button.secondary', { type: 'button', onclick: () => { st.draft.points = []; refreshDraft(); } }, 'Clear points')),
  result);
  form.refreshDefaults = refreshDefaults;
  refreshDefaults();
  setTimeout(refreshDraft);
  return form;
}
