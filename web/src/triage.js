// Triage of the incident list: filters (status, rule, party, category, free text), an order,
// and for those who may take an incident into investigation (the mediator, the monitors)
// a selection of alleged incidents taken up at once, each by its own request (the API has
// one act per incident), with one confirmation and one note for all.

import { h, num } from './util.js';
import { session, st, word, showError } from './state.js';
import { t } from './i18n.js';
import { confirmAct } from './confirm.js';

st.triage = { status: '', rule: '', party: '', category: '', q: '', sort: 'opened' };
st.triageSelected = new Set();

/** Signed out: the next principal starts with no filter and nothing selected. */
export function resetTriage() {
  st.triage = { status: '', rule: '', party: '', category: '', q: '', sort: 'opened' };
  st.triageSelected.clear();
  st.bulkNote = '';
  st.bulkStatus = '';
}

/** The words an incident is found by in the search box. */
function haystack(i) {
  const d = i.draft || i;
  const e = i.engine || {};
  return [i.id, i.status, d.category, i.reporter, ...(i.about || []), d.description, e.rule, e.unit, e.other, e.other_label].filter(Boolean).join(' ').toLowerCase();
}

/** The incidents the filters let through, in the chosen order (newest first). */
export function filterIncidents(list, f = st.triage) {
  const q = f.q.trim().toLowerCase();
  const out = list.filter((i) => {
    const d = i.draft || i;
    if (f.status && i.status !== f.status) return false;
    if (f.rule && i.engine?.rule !== f.rule) return false;
    if (f.party && !(i.about || []).includes(f.party)) return false;
    if (f.category && d.category !== f.category) return false;
    return !q || haystack(i).includes(q);
  });
  const key = f.sort === 'occurred' ? (i) => (i.draft || i).occurred_at : (i) => i.opened_at;
  return out.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : a.id < b.id ? 1 : -1));
}

export function canInvestigate() {
  return session.role === 'mediator' || session.role === 'monitor';
}

/** The filters' row; `redraw` draws the list again when one changes. */
export function triageFilters(redraw) {
  const f = st.triage;
  const values = (fn) => [...new Set(st.incidents.map(fn).flat().filter(Boolean))].sort();
  const select = (name, label, options, show = (v) => v) => h('label', label, ' ',
    h(`select#triage-${name}`, { onchange: (e) => { f[name] = e.currentTarget.value; redraw(); } },
      name === 'sort' ? null : h('option', { value: '' }, t('feed.all')),
      options.map((v) => h('option', { value: v, selected: f[name] === v }, show(v)))));
  const search = h('input#triage-q', { type: 'search', value: f.q, placeholder: t('triage.searchPlaceholder'), 'aria-label': t('triage.search'), autocomplete: 'off' });
  search.addEventListener('input', () => {
    f.q = search.value;
    redraw();
  });
  return h('div.filters.triage#triage',
    select('status', t('triage.status'), values((i) => i.status), (v) => word('status', v)),
    select('rule', t('triage.rule'), values((i) => i.engine?.rule)),
    select('party', t('triage.party'), st.meta.parties.filter((p) => p.role === 'party').map((p) => p.id)),
    select('category', t('triage.category'), values((i) => (i.draft || i).category), (v) => word('category', v)),
    select('sort', t('triage.sort'), ['opened', 'occurred'], (v) => t(`triage.sort_${v}`)),
    search);
}

/** The checkbox that selects an alleged incident for investigation, or nothing. */
export function selectBox(i, onChange) {
  if (!canInvestigate() || i.status !== 'alleged') return null;
  return h('input.triage-pick', { type: 'checkbox', checked: st.triageSelected.has(i.id), dataset: { key: `pick:${i.id}`, id: i.id }, 'aria-label': t('triage.pick', { id: i.id }), onchange: (e) => {
    if (e.currentTarget.checked) st.triageSelected.add(i.id);
    else st.triageSelected.delete(i.id);
    onChange();
  } });
}

/** The bulk bar: select all shown alleged incidents, a note, and "Investigate selected". */
export function bulkBar(shown, done) {
  if (!canInvestigate()) return null;
  const alleged = shown.filter((i) => i.status === 'alleged').map((i) => i.id);
  // A selection holds only incidents still shown and still alleged.
  for (const id of [...st.triageSelected]) if (!alleged.includes(id)) st.triageSelected.delete(id);
  if (!alleged.length) return null;
  const n = st.triageSelected.size;
  const status = h('span.muted#bulk-status', { role: 'status' }, st.bulkStatus || '');
  const note = h('input#bulk-note', { type: 'text', maxlength: 4000, dir: 'auto', placeholder: t('triage.notePlaceholder'), 'aria-label': t('triage.note'), value: st.bulkNote || '', oninput: (e) => (st.bulkNote = e.currentTarget.value) });
  const all = h('input#bulk-all', { type: 'checkbox', checked: n > 0 && n === alleged.length, onchange: (e) => {
    if (e.currentTarget.checked) alleged.forEach((id) => st.triageSelected.add(id));
    else st.triageSelected.clear();
    done(false);
  } });
  all.indeterminate = n > 0 && n < alleged.length;
  const go = h('button#bulk-investigate', { type: 'button', disabled: !n, onclick: async () => {
    const ids = [...st.triageSelected];
    const ok = await confirmAct({
      title: t('triage.confirmTitle', { count: ids.length, n: num(ids.length) }),
      text: t('triage.confirmText'),
      detail: ids.join(', '),
      confirm: t('triage.confirm', { count: ids.length, n: num(ids.length) }),
    });
    if (!ok) return;
    let taken = 0;
    const failed = [];
    for (const id of ids) {
      try {
        await session.post(`/v1/incidents/${id}/investigate`, { note: st.bulkNote || '' });
        taken++;
        st.triageSelected.delete(id);
      } catch (e) {
        failed.push(`${id}: ${e.message}`);
      }
    }
    st.bulkStatus = t('triage.taken', { count: taken, n: num(taken) });
    if (failed.length) showError(new Error(failed.join('; ')));
    st.bulkNote = '';
    done(true);
  } }, t('triage.investigate', { count: n, n: num(n) }));
  return h('div.bulk#bulk', h('label', all, ' ', t('triage.selectAll', { count: alleged.length, n: num(alleged.length) })), note, go, status);
}

/** "12 of 40 incidents shown." */
export function shownCount(shown, all) {
  return h('p.muted#triage-count', { 'aria-live': 'polite' }, t('triage.shown', { shown: num(shown), n: num(all) }));
}

