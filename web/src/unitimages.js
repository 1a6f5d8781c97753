// The units' images: each category's symbol (milsymbol) in a party's colour with the frame
// of the viewer's relation to that party, or a plain dot for a category without a symbol,
// drawn once per (category, party, relation) and added to the map as an image that every
// unit of that kind reuses; the same drawing, as a data URL, is the legend's swatch. The
// heading arrow is one image more, rotated by the map for each unit.

import ms from 'milsymbol';
import { st } from './state.js';
import { session } from './state.js';
import { MONITOR_RING } from './colours.js';
import { relationOf, withRelation, imageName, iconColourOn } from './symbology.js';

export const SYMBOL_SIZE = 22; // milsymbol's size: the frame's height is about this, in CSS px
const RATIO = () => Math.min(2, Math.max(1, Math.round(globalThis.devicePixelRatio || 1)));
export const HEADING_IMAGE = 'unit-heading';

const drawn = new Map(); // name -> { canvas, ratio }

function categorySymbol(category) {
  return st.agreement?.categories?.find((c) => c.id === category)?.symbol || null;
}

function partyOf(id) {
  return st.meta?.parties?.find((p) => p.id === id);
}

/** The relation of the signed-in principal to a unit of `party`. */
export function relationTo(party) {
  return relationOf(session.id, session.role, party, st.meta?.parties || []);
}

/** The image name of a unit of `category` and `party` as this principal sees it. */
export function unitImageName(category, party) {
  return imageName(category, party, relationTo(party));
}

/** A canvas with the drawing centred on the symbol's anchor (so that the map can anchor
 * every image at its centre). */
function centred(src, ax, ay) {
  const w = 2 * Math.ceil(Math.max(ax, src.width - ax));
  const h = 2 * Math.ceil(Math.max(ay, src.height - ay));
  const c = document.createElement('canvas');
  c.width = Math.max(1, w);
  c.height = Math.max(1, h);
  c.getContext('2d').drawImage(src, Math.round(w / 2 - ax), Math.round(h / 2 - ay));
  return c;
}

/** Draws (once) the image of `category` and `party` for `relation`; `sidc` overrides the
 * category's code (the legend's frames). Returns { canvas, ratio }. */
export function drawUnitImage(category, party, relation, sidc = categorySymbol(category)) {
  const name = imageName(category, party, relation);
  if (drawn.has(name)) return drawn.get(name);
  const ratio = RATIO();
  const colour = st.colours?.[party] || '#555555';
  const monitor = partyOf(party)?.role === 'monitor';
  const code = withRelation(sidc, relation);
  let canvas = null;
  if (code) {
    const sym = new ms.Symbol(code, {
      size: SYMBOL_SIZE * ratio,
      fillColor: colour,
      iconColor: iconColourOn(colour),
      // A ring that keeps the symbol apart from any land, light or dark; a monitor's is dark
      // (its yellow needs it), as its dots were.
      outlineColor: monitor ? MONITOR_RING : '#ffffff',
      outlineWidth: 2 * ratio,
      infoFields: false,
    });
    if (sym.isValid()) {
      const a = sym.getAnchor();
      canvas = centred(sym.asCanvas(), a.x, a.y);
    }
  }
  if (!canvas) {
    // No symbol (or one milsymbol cannot draw): the plain dot the console always drew.
    const r = 6 * ratio;
    const ring = 1.5 * ratio;
    canvas = document.createElement('canvas');
    canvas.width = canvas.height = Math.ceil(2 * (r + ring));
    const g = canvas.getContext('2d');
    g.beginPath();
    g.arc(canvas.width / 2, canvas.height / 2, r, 0, 2 * Math.PI);
    g.fillStyle = colour;
    g.fill();
    g.lineWidth = ring * (monitor ? 1.5 : 1);
    g.strokeStyle = monitor ? MONITOR_RING : '#ffffff';
    g.stroke();
  }
  const out = { canvas, ratio, symbol: !!code && canvas.width > 20 };
  drawn.set(name, out);
  return out;
}

/** Adds the image `name` to the map unless it is there; true if it had to be added. */
export function ensureUnitImage(map, category, party) {
  const name = unitImageName(category, party);
  if (map.hasImage(name)) return false;
  const { canvas, ratio } = drawUnitImage(category, party, relationTo(party));
  map.addImage(name, canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height), { pixelRatio: ratio });
  return true;
}

/** The legend's swatch: the map's own drawing of that image, as an <img>'s source. */
export function unitImageUrl(category, party, relation = relationTo(party), sidc) {
  return drawUnitImage(category, party, relation, sidc).canvas.toDataURL();
}

/** The heading arrow: a dark stem and head with a white edge, from the symbol's centre
 * out past its frame, pointing up (north) until the map rotates it. */
export function addHeadingImage(map) {
  if (map.hasImage(HEADING_IMAGE)) return;
  const ratio = RATIO();
  const w = 10 * ratio;
  const h = 2 * (SYMBOL_SIZE + 14) * ratio; // centred on the unit: the upper half is drawn
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const g = c.getContext('2d');
  const x = w / 2;
  const top = 1 * ratio;
  const from = h / 2 - (SYMBOL_SIZE / 2 + 1) * ratio;
  g.lineCap = 'round';
  for (const [colour, width] of [['#ffffff', 4.5 * ratio], ['#111111', 2 * ratio]]) {
    g.strokeStyle = colour;
    g.fillStyle = colour;
    g.lineWidth = width;
    g.beginPath();
    g.moveTo(x, from);
    g.lineTo(x, top + 6 * ratio);
    g.stroke();
    g.beginPath();
    g.moveTo(x, top);
    g.lineTo(x + 4 * ratio - (colour === '#111111' ? ratio : 0), top + 7 * ratio);
    g.lineTo(x - 4 * ratio + (colour === '#111111' ? ratio : 0), top + 7 * ratio);
    g.closePath();
    g.fill();
  }
  map.addImage(HEADING_IMAGE, g.getImageData(0, 0, w, h), { pixelRatio: ratio });
}

/** Images drawn for another principal do not carry over (the relation differs). */
export function forgetUnitImages() {
  drawn.clear();
}
