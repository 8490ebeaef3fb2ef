import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countdownCadenceMs, formatCountdown, formatShortDate } from '../../src/views/timeModel';

const s = 1000;
const m = 60 * s;
const h = 60 * m;

test('formatCountdown shows m:ss under ten minutes', () => {
  assert.equal(formatCountdown(3 * m + 12 * s), '3:12');
  assert.equal(formatCountdown(59 * s), '0:59');
  assert.equal(formatCountdown(9 * m + 59 * s), '9:59');
  // rounded up: a third of a second left still shows 0:01, never 0:00 early
  assert.equal(formatCountdown(300), '0:01');
  assert.equal(formatCountdown(0), '0:00');
  assert.equal(formatCountdown(-5), '0:00');
});

test('formatCountdown shows minutes, hours and days above ten minutes', () => {
  assert.equal(formatCountdown(40 * m), '40m');
  assert.equal(formatCountdown(39 * m + 1), '40m');
  assert.equal(formatCountdown(2 * h), '2h');
  assert.equal(formatCountdown(2 * h + 5 * m), '2h 5m');
  assert.equal(formatCountdown(3 * 24 * h), '3d');
  assert.equal(formatCountdown(3 * 24 * h + 4 * h), '3d 4h');
});

test('countdownCadenceMs ticks every second under ten minutes, to the next change', () => {
  assert.equal(countdownCadenceMs(3 * m + 12 * s), 1000);
  assert.equal(countdownCadenceMs(5 * s + 432), 432);
  assert.equal(countdownCadenceMs(0), undefined);
  assert.equal(countdownCadenceMs(-1), undefined);
});

test('countdownCadenceMs waits for the next minute above ten minutes', () => {
  assert.equal(countdownCadenceMs(40 * m), 60 * s);
  assert.equal(countdownCadenceMs(40 * m + 30 * s), 30 * s);
  // the displayed text really changes after that delay
  const left = 40 * m + 30 * s;
  assert.notEqual(formatCountdown(left), formatCountdown(left - countdownCadenceMs(left)!));
  assert.equal(formatCountdown(left), formatCountdown(left - countdownCadenceMs(left)! + 1));
});

test('formatShortDate uses the UI language', () => {
  const dec1 = Date.UTC(2025, 11, 1, 12);
  assert.equal(formatShortDate(dec1, 'en', 'UTC'), 'Dec 1');
  assert.match(formatShortDate(dec1, 'zh-cn', 'UTC'), /12月1日/);
});
