// The console's colours: zones and lines by the kind of their rule, and one colour per
// principal.

export const RULE_COLOURS = { exclusion: '#d62728', cap: '#ff7f0e', standoff: '#8e44ad', none: '#607d8b' };

const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#17becf', '#e377c2', '#bcbd22', '#7f7f7f'];
const FIXED = { IL: '#1f6fd1', SY: '#2e9e44' };

/** A colour per party id, stable for the agreement. */
export function partyColours(parties) {
  const out = {};
  let i = 0;
  for (const p of parties) out[p.id] = FIXED[p.id] || PALETTE[i++ % PALETTE.length];
  return out;
}

