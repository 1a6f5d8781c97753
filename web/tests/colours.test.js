// The principals' colours (src/colours.js): no two alike, for normal sight and under the
// two common red-green colour blindnesses (deuteranopia, protanopia; Machado, Oliveira and
// Fernandes 2009, full severity, applied in linear RGB), measured as CIEDE2000 colour
// differences between every pair; and the mediator and the monitors apart from each party.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRINCIPAL_PALETTE, partyColours } from '../src/colours.js';

const MACHADO = {
  normal: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
};
// Tritanopia is rarer (about 1 in 10,000); reported, not required.
MACHADO.tritanopia = [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]];

const toLinear = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map(toLinear);

function simulate(lin, kind) {
  const m = MACHADO[kind];
  return m.map((row) => Math.min(1, Math.max(0, row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2])));
}

function lab([r, g, b]) {
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
  const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
  const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883;
  const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** CIEDE2000 (Sharma, Wu and Dalal 2005). */
function deltaE2000([L1, a1, b1], [L2, a2, b2]) {
  const rad = Math.PI / 180;
  const C1 = Math.hypot(a1, b1);
  const C2 = Math.hypot(a2, b2);
  const Cm = (C1 + C2) / 2;
  const G = 0.5 * (1 - Math.sqrt(Cm ** 7 / (Cm ** 7 + 25 ** 7)));
  const a1p = (1 + G) * a1;
  const a2p = (1 + G) * a2;
  const C1p = Math.hypot(a1p, b1);
  const C2p = Math.hypot(a2p, b2);
  const hp = (a, b) => (a === 0 && b === 0 ? 0 : (Math.atan2(b, a) / rad + 360) % 360);
  const h1p = hp(a1p, b1);
  const h2p = hp(a2p, b2);
  const dLp = L2 - L1;
  const dCp = C2p - C1p;
  let dhp = C1p * C2p === 0 ? 0 : h2p - h1p;
  if (dhp > 180) dhp -= 360;
  else if (dhp < -180) dhp += 360;
  const dHp = 2 * Math.sqrt(C1p * C2p) * Math.sin((dhp / 2) * rad);
  const Lmp = (L1 + L2) / 2;
  const Cmp = (C1p + C2p) / 2;
  let hmp = h1p + h2p;
  if (C1p * C2p !== 0) hmp = Math.abs(h1p - h2p) > 180 ? (h1p + h2p + (h1p + h2p < 360 ? 360 : -360)) / 2 : (h1p + h2p) / 2;
  const T = 1 - 0.17 * Math.cos((hmp - 30) * rad) + 0.24 * Math.cos(2 * hmp * rad) + 0.32 * Math.cos((3 * hmp + 6) * rad) - 0.2 * Math.cos((4 * hmp - 63) * rad);
  const dTheta = 30 * Math.exp(-(((hmp - 275) / 25) ** 2));
  const RC = 2 * Math.sqrt(Cmp ** 7 / (Cmp ** 7 + 25 ** 7));
  const SL = 1 + (0.015 * (Lmp - 50) ** 2) / Math.sqrt(20 + (Lmp - 50) ** 2);
  const SC = 1 + 0.045 * Cmp;
  const SH = 1 + 0.015 * Cmp * T;
  const RT = -Math.sin(2 * dTheta * rad) * RC;
  return Math.sqrt((dLp / SL) ** 2 + (dCp / SC) ** 2 + (dHp / SH) ** 2 + RT * (dCp / SC) * (dHp / SH));
}

const distance = (p, q, kind) => deltaE2000(lab(simulate(rgb(p), kind)), lab(simulate(rgb(q), kind)));

// Textbook pairs from Sharma et al.'s test data: the implementation is right.
test('CIEDE2000 matches the published test data', () => {
  assert.ok(Math.abs(deltaE2000([50, 2.6772, -79.7751], [50, 0, -82.7485]) - 2.0425) < 1e-3);
  assert.ok(Math.abs(deltaE2000([50, 2.5, 0], [73, 25, -18]) - 27.1492) < 1e-3);
  assert.ok(Math.abs(deltaE2000([60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387]) - 1.2644) < 1e-3);
});

// The example's principals: two parties, the mediator, the monitor and the observer, and
// a larger agreement's: four parties, two monitors, two observers.
const EXAMPLE = [{ id: 'IL', role: 'party' }, { id: 'SY', role: 'party' }, { id: 'RU', role: 'mediator' }, { id: 'RU-MP', role: 'monitor' }, { id: 'US', role: 'observer' }];
const LARGER = [...['A', 'B', 'C', 'D'].map((id) => ({ id, role: 'party' })), { id: 'M', role: 'mediator' }, { id: 'P1', role: 'monitor' }, { id: 'P2', role: 'monitor' }, { id: 'O1', role: 'observer' }, { id: 'O2', role: 'observer' }];
// Minimum CIEDE2000 between any two principals: 20 (ten times "just noticeable") for the
// usual five, which keeps dots of 6 px apart at a glance; 10 for nine principals, where no
// palette does much better under colour blindness (the legend names each).
const KINDS = ['normal', 'deuteranopia', 'protanopia'];

for (const [name, principals, min] of [['the example', EXAMPLE, 20], ['four parties, two monitors, two observers', LARGER, 10]]) {
  test(`${name}: no two principals alike, for normal sight and under deuteranopia and protanopia`, () => {
    const colours = partyColours(principals);
    assert.equal(new Set(Object.values(colours)).size, principals.length, 'a colour each');
    for (const kind of ['normal', 'deuteranopia', 'protanopia', 'tritanopia']) {
      let worst = { d: Infinity };
      for (const [i, p] of principals.entries()) {
        for (const q of principals.slice(i + 1)) {
          const d = distance(colours[p.id], colours[q.id], kind);
          if (d < worst.d) worst = { d, pair: `${p.id} ${colours[p.id]} / ${q.id} ${colours[q.id]}` };
        }
      }
      console.log(`${name}, ${kind}: closest pair ${worst.pair}, ΔE2000 ${worst.d.toFixed(1)}`);
      if (KINDS.includes(kind)) assert.ok(worst.d >= min, `${kind}: ${worst.pair} are ${worst.d.toFixed(1)} apart (< ${min})`);
    }
  });
}

test('the mediator and the monitors are apart from each party, whatever the sight', () => {
  const { party, mediator, monitor } = PRINCIPAL_PALETTE;
  for (const other of [...mediator, ...monitor]) {
    for (const [i, p] of party.entries()) {
      // The first mediator and monitor from the first two parties: 20; any from any: 10.
      const min = i < 2 && (other === mediator[0] || other === monitor[0]) ? 20 : 10;
      for (const kind of KINDS) assert.ok(distance(p, other, kind) >= min, `${other} vs party ${p} under ${kind}: ${distance(p, other, kind).toFixed(1)}`);
    }
  }
});
