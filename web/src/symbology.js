// How a unit is drawn: its category's MIL-STD-2525 / APP-6 symbol code (the agreement's
// `symbol`), with the code's affiliation replaced by the viewer's relation to the unit's
// party, in that party's colour. Pure: no DOM, no map (tests/symbology.test.js).
//
// The relation, and why never "hostile": the console is the mechanism's, and the mechanism
// is mediated. Calling a party to the arrangement "hostile" would put the mechanism's own
// screen on one side, and the standard's hostile frame (a red diamond) is read as "the
// enemy" at a glance, which is not what a liaison cell under a ceasefire needs shown to it
// by the mediator's system. So:
// - a principal's own units are FRIEND (its own forces, as its own systems draw them);
// - the mediator's and the monitors' view of the mechanism's own patrols (a monitor's
//   units) is FRIEND too: they are the mechanism's;
// - the mediator, the monitors and the observers see every party's units as NEUTRAL:
//   they stand on no side, and the square frame says so;
// - a party sees the monitors' patrols as NEUTRAL (they are impartial), and the other
//   party's units as UNKNOWN: not an ally, not neutral to it, and not declared hostile by
//   the mechanism (the quatrefoil frame of "unknown" leaves that judgement to the reader);
// - a unit of a principal the agreement does not name is UNKNOWN.
// The frame's shape carries the relation; the fill carries the party (the colour-blind
// checked palette of colours.js), so that the two parties never look alike.

export const RELATIONS = ['friend', 'neutral', 'unknown'];

/** The viewer's relation to a unit of `unitParty`. `parties` is the agreement's list
 * ({id, role}); `viewer` the signed-in principal's id, `viewerRole` its role. */
export function relationOf(viewer, viewerRole, unitParty, parties) {
  const owner = parties.find((p) => p.id === unitParty);
  if (!owner) return 'unknown';
  if (unitParty === viewer) return 'friend';
  if (owner.role === 'monitor') return viewerRole === 'mediator' || viewerRole === 'monitor' ? 'friend' : 'neutral';
  if (viewerRole === 'party') return 'unknown';
  return 'neutral';
}

// The standard identity in each form of code: a letter at the second place of a 15-character
// code (2525B/C, APP-6B), a digit at the fourth place of a 20- or 30-digit one (2525D/E,
// APP-6D: version, context, identity).
const LETTER = { friend: 'F', neutral: 'N', unknown: 'U' };
const DIGIT = { friend: '3', neutral: '4', unknown: '1' };

/** `sidc` with its affiliation (standard identity) set to `relation`; null for no code. */
export function withRelation(sidc, relation) {
  if (typeof sidc !== 'string' || !sidc) return null;
  if (/^\d{20}(\d{10})?$/.test(sidc)) return sidc.slice(0, 3) + DIGIT[relation] + sidc.slice(4);
  if (sidc.length === 15) return sidc[0] + LETTER[relation] + sidc.slice(2);
  return null;
}

/** A frame with no icon, for the legend's line about a relation: a ground unit's frame. */
export function frameCode(relation) {
  return `S${LETTER[relation]}GPU----------`;
}

/** The name of a unit's map image: one image per (category, party, relation), made once
 * and reused by every unit that shares them. */
export function imageName(category, party, relation) {
  return `unit|${party}|${category}|${relation}`;
}

/** Relative luminance of '#rrggbb' (WCAG). */
export function luminance(hex) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || '');
  if (!m) return 0.5;
  const [r, g, b] = m.slice(1).map((x) => {
    const c = parseInt(x, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The icon's colour inside a fill: white on dark fills, black on light ones, whichever
 * contrasts more (WCAG contrast ratio). */
export function iconColourOn(fill) {
  const l = luminance(fill);
  return (1.05) / (l + 0.05) > (l + 0.05) / 0.05 ? '#ffffff' : '#000000';
}

/** The compass bearing in degrees (0 north, clockwise) from [lon, lat] `a` to `b`, or null
 * when the unit has not moved (under about a metre). */
export function bearing(a, b) {
  if (!a || !b) return null;
  const rad = Math.PI / 180;
  const [l1, p1, l2, p2] = [a[0] * rad, a[1] * rad, b[0] * rad, b[1] * rad];
  const dl = l2 - l1;
  const y = Math.sin(dl) * Math.cos(p2);
  const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
  if (Math.hypot(x, y) < 1.5e-7) return null; // ~1 m
  return ((Math.atan2(y, x) / rad) + 360) % 360;
}

/** A unit's trail: its last positions, oldest first, at most `max`; a position is added
 * when the report is newer than the last one kept (an older one, as a replay that goes
 * back gives, starts the trail again). */
export function extendTrail(trail, lon, lat, tMs, max = 8) {
  const last = trail?.[trail.length - 1];
  if (!last || tMs < last[2]) return [[lon, lat, tMs]];
  if (tMs === last[2] || (last[0] === lon && last[1] === lat)) {
    if (tMs === last[2] && (last[0] !== lon || last[1] !== lat)) return [...trail.slice(0, -1), [lon, lat, tMs]];
    return trail;
  }
  const out = trail.length >= max ? trail.slice(trail.length - max + 1) : trail.slice();
  out.push([lon, lat, tMs]);
  return out;
}

/** The heading of a trail: the bearing of its last move, or null if it never moved. */
export function trailHeading(trail) {
  if (!trail || trail.length < 2) return null;
  return bearing(trail[trail.length - 2], trail[trail.length - 1]);
}
