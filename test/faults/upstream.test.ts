// Upstream faults, each through the real CLI against the simulator's fault switches. Every
// fault must leave the right account state, give the client a protocol-correct answer (an
// error body before the first byte, a clean error event after it), leak no socket on either
// side, and not crash the proxy.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { startProxy, type RunningProxy } from '../helpers/proxy';
import { postJson, request, rssBytes, sleep, socketCount, waitFor, type RawResponse } from '../helpers/http';

const MESSAGE = (stream: boolean) => ({ model: 'claude-sonnet-4-5', max_tokens: 100, stream, messages: [{ role: 'user', content: 'hi' }] });
const CHAT = (stream: boolean) => ({ model: 'gpt-4o', stream, messages: [{ role: 'user', content: 'hi' }] });
const TEXT = 'The quick brown fox jumps over the lazy dog, again and again and again.';

interface SseEvent {
  event?: string;
  data: string;
}

function sseEvents(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data };
    });
}

/** An Anthropic stream that started and then ended with exactly one clean `error` event. */
function assertAnthropicStreamError(res: RawResponse): void {
  assert.equal(res.status, 200);
  const events = sseEvents(res.text);
  assert.equal(events[0].event, 'message_start');
  const last = events[events.length - 1];
  assert.equal(last.event, 'error', `last event: ${JSON.stringify(last)}`);
  const body = JSON.parse(last.data);
  assert.equal(body.type, 'error');
  assert.equal(typeof body.error.message, 'string');
  assert.ok(!events.some((e) => e.event === 'message_stop'), 'no message_stop after a failure');
}

/** An OpenAI stream that ended with an error chunk and no `[DONE]`. */
function assertOpenAiStreamError(res: RawResponse): void {
  assert.equal(res.status, 200);
  const events = sseEvents(res.text).filter((e) => e.data);
  const last = events[events.length - 1];
  const body = JSON.parse(last.data);
  assert.equal(typeof body.error?.message, 'string', `last chunk: ${last.data}`);
  assert.ok(!events.some((e) => e.data === '[DONE]'));
}

function assertAnthropicError(res: RawResponse, status: number): void {
  assert.equal(res.status, status, res.text);
  const body = res.json();
  assert.equal(body.type, 'error');
  assert.equal(typeof body.error.type, 'string');
  assert.equal(typeof body.error.message, 'string');
}

function assertOpenAiError(res: RawResponse, status: number): void {
  assert.equal(res.status, status, res.text);
  const body = res.json();
  assert.equal(typeof body.error.message, 'string');
  assert.ok('code' in body.error && 'type' in body.error);
}

async function accountStates(proxy: RunningProxy): Promise<Record<string, { state: string; errors: number }>> {
  const { accounts } = (await request(proxy.url, '/admin/accounts')).json();
  return Object.fromEntries(accounts.map((a: any) => [a.email ?? a.label, { state: a.state, errors: a.counters.errors }]));
}

/** Both sides back to their idle socket counts, and the CLI alive with nothing unhandled printed. */
async function assertClean(proxy: RunningProxy, baseline: number): Promise<void> {
  const pid = proxy.child.pid!;
  await waitFor(() => socketCount(pid) <= baseline, 5000, `proxy sockets back to ${baseline} (now ${socketCount(pid)})`);
  await waitFor(() => proxy.sim.sockets.size <= 2, 5000, `simulator sockets closed (now ${proxy.sim.sockets.size})`);
  assert.equal(proxy.child.exitCode, null, 'the CLI must still run');
  assert.doesNotMatch(proxy.output(), /Unhandled|TypeError|RangeError|ERR_/);
}

describe('upstream faults (2 accounts, first-byte timeout 800 ms, idle timeout 1000 ms)', { timeout: 120_000 }, () => {
  let proxy: RunningProxy;
  let a: any;
  let b: any;
  let baseline: number;

  before(async () => {
    proxy = await startProxy({ accounts: 2, args: ['--first-byte-timeout-ms', '800', '--idle-timeout-ms', '1000'] });
    [a, b] = proxy.sim.accounts.list();
    // Let the start-up calls (quota, models) finish, then one request to open the pools.
    await postJson(proxy.url, '/v1/messages', MESSAGE(false));
    await waitFor(() => proxy.sim.requests.every((r) => 'status' in r), 5000, 'every start-up call answered by the simulator');
    baseline = socketCount(proxy.child.pid!) + 1;
  });
  after(() => proxy.stop());
  afterEach(async () => {
    proxy.sim.setBehavior(a.id, null);
    proxy.sim.setBehavior(b.id, null);
    await assertClean(proxy, baseline);
    // Transient faults never take an account out of rotation.
    const states = await accountStates(proxy);
    assert.deepEqual(Object.values(states).map((s) => s.state), ['active', 'active'], JSON.stringify(states));
  });

  it('reset before the headers on one account: fails over, the client never notices', async () => {
    // a always resets, b is healthy. Requests go on until the pool has tried a (distinct
    // prompts, so no session stickiness keeps them on b); every one must succeed.
    proxy.sim.setBehavior(a.id, { resetBeforeHeaders: true });
    const tried = () => proxy.sim.requests.some((r: any) => r.account === a.id && r.outcome === 'reset-before-headers');
    for (let i = 0; i < 12 && !tried(); i++) {
      const res = await postJson(proxy.url, '/v1/messages', { ...MESSAGE(i % 2 === 0), messages: [{ role: 'user', content: `question ${i}` }] });
      assert.equal(res.status, 200, res.text);
    }
    assert.ok(tried(), 'the faulty account was tried');
  });

  it('reset before the headers on every account: a 502 in each protocol, bounded retries', async () => {
    proxy.sim.setBehavior(a.id, { resetBeforeHeaders: true });
    proxy.sim.setBehavior(b.id, { resetBeforeHeaders: true });
    const before = proxy.sim.chatRequests().length;
    assertAnthropicError(await postJson(proxy.url, '/v1/messages', MESSAGE(true)), 502);
    assertOpenAiError(await postJson(proxy.url, '/v1/chat/completions', CHAT(false)), 502);
    assert.ok(proxy.sim.chatRequests().length - before <= 8, 'at most maxRetries + 1 attempts per request');
  });

  it('reset mid-stream: a clean error event when streaming, a 502 body when not', async () => {
    proxy.sim.setBehavior(a.id, { text: TEXT, resetAfterFrames: 3 });
    proxy.sim.setBehavior(b.id, { text: TEXT, resetAfterFrames: 3 });
    assertAnthropicStreamError(await postJson(proxy.url, '/v1/messages', MESSAGE(true)));
    assertOpenAiStreamError(await postJson(proxy.url, '/v1/chat/completions', CHAT(true)));
    assertAnthropicError(await postJson(proxy.url, '/v1/messages', MESSAGE(false)), 502);
    assertOpenAiError(await postJson(proxy.url, '/v1/chat/completions', CHAT(false)), 502);
  });

  it('a frame with a bad CRC: the answer has a hole, so the client gets a clean error, never a silent gap', async () => {
    proxy.sim.setBehavior(a.id, { text: TEXT, badCrcAtFrame: 2 });
    proxy.sim.setBehavior(b.id, { text: TEXT, badCrcAtFrame: 2 });
    assertAnthropicStreamError(await postJson(proxy.url, '/v1/messages', MESSAGE(true)));
    assertOpenAiStreamError(await postJson(proxy.url, '/v1/chat/completions', CHAT(true)));
    const chat = await postJson(proxy.url, '/v1/chat/completions', CHAT(false));
    assertOpenAiError(chat, 502);
    assert.match(chat.json().error.message, /checksum/);
  });

  it('many corrupt frames in a row break the stream cleanly', async () => {
    // Every frame after the second is replaced by garbage: the decoder gives up, cleanly.
    const junk = { text: TEXT, deltaSize: [1, 2], garbageBetweenFrames: 1 };
    proxy.sim.setBehavior(a.id, { ...junk, badCrcAtFrame: 3 });
    proxy.sim.setBehavior(b.id, { ...junk, badCrcAtFrame: 3 });
    const res = await postJson(proxy.url, '/v1/messages', MESSAGE(true));
    assert.equal(res.status, 200);
    const last = sseEvents(res.text).pop()!;
    assert.ok(last.event === 'message_stop' || last.event === 'error', `ended with ${last.event}`);
  });

  it('a truncated last frame ends the reply as cut off, not as a crash', async () => {
    proxy.sim.setBehavior(a.id, { text: TEXT, truncateLastFrame: true });
    proxy.sim.setBehavior(b.id, { text: TEXT, truncateLastFrame: true });
    const res = await postJson(proxy.url, '/v1/messages', MESSAGE(false));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json().content[0].text, TEXT);
    const stream = await postJson(proxy.url, '/v1/chat/completions', CHAT(true));
    assert.equal(stream.status, 200);
    assert.ok(sseEvents(stream.text).some((e) => e.data === '[DONE]'));
  });

  it('garbage bytes between frames are skipped: the full answer arrives', async () => {
    proxy.sim.setBehavior(a.id, { text: TEXT, garbageBetweenFrames: 2 });
    proxy.sim.setBehavior(b.id, { text: TEXT, garbageBetweenFrames: 2 });
    const res = await postJson(proxy.url, '/v1/messages', MESSAGE(false));
    assert.equal(res.status, 200);
    assert.equal(res.json().content[0].text, TEXT);
    const chat = await postJson(proxy.url, '/v1/chat/completions', CHAT(false));
    assert.equal(chat.json().choices[0].message.content, TEXT);
  });

  it('an exception frame mid-stream: a clean error event, or a 502 before the first byte', async () => {
    proxy.sim.setBehavior(a.id, { text: TEXT, exception: { afterFrames: 2 } });
    proxy.sim.setBehavior(b.id, { text: TEXT, exception: { afterFrames: 2 } });
    assertAnthropicStreamError(await postJson(proxy.url, '/v1/messages', MESSAGE(true)));
    assertOpenAiStreamError(await postJson(proxy.url, '/v1/chat/completions', CHAT(true)));
    assertAnthropicError(await postJson(proxy.url, '/v1/messages', MESSAGE(false)), 502);
    // An exception as the very first frame is a failure before the first byte: retried, then 502.
    proxy.sim.setBehavior(a.id, { exception: { type: 'ThrottlingException', message: 'slow down' } });
    proxy.sim.setBehavior(b.id, { exception: { type: 'ThrottlingException', message: 'slow down' } });
    assertOpenAiError(await postJson(proxy.url, '/v1/chat/completions', CHAT(true)), 502);
  });

  it('a first byte that never comes: first-byte timeout, then the next account', async () => {
    // a never answers, b is healthy: requests go on until a was tried; all are answered.
    proxy.sim.setBehavior(a.id, { firstByteDelayMs: 20_000 });
    const fromSeq = proxy.sim.state.requestCount;
    // Chat calls of either Kiro style (REST path, or the kiro.dev JSON 1.0 target at the root).
    const chat = (r: any) => r.seq > fromSeq && r.account === a.id;
    const triedSilent = () => proxy.sim.chatRequests().some(chat);
    for (let i = 0; i < 12 && !triedSilent(); i++) {
      const started = Date.now();
      const res = await postJson(proxy.url, '/v1/messages', { ...MESSAGE(i % 2 === 1), messages: [{ role: 'user', content: `question ${i}` }] });
      assert.equal(res.status, 200, res.text);
      assert.ok(Date.now() - started < 5000, `answered after ${Date.now() - started} ms`);
    }
    assert.ok(triedSilent(), 'the silent account was tried');
    // The stalled upstream requests were aborted, not left hanging at the simulator.
    await waitFor(() => proxy.sim.chatRequests().filter((r: any) => chat(r) && r.outcome !== 'aborted').length === 0, 3000, 'stalled calls aborted');
  });

  it('a first byte that never comes on every account: a timeout error, quickly', async () => {
    proxy.sim.setBehavior(a.id, { firstByteDelayMs: 20_000 });
    proxy.sim.setBehavior(b.id, { firstByteDelayMs: 20_000 });
    const started = Date.now();
    const res = await postJson(proxy.url, '/v1/messages', MESSAGE(true), { timeoutMs: 15_000 });
    assert.ok(res.status >= 500 && res.status < 600, `status ${res.status}`);
    assertAnthropicError(res, res.status);
    assert.ok(Date.now() - started < 10_000, `gave up after ${Date.now() - started} ms`);
  });

  it('a stall mid-stream: the idle timeout ends it with an error event and closes the upstream', async () => {
    proxy.sim.setBehavior(a.id, { text: TEXT, stallAfterFrames: 3 });
    proxy.sim.setBehavior(b.id, { text: TEXT, stallAfterFrames: 3 });
    const repliesBefore = proxy.sim.replies.length;
    const started = Date.now();
    assertAnthropicStreamError(await postJson(proxy.url, '/v1/messages', MESSAGE(true)));
    assert.ok(Date.now() - started < 4000);
    assertOpenAiError(await postJson(proxy.url, '/v1/chat/completions', CHAT(false)), 502);
    // The simulator records a stalled reply only once its socket closed.
    await waitFor(() => proxy.sim.replies.slice(repliesBefore).filter((r: any) => r.outcome === 'stalled').length === 2, 3000, 'simulator saw both sockets close');
  });

  it('a 5xx storm across all accounts: 502 in each protocol, bounded attempts, no account lost', async () => {
    proxy.sim.setBehavior(a.id, { error: 'internal' });
    proxy.sim.setBehavior(b.id, { error: 'internal' });
    const before = proxy.sim.chatRequests().length;
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => postJson(proxy.url, '/v1/messages', MESSAGE(i % 2 === 0))),
      ...Array.from({ length: 10 }, (_, i) => postJson(proxy.url, '/v1/chat/completions', CHAT(i % 2 === 0))),
    ]);
    results.slice(0, 10).forEach((r) => assertAnthropicError(r, 502));
    results.slice(10).forEach((r) => assertOpenAiError(r, 502));
    const attempts = proxy.sim.chatRequests().length - before;
    assert.ok(attempts <= 20 * 4, `${attempts} upstream attempts for 20 requests`);
  });
});

describe('upstream faults: connection refused', { timeout: 60_000 }, () => {
  it('every account unreachable: a 502 in the protocol shape, accounts stay usable', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const proxy = await startProxy({ accounts: 2, env: { KIRO_PROXY_ENDPOINT: `http://127.0.0.1:${port}` } });
    try {
      const started = Date.now();
      assertAnthropicError(await postJson(proxy.url, '/v1/messages', MESSAGE(true)), 502);
      assertOpenAiError(await postJson(proxy.url, '/v1/chat/completions', CHAT(false)), 502);
      assert.ok(Date.now() - started < 15_000);
      const states = await accountStates(proxy);
      assert.ok(Object.values(states).every((s) => s.state === 'active' || s.state === 'expired'), JSON.stringify(states));
      await assertClean(proxy, socketCount(proxy.child.pid!));
    } finally {
      await proxy.stop();
    }
  });
});

describe('client-side faults', { timeout: 60_000 }, () => {
  let proxy: RunningProxy;
  let a: any;
  before(async () => {
    proxy = await startProxy({ accounts: 1 });
    [a] = proxy.sim.accounts.list();
    await postJson(proxy.url, '/v1/messages', MESSAGE(false));
  });
  after(() => proxy.stop());

  it('a client that disconnects mid-stream: the upstream request is aborted at once', async () => {
    for (const [path, body] of [['/v1/messages', MESSAGE(true)], ['/v1/chat/completions', CHAT(true)], ['/v1/messages', MESSAGE(false)]] as const) {
      proxy.sim.setBehavior(a.id, { text: TEXT, stallAfterFrames: 3 });
      const repliesBefore = proxy.sim.replies.length;
      const callsBefore = proxy.sim.chatRequests().length;
      const controller = new AbortController();
      const pending = fetch(`${proxy.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: controller.signal,
      }).catch(() => undefined);
      if (body.stream) {
        const reader = (await pending)!.body!.getReader();
        await reader.read(); // the stream is open and flowing
      } else {
        await waitFor(() => proxy.sim.chatRequests().length > callsBefore, 5000, 'upstream call');
      }
      controller.abort();
      await pending;
      // The simulator records the reply when its socket closes; the idle timeout is 300 s, so only
      // the proxy's abort can close it this soon. 'stalled' if the frames were out and it was
      // waiting, 'aborted' if it was still writing them.
      await waitFor(
        () => proxy.sim.replies.slice(repliesBefore).some((r: any) => r.outcome === 'stalled' || r.outcome === 'aborted'),
        5000,
        `upstream of ${path} aborted (replies: ${JSON.stringify(proxy.sim.replies.slice(repliesBefore).map((r: any) => r.outcome))})`,
      );
    }
    proxy.sim.setBehavior(a.id, null);
    const ok = await postJson(proxy.url, '/v1/messages', MESSAGE(false));
    assert.equal(ok.status, 200);
    const { entries } = (await request(proxy.url, '/admin/logs')).json();
    assert.ok(entries.some((e: any) => e.status === 499), 'the log records the client leaving');
  });

  it('a client that reads nothing: backpressure keeps the proxy memory bounded', async () => {
    // ~48 MB of answer text; were it buffered the proxy would grow by more than that.
    const big = 'x'.repeat(48 * 1024 * 1024);
    proxy.sim.setBehavior(a.id, { text: big, deltaSize: [60_000, 64_000], chunking: 'frame' });
    const pid = proxy.child.pid!;
    const before = rssBytes(pid);
    const port = Number(new URL(proxy.url).port);
    const socket = net.connect(port, '127.0.0.1');
    socket.pause(); // never read
    // A limit far above the answer: the point is the stream the client does not read, not the output limit.
    const body = JSON.stringify({ ...MESSAGE(true), max_tokens: 100_000_000 });
    socket.write(`POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    try {
      await waitFor(() => proxy.sim.chatRequests().some((r: any) => r.account === a.id), 3000, 'upstream call');
      let peak = 0;
      for (let i = 0; i < 20; i++) {
        await sleep(150);
        peak = Math.max(peak, rssBytes(pid) - before);
      }
      assert.ok(peak < 40 * 1024 * 1024, `proxy RSS grew by ${Math.round(peak / 1024 / 1024)} MB for a client that reads nothing`);
      assert.equal(proxy.sim.replies.filter((r: any) => r.text === big).length, 0, 'the simulator is held back too (its write blocks)');
    } finally {
      socket.destroy();
      proxy.sim.setBehavior(a.id, null);
    }
    await waitFor(() => proxy.sim.sockets.size <= 2, 5000, 'upstream closed after the client left');
    assert.equal(proxy.child.exitCode, null);
  });
});
