// How units are drawn: the viewer's relation (never "hostile"), the code's affiliation
// replaced in both forms of code, one image name per kind, icon contrast, headings and
// trails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relationOf, withRelation, imageName, iconColourOn, bearing, extendTrail, trailHeading, frameCode } from '../src/symbology.js';

const parties = [
  { id: 'IL', role: 'party' }, { id: 'SY', role: 'party' }, { id: 'RU', role: 'mediator' },
  { id: 'RU-MP', role: 'monitor' }, { id: 'US', role: 'observer' },
];

test('relations: own units friend, the other side unknown, impartial neutral, never hostile', () => {
  assert.equal(relationOf('IL', 'party', 'IL', parties), 'friend');
  assert.equal(relationOf('IL', 'party', 'SY', parties), 'unknown');
  assert.equal(relationOf('IL', 'party', 'RU-MP', parties), 'neutral');
  assert.equal(relationOf('RU', 'mediator', 'IL', parties), 'neutral');
  assert.equal(relationOf('RU', 'mediator', 'RU-MP', parties), 'friend');
  assert.equal(relationOf('RU-MP', 'monitor', 'RU-MP', parties), 'friend');
  assert.equal(relationOf('RU-MP', 'monitor', 'SY', parties), 'neutral');
  assert.equal(relationOf('US', 'observer', 'RU-MP', parties), 'neutral');
  assert.equal(relationOf('US', 'observer', 'SY', parties), 'neutral');
  assert.equal(relationOf('IL', 'party', 'XX', parties), 'unknown');
  for (const v of parties) for (const u of parties) assert.notEqual(relationOf(v.id, v.role, u.id, parties), 'hostile');
});

test('the affiliation of a code is the relation, in letter and number codes', () => {
  assert.equal(withRelation('SUGPUCA--------', 'friend'), 'SFGPUCA--------');
  assert.equal(withRelation('SHGPUCA--------', 'neutral'), 'SNGPUCA--------');
  assert.equal(withRelation('SUGPUCI--------', 'unknown'), 'SUGPUCI--------');
  assert.equal(withRelation('10061000001211000000', 'friend'), '10031000001211000000');
  assert.equal(withRelation('100610000012110000000000000000', 'neutral'), '100410000012110000000000000000');
  assert.equal(withRelation(null, 'friend'), null);
  assert.equal(withRelation('', 'friend'), null);
  assert.equal(frameCode('neutral').length, 15);
});

test('one image per category, party and relation', () => {
  assert.equal(imageName('tank', 'IL', 'friend'), 'unit|IL|tank|friend');
  assert.notEqual(imageName('tank', 'IL', 'friend'), imageName('tank', 'IL', 'neutral'));
  assert.notEqual(imageName('tank', 'IL', 'neutral'), imageName('tank', 'SY', 'neutral'));
});

test('the icon inside a fill contrasts with it', () => {
  assert.equal(iconColourOn('#000000'), '#ffffff');
  assert.equal(iconColourOn('#F0E442'), '#000000'); // the monitors' yellow
  assert.equal(iconColourOn('#882255'), '#ffffff');
  assert.equal(iconColourOn('#56B4E9'), '#000000');
});

test('heading: the bearing of the last move, none when it did not move', () => {
  assert.ok(Math.abs(bearing([35, 33], [35, 33.1]) - 0) < 1e-6);
  assert.ok(Math.abs(bearing([35, 33], [35.1, 33]) - 90) < 0.1);
  assert.ok(Math.abs(bearing([35, 33], [35, 32.9]) - 180) < 1e-6);
  assert.ok(Math.abs(bearing([35, 33], [34.9, 33]) - 270) < 0.1);
  assert.equal(bearing([35, 33], [35, 33]), null);
  assert.equal(trailHeading([[35, 33, 0]]), null);
  assert.ok(Math.abs(trailHeading([[35, 33, 0], [35.1, 33, 1]]) - 90) < 0.1);
});

test('trails keep the last positions in time order, and start again when time goes back', () => {
  let tr;
  for (let i = 0; i < 12; i++) tr = extendTrail(tr, 35 + i / 100, 33, i * 1000, 8);
  assert.equal(tr.length, 8);
  assert.deepEqual(tr.map((p) => p[2]), [4, 5, 6, 7, 8, 9, 10, 11].map((i) => i * 1000));
  assert.equal(extendTrail(tr, 35.11, 33, 11_000, 8), tr, 'the same report again changes nothing');
  assert.equal(extendTrail(tr, 35.11, 33, 12_000, 8), tr, 'a report that did not move adds nothing');
  assert.equal(extendTrail(tr, 35.5, 33, 12_000, 8).length, 8);
  assert.deepEqual(extendTrail(tr, 35, 33, 0, 8), [[35, 33, 0]]);
});
