// Filing a draft: a title, a note, and the agreement's two files (agreement.toml and the
// GeoJSON it names), read here and sent as text. The server validates them with the
// engine's own loader; when it refuses, its words (they name the file and the line) are
// shown as they are. A party's filing is its own signed act (api.js signs it).

import { h, clear } from './util.js';
import { session } from './state.js';
import { t } from './i18n.js';

export function draftForm({ onFiled }) {
  const title = h('input#draft-title', { type: 'text', required: true, maxlength: 4000, dir: 'auto', autocomplete: 'off' });
  const note = h('textarea#draft-note', { rows: 2, maxlength: 4000, dir: 'auto' });
  const toml = h('input#draft-agreement', { type: 'file', required: true, accept: '.toml,text/plain,application/toml', 'aria-describedby': 'draft-files-help' });
  const geometry = h('input#draft-geometry', { type: 'file', required: true, accept: '.geojson,.json,application/geo+json,application/json', 'aria-describedby': 'draft-files-help' });
  const submit = h('button#draft-submit', { type: 'submit' }, t('talks.file.submit'));
  const result = h('div#draft-result', { role: 'status', 'aria-live': 'polite' });
  return h('details.notice-form#draft-form', h('summary', t('talks.file.title')),
    h('form', { onsubmit: async (e) => {
      e.preventDefault();
      const form = e.currentTarget;
      delete result.dataset.filed;
      delete result.dataset.refused;
      const [a, g] = [toml.files[0], geometry.files[0]];
      if (!title.value.trim()) {
        clear(result, h('p.bad', t('talks.file.needTitle')));
        title.focus();
        return;
      }
      if (!a || !g) {
        clear(result, h('p.bad', t('talks.file.needFiles')));
        (a ? geometry : toml).focus();
        return;
      }
      submit.disabled = true;
      clear(result, h('p', t('talks.file.sending')));
      try {
        const body = { title: title.value.trim(), note: note.value, agreement_toml: await a.text(), geometry: await g.text() };
        const d = await session.post('/v1/drafts', body);
        clear(result, h('p.ok', t('talks.file.filed', { id: d.id })));
        result.dataset.filed = d.id;
        form.reset();
        await onFiled(d);
      } catch (err) {
        // The server's own words: "agreement.toml:12: ..." names the file and the line.
        clear(result, h('p.bad', t('talks.file.refused'), ' ', h('code.server-text', { dir: 'ltr' }, err.message)));
        result.dataset.refused = String(err.status ?? '');
      } finally {
        submit.disabled = false;
      }
    } },
    h('p.muted', t('talks.file.help')),
    h('div.grid',
      h('label', { for: 'draft-title' }, t('talks.file.titleLabel')), title,
      h('label', { for: 'draft-note' }, t('talks.file.note')), note,
      h('label', { for: 'draft-agreement' }, t('talks.file.agreement')), toml,
      h('label', { for: 'draft-geometry' }, t('talks.file.geometry')), geometry,
      h('span'), h('span.muted#draft-files-help', t('talks.file.filesHelp'))),
    h('div.actions', submit)),
    result);
}
