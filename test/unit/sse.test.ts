import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatSseEvent, SLOW_CLIENT_PACE_MS, SseWriter, type SseResponse } from '../../src/proxy/protocols/sse';
import { FakeResponse } from './sse-harness';

const asResponse = (res: FakeResponse) => res as unknown as SseResponse;

/** The writer joins the events of one tick into one write at the end of the tick. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Everything written so far, read from the PassThrough's readable side. */
function drain(res: FakeResponse): string {
  let text = '';
  let chunk: Buffer | null;
  while ((chunk = res.read()) !== null) text += chunk.toString();
  return text;
}

/** A response that records each write. */
function recordingResponse(highWaterMark?: ConstructorParameters<typeof FakeResponse>[0]): { res: FakeResponse; writes: string[] } {
  const res = new FakeResponse(highWaterMark);
  const writes: string[] = [];
  const write = res.write.bind(res);
  res.write = ((chunk: string, cb?: () => void) => (writes.push(chunk), write(chunk, cb))) as typeof res.write;
  return { res, writes };
}

/** Takes every write (a roomy buffer, like the kernel's) but is read only when a test drains it. */
const ROOMY = { readableHighWaterMark: 16, writableHighWaterMark: 1024 * 1024 };

describe('formatSseEvent', () => {
  it('frames named and unnamed events', () => {
    assert.equal(formatSseEvent('{"a":1}', 'ping'), 'event: ping\ndata: {"a":1}\n\n');
    assert.equal(formatSseEvent('[DONE]'), 'data: [DONE]\n\n');
  });

  it('splits multi-line data into one data line per line', () => {
    assert.equal(formatSseEvent('a\nb\r\nc'), 'data: a\ndata: b\ndata: c\n\n');
  });
});

describe('SseWriter', () => {
  it('opens with the SSE headers and writes each event by the end of its tick', async () => {
    const res = new FakeResponse();
    const writer = new SseWriter(asResponse(res));
    writer.open();
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.headers, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    await writer.send('{"x":1}', 'e');
    await nextTurn();
    assert.equal(drain(res), 'event: e\ndata: {"x":1}\n\n');
    writer.end();
    assert.equal(res.writableEnded, true);
  });

  it('joins the events of one tick into one write, and end() carries what is left', async () => {
    const { res, writes } = recordingResponse();
    const writer = new SseWriter(asResponse(res));
    writer.open();
    for (let i = 0; i < 5; i++) await writer.send(`{"i":${i}}`, 'e');
    await nextTurn();
    assert.equal(writes.length, 1);
    assert.equal(writes[0], [0, 1, 2, 3, 4].map((i) => `event: e\ndata: {"i":${i}}\n\n`).join(''));
    await writer.send('last');
    writer.end();
    assert.equal(writes.length, 1, 'the last event leaves with the end of the response');
    assert.equal(drain(res), writes[0] + 'data: last\n\n');
  });

  it('flushes the headers alone when no event follows in the same tick', async () => {
    const res = new FakeResponse();
    let flushed = 0;
    res.flushHeaders = () => void flushed++;
    const writer = new SseWriter(asResponse(res));
    writer.open();
    assert.equal(flushed, 0);
    await nextTurn();
    assert.equal(flushed, 1);
    writer.end();
  });

  it('waits for drain when the socket buffer is full', async () => {
    const res = new FakeResponse(8);
    const writer = new SseWriter(asResponse(res));
    writer.open();
    let sent = false;
    const sending = writer.send('0123456789').then(() => (sent = true));
    await sleep(5);
    assert.equal(sent, false, 'send must wait while nobody reads');
    res.resume();
    await sending;
    assert.equal(sent, true);
  });

  it('stops waiting and writing once the client is gone', async () => {
    const res = new FakeResponse(8);
    const writer = new SseWriter(asResponse(res));
    writer.open();
    const sending = writer.send('0123456789');
    res.destroy();
    await sending;
    assert.equal(writer.closed, true);
    let writes = 0;
    res.write = () => (writes++, true);
    await writer.send('after');
    writer.end();
    assert.equal(writes, 0);
  });

  it('never writes after the response closed, even if the socket still looks alive', async () => {
    const res = new FakeResponse();
    const writer = new SseWriter(asResponse(res));
    writer.open({ intervalMs: 5, frame: ': hb\n\n' });
    res.emit('close');
    let writes = 0;
    res.write = () => (writes++, true);
    await writer.send('late');
    await sleep(20);
    writer.end();
    assert.equal(writes, 0);
    assert.equal(res.writableEnded, false, 'end() leaves a closed response alone');
  });

  const render = (text: string) => JSON.stringify({ text });

  it('deltas of one key waiting in the same tick leave as one event; another send ends the run in its place', async () => {
    const res = new FakeResponse();
    const writer = new SseWriter(asResponse(res));
    writer.open();
    for (const piece of ['He', 'llo', ', ']) await writer.sendDelta('a', piece, render, 'd');
    await writer.send('{"tool":1}', 't');
    await writer.sendDelta('a', 'wor', render, 'd');
    await writer.sendDelta('b', 'other', render, 'd');
    await writer.sendDelta('b', ' key', render, 'd');
    await writer.sendDelta('a', 'ld', render, 'd');
    await nextTurn();
    assert.equal(
      drain(res),
      [['d', { text: 'Hello, ' }], ['t', { tool: 1 }], ['d', { text: 'wor' }], ['d', { text: 'other key' }], ['d', { text: 'ld' }]]
        .map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
        .join(''),
    );
    writer.end();
  });

  it('while a slow client has a full socket, deltas keep coming and leave joined as one event on drain', async () => {
    const res = new FakeResponse(64);
    const writer = new SseWriter(asResponse(res));
    writer.open();
    await writer.sendDelta('a', 'x'.repeat(100), render); // past the socket's 64 bytes: it is full now
    const pieces = Array.from({ length: 40 }, (_, i) => `${i},`);
    for (const piece of pieces) {
      // Taken at once while the run is small: the renderer goes on reading Kiro.
      const taken = await Promise.race([writer.sendDelta('a', piece, render).then(() => true), sleep(20).then(() => false)]);
      assert.equal(taken, true, `delta ${piece} taken while the socket is full`);
    }
    let seen = drain(res); // the client reads at last: the socket empties and 'drain' fires
    await sleep(5);
    seen += drain(res);
    await writer.send('{"end":1}', 'e');
    writer.end();
    seen += drain(res);
    assert.equal(
      seen,
      `data: ${render('x'.repeat(100))}\n\ndata: ${render(pieces.join(''))}\n\nevent: e\ndata: {"end":1}\n\n`,
      'one event for everything that came while the socket was full',
    );
  });

  it('a write still in the socket a tick later holds what follows, joined, even before the socket reports full', async () => {
    // Nobody reads: the first write never leaves.
    const { res, writes } = recordingResponse(ROOMY);
    const writer = new SseWriter(asResponse(res));
    writer.open();
    await writer.sendDelta('a', 'x'.repeat(100), render);
    await nextTurn();
    const pieces = Array.from({ length: 10 }, (_, i) => `${i},`);
    for (const piece of pieces) {
      await writer.sendDelta('a', piece, render);
      await nextTurn(); // a tick apart: without the hold, each would be its own write
    }
    assert.equal(writes.length, 1, 'nothing more is written while the first write sits in the socket');
    let seen = drain(res); // the client reads: the first write leaves, what waited goes out as one event
    await sleep(5);
    seen += drain(res);
    writer.end();
    seen += drain(res);
    assert.equal(writes.length, 2);
    assert.equal(seen, `data: ${render('x'.repeat(100))}\n\ndata: ${render(pieces.join(''))}\n\n`);
  });

  it('once a client was seen slow, its writes stay a pace apart and what comes meanwhile leaves joined', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const { res, writes } = recordingResponse(ROOMY);
    const writer = new SseWriter(asResponse(res));
    writer.open();
    const deltasTickApart = async (pieces: string[]) => {
      for (const piece of pieces) {
        await writer.sendDelta('a', piece, render);
        await nextTurn();
        drain(res); // the client reads everything at once
      }
    };
    await deltasTickApart(['f0', 'f1', 'f2']);
    assert.equal(writes.length, 3, 'a client that keeps up gets each tick at once');

    await writer.sendDelta('a', 'x'.repeat(100), render);
    await nextTurn();
    await writer.sendDelta('a', 'held', render);
    await nextTurn(); // the last write is still in the socket a tick later: the client is slow
    assert.equal(writes.length, 4);
    drain(res); // it reads at last: what was held leaves
    await nextTurn();
    assert.equal(writes.length, 5);

    const pieces = Array.from({ length: 10 }, (_, i) => `${i},`);
    await deltasTickApart(pieces);
    assert.equal(writes.length, 5, `nothing more within ${SLOW_CLIENT_PACE_MS} ms of the last write, though the client read it`);
    t.mock.timers.tick(SLOW_CLIENT_PACE_MS);
    await nextTurn();
    await nextTurn();
    assert.deepEqual(writes.slice(4), [`data: ${render('held')}\n\n`, `data: ${render(pieces.join(''))}\n\n`]);
    drain(res);
    await nextTurn();

    // The pace joins events, it does not cap the rate: a run at its bound (four times the flush
    // size, 64 KiB here) leaves at once, though the pace since the last write has not passed.
    const big = 'z'.repeat(256 * 1024);
    await writer.sendDelta('a', big, render);
    assert.equal(writes.length, 7);
    assert.equal(writes[6], `data: ${render(big)}\n\n`);
    drain(res);

    // Within a pace, other events keep their place after the run, and the end carries all of it.
    await writer.sendDelta('a', 'tail', render);
    await writer.send('{"stop":1}', 'e');
    await nextTurn();
    assert.equal(writes.length, 7, 'held for the pace');
    writer.end();
    assert.equal(drain(res), `data: ${render('tail')}\n\nevent: e\ndata: {"stop":1}\n\n`);
    t.mock.timers.tick(SLOW_CLIENT_PACE_MS);
    await nextTurn();
    assert.equal(writes.length, 7, 'the pace ended with the stream: nothing is written after the end');
  });

  it('a held run stops taking deltas once it reaches its bound: then sendDelta waits for drain too', async () => {
    const res = new FakeResponse(8);
    const writer = new SseWriter(asResponse(res));
    writer.open();
    await writer.sendDelta('a', '0123456789', render);
    await nextTurn();
    // The bound is four times the flush size (the socket's high-water mark, 8 here): 32 characters.
    assert.equal(await Promise.race([writer.sendDelta('a', 'y'.repeat(20), render).then(() => 'taken'), sleep(20).then(() => 'waiting')]), 'taken');
    assert.equal(await Promise.race([writer.sendDelta('a', 'z'.repeat(20), render).then(() => 'taken'), sleep(20).then(() => 'waiting')]), 'waiting');
    drain(res);
    await sleep(5);
    drain(res);
    writer.end();
  });

  it('sends heartbeats only after a full interval of silence, and none after end', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const res = new FakeResponse();
    const writer = new SseWriter(asResponse(res));
    writer.open({ intervalMs: 60, frame: ': hb\n\n' });
    for (let i = 0; i < 5; i++) {
      t.mock.timers.tick(50);
      await writer.send('busy');
    }
    await nextTurn();
    assert.match(drain(res), /^(data: busy\n\n){5}$/, 'writes put the heartbeat off: none among 250 ms of writes 50 ms apart');
    t.mock.timers.tick(59);
    await nextTurn();
    assert.equal(drain(res), '', 'not before a full interval of silence');
    t.mock.timers.tick(1);
    await nextTurn();
    assert.equal(drain(res), ': hb\n\n');
    t.mock.timers.tick(60);
    await nextTurn();
    assert.equal(drain(res), ': hb\n\n', 'and again each interval while silent');
    writer.end();
    t.mock.timers.tick(600);
    await nextTurn();
    assert.equal(drain(res), '');
  });
});
