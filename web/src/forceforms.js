// The Force tab's forms, each behind a confirmation dialog and shown only to whoever may
// use it: task a patrol (the mediator, or the force's commander by its own signed act),
// file a patrol's report (the force), declare holdings and request an inspection (a
// party), record a denial of access (the force). A party's or the force's act comes back
// 428 and is signed here with its own key (api.js). The forms are made once and kept, so
// that live updates never lose what is typed; `update()` refreshes their choices.

import { h, clear, utc, toInputUtc, fromInputUtc, INPUT_UTC_PATTERN, num } from './util.js';
import { session, st, serverNow, word } from './state.js';
import { t, localName, categoryName } from './i18n.js';
import { confirmAct } from './confirm.js';
import { round6 } from './geo.js';
import { isPlace } from './places.js';

const utcInput = (id, help) => h(`input#${id}.utc-input`, { type: 'text', inputmode: 'numeric', pattern: INPUT_UTC_PATTERN, placeholder: 'YYYY-MM-DD HH:MM', autocomplete: 'off', dir: 'ltr', 'aria-describedby': help });
const features = (shape) => (st.meta.geojson.features || []).filter((f) => !isPlace(f) && f.properties.shape === shape);
const featureOption = (f) => h('option', { value: f.properties.id }, `${f.properties.id}${localName(f.properties, f.properties.id) !== f.properties.id ? ` · ${localName(f.properties, f.properties.id)}` : ''}`);
const parties = () => st.meta.parties.filter((p) => p.role === 'party');

/** A form in a <details> with a status line; `submit` returns the confirmation (or null
 * to stop, having said why) and `act` the act itself. */
function actForm(id, title, fields, { ask, act, done }) {
  const result = h(`div#${id}-result`, { role: 'status', 'aria-live': 'polite' });
  const form = h('form', { onsubmit: async (e) => {
    e.preventDefault();
    delete result.dataset.done;
    delete result.dataset.refused;
    let q;
    try {
      q = ask();
    } catch (err) {
      clear(result, h('p.bad', err.message));
      result.dataset.refused = 'invalid';
      return;
    }
    if (!q) return;
    if (!(await confirmAct(q))) return;
    try {
      const r = await act();
      const what = done(r);
      clear(result, h('p.ok', what));
      result.dataset.done = r?.id || 'ok';
    } catch (err) {
      clear(result, h('p.bad', t('force.forms.refused', { why: err.message })));
      result.dataset.refused = String(err.status || 'error');
    }
  } }, h('div.grid', fields), h('div.actions', h(`button#${id}-submit`, { type: 'submit' }, title)), result);
  return h(`details.notice-form#${id}`, h('summary', title), form);
}

class Invalid extends Error {}
const invalid = (msg, focus) => {
  focus?.focus();
  return new Invalid(msg);
};

// ---------------------------------------------------------------- task a patrol

function taskForm(onDone) {
  const monitor = st.meta.parties.find((p) => p.role === 'monitor')?.id || 'MON';
  const unit = h('input#patrol-unit', { type: 'text', required: true, autocomplete: 'off', dir: 'ltr', value: `${monitor}-P1` });
  const target = h('select#patrol-target', { onchange: () => fillFeatures() },
    h('option', { value: 'line' }, t('force.task.alongLine')), h('option', { value: 'area' }, t('force.task.aroundZone')));
  const feature = h('select#patrol-feature');
  const fillFeatures = () => clear(feature, features(target.value === 'line' ? 'line' : 'zone').map(featureOption));
  fillFeatures();
  const start = Math.ceil((serverNow() + 65 * 60_000) / 300_000) * 300_000;
  const from = utcInput('patrol-from', 'patrol-time-help');
  from.value = toInputUtc(start);
  const until = utcInput('patrol-until', 'patrol-time-help');
  until.value = toInputUtc(start + 2 * 3_600_000);
  const corridor = h('input#patrol-corridor', { type: 'number', min: 1, step: 1, value: 500 });
  const observers = h('input#patrol-observers', { type: 'text', autocomplete: 'off', dir: 'ltr', 'aria-describedby': 'patrol-observers-help' });
  const announce = parties().map((p) => h('input', { type: 'checkbox', id: `patrol-announce-${p.id}`, checked: true, dataset: { party: p.id } }));
  const purpose = h('textarea#patrol-purpose', { rows: 2, maxlength: 4000, dir: 'auto' });
  const body = () => {
    const f = fromInputUtc(from.value);
    const u = fromInputUtc(until.value);
    if (!unit.value.trim()) throw invalid(t('force.task.noUnit'), unit);
    if (!feature.value) throw invalid(t('force.task.noFeature'), feature);
    if (!f) throw invalid(t('force.badTime'), from);
    if (!u) throw invalid(t('force.badTime'), until);
    if (Date.parse(u) <= Date.parse(f)) throw invalid(t('force.task.untilAfterFrom'), until);
    const b = { unit: unit.value.trim(), [target.value]: feature.value, from: f, until: u, corridor_m: Number(corridor.value) || 500 };
    const obs = observers.value.split(/[,\s]+/).map((x) => x.trim()).filter(Boolean);
    if (obs.length) b.observers = obs;
    const told = announce.filter((x) => x.checked).map((x) => x.dataset.party);
    if (!told.length) throw invalid(t('force.task.nobodyTold'), announce[0]);
    if (told.length < announce.length) b.announce_to = told;
    if (purpose.value.trim()) b.purpose = purpose.value.trim();
    return b;
  };
  let sent = null;
  return actForm('patrol-form', t('force.task.title'), [
    h('label', { for: 'patrol-unit' }, t('force.task.unit')), unit,
    h('label', { for: 'patrol-target' }, t('force.task.target')), target,
    h('label', { for: 'patrol-feature' }, t('force.task.feature')), feature,
    h('label', { for: 'patrol-from' }, t('force.task.from')), from,
    h('label', { for: 'patrol-until' }, t('force.task.until')), h('span', until, ' ', h('span.muted#patrol-time-help', t('force.timeHelp'))),
    h('label', { for: 'patrol-corridor' }, t('force.task.corridor')), corridor,
    h('label', { for: 'patrol-observers' }, t('force.task.observers')), h('span', observers, ' ', h('span.muted#patrol-observers-help', t('force.task.observersHelp'))),
    h('span', t('force.task.announce')), h('fieldset.announce', h('legend.sr-only', t('force.task.announce')), announce.map((box) => h('label.share-check', { for: box.id }, box, ' ', box.dataset.party))),
    h('label', { for: 'patrol-purpose' }, t('force.task.purpose')), purpose,
  ], {
    ask: () => {
      sent = body();
      return {
        title: t('force.task.confirmTitle', { unit: sent.unit }),
        text: t('force.task.confirmText', { parties: (sent.announce_to || parties().map((p) => p.id)).join(', ') }),
        detail: `${sent.line ? t('force.task.alongLine') : t('force.task.aroundZone')} ${sent.line || sent.area}\n${utc(sent.from, false)} – ${utc(sent.until, false)}\n${t('force.patrol.corridor')}: ${t('force.metres', { n: num(sent.corridor_m) })}`,
        confirm: t('force.task.submit'),
      };
    },
    act: () => session.post('/v1/patrols', sent),
    done: (p) => {
      onDone(p);
      return t('force.task.done', { id: p.id });
    },
  });
}

// ---------------------------------------------------------------- a patrol's report

function reportForm(onDone) {
  const patrol = h('select#report-patrol');
  const observed = h('textarea#report-observed', { rows: 3, maxlength: 16000, dir: 'auto' });
  const form = actForm('report-form', t('force.report.title'), [
    h('label', { for: 'report-patrol' }, t('force.report.patrol')), patrol,
    h('label', { for: 'report-observed' }, t('force.report.observed')), observed,
  ], {
    ask: () => {
      if (!patrol.value) throw invalid(t('force.report.none'), patrol);
      return { title: t('force.report.confirmTitle', { id: patrol.value }), text: t('force.report.confirmText'), detail: observed.value || '—', confirm: t('force.report.submit') };
    },
    act: () => session.post(`/v1/patrols/${encodeURIComponent(patrol.value)}/report`, { observed: observed.value }),
    done: (p) => {
      observed.value = '';
      onDone(p);
      return t('force.report.done', { id: p.id });
    },
  });
  form.update = () => {
    const now = serverNow();
    const due = (st.force?.patrols || []).filter((p) => (p.status === 'tasked' || p.status === 'overdue') && Date.parse(p.until) <= now);
    const keep = patrol.value || st.force?.selected;
    if (due.map((p) => p.id).join() === [...patrol.options].map((o) => o.value).join()) return;
    clear(patrol, due.map((p) => h('option', { value: p.id, selected: p.id === keep }, `${p.id} · ${p.unit}${p.status === 'overdue' ? ` (${word('patrolStatus', 'overdue')})` : ''}`)));
    if (!due.length) patrol.append(h('option', { value: '' }, t('force.report.none')));
  };
  return form;
}

// ---------------------------------------------------------------- a party's declaration

function declareForm(onDone) {
  const zone = h('select#declare-zone', features('zone').map(featureOption));
  const asOf = utcInput('declare-as-of', 'declare-time-help');
  asOf.value = toInputUtc(serverNow());
  const cats = (st.agreement?.categories || st.meta.categories || []).filter((c) => c.id !== 'patrol');
  const counts = cats.map((c) => h('input', { type: 'number', min: 0, step: 1, id: `declare-count-${c.id}`, dataset: { category: c.id } }));
  let sent = null;
  return actForm('declare-form', t('force.declare.title'), [
    h('label', { for: 'declare-zone' }, t('force.zone')), zone,
    h('label', { for: 'declare-as-of' }, t('force.declare.asOf')), h('span', asOf, ' ', h('span.muted#declare-time-help', t('force.timeHelp'))),
    cats.map((c, i) => [h('label', { for: counts[i].id }, categoryName(c, c.id)), counts[i]]),
  ], {
    ask: () => {
      const at = fromInputUtc(asOf.value);
      if (!at) throw invalid(t('force.badTime'), asOf);
      const holdings = counts.filter((x) => x.value !== '').map((x) => ({ category: x.dataset.category, count: Number(x.value) }));
      if (!holdings.length) throw invalid(t('force.declare.nothing'), counts[0]);
      if (holdings.some((x) => !Number.isInteger(x.count) || x.count < 0)) throw invalid(t('force.declare.badCount'), counts[0]);
      sent = { zone: zone.value, as_of: at, holdings };
      return {
        title: t('force.declare.confirmTitle', { zone: zone.value }),
        text: t('force.declare.confirmText'),
        detail: holdings.map((x) => `${x.category}: ${num(x.count)}`).join('\n'),
        confirm: t('force.declare.submit'),
      };
    },
    act: () => session.post('/v1/declarations', sent),
    done: (d) => {
      for (const x of counts) x.value = '';
      onDone(d);
      return t('force.declare.done', { id: d?.id || '', zone: sent.zone });
    },
  });
}

// ---------------------------------------------------------------- a party asks for an inspection

function inspectForm(onDone) {
  const zone = h('select#inspect-zone', features('zone').map(featureOption));
  const reason = h('textarea#inspect-reason', { rows: 2, maxlength: 4000, dir: 'auto' });
  return actForm('inspect-form', t('force.inspect.title'), [
    h('label', { for: 'inspect-zone' }, t('force.zone')), zone,
    h('label', { for: 'inspect-reason' }, t('force.inspect.reason')), reason,
  ], {
    ask: () => {
      if (!reason.value.trim()) throw invalid(t('force.inspect.noReason'), reason);
      return { title: t('force.inspect.confirmTitle', { zone: zone.value }), text: t('force.inspect.confirmText'), detail: reason.value, confirm: t('force.inspect.submit') };
    },
    act: () => session.post('/v1/inspections', { zone: zone.value, reason: reason.value.trim() }),
    done: (i) => {
      reason.value = '';
      onDone(i);
      return t('force.inspect.done', { id: i?.id || '' });
    },
  });
}

// ---------------------------------------------------------------- a denial of access

export const DENIAL_OUTCOMES = ['turned_back', 'delayed', 'allowed_with_conditions'];

function denialForm(onDone) {
  const at = utcInput('denial-at', 'denial-time-help');
  at.value = toInputUtc(serverNow());
  const lon = h('input#denial-lon', { type: 'number', step: 'any', placeholder: t('incidentForm.lon'), 'aria-label': t('incidentForm.lonLabel') });
  const lat = h('input#denial-lat', { type: 'number', step: 'any', placeholder: t('incidentForm.lat'), 'aria-label': t('incidentForm.latLabel') });
  const pick = h('button.secondary#denial-pick', { type: 'button', onclick: () => {
    st.pickPlace = (ll) => {
      lon.value = round6(ll.lng);
      lat.value = round6(ll.lat);
      st.pickPlace = null;
      pick.textContent = t('incidentForm.pick');
    };
    pick.textContent = t('incidentForm.picking');
  } }, t('incidentForm.pick'));
  const task = h('input#denial-task', { type: 'text', list: 'denial-task-list', autocomplete: 'off', dir: 'ltr' });
  const taskList = h('datalist#denial-task-list');
  const by = h('select#denial-by', parties().map((p) => h('option', { value: p.id }, p.id)));
  const reason = h('textarea#denial-reason', { rows: 2, maxlength: 4000, dir: 'auto' });
  const delay = h('input#denial-delay', { type: 'number', min: 0, step: 1, value: 0 });
  const outcome = h('select#denial-outcome', DENIAL_OUTCOMES.map((o) => h('option', { value: o }, word('denialOutcome', o))));
  let sent = null;
  const form = actForm('denial-form', t('force.denial.title'), [
    h('label', { for: 'denial-at' }, t('force.denial.at')), h('span', at, ' ', h('span.muted#denial-time-help', t('force.timeHelp'))),
    h('label', { for: 'denial-lon' }, t('force.denial.place')), h('span', lon, ' ', lat, ' ', pick),
    h('label', { for: 'denial-task' }, t('force.denial.task')), h('span', task, taskList),
    h('label', { for: 'denial-by' }, t('force.denial.stoppedBy')), by,
    h('label', { for: 'denial-reason' }, t('force.denial.reason')), reason,
    h('label', { for: 'denial-delay' }, t('force.denial.delay')), delay,
    h('label', { for: 'denial-outcome' }, t('force.denial.outcome')), outcome,
  ], {
    ask: () => {
      const when = fromInputUtc(at.value);
      if (!when) throw invalid(t('force.badTime'), at);
      if (lon.value === '' || lat.value === '') throw invalid(t('force.denial.noPlace'), lon);
      sent = { at: when, place: { lon: Number(lon.value), lat: Number(lat.value) }, task: task.value.trim(), stopped_by: by.value, reason_given: reason.value.trim(), delay_minutes: Number(delay.value) || 0, outcome: outcome.value };
      return { title: t('force.denial.confirmTitle', { by: sent.stopped_by }), text: t('force.denial.confirmText'), detail: `${utc(when, false)} · ${word('denialOutcome', sent.outcome)}\n${sent.reason_given || '—'}`, confirm: t('force.denial.submit') };
    },
    act: () => session.post('/v1/denials', sent),
    done: (d) => {
      reason.value = '';
      onDone(d);
      return t('force.denial.done', { id: d?.id || '' });
    },
  });
  form.update = () => {
    const ids = (st.force?.patrols || []).map((p) => p.id);
    if (ids.join() !== [...taskList.options].map((o) => o.value).join()) clear(taskList, ids.map((id) => h('option', { value: id })));
  };
  return form;
}

/** The forms this principal may use, made once per layout: { task, report, declare,
 * inspect, denial } (absent where the role may not). */
export function forceForms(onDone) {
  const role = session.role;
  const out = {};
  if (role === 'mediator' || role === 'monitor') out.task = taskForm(onDone);
  if (role === 'monitor') out.report = reportForm(onDone);
  if (role === 'party') out.declare = declareForm(onDone);
  if (role === 'party') out.inspect = inspectForm(onDone);
  if (role === 'monitor') out.denial = denialForm(onDone);
  return out;
}

