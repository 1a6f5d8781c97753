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

/** "2025-12-01 00:01:28Z" */
export function utc(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso ?? '');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
}

/** A <time> in UTC with the local time on hover, and beside it when the header's
 * "Local times" box is ticked (so that keyboard and touch users have it too). */
export function time(iso) {
  if (!iso) return h('span.muted', '—');
  const d = new Date(iso);
  const title = `Local time: ${d.toLocaleString(undefined, { timeZoneName: 'short' })}`;
  // Compact, to sit beside the UTC time: "Dec 1, 10:18:09 GMT+3".
  const local = d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
  return h('time', { datetime: d.toISOString(), title, dataset: { local } }, utc(iso));
}

/** Value for <input type=datetime-local> meaning UTC. */
export function toInputUtc(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

export function fromInputUtc(v) {
  return new Date(`${v}:00Z`).toISOString();
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#17becf', '#e377c2', '#bcbd22', '#7f7f7f'];
const FIXED = { IL: '#1f6fd1', SY: '#2e9e44' };

/** A colour per party id, stable for the agreement. */
export function partyColours(parties) {
  const out = {};
  let i = 0;
  for (const p of parties) out[p.id] = FIXED[p.id] || PALETTE[i++ % PALETTE.length];
  return out;
}

export function humanKind(kind) {
  return String(kind).replace(/_/g, ' ');
}
