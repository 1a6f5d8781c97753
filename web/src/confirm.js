// A confirmation before an act that cannot be undone (a withdrawal, a finding): a modal
// <dialog>, so that the browser keeps the focus inside it and Escape cancels; the focus
// starts on Cancel and goes back to the control that asked.

import { h } from './util.js';
import { t } from './i18n.js';

/** Resolves to true if the person confirmed. `ask`: { title, text, confirm, cancel }. */
export function confirmAct(ask) {
  return new Promise((resolve) => {
    const from = document.activeElement;
    const fromKey = from?.dataset?.key;
    let answer = false;
    const cancel = h('button.secondary#confirm-cancel', { type: 'button', onclick: () => dialog.close() }, ask.cancel || t('common.cancel'));
    const ok = h('button.danger#confirm-ok', { type: 'button', onclick: () => { answer = true; dialog.close(); } }, ask.confirm);
    const dialog = h('dialog.confirm#confirm', { 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' },
      h('h2#confirm-title', ask.title),
      h('p#confirm-text', ask.text),
      ask.detail ? h('blockquote.confirm-detail', ask.detail) : null,
      h('div.actions', cancel, ok));
    dialog.addEventListener('close', () => {
      dialog.remove();
      // The control may have been drawn anew meanwhile (live updates): find it by its key.
      const back = from?.isConnected ? from : fromKey ? document.querySelector(`[data-key="${CSS.escape(fromKey)}"]`) : null;
      back?.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
