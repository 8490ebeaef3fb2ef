// The session table behind stickiness: sliding window from the end of the last request,
// conversation ids, and a sweep whose cost per bind does not grow with the number of live sessions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionTable, type StickySession } from '../../src/proxy/pool/sessions';

const WINDOW = 60_000;

/** A request of `key` on `accountId` that starts and ends at `now`. */
function serve(table: SessionTable, key: string, accountId: string, now: number): StickySession {
  const session = table.bind(key, accountId, now);
  table.release(key, session, now);
  return session;
}

describe('SessionTable', () => {
  it('keeps an account and a conversation for a session within the window, and starts over after', () => {
    const table = new SessionTable(() => WINDOW);
    const first = serve(table, 's', 'a1', 0);
    assert.equal(serve(table, 's', 'a1', WINDOW - 1).conversationId, first.conversationId, 'the window slides with each use');
    assert.equal(serve(table, 's', 'a1', 2 * WINDOW - 2).conversationId, first.conversationId);
    assert.notEqual(serve(table, 's', 'a2', 2 * WINDOW - 1).conversationId, first.conversationId, 'another account, another conversation');
    assert.equal(table.find('s', 4 * WINDOW), undefined);
  });

  it('a session is live while a request of it runs, however long, and its window starts when the last one ends', () => {
    const table = new SessionTable(() => WINDOW);
    const long = table.bind('s', 'a1', 0);
    // A parallel request long after the first started joins the same conversation.
    const parallel = table.bind('s', 'a1', 5 * WINDOW);
    assert.equal(parallel.conversationId, long.conversationId);
    table.release('s', parallel, 5 * WINDOW + 10);
    assert.equal(table.find('s', 7 * WINDOW)?.conversationId, long.conversationId, 'the long request still runs');
    table.release('s', long, 8 * WINDOW);
    assert.equal(table.find('s', 9 * WINDOW - 1)?.conversationId, long.conversationId, 'the window counts from the end');
    assert.equal(table.find('s', 9 * WINDOW), undefined);
  });

  it('a request that ends after its session moved to another account leaves the new one alone', () => {
    const table = new SessionTable(() => WINDOW);
    const old = table.bind('s', 'a1', 0);
    const moved = serve(table, 's', 'a2', 1000);
    table.release('s', old, 2000);
    assert.equal(table.find('s', 1000 + WINDOW - 1)?.conversationId, moved.conversationId);
    assert.equal(table.find('s', 1000 + WINDOW), undefined, 'the old request did not extend the new session');
  });

  it('sweeps expired sessions once past 1,000 and keeps every live one', () => {
    const table = new SessionTable(() => WINDOW);
    for (let i = 0; i < 1500; i++) serve(table, `old${i}`, 'a', i);
    // A session bound early but used again recently must survive the sweep.
    const kept = serve(table, 'old0', 'a', WINDOW);
    for (let i = 0; i < 300; i++) serve(table, `new${i}`, 'a', WINDOW + 1000 + i);
    // old1..old999 expired at WINDOW + 999 at the latest; the binds at and after WINDOW + 1000 swept them.
    for (let i = 1; i < 1000; i++) assert.equal(table.find(`old${i}`, WINDOW + 1000), undefined);
    assert.ok(table.size <= 1 + 500 + 300, `expired sessions stay behind: ${table.size}`);
    assert.equal(table.find('old0', WINDOW + 1300)?.conversationId, kept.conversationId);
    for (let i = 0; i < 300; i++) assert.ok(table.find(`new${i}`, WINDOW + 1300));
    // Much later, once the table passes 1,000 again, every old session goes.
    const late = WINDOW * 3;
    for (let i = 0; i < 1001; i++) serve(table, `late${i}`, 'a', late + i);
    assert.equal(table.size, 1001, 'only the late sessions are left');
  });

  it('the sweep keeps sessions with a request running, and drops them once their window after the end passed', () => {
    let reads = 0;
    const table = new SessionTable(() => (reads++, WINDOW));
    const running = Array.from({ length: 500 }, (_, i) => table.bind(`run${i}`, 'a', i));
    for (let i = 0; i < 600; i++) serve(table, `done${i}`, 'a', 1000 + i);
    // Long after: the next binds sweep the finished sessions and keep the running ones.
    const later = 10 * WINDOW;
    reads = 0;
    for (let i = 0; i < 1000; i++) serve(table, `next${i}`, 'a', later + i);
    assert.ok(reads <= 2 * 1000, `window read ${reads} times for 1,000 binds`);
    for (let i = 0; i < 500; i++) assert.equal(table.find(`run${i}`, later + 1000)?.conversationId, running[i].conversationId);
    for (let i = 0; i < 600; i++) assert.equal(table.find(`done${i}`, later + 1000), undefined);
    assert.equal(table.size, 1500);
    for (let i = 0; i < 500; i++) table.release(`run${i}`, running[i], later + 2000);
    const end = later + 2000 + WINDOW;
    for (let i = 0; i < 1001; i++) serve(table, `last${i}`, 'a', end + i);
    assert.equal(table.size, 1001, 'the ended sessions went once their window passed');
  });

  it('with a zero window a sweep keeps only sessions with a request running, and ends', () => {
    const table = new SessionTable(() => 0);
    const running = Array.from({ length: 1001 }, (_, i) => table.bind(`run${i}`, 'a', i));
    serve(table, 'done', 'a', 2000);
    serve(table, 'next', 'a', 2001);
    assert.equal(table.size, 1002, 'the running sessions and the last one');
    assert.equal(table.find('done', 2001), undefined);
    assert.equal(table.find('run0', 2001)?.conversationId, running[0].conversationId);
  });

  it('a bind at 20,000 live sessions reads the window a bounded number of times (no full scan)', () => {
    let reads = 0;
    const table = new SessionTable(() => (reads++, WINDOW));
    for (let i = 0; i < 20_000; i++) serve(table, `s${i}`, 'a', 1000 + i);
    reads = 0;
    for (let i = 0; i < 1000; i++) serve(table, `t${i}`, 'a', 21_000 + i);
    // One read for find and one for the sweep per bind; the old full scan read it once per session.
    assert.ok(reads <= 2 * 1000, `window read ${reads} times for 1,000 binds`);
    assert.equal(table.size, 21_000);
  });
});
