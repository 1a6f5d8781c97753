import { readKeyFile } from './api.js';
import { h, clear } from './util.js';
import { session, app, st, el } from './state.js';
import { t, languageChooser } from './i18n.js';
import { themeChooser } from './theme.js';
import { start } from './main.js';
import { resetReplay } from './replay.js';
import { resetTriage } from './triage.js';
import { setMeasuring } from './measure.js';
import { resetUnitLabels } from './unitlabels.js';
import { resetRecord } from './record.js';

// ---------------------------------------------------------------- sign-in

/** The sign-in page; `message` is a catalogue key (or null). Drawn again, with what was
 * typed, when the language changes. */
export function signInView(message) {
  st.signInMessage = message || null;
  const status = h('p.status#signin-status', { role: 'status', 'aria-live': 'polite' }, message ? t(message) : '');
  const idInput = h('input#signin-id', { name: 'id', autocomplete: 'username', required: true, placeholder: t('signin.idPlaceholder'), dir: 'ltr' });
  const fileInput = h('input#signin-key', { type: 'file', name: 'key', accept: '.key,text/plain', required: true });
  const form = h(
    'form.signin',
    {
      onsubmit: async (e) => {
        e.preventDefault();
        const file = fileInput.files[0];
        if (!file) {
          status.textContent = t('signin.chooseKey');
          return;
        }
        status.textContent = t('signin.signingIn');
        try {
          const { name, key } = await readKeyFile(await file.text());
          const id = idInput.value.trim() || name;
          await session.signIn(id, key);
          st.signInMessage = null;
          start();
        } catch (err) {
          status.textContent = t('signin.failed', { why: err.message });
          status.classList.add('error');
        }
      },
    },
    h('div.signin-tools', languageChooser('signin-lang'), themeChooser('signin-theme')),
    h('h1', t('signin.title')),
    h('p', t('signin.intro')),
    h('label', { for: 'signin-key' }, t('signin.keyFile')),
    fileInput,
    h('label', { for: 'signin-id' }, t('signin.id')),
    idInput,
    h('button', { type: 'submit' }, t('signin.submit')),
    status,
  );
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files[0];
    if (!file) return;
    const m = (await file.text()).trim().match(/^PRIVATE\+KEY\+([^+\s]+)\+/);
    if (m && !idInput.value) idInput.value = m[1];
  });
  clear(app, h('main.signin-wrap', form));
  fileInput.focus();
}

session.onExpired = () => {
  stop();
  signInView('signin.expired');
};

export function stop() {
  resetReplay();
  resetTriage();
  setMeasuring(false);
  resetUnitLabels();
  resetRecord();
  // What this principal saw of units goes with it: the next one starts afresh.
  st.trails = new Map();
  st.unitRows = new Map();
  st.unitsSeq = 0;
  st.stream?.close();
  st.stream = null;
  clearInterval(st.pollTimer);
  st.map?.remove();
  st.map = null;
  st.mapReady = false;
  st.signedIn = false;
  for (const k of Object.keys(el)) delete el[k];
}
