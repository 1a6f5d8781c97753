import { readKeyFile } from './api.js';
import { h, clear } from './util.js';
import { session, app, st } from './state.js';
import { start } from './main.js';

// ---------------------------------------------------------------- sign-in

export function signInView(message) {
  const status = h('p.status#signin-status', { role: 'status', 'aria-live': 'polite' }, message || '');
  const idInput = h('input#signin-id', { name: 'id', autocomplete: 'username', required: true, placeholder: 'e.g. IL' });
  const fileInput = h('input#signin-key', { type: 'file', name: 'key', accept: '.key,text/plain', required: true });
  const form = h(
    'form.signin',
    {
      onsubmit: async (e) => {
        e.preventDefault();
        const file = fileInput.files[0];
        if (!file) {
          status.textContent = 'Choose your key file.';
          return;
        }
        status.textContent = 'Signing in…';
        try {
          const { name, key } = await readKeyFile(await file.text());
          const id = idInput.value.trim() || name;
          await session.signIn(id, key);
          start();
        } catch (err) {
          status.textContent = `Sign-in failed: ${err.message}`;
          status.classList.add('error');
        }
      },
    },
    h('h1', 'truceline console'),
    h('p', 'Sign in with your own key file (PRIVATE+KEY+…, as written by truceline). The key stays in this browser: it signs the server\'s challenge and is never sent.'),
    h('label', { for: 'signin-key' }, 'Key file'),
    fileInput,
    h('label', { for: 'signin-id' }, 'Principal id (filled from the key file)'),
    idInput,
    h('button', { type: 'submit' }, 'Sign in'),
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
  signInView('Your session ended; sign in again with your key.');
};

export function stop() {
  st.stream?.close();
  st.stream = null;
  clearInterval(st.pollTimer);
  st.map?.remove();
  st.map = null;
  st.mapReady = false;
}
