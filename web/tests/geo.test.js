// The measure tool's distances (src/geo.js pathKm), in Node: great-circle lengths against
// known figures.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathKm, EARTH_KM } from '../src/geo.js';

test('great-circle lengths', () => {
  assert.equal(pathKm([]), 0);
  assert.equal(pathKm([[35.9, 33.1]]), 0);
  // A degree of latitude: 2πR/360.
  assert.ok(Math.abs(pathKm([[35.9, 33], [35.9, 34]]) - (2 * Math.PI * EARTH_KM) / 360) < 1e-9);
  // A degree of longitude at 33° N: shorter by about cos(33°) (a great circle, not the parallel).
  const lon = pathKm([[35, 33], [36, 33]]);
  assert.ok(Math.abs(lon - 93.25) < 0.1, `${lon}`);
  // A path adds its legs; there and back is twice the way.
  const a = [35.8, 33.0];
  const b = [36.0, 33.2];
  assert.ok(Math.abs(pathKm([a, b, a]) - 2 * pathKm([a, b])) < 1e-9);
  // Quneitra to Damascus, about 60 km.
  const q = pathKm([[35.824, 33.126], [36.292, 33.513]]);
  assert.ok(q > 55 && q < 65, `${q}`);
});

// The measure tool's areas (src/geo.js ringAreaKm2): the server's formula, against exact
// figures.
test('areas on the sphere, as the server measures zones', async () => {
  const { ringAreaKm2 } = await import('../src/geo.js');
  const rad = Math.PI / 180;
  // A cell of one degree from 33° N to 34° N: R² · Δlon · (sin 34° − sin 33°), exactly
  // (its edges are meridians and parallels, straight in lon/lat).
  const exact = EARTH_KM ** 2 * rad * (Math.sin(34 * rad) - Math.sin(33 * rad));
  const cell = [[35, 33], [36, 33], [36, 34], [35, 34]];
  assert.ok(Math.abs(ringAreaKm2(cell) - exact) < 1e-6, `${ringAreaKm2(cell)} vs ${exact}`);
  assert.ok(Math.abs(exact - 10310.3) < 0.1, `${exact}`);
  // Closed or open, either way round: the same.
  assert.ok(Math.abs(ringAreaKm2([...cell, cell[0]]) - exact) < 1e-9);
  assert.ok(Math.abs(ringAreaKm2([...cell].reverse()) - exact) < 1e-9);
  // Half of it along the diagonal (a straight line in lon/lat) and the other half add up.
  const a = ringAreaKm2([[35, 33], [36, 33], [36, 34]]);
  const b = ringAreaKm2([[35, 33], [36, 34], [35, 34]]);
  assert.ok(Math.abs(a + b - exact) < 1e-6, `${a} + ${b}`);
  // A small square near the Golan: about 1.11 km × 0.93 km at 33° N (0.01°).
  const small = ringAreaKm2([[35.8, 33], [35.81, 33], [35.81, 33.01], [35.8, 33.01]]);
  assert.ok(Math.abs(small - 1.0369) < 0.0005, `${small}`);
  // No area from fewer than three points.
  assert.equal(ringAreaKm2([]), 0);
  assert.equal(ringAreaKm2([[35, 33], [36, 33]]), 0);
});
