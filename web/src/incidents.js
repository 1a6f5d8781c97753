// Incidents: the list, and one incident's details with the acts its reader may take on it.

import { h, clear, time } from './util.js';
import { confirmAct } from './confirm.js';
import { session, st, el, showError, word, otherUnit } from './state.js';
import { t } from './i18n.js';
import { incidentForm } from './incidentform.js';
import { refreshIncidentsLayer, showPlace } from './overlays.js';
import { filterIncidents, triageFilters, selectBox, bulkBar, shownCount } from './triage.js';
import { exportButtons, exportIncidents } from './exportui.js';
import { render } from './layout.js';
import { recordButton } from './record.js';

/** The list drawn again, whoever was on a control there keeping the focus (and a search
 * box its caret at the end). */
function redrawKeepingFocus() {
  render();
  const a = document.activeElement;
  if (a?.id === 'triage-q') a.setSelectionRange(a.value.length, a.value.length);
}

export async function loadIncidents() {
  try {
    const r = await session.get('/v1/incidents');
    st.incidents = r.items.sort((a, b) => (a.opened_at < b.opened_at ? 1 : -1));
    refreshIncidentsLayer();
  } catch (e) {
    showError(e);
  }
}

export function renderIncidents() {
  const sel = st.incidents.find((i) => i.id === st.selectedIncident);
  refreshIncidentsLayer(); // the selected one is drawn larger
  if (session.role !== 'observer' && !el.incidentForm) {
    el.incidentForm = incidentForm({ onReported: async (i) => { st.selectedIncident = i.id; await loadIncidents(); renderIncidents(); } });
  }
  const about = (i) => i.about.join(', ') || '—';
  const shown = filterIncidents(st.incidents);
  // After a bulk act the list is fetched again before it is drawn.
  const redraw = async (reload) => {
    if (reload) await loadIncidents();
    redrawKeepingFocus();
  };
  clear(
    el.panelBody,
    el.incidentForm,
    sel ? incidentDetail(sel) : null,
    h('h2', t('incidents.title', { n: st.incidents.length })),
    st.incidents.length ? [
      triageFilters(redrawKeepingFocus),
      shownCount(shown.length, st.incidents.length),
      exportButtons('incidents-export', t('export.incidents'), (ext) => exportIncidents(shown, ext)),
      bulkBar(shown, redraw),
    ] : null,
    st.incidents.length
      ? h('ul.incidents#incidents', shown.slice(0, 300).map((i) =>
        h(`li.incident.s-${i.status}`, { dataset: { id: i.id, status: i.status, rule: i.engine?.rule || '' } },
          selectBox(i, redrawKeepingFocus),
          h('button.link', { type: 'button', dir: 'ltr', dataset: { key: `incident:${i.id}` }, onclick: () => { st.selectedIncident = i.id; renderIncidents(); } }, i.id), ' ',
          h('span.badge', word('status', i.status)), ` ${word('category', (i.draft || i).category)} · ${t('incidents.about', { about: about(i) })} · `, time(i.opened_at))))
      : h('p.empty#incidents-empty', session.role === 'observer' ? t('incidents.observer') : t('incidents.none')),
    st.incidents.length && !shown.length ? h('p.empty#incidents-no-match', t('feed.noMatch')) : null,
  );
}

function incidentDetail(i) {
  const act = (action, label, fn, ask = null) => h('button', { type: 'button', dataset: { key: `${i.id}:${action}` }, onclick: async () => {
    try {
      if (ask) {
        const q = ask();
        if (!q) return;
        if (!(await confirmAct(q))) return;
      }
      await fn();
      delete st.incidentText?.[i.id];
      await loadIncidents();
      renderIncidents();
    } catch (e) {
      showError(e);
    }
  } }, label);
  // What is typed here outlives the live updates that draw the detail anew.
  st.incidentText ||= {};
  const text = h('textarea#incident-text', { rows: 2, dir: 'auto', oninput: (e) => (st.incidentText[i.id] = e.currentTarget.value) });
  text.value = st.incidentText[i.id] || '';
  const actions = [];
  if (session.role === 'party' && i.about.includes(session.id)) actions.push(act('respond', t('incidents.respond'), () => session.post(`/v1/incidents/${i.id}/responses`, { text: text.value })));
  if ((session.role === 'mediator' || session.role === 'monitor') && i.status === 'alleged') actions.push(act('investigate', t('incidents.investigate'), () => session.post(`/v1/incidents/${i.id}/investigate`, { note: text.value })));
  if (session.role === 'mediator' && !i.finding && i.status === 'investigating') {
    // A finding follows an investigation, gives its reasons and is final: the mediator
    // confirms it, seeing the reasons that go with it.
    const askFinding = (o) => () => {
      if (!text.value.trim()) {
        text.focus();
        showError(new Error(t('incidents.reasonsNeeded')));
        return null;
      }
      return {
        title: t('incidents.findingTitle', { outcome: word('outcome', o), id: i.id }),
        text: t('incidents.findingText'),
        detail: t('incidents.findingReasons', { reasons: text.value.trim() }),
        confirm: t('incidents.findingConfirm', { outcome: word('outcome', o) }),
      };
    };
    for (const o of ['verified', 'not_substantiated', 'undetermined']) {
      actions.push(act(`finding:${o}`, t('incidents.finding', { outcome: word('outcome', o) }), () => session.post(`/v1/incidents/${i.id}/finding`, { outcome: o, reasons: text.value }), askFinding(o)));
    }
  }
  const d = i.draft || i;
  const e = i.engine;
  return h('article.detail#incident-detail',
    h('div.row', h('h2', t('incidents.detailTitle', { id: i.id })), h('button.link', { type: 'button', onclick: () => { st.selectedIncident = null; renderIncidents(); } }, t('common.close'))),
    h('p', h('span.badge', word('status', i.status)), ` ${word('category', d.category)}; ${t('incidents.sourceLine', { source: word('source', i.source), reporter: i.reporter, about: i.about.join(', ') || '—' })}`),
    h('p', t('incidents.occurred'), ' ', time(d.occurred_at), '; ', t('incidents.opened'), ' ', time(i.opened_at)),
    d.description ? h('p', { dir: 'auto' }, d.description) : null,
    e ? h('p.muted', `${t('incidents.engine')}: ${e.rule} ${word('event', e.kind)}${e.unit ? ` ${t('feed.unit', { unit: e.unit })}` : ''}${otherUnit(e) ? ` / ${otherUnit(e)}` : ''}`, e.cleared_at ? [' ', t('incidents.cleared'), ' ', time(e.cleared_at)] : ` (${t('incidents.stillOpen')})`) : null,
    (i.ledger || []).length ? h('p', recordButton({ label: i.id, indices: i.ledger }, i.id)) : null,
    d.place ? h('button.link', { type: 'button', dataset: { key: `${i.id}:show` }, onclick: () => showPlace([d.place.lon, d.place.lat], 11, t('incidents.detailTitle', { id: i.id })) }, t('incidents.showPlace')) : null,
    h('h3', t('incidents.timeline')),
    h('ol.timeline', i.history.map((s) => h('li', time(s.at), ` ${t('incidents.step', { status: word('status', s.status), by: s.by })}${s.note ? `: ${s.note}` : ''}`))),
    h('h3', t('incidents.evidence')),
    (d.evidence || []).length ? h('ul', d.evidence.map((ev) => h('li', h('code', ev.sha256), ` ${ev.media_type} `, h('button.link', { type: 'button', onclick: () => downloadEvidence(ev) }, t('incidents.download'))))) : h('p.muted', t('incidents.noEvidence')),
    h('h3', t('incidents.responses')),
    i.responses.length ? h('ul', i.responses.map((r) => h('li', h('strong', r.party), ' ', time(r.at), h('div', { dir: 'auto' }, r.text)))) : h('p.muted', t('incidents.noResponses')),
    h('h3', t('incidents.findingHead')),
    i.finding ? h('p', h('strong', word('outcome', i.finding.outcome)), ` ${t('incidents.findingBy', { by: i.finding.by })} `, time(i.finding.at), h('div', { dir: 'auto' }, i.finding.reasons)) : h('p.muted', t('incidents.noFinding')),
    actions.length ? h('div', h('label', { for: 'incident-text' }, t('incidents.text')), text, h('div.actions', actions)) : null,
  );
}

async function downloadEvidence(e) {
  try {
    const blob = await session.getBytes(`/v1/evidence/${e.sha256}`);
    const a = h('a', { href: URL.createObjectURL(blob), download: e.sha256 });
    a.click();
  } catch (err) {
    showError(err);
  }
}
