// The console's colours: zones and lines by the kind of their rule, and one colour per
// principal such that no two principals look alike, to anyone: the principals' colours are
// from Okabe and Ito's palette for colour-blind readers, kept apart from one another under
// deuteranopia and protanopia as well as for normal sight (tests/colours.test.js measures
// it), with the parties first, then the mediator, the monitors and the observers, each role
// from its own part of the palette, so that a monitor's patrol never reads as a party's unit.

export const RULE_COLOURS = { exclusion: '#d62728', cap: '#ff7f0e', standoff: '#8e44ad', none: '#607d8b' };

/** The palette, by role, in the order principals of that role take it. The first five
 * (two parties, the mediator, a monitor, an observer) are at least 20 apart (CIEDE2000) for
 * normal sight and under deuteranopia and protanopia; every colour here at least 10. */
export const PRINCIPAL_PALETTE = {
  party: ['#0072B2', '#009E73', '#D55E00', '#882255'], // blue, bluish green, vermillion, wine
  mediator: ['#000000'], // black: the mediator belongs to no side
  monitor: ['#F0E442', '#8B4513'], // yellow (drawn with a dark ring), then brown
  observer: ['#56B4E9', '#332288'], // sky blue, then indigo
};
const SPARE = ['#999999', '#AA4499', '#117733', '#44AA99'];

/** Monitors' units are drawn with a dark ring (others with a white one): yellow needs it on
 * light land, and a patrol then differs from a party's unit by its outline as well. */
export const MONITOR_RING = '#1b1b1b';

/** A colour per principal id, stable for the agreement: its role's next colour. */
export function partyColours(parties) {
  const out = {};
  const used = { party: 0, mediator: 0, monitor: 0, observer: 0 };
  let spare = 0;
  for (const p of parties) {
    const list = PRINCIPAL_PALETTE[p.role] || [];
    const i = used[p.role] ?? 0;
    used[p.role] = i + 1;
    out[p.id] = list[i] || SPARE[spare++ % SPARE.length];
  }
  return out;
}
