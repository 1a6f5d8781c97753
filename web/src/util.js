// Small DOM and time helpers.

/** h('div.cls#id', {attrs}, ...children): builds an element; strings become text nodes. */
export function h(tag, attrs, ...children) {
  const [name, ...rest] = tag.split(/(?=[.#])/);
  const el = document.createElement(name || 'div');
  for (const r of rest) {
    if (r[0] === '.') el.classList.add(r.slice(1));
    else el.id = r.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const pad = (n) => String(n).padStart(2, '0');

// The language that numbers and local times are written in (set by i18n.js).
let numberLocale;
let kmWord = 'km';
let localTimeWord = 'Local time';
export function setFormatLocale(locale, words = {}) {
  numberLocale = locale;
  kmWord = words.km || 'km';
  localTimeWord = words.localTime || 'Local time';
}

/** A number in the page's language, with at most `digits` decimals. */
export function num(x, digits = 0) {
  return new Intl.NumberFormat(numberLocale, { maximumFractionDigits: digits }).format(x);
}

/** "2025-12-01 00:01:28 UTC" (or "2025-12-01 00:01 UTC" with `seconds` false): the same in
 * every language, 24-hour, and always labelled. */
export function utc(iso, seconds = true) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso ?? '');
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds ? `:${pad(d.getUTCSeconds())}` : ''}`;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${hm} UTC`;
}

/** A <time> in UTC with the local time on hover, and beside it when the header's
 * "Local times" box is ticked (so that keyboard and touch users have it too). */
export function time(iso, seconds = true) {
  if (!iso) return h('span.muted', '—');
  const d = new Date(iso);
  const title = `${localTimeWord}: ${d.toLocaleString(numberLocale, { dateStyle: 'medium', timeStyle: 'long', hourCycle: 'h23' })}`;
  // Compact, to sit beside the UTC time: "Dec 1, 10:18:09 GMT+3".
  const local = d.toLocaleString(numberLocale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
  return h('time', { datetime: d.toISOString(), title, dir: 'ltr', dataset: { local } }, utc(iso, seconds));
}

/** Every ISO time in a server's text ("... by 2025-12-01T10:00:00.000Z") written as utc(). */
export function utcInText(text) {
  return String(text ?? '').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)/g, (m) => utc(m));
}

/** A UTC time for a text field: "2025-12-01 10:00" (24-hour, the same in every language,
 * unlike <input type=datetime-local>, which shows the browser's local format). */
export function toInputUtc(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

export const INPUT_UTC_PATTERN = '\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}(:\\d{2})?';

/** The ISO time of a field written as toInputUtc writes it (seconds too, if given), or
 * null if it is not one. */
export function fromInputUtc(v) {
  const m = String(v).trim().match(/^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d))?$/);
  if (!m) return null;
  const [y, mo, d, hh, mm, ss = 0] = m.slice(1).map((x) => (x == null ? undefined : Number(x)));
  const ms = Date.UTC(y, mo - 1, d, hh, mm, ss);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || hh > 23 || mm > 59 || ss > 59) return null;
  return back.toISOString();
}

/** A distance in km to a useful precision: two decimals under 10 km, one under 100; never
 * rounded up to a limit it is below ("1.96 km", "1.999 km" against a 2 km minimum). */
export function km(x, limit) {
  if (x == null || !Number.isFinite(Number(x))) return '?';
  x = Number(x);
  let digits = x < 10 ? 2 : x < 100 ? 1 : 0;
  const round = (d) => Math.round(x * 10 ** d) / 10 ** d;
  while (limit != null && x < limit && round(digits) >= limit && digits < 6) digits++;
  return `${num(round(digits), digits)} ${kmWord}`;
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function humanKind(kind) {
  return String(kind).replace(/_/g, ' ');
}
