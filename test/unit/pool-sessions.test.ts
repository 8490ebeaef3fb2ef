// The session table behind stickiness: sliding window, conversation ids, and a sweep whose
// cost per bind does not grow with the number of live sessions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { SessionTable } from '../../src/proxy/pool/sessions';

const WINDOW = 60_000;

describe('SessionTable', () => {
  it('keeps an account and a conversation for a session within the window, and starts over after', () => {
    const table = new SessionTable(() => WINDOW);
    const first = table.bind('s', 'a1', 0);
    assert.equal(table.bind('s', 'a1', WINDOW - 1).conversationId, first.conversationId, 'the window slides with each use');
    assert.equal(table.bind('s', 'a1', 2 * WINDOW - 2).conversationId, first.conversationId);
    assert.notEqual(table.bind('s', 'a2', 2 * WINDOW - 1).conversationId, first.conversationId, 'another account, another conversation');
    assert.equal(table.find('s', 4 * WINDOW), undefined);
  });

  it('sweeps expired sessions once past 1,000 and keeps every live one', () => {
    const table = new SessionTable(() => WINDOW);
    for (let i = 0; i < 1500; i++) table.bind(`old${i}`, 'a', i);
    // A session bound early but used again recently must survive the sweep.
    const kept = table.bind('old0', 'a', WINDOW);
    for (let i = 0; i < 300; i++) table.bind(`new${i}`, 'a', WINDOW + 1000 + i);
    // old1..old999 expired at WINDOW + 999 at the latest; the binds at and after WINDOW + 1000 swept them.
    for (let i = 1; i < 1000; i++) assert.equal(table.find(`old${i}`, WINDOW + 1000), undefined);
    assert.ok(table.size <= 1 + 500 + 300, `expired sessions stay behind: ${table.size}`);
    assert.equal(table.find('old0', WINDOW + 1300)?.conversationId, kept.conversationId);
    for (let i = 0; i < 300; i++) assert.ok(table.find(`new${i}`, WINDOW + 1300));
    // Much later, once the table passes 1,000 again, every old session goes.
    const late = WINDOW * 3;
    for (let i = 0; i < 1001; i++) table.bind(`late${i}`, 'a', late + i);
    assert.equal(table.size, 1001, 'only the late sessions are left');
  });

  it('a bind at 20,000 live sessions reads the window a bounded number of times (no full scan)', () => {
    let reads = 0;
    const table = new SessionTable(() => (reads++, WINDOW));
    for (let i = 0; i < 20_000; i++) table.bind(`s${i}`, 'a', 1000 + i);
    reads = 0;
    for (let i = 0; i < 1000; i++) table.bind(`t${i}`, 'a', 21_000 + i);
    // One read for find and one for the sweep per bind; the old full scan read it once per session.
    assert.ok(reads <= 2 * 1000, `window read ${reads} times for 1,000 binds`);
    assert.equal(table.size, 21_000);
  });

  it('bind stays cheap with 20,000 live sessions', () => {
    const table = new SessionTable(() => WINDOW);
    for (let i = 0; i < 20_000; i++) table.bind(`s${i}`, 'a', i);
    const t0 = performance.now();
    for (let i = 0; i < 5000; i++) table.bind(`s${i}`, 'a', 20_000 + i);
    const perBindUs = ((performance.now() - t0) * 1000) / 5000;
    // A full scan per bind measured ~244 µs here; the ordered sweep is ~1 µs. Generous for a loaded box.
    assert.ok(perBindUs < 40, `${perBindUs.toFixed(1)} µs per bind`);
  });
});
