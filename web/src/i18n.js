// The console's languages: English, Arabic, Hebrew and Russian, one message catalogue each
// (src/locales/*.js, checked by tests/i18n.test.js to hold the same keys), through i18next.
// The chosen language is remembered in this browser; the first visit takes the browser's.
// Setting one sets <html lang dir>, the locale that numbers and local times are written
// in, and tells whoever listens (the page draws itself again).

import i18next from 'i18next';
import en from './locales/en.js';
import ar from './locales/ar.js';
import he from './locales/he.js';
import ru from './locales/ru.js';
import { h, setFormatLocale } from './util.js';

export const LANGUAGES = [
  { code: 'en', name: 'English', dir: 'ltr' },
  { code: 'ar', name: 'العربية', dir: 'rtl' },
  { code: 'he', name: 'עברית', dir: 'rtl' },
  { code: 'ru', name: 'Русский', dir: 'ltr' },
];
const STORE = 'truceline.lang';

i18next.init({
  resources: { en: { translation: en }, ar: { translation: ar }, he: { translation: he }, ru: { translation: ru } },
  lng: 'en',
  fallbackLng: 'en',
  supportedLngs: LANGUAGES.map((l) => l.code),
  initAsync: false,
  // The DOM builder writes text nodes, never HTML: nothing to escape here.
  interpolation: { escapeValue: false },
  returnNull: false,
});

export const t = (key, opts) => i18next.t(key, opts);

export function lang() {
  return i18next.language;
}

export function isRtl() {
  return LANGUAGES.find((l) => l.code === lang())?.dir === 'rtl';
}

/** The remembered language, else the first of the browser's that the console speaks. */
export function preferredLanguage() {
  try {
    const kept = localStorage.getItem(STORE);
    if (LANGUAGES.some((l) => l.code === kept)) return kept;
  } catch { /* storage off */ }
  for (const tag of navigator.languages || [navigator.language]) {
    const code = String(tag || '').toLowerCase().split('-')[0];
    // "iw" is Hebrew's old code, still sent by some systems.
    const known = code === 'iw' ? 'he' : code;
    if (LANGUAGES.some((l) => l.code === known)) return known;
  }
  return 'en';
}

const listeners = [];
export function onLanguageChange(fn) {
  listeners.push(fn);
}

/** Switches the page to `code`; `remember` keeps the choice in this browser. */
export function setLanguage(code, remember = false) {
  const l = LANGUAGES.find((x) => x.code === code) || LANGUAGES[0];
  i18next.changeLanguage(l.code);
  document.documentElement.lang = l.code;
  document.documentElement.dir = l.dir;
  document.title = t('app.title');
  setFormatLocale(l.code, { km: t('units.km'), localTime: t('app.localTime') });
  if (remember) {
    try { localStorage.setItem(STORE, l.code); } catch { /* this page only */ }
  }
  for (const fn of listeners) fn(l.code);
}

/** A language chooser (a labelled <select>), for the sign-in page and the header. */
export function languageChooser(id) {
  return h('label.lang-chooser', { for: id },
    h('span.lang-label', t('app.language')), ' ',
    h(`select#${id}`, { onchange: (e) => setLanguage(e.currentTarget.value, true) },
      LANGUAGES.map((l) => h('option', { value: l.code, lang: l.code, selected: l.code === lang() }, l.name))));
}

/** A feature's or party's name in the page's language: its `name:xx` property (as
 * OpenStreetMap names them), else its `name`, else `fallback`. */
export function localName(props, fallback) {
  if (!props) return fallback;
  return props[`name:${lang()}`] || props.name || fallback;
}

/** A name of the agreement's in the page's language: its `name:xx`, else (outside
 * English, the language agreements are written in) the catalogue's `names.KEY` where it
 * has one, else the agreement's own `name`, else `fallback`. */
function catalogued(props, key, fallback) {
  if (!props) return fallback;
  if (props[`name:${lang()}`]) return props[`name:${lang()}`];
  if (lang() !== 'en' && i18next.exists(key, { lng: lang(), fallbackLng: false })) return t(key);
  return props.name || fallback;
}

/** A party's name in the page's language (the agreement gives a party one `name`: other
 * languages come from the catalogue's `names.party_ID`). */
export function partyName(p, fallback = '') {
  return catalogued(p, `names.party_${p?.id}`, fallback);
}

/** A force category's name in the page's language (`names.category_ID`). */
export function categoryName(c, fallback = '') {
  return catalogued(c, `names.category_${c?.id}`, fallback);
}

/** MapLibre's own strings (zoom buttons, close buttons, the map's label). */
export function mapUiStrings() {
  const keys = ['NavigationControl.ZoomIn', 'NavigationControl.ZoomOut', 'NavigationControl.ResetBearing', 'Popup.Close', 'Map.Title', 'Marker.Title', 'AttributionControl.ToggleAttribution', 'ScaleControl.Meters', 'ScaleControl.Kilometers'];
  return Object.fromEntries(keys.map((k) => [k, t(`maplibre.${k.replace('.', '_')}`)]));
}
