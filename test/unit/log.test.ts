// The request log's memory: Kiro requests kept for repro bundles are bounded in size and in total.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestLog, type RequestLogEntry } from '../../src/proxy/log';

const failed = (kiroRequest: string): Omit<RequestLogEntry, 'id'> => ({
  time: Date.now(), endpoint: '/v1/messages', clientModel: 'm', kiroModel: 'k', stream: false, status: 502, durationMs: 5, attempts: 1, kiroRequest,
});

describe('RequestLog', () => {
  it('keeps at most 256 KB of each failed Kiro request and 32 MB of them in all, dropping the oldest', () => {
    const log = new RequestLog(1000);
    const big = `{"conversationState":${JSON.stringify('x'.repeat(600 * 1024))}}`;
    for (let i = 0; i < 200; i++) log.add(failed(big));
    const kept = log.recent(1000).filter((e) => e.kiroRequest !== undefined);
    const total = kept.reduce((sum, e) => sum + e.kiroRequest!.length, 0);
    assert.equal(log.recent(1000).length, 200, 'every entry stays, some without their request');
    assert.ok(kept.every((e) => e.kiroRequest!.length === 256 * 1024));
    assert.ok(total <= 32 * 1024 * 1024, `${total} chars kept`);
    assert.equal(kept.length, 128);
    assert.deepEqual(kept.map((e) => e.id), log.recent(128).map((e) => e.id), 'the newest keep theirs');
  });

  it('forgets a request with its entry when the entry leaves the ring or the log is cleared', () => {
    const log = new RequestLog(3);
    const added = [0, 1, 2, 3, 4].map((i) => log.add(failed(`{"n":${i}}`)));
    assert.deepEqual(log.recent(10).map((e) => e.kiroRequest), ['{"n":4}', '{"n":3}', '{"n":2}']);
    // Listeners (the webview) may still hold an evicted entry: its request is let go anyway.
    assert.deepEqual(added.map((e) => e.kiroRequest), [undefined, undefined, '{"n":2}', '{"n":3}', '{"n":4}']);
    log.setCapacity(1);
    assert.deepEqual(log.recent(10).map((e) => e.kiroRequest), ['{"n":4}']);
    log.clear();
    log.add(failed('{"n":5}'));
    assert.equal(log.recent(1)[0].kiroRequest, '{"n":5}');

    // What left the ring no longer counts against the budget: the last ten keep theirs.
    const small = new RequestLog(10);
    const big = 'y'.repeat(256 * 1024);
    for (let i = 0; i < 300; i++) small.add(failed(big));
    assert.equal(small.recent(10).filter((e) => e.kiroRequest === big).length, 10);
  });

  it('stays a ring of the newest entries through many evictions, and after a smaller capacity', () => {
    const log = new RequestLog(10);
    const ok = (i: number): Omit<RequestLogEntry, 'id'> => ({
      time: Date.now(), endpoint: '/v1/messages', clientModel: 'm', kiroModel: 'k', stream: true, status: 200, durationMs: 1, attempts: 1, sessionId: `s${i % 3}`,
    });
    for (let i = 0; i < 1000; i++) log.add(ok(i));
    assert.deepEqual(log.recent(100).map((e) => e.id), [1000, 999, 998, 997, 996, 995, 994, 993, 992, 991]);
    assert.deepEqual(log.recent(3).map((e) => e.id), [1000, 999, 998]);
    assert.equal(log.get(991)?.id, 991);
    assert.equal(log.get(990), undefined, 'evicted');
    assert.equal(log.stats().sessions.reduce((n, s) => n + s.requests, 0), 10, 'session stats count the ring only');
    log.setCapacity(3);
    assert.deepEqual(log.recent(100).map((e) => e.id), [1000, 999, 998]);
    log.add(ok(1000));
    assert.deepEqual(log.recent(100).map((e) => e.id), [1001, 1000, 999]);
    log.clear();
    assert.deepEqual(log.recent(), []);
  });

  it('counts the last hour per minute, whatever ran before it', () => {
    const log = new RequestLog(10);
    const firstMinute = Math.floor(Date.UTC(2026, 0, 1, 10) / 60_000);
    for (let m = 0; m < 120; m++) {
      for (let k = 0; k <= m % 3; k++) {
        log.add({ time: (firstMinute + m) * 60_000 + k * 1000, endpoint: '/v1/messages', clientModel: 'm', kiroModel: 'k', stream: true, status: k === 2 ? 500 : 200, durationMs: 10, attempts: 1 });
      }
    }
    const { lastHour } = log.stats((firstMinute + 119) * 60_000 + 59_000);
    assert.equal(lastHour.length, 60);
    assert.deepEqual(lastHour.map((b) => b.minute), Array.from({ length: 60 }, (_, i) => firstMinute + 60 + i));
    assert.deepEqual(lastHour.map((b) => b.requests), Array.from({ length: 60 }, (_, i) => ((60 + i) % 3) + 1));
    assert.deepEqual(lastHour.map((b) => b.errors), Array.from({ length: 60 }, (_, i) => ((60 + i) % 3 === 2 ? 1 : 0)));
    // An hour later with nothing new, nothing is left to show.
    assert.ok(log.stats((firstMinute + 180) * 60_000).lastHour.every((b) => b.requests === 0));
  });
});
