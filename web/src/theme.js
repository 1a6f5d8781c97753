// Light or dark: the system's choice (prefers-color-scheme) unless the person picked one,
// remembered in this browser. The page's colours follow CSS variables (style.css); the map,
// drawn by WebGL, is told through onThemeChange.

import { h } from './util.js';
import { t } from './i18n.js';

const STORE = 'truceline.theme';
const ICONS = { auto: '◐', light: '☀', dark: '☾' };
const media = window.matchMedia?.('(prefers-color-scheme: dark)');
const listeners = [];

function chosen() {
  try {
    const v = localStorage.getItem(STORE);
    return v === 'light' || v === 'dark' ? v : 'auto';
  } catch {
    return 'auto';
  }
}

export function isDark() {
  const c = document.documentElement.dataset.theme || 'auto';
  return c === 'dark' || (c === 'auto' && !!media?.matches);
}

export function onThemeChange(fn) {
  listeners.push(fn);
}

function apply(choice) {
  document.documentElement.dataset.theme = choice;
  document.documentElement.style.colorScheme = choice === 'auto' ? 'light dark' : choice;
  for (const fn of listeners) fn(isDark());
}

export function setTheme(choice) {
  try { localStorage.setItem(STORE, choice); } catch { /* this page only */ }
  apply(choice);
}

export function initTheme() {
  apply(chosen());
  media?.addEventListener?.('change', () => chosen() === 'auto' && apply('auto'));
}

/** A labelled <select>: automatic, light, dark. */
export function themeChooser(id) {
  const c = chosen();
  return h('label.theme-chooser', { for: id },
    h('span.theme-label', t('app.theme')), ' ',
    h(`select#${id}`, { onchange: (e) => setTheme(e.currentTarget.value) },
      ['auto', 'light', 'dark'].map((v) => h('option', { value: v, selected: v === c }, `${ICONS[v]} ${t(`app.theme_${v}`)}`))));
}
