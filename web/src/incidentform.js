// Reporting an alleged violation: category, time (UTC), place (picked on the map or typed),
// the alleged party, a description and evidence files (hashed here, uploaded, and named by
// their SHA-256 in the report, which the reporter signs with its own key).

import { h, clear, toInputUtc, fromInputUtc, INPUT_UTC_PATTERN } from './util.js';
import { session, st, serverNow, word } from './state.js';
import { t } from './i18n.js';
import { round6 } from './geo.js';

export const INCIDENT_CATEGORIES = ['exclusion_breach', 'cap_exceeded', 'standoff', 'separation', 'fire_across_line', 'airspace_violation', 'restriction_of_monitors', 'other'];

export function incidentForm({ onReported }) {
  const category = h('select#incident-category', INCIDENT_CATEGORIES.map((c) => h('option', { value: c }, word('category', c))));
  const occurred = h('input#incident-occurred.utc-input', { type: 'text', inputmode: 'numeric', pattern: INPUT_UTC_PATTERN, placeholder: 'YYYY-MM-DD HH:MM', required: true, autocomplete: 'off', dir: 'ltr', 'aria-describedby': 'incident-time-help' });
  const nowValue = () => toInputUtc(st.engineTime ? Date.parse(st.engineTime) : serverNow());
  occurred.value = nowValue();
  const lon = h('input#incident-lon', { type: 'number', step: 'any', placeholder: t('incidentForm.lon'), 'aria-label': t('incidentForm.lonLabel') });
  const lat = h('input#incident-lat', { type: 'number', step: 'any', placeholder: t('incidentForm.lat'), 'aria-label': t('incidentForm.latLabel') });
  const precision = h('input#incident-precision', { type: 'number', min: 0, value: 500, 'aria-label': t('incidentForm.precisionLabel') });
  const alleged = h('select#incident-alleged', h('option', { value: '' }, '—'), st.meta.parties.filter((p) => p.role === 'party' && p.id !== session.id).map((p) => h('option', { value: p.id }, p.id)));
  const desc = h('textarea#incident-description', { rows: 2, maxlength: 4000, dir: 'auto' });
  const files = h('input#incident-evidence', { type: 'file', multiple: true });
  const result = h('div#incident-result', { role: 'status', 'aria-live': 'polite' });
  const pick = h('button#incident-pick', { type: 'button', onclick: () => {
    st.pickPlace = (ll) => {
      lon.value = round6(ll.lng);
      lat.value = round6(ll.lat);
      st.pickPlace = null;
      pick.textContent = t('incidentForm.pick');
    };
    pick.textContent = t('incidentForm.picking');
  } }, t('incidentForm.pick'));
  return h('details.notice-form#incident-form', h('summary', t('incidentForm.title')),
    h('form', { onsubmit: async (e) => {
      e.preventDefault();
      const form = e.currentTarget;
      if (!fromInputUtc(occurred.value)) {
        clear(result, h('p.bad', t('incidentForm.badTime')));
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
          if (up.sha256 !== sha) throw new Error(t('incidentForm.hashMismatch', { file: f.name }));
          evidence.push({ sha256: sha, media_type: media });
        }
        const body = { category: category.value, occurred_at: fromInputUtc(occurred.value), description: desc.value, evidence };
        if (lon.value !== '' && lat.value !== '') body.place = { lon: Number(lon.value), lat: Number(lat.value), precision_m: Number(precision.value) };
        if (alleged.value) body.alleged_party = alleged.value;
        const i = await session.post('/v1/incidents', body);
        clear(result, h('p.ok', t('incidentForm.reported', { id: i.id })));
        result.dataset.reported = i.id;
        // Cleared for the next report (nothing left to send twice by mistake).
        form.reset();
        occurred.value = nowValue();
        await onReported(i);
      } catch (err) {
        clear(result, h('p.bad', t('incidentForm.notReported', { why: err.message })));
      }
    } },
    h('div.grid',
      h('label', { for: 'incident-category' }, t('incidentForm.category')), category,
      h('label', { for: 'incident-occurred' }, t('incidentForm.occurred')), h('span', occurred, ' ', h('span.muted#incident-time-help', t('common.utcHelp'))),
      h('label', { for: 'incident-lon' }, t('incidentForm.place')), h('span', lon, ' ', lat, ' ', pick),
      h('label', { for: 'incident-precision' }, t('incidentForm.precision')), precision,
      h('label', { for: 'incident-alleged' }, t('incidentForm.alleged')), alleged,
      h('label', { for: 'incident-description' }, t('incidentForm.description')), desc,
      h('label', { for: 'incident-evidence' }, t('incidentForm.evidence')), files),
    h('div.actions', h('button#incident-submit', { type: 'submit' }, t('incidentForm.submit'))),
    result));
}
