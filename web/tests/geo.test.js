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
