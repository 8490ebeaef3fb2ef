import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomHex } from '../../src/proxy/random-id';

test('randomHex gives the digits asked for, hex only, with no fixed UUID digit in them', () => {
  for (const digits of [1, 24, 30, 31, 32, 64]) {
    const ids = Array.from({ length: 200 }, () => randomHex(digits));
    for (const id of ids) assert.match(id, new RegExp(`^[0-9a-f]{${digits}}$`));
    if (digits >= 24) assert.equal(new Set(ids).size, ids.length, 'no repeats');
  }
  // The UUID's version digit (always 4) must not show: every position takes every value.
  const ids = Array.from({ length: 2000 }, () => randomHex(32));
  for (let at = 0; at < 32; at++) assert.ok(new Set(ids.map((id) => id[at])).size > 8, `position ${at} varies`);
});
