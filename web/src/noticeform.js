// Giving notice: kind, window (UTC), forces, place (drawn on the map or typed), description;
// checked against the rules before it is sent, and signed with the party's own key.

import { h, clear, toInputUtc, fromInputUtc, INPUT_UTC_PATTERN, km, num, utcInText } from './util.js';
import { session, st, serverNow, word, NOTICE_KINDS } from './state.js';
import { t } from './i18n.js';
import { ringOf } from './geo.js';
import { refreshDraft } from './notices.js';

export function noticeForm({ onGiven }) {
  const policy = st.agreement?.notices || {};
  const lead = (k) => policy.lead_time_by_kind?.[k] ?? policy.lead_time_min ?? 60;
  const kind = h('select#notice-kind', NOTICE_KINDS.map((k) => h('option', { value: k }, word('noticeKind', k))));
  const timeField = (id) => h(`input#${id}.utc-input`, { type: 'text', inputmode: 'numeric', pattern: INPUT_UTC_PATTERN, placeholder: 'YYYY-MM-DD HH:MM', required: true, autocomplete: 'off', dir: 'ltr', 'aria-describedby': 'notice-time-help', oninput: () => (edited = true) });
  const from = timeField('notice-from');
  const until = timeField('notice-until');
  const leadNote = h('span.muted#lead-note');
  // The window's defaults: from the lead time (and half an hour) after now, on the next
  // five minutes, for four hours; computed afresh whenever the form is shown, the kind
  // changes or a notice was given, until the person types a time of their own.
  let edited = false;
  const refreshDefaults = () => {
    leadNote.textContent = t('noticeForm.leadTime', { n: num(lead(kind.value)) });
    if (edited) return;
    const start = Math.ceil((serverNow() + (lead(kind.value) + 30) * 60_000) / 300_000) * 300_000;
    from.value = toInputUtc(start);
    until.value = toInputUtc(start + 4 * 3600_000);
  };
  kind.addEventListener('change', refreshDefaults);
  const category = h('select#notice-category', st.meta.categories.map((c) => h('option', { value: c.id }, c.name)));
  const count = h('input#notice-count', { type: 'number', min: 1, value: 10, required: true, 'aria-label': t('noticeForm.count') });
  const width = h('input#notice-width', { type: 'number', min: 0.1, step: 0.1, value: 2 });
  const desc = h('textarea#notice-description', { rows: 2, maxlength: 4000, dir: 'auto' });
  const coords = h('textarea#notice-coords', { rows: 3, placeholder: t('noticeForm.coordsPlaceholder'), 'aria-describedby': 'draw-count', dir: 'ltr' });
  coords.addEventListener('change', () => {
    st.draft.points = coords.value.split('\n').map((l) => l.split(',').map(Number)).filter((p) => p.length === 2 && p.every(Number.isFinite));
    st.draft.mode ||= 'area';
    refreshDraft();
  });
  const shape = h('select#notice-shape', h('option', { value: 'area' }, t('noticeForm.area')), h('option', { value: 'route' }, t('noticeForm.route')));
  const result = h('div#notice-result', { role: 'status', 'aria-live': 'polite' });
  const draw = h('button#draw', { type: 'button', 'aria-pressed': String(!!st.draft.mode), onclick: () => {
    st.draft.mode = st.draft.mode ? null : shape.value;
    draw.setAttribute('aria-pressed', String(!!st.draft.mode));
    draw.textContent = t(st.draft.mode ? 'noticeForm.stopDrawing' : 'noticeForm.draw');
    if (st.map) st.map.getCanvas().style.cursor = st.draft.mode ? 'crosshair' : '';
  } }, t(st.draft.mode ? 'noticeForm.stopDrawing' : 'noticeForm.draw'));
  const draftBody = () => {
    const pts = st.draft.points;
    const place = shape.value === 'area' ? { area: { ring: ringOf(pts) } } : { route: { line: pts, width_km: Number(width.value) } };
    return { kind: kind.value, place, from: fromInputUtc(from.value), until: fromInputUtc(until.value), forces: [{ category: category.value, count: Number(count.value) }], description: desc.value };
  };
  /** What is wrong with the window as typed, or null. */
  const windowProblem = () => {
    const [f, u] = [fromInputUtc(from.value), fromInputUtc(until.value)];
    if (!f) return [from, t('noticeForm.badFrom')];
    if (!u) return [until, t('noticeForm.badUntil')];
    if (u <= f) return [until, t('noticeForm.untilAfterFrom')];
    return null;
  };
  const showCheck = (c, head) => clear(result, h(c.ok ? 'p.ok' : 'p.bad', head, ' ', t(c.ok ? 'noticeForm.noConflicts' : 'noticeForm.problems')),
    h('ul', h('li', t(c.lead_time_met ? 'noticeForm.leadMet' : 'noticeForm.leadNotMet', { given: num(c.lead_time_given_min), required: num(c.lead_time_required_min) })),
      c.rule_conflicts.map((x) => h('li.bad', `${x.rule} (${word('rule', x.kind)}): ${utcInText(x.detail)}`)),
      c.overlaps.map((o) => h('li.bad', t('noticeForm.overlaps', { id: o.notice, party: o.party, status: word('status', o.status), km: km(o.distance_km) })))));
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
        clear(result, h('p.bad', t(shape.value === 'area' ? 'noticeForm.needArea' : 'noticeForm.needRoute')));
        return;
      }
      await checked(async () => {
        try {
          const n = await session.post('/v1/notices', draftBody());
          showCheck(n.check, t('noticeForm.submitted', { id: n.id }));
          result.dataset.submitted = n.id;
          // Ready for the next notice: no points, no description, a fresh window.
          st.draft = { mode: null, points: [] };
          draw.setAttribute('aria-pressed', 'false');
          draw.textContent = t('noticeForm.draw');
          desc.value = '';
          edited = false;
          refreshDraft();
          await onGiven();
        } catch (err) {
          clear(result, h('p.bad', t('noticeForm.notSubmitted', { why: err.message })));
        }
      });
    },
  },
  h('h2', t('noticeForm.title')),
  h('div.grid',
    h('label', { for: 'notice-kind' }, t('noticeForm.kind')), h('span', kind, ' ', leadNote),
    h('label', { for: 'notice-from' }, t('noticeForm.from')), from,
    h('label', { for: 'notice-until' }, t('noticeForm.until')), until,
    h('span'), h('span.muted#notice-time-help', t('common.utcHelp')),
    h('label', { for: 'notice-category' }, t('noticeForm.forces')), h('span', count, ' ', category),
    h('label', { for: 'notice-shape' }, t('noticeForm.place')), h('span', shape, ' ', draw, ' ', h('span.muted#draw-count', t('notices.points', { count: st.draft.points.length, n: num(st.draft.points.length) }))),
    h('label', { for: 'notice-width' }, t('noticeForm.width')), width,
    h('label', { for: 'notice-coords' }, t('noticeForm.coords')), coords,
    h('label', { for: 'notice-description' }, t('noticeForm.description')), desc),
  h('div.actions',
    h('button', { type: 'button', onclick: () => checked(async () => { try { showCheck(await session.post('/v1/notices/check', draftBody()), t('noticeForm.checkHead')); } catch (err) { clear(result, h('p.bad', err.message)); } }) }, t('noticeForm.check')),
    h('button#notice-submit', { type: 'submit' }, t('noticeForm.submit')),
    h('button.secondary', { type: 'button', onclick: () => { st.draft.points = []; refreshDraft(); } }, t('noticeForm.clearPoints'))),
  result);
  form.refreshDefaults = refreshDefaults;
  refreshDefaults();
  setTimeout(refreshDraft);
  return form;
}
