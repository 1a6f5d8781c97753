import { h, clear, time, toInputUtc, fromInputUtc, INPUT_UTC_PATTERN, humanKind } from './util.js';
import { confirmAct } from './confirm.js';
import { session, st, el, showError, serverNow } from './state.js';
import { round6 } from './geo.js';

// ---------------------------------------------------------------- incidents

export async function loadIncidents() {
  try {
    const r = await session.get('/v1/incidents');
    st.incidents = r.items.sort((a, b) => (a.opened_at < b.opened_at ? 1 : -1));
  } catch (e) {
    showError(e);
  }
}

const INCIDENT_CATEGORIES = ['exclusion_breach', 'cap_exceeded', 'standoff', 'separation', 'fire_across_line', 'airspace_violation', 'restriction_of_monitors', 'other'];

/** Report an alleged violation: category, time, place (picked on the map or typed),
 * the alleged party, a description and evidence files (hashed here, uploaded, and named by
 * their SHA-256 in the report). */
function incidentForm() {
  const category = h('select#incident-category', INCIDENT_CATEGORIES.map((c) => h('option', { value: c }, humanKind(c))));
  const occurred = h('input#incident-occurred.utc-input', { type: 'text', inputmode: 'numeric', pattern: INPUT_UTC_PATTERN, placeholder: 'YYYY-MM-DD HH:MM', required: true, autocomplete: 'off', 'aria-describedby': 'incident-time-help' });
  const nowValue = () => toInputUtc(st.engineTime ? Date.parse(st.engineTime) : serverNow());
  occurred.value = nowValue();
  const lon = h('input#incident-lon', { type: 'number', step: 'any', placeholder: 'lon' });
  const lat = h('input#incident-lat', { type: 'number', step: 'any', placeholder: 'lat' });
  const precision = h('input#incident-precision', { type: 'number', min: 0, value: 500, 'aria-label': 'Place precision in metres' });
  const alleged = h('select#incident-alleged', h('option', { value: '' }, '—'), st.meta.parties.filter((p) => p.role === 'party' && p.id !== session.id).map((p) => h('option', { value: p.id }, p.id)));
  const desc = h('textarea#incident-description', { rows: 2, maxlength: 4000 });
  const files = h('input#incident-evidence', { type: 'file', multiple: true });
  const result = h('div#incident-result', { role: 'status', 'aria-live': 'polite' });
  const pick = h('button#incident-pick', { type: 'button', onclick: () => {
    st.pickPlace = (ll) => {
      lon.value = round6(ll.lng);
      lat.value = round6(ll.lat);
      st.pickPlace = null;
      pick.textContent = 'Pick on map';
    };
    pick.textContent = 'Click the map (or Enter on it)…';
  } }, 'Pick on map');
  return h('details.notice-form#incident-form', h('summary', 'Report an incident'),
    h('form', { onsubmit: async (e) => {
      e.preventDefault();
      const form = e.currentTarget;
      if (!fromInputUtc(occurred.value)) {
        clear(result, h('p.bad', 'Write the time it occurred as YYYY-MM-DD HH:MM, in UTC.'));
        occurred.focus();
        return;
      }
      try {
        const evidence = [];
        for (const f of files.files) {
          const bytes = await f.arrayBuffer();
          const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
          const media = f.type || 'application/octet-stream';
          const up = await session.authed('/v1/evidence', { method: 'POST', headers: { 'content-type': media }, body: bytes }).then((r) => r.json());
          if (up.sha256 !== sha) throw new Error(`evidence ${f.name}: the server hashed it differently`);
          evidence.push({ sha256: sha, media_type: media });
        }
        const body = { category: category.value, occurred_at: fromInputUtc(occurred.value), description: desc.value, evidence };
        if (lon.value !== '' && lat.value !== '') body.place = { lon: Number(lon.value), lat: Number(lat.value), precision_m: Number(precision.value) };
        if (alleged.value) body.alleged_party = alleged.value;
        const i = await session.post('/v1/incidents', body);
        clear(result, h('p.ok', `Reported ${i.id}`));
        result.dataset.reported = i.id;
        // Cleared for the next report (nothing left to send twice by mistake).
        form.reset();
        occurred.value = nowValue();
        st.selectedIncident = i.id;
        await loadIncidents();
        renderIncidents();
      } catch (err) {
        clear(result, h('p.bad', `Not reported: ${err.message}`));
      }
    } },
    h('div.grid',
      h('label', { for: 'incident-category' }, 'Category'), category,
      h('label', { for: 'incident-occurred' }, 'Occurred (UTC)'), h('span', occurred, ' ', h('span.muted#incident-time-help', 'UTC, 24-hour: YYYY-MM-DD HH:MM')),
      h('label', { for: 'incident-lon' }, 'Place'), h('span', lon, ' ', lat, ' ', pick),
      h('label', { for: 'incident-precision' }, 'Within m'), precision,
      h('label', { for: 'incident-alleged' }, 'Alleged party'), alleged,
      h('label', { for: 'incident-description' }, 'Description'), desc,
      h('label', { for: 'incident-evidence' }, 'Evidence files'), files),
    h('div.actions', h('button#incident-submit', { type: 'submit' }, 'Report')),
    result));
}

export function renderIncidents() {
  const sel = st.incidents.find((i) => i.id === st.selectedIncident);
  if (session.role !== 'observer' && !el.incidentForm) el.incidentForm = incidentForm();
  clear(
    el.panelBody,
    el.incidentForm,
    sel ? incidentDetail(sel) : null,
    h('h2', `Incidents (${st.incidents.length})`),
    st.incidents.length
      ? h('ul.incidents#incidents', st.incidents.slice(0, 300).map((i) =>
        h(`li.incident.s-${i.status}`, { dataset: { id: i.id } },
          h('button.link', { type: 'button', dataset: { key: `incident:${i.id}` }, onclick: () => { st.selectedIncident = i.id; renderIncidents(); } }, i.id), ' ',
          h('span.badge', i.status), ` ${humanKind((i.draft || i).category)} · about ${i.about.join(', ') || '—'} · `, time(i.opened_at))))
      : h('p.empty#incidents-empty', session.role === 'observer' ? 'Observers see the public summary only.' : 'No incidents that you may see.'),
  );
}

function incidentDetail(i) {
  const act = (label, fn, ask = null, key = label) => h('button', { type: 'button', dataset: { key: `${i.id}:${key}` }, onclick: async () => {
    try {
      if (ask) {
        const q = ask();
        if (!q) return;
        if (!(await confirmAct(q))) return;
      }
      await fn();
      await loadIncidents();
      renderIncidents();
    } catch (e) {
      showError(e);
    }
  } }, label);
  const text = h('textarea#incident-text', { rows: 2, 'aria-label': 'Text' });
  const actions = [];
  if (session.role === 'party' && i.about.includes(session.id)) actions.push(act('Respond', () => session.post(`/v1/incidents/${i.id}/responses`, { text: text.value })));
  if ((session.role === 'mediator' || session.role === 'monitor') && i.status === 'alleged') actions.push(act('Investigate', () => session.post(`/v1/incidents/${i.id}/investigate`, { note: text.value })));
  if (session.role === 'mediator' && !i.finding && i.status === 'investigating') {
    // A finding follows an investigation, gives its reasons and is final: the mediator
    // confirms it, seeing the reasons that go with it.
    const askFinding = (o) => () => {
      if (!text.value.trim()) {
        text.focus();
        showError(new Error('A finding gives its reasons: type them under "Text / reasons".'));
        return null;
      }
      return {
        title: `Record the finding “${humanKind(o)}” on incident ${i.id}?`,
        text: 'A finding is final: it goes into the record that every party can verify, and it cannot be changed or withdrawn.',
        detail: `Reasons: ${text.value.trim()}`,
        confirm: `Record finding: ${humanKind(o)}`,
      };
    };
    for (const o of ['verified', 'not_substantiated', 'undetermined']) {
      actions.push(act(`Finding: ${humanKind(o)}`, () => session.post(`/v1/incidents/${i.id}/finding`, { outcome: o, reasons: text.value }), askFinding(o), `finding:${o}`));
    }
  }
  const d = i.draft || i;
  return h('article.detail#incident-detail',
    h('div.row', h('h2', `Incident ${i.id}`), h('button.link', { type: 'button', onclick: () => { st.selectedIncident = null; renderIncidents(); } }, 'Close')),
    h('p', h('span.badge', i.status), ` ${humanKind(d.category)}; source ${i.source}, reported by ${i.reporter}; about ${i.about.join(', ') || '—'}`),
    h('p', 'Occurred ', time(d.occurred_at), '; opened ', time(i.opened_at)),
    d.description ? h('p', d.description) : null,
    i.engine ? h('p.muted', `Engine: ${i.engine.rule} ${humanKind(i.engine.kind)}${i.engine.unit ? ` unit ${i.engine.unit}` : ''}${i.engine.other ? ` / ${i.engine.other}` : ''}`, i.engine.cleared_at ? [' cleared ', time(i.engine.cleared_at)] : ' (still open)') : null,
    d.place ? h('button.link', { type: 'button', onclick: () => st.map?.flyTo({ center: [d.place.lon, d.place.lat], zoom: 11 }) }, 'Show place on map') : null,
    h('h3', 'Timeline'),
    h('ol.timeline', i.history.map((s) => h('li', time(s.at), ` ${s.status} by ${s.by}${s.note ? `: ${s.note}` : ''}`))),
    h('h3', 'Evidence'),
    (d.evidence || []).length ? h('ul', d.evidence.map((e) => h('li', h('code', e.sha256), ` ${e.media_type} `, h('button.link', { type: 'button', onclick: () => downloadEvidence(e) }, 'Download')))) : h('p.muted', 'No evidence attached.'),
    h('h3', 'Responses'),
    i.responses.length ? h('ul', i.responses.map((r) => h('li', h('strong', r.party), ' ', time(r.at), h('div', r.text)))) : h('p.muted', 'No responses.'),
    h('h3', 'Finding'),
    i.finding ? h('p', h('strong', humanKind(i.finding.outcome)), ` by ${i.finding.by} `, time(i.finding.at), h('div', i.finding.reasons)) : h('p.muted', 'No finding yet.'),
    actions.length ? h('div', h('label', { for: 'incident-text' }, 'Text / reasons'), text, h('div.actions', actions)) : null,
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
