// The local endpoint's protections, against the real CLI: loopback bind, API key, Host and
// Origin checks (DNS rebinding, cross-site requests), content type, body size, slow and silent
// clients, and the concurrency cap. Each `it` fails when its protection is removed.
import { describe, it, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProxy, type RunningProxy } from '../helpers/proxy';
import { postJson, request, slowClient, sleep } from '../helpers/http';
import { keyMatches } from '../../src/proxy/server/guards';
import { routeTable } from '../../src/proxy/server/server';
import type { ServerDeps } from '../../src/proxy/server/types';

const API_KEY = 'test-key-0123456789abcdef';
const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] };
const CHAT = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };

/** Bodies for the routes that read one; any other JSON route gets `{}` (the key is checked first). */
const BODIES: Record<string, unknown> = {
  '/v1/messages': MESSAGE,
  '/v1/messages/count_tokens': MESSAGE,
  '/v1/chat/completions': CHAT,
  '/v1/responses': { model: 'gpt-4o', input: 'hi' },
};

/** A concrete path a route pattern matches: each path parameter becomes `x`, optional groups their first choice. */
function samplePath(pattern: RegExp): string {
  const path = pattern.source
    .replace(/^\^|\$$/g, '')
    .replace(/\(\?<\w+>[^)]*\)/g, 'x')
    .replace(/\(\?:([^|)]*)[^)]*\)\??/g, '$1')
    .replace(/\\\//g, '/');
  assert.match(path, pattern, `samplePath cannot read ${pattern}: extend it`);
  return path;
}

/** The server's own route table: what a request can reach, so a new route is checked the day it is added. */
const ROUTES = routeTable({} as ServerDeps).map((route) => {
  const path = samplePath(route.pattern);
  const body = route.json ? (BODIES[path] ?? {}) : undefined;
  return { method: route.method, path, body, guarded: route.guarded };
});
const GUARDED = ROUTES.filter((r) => r.guarded);
/** Claude Code's start-up probe and telemetry: answered without a key, on purpose. */
const UNGUARDED = ['GET /api/hello', 'HEAD /api/hello', 'POST /api/event_logging/batch'];

function send(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  // Not postJson for a body: it always POSTs, and the table has PUT routes too.
  return body === undefined
    ? request(base, path, { method, headers })
    : request(base, path, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Local addresses the process listens on for this port, from /proc/net/tcp{,6}. */
function listeningAddresses(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[1].endsWith(`:${hex}`) && cols[3] === '0A') found.push(cols[1].split(':')[0]);
    }
  }
  return found;
}

describe('local endpoint: bind address', () => {
  it('binds to 127.0.0.1 only by default', async () => {
    const proxy = await startProxy();
    try {
      assert.match(proxy.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(listeningAddresses(portOf(proxy.url)), ['0100007F']);
    } finally {
      await proxy.stop();
    }
  });

  it('refuses a non-loopback host without an API key', () => {
    const cli = join(__dirname, '..', '..', 'dist', 'cli.js');
    const run = spawnSync(process.execPath, [cli, '--host', '127.0.0.2', '--port', '0', '--token-dir', '/nonexistent'], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { ...process.env, KIRO_PROXY_API_KEY: '' },
    });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /needs --api-key/);
  });

  it('listens on another address only with a key, and warns', async () => {
    const proxy = await startProxy({ args: ['--host', '127.0.0.2', '--api-key', API_KEY] });
    try {
      assert.match(proxy.url, /^http:\/\/127\.0\.0\.2:\d+$/);
      assert.match(proxy.output(), /warning: Listening on 127\.0\.0\.2, not only on this computer/);
      assert.ok(!proxy.output().includes(API_KEY), 'the warning must not print the key');
      const res = await request(proxy.url, '/v1/models', { headers: { 'x-api-key': API_KEY } });
      assert.equal(res.status, 200);
    } finally {
      await proxy.stop();
    }
  });
  it('takes ::1 in URL spelling as loopback: no key needed, and the address is printed once', async () => {
    const proxy = await startProxy({ args: ['--host', '[::1]'] });
    try {
      assert.match(proxy.url, /^http:\/\/\[::1\]:\d+$/);
      assert.equal(proxy.output().match(/listening on/g)?.length, 1, proxy.output());
      assert.doesNotMatch(proxy.output(), /started at/i);
      assert.doesNotMatch(proxy.output(), /not only on this computer/);
      const res = await request(proxy.url, '/health');
      assert.equal(res.status, 200);
    } finally {
      await proxy.stop();
    }
  });
});

describe('local endpoint: API key', () => {
  let proxy: RunningProxy;
  before(async () => {
    proxy = await startProxy({ args: ['--api-key', API_KEY] });
  });
  after(() => proxy.stop());

  it('every route of the server but the start-up probe and telemetry needs the key', () => {
    assert.deepEqual(ROUTES.filter((r) => !r.guarded).map((r) => `${r.method} ${r.path}`), UNGUARDED);
    // The walk covers every protocol and the admin routes (a table read wrongly would be empty).
    for (const path of ['/v1/messages', '/v1/chat/completions', '/v1/responses', '/v1beta/models/x:generateContent', '/admin/accounts', '/admin/stats']) {
      assert.ok(GUARDED.some((r) => r.path === path), `${path} is in the table`);
    }
  });

  it('every guarded route answers 401 without the key or with a wrong one', async () => {
    for (const { method, path, body } of GUARDED) {
      for (const headers of [{}, { 'x-api-key': 'wrong' }, { authorization: `Bearer ${API_KEY}x` }, { 'x-api-key': API_KEY.slice(0, -1) }] as Array<Record<string, string>>) {
        const res = await send(proxy.url, method, path, body, headers);
        assert.equal(res.status, 401, `${method} ${path} with ${JSON.stringify(headers)} gave ${res.status}: ${res.text}`);
        assert.ok(!res.text.includes(API_KEY));
      }
    }
  });

  it('accepts the key as x-api-key and as Authorization: Bearer', async () => {
    for (const headers of [{ 'x-api-key': API_KEY }, { authorization: `Bearer ${API_KEY}` }] as Array<Record<string, string>>) {
      const models = await request(proxy.url, '/v1/models', { headers });
      assert.equal(models.status, 200);
      const msg = await postJson(proxy.url, '/v1/messages', MESSAGE, { headers });
      assert.equal(msg.status, 200, msg.text);
      const admin = await request(proxy.url, '/admin/accounts', { headers });
      assert.equal(admin.status, 200);
    }
  });

  it('/health without the key shows only the status', async () => {
    const bare = await request(proxy.url, '/health');
    assert.equal(bare.status, 200);
    assert.deepEqual(bare.json(), { status: 'ok' });
    const wrong = await request(proxy.url, '/health', { headers: { 'x-api-key': 'nope' } });
    assert.deepEqual(wrong.json(), { status: 'ok' });
    const full = await request(proxy.url, '/health', { headers: { 'x-api-key': API_KEY } });
    assert.ok(Array.isArray(full.json().accounts));
  });

  it('compares keys in constant time (timingSafeEqual over digests, any length)', () => {
    // The module object itself (guards.ts reads `timingSafeEqual` from it at call time).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const spy = mock.method(require('node:crypto') as typeof import('node:crypto'), 'timingSafeEqual');
    try {
      assert.equal(keyMatches('a', 'a-much-longer-expected-key'), false);
      assert.equal(keyMatches('same-key-value', 'same-key-value'), true);
      assert.equal(keyMatches(undefined, 'x'), false);
      assert.equal(spy.mock.callCount(), 2, 'every comparison of a presented key goes through timingSafeEqual');
    } finally {
      spy.mock.restore();
    }
  });
});

describe('local endpoint: browsers and DNS rebinding', () => {
  let proxy: RunningProxy;
  let port: number;
  before(async () => {
    proxy = await startProxy();
    port = portOf(proxy.url);
  });
  after(() => proxy.stop());

  it('accepts exactly 127.0.0.1, localhost and [::1] with the port as Host', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      const res = await request(proxy.url, '/health', { host });
      assert.equal(res.status, 200, host);
    }
  });

  it('refuses any other Host with 403 (DNS rebinding), on every kind of endpoint', async () => {
    const hosts = [
      `evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `127.0.0.1:${port + 1}`,
      `localhost`,
      `127.0.0.1`,
      `localhost:${port}.evil.example`,
      `0.0.0.0:${port}`,
      '',
    ];
    for (const host of hosts) {
      for (const [method, path, body] of [['GET', '/health'], ['GET', '/v1/models'], ['POST', '/v1/messages', MESSAGE], ['GET', '/admin/accounts']] as const) {
        const res = body ? await postJson(proxy.url, path, body, { host }) : await request(proxy.url, path, { method, host });
        assert.equal(res.status, 403, `Host "${host}" on ${path} gave ${res.status}`);
      }
    }
    const none = await request(proxy.url, '/health', { host: null });
    assert.ok(none.status === 403 || none.status === 400, `no Host header gave ${none.status}`);
  });

  it('refuses a foreign Origin with 403', async () => {
    for (const origin of ['https://evil.example', 'http://localhost.evil.example', `http://evil.example:${port}`, 'null', 'file://', 'chrome-extension://abc']) {
      const get = await request(proxy.url, '/v1/models', { headers: { origin } });
      assert.equal(get.status, 403, origin);
      const post = await postJson(proxy.url, '/v1/messages', MESSAGE, { headers: { origin } });
      assert.equal(post.status, 403, origin);
      const admin = await request(proxy.url, '/admin/cooldowns', { method: 'DELETE', headers: { origin } });
      assert.equal(admin.status, 403, origin);
    }
  });

  it('sends no CORS headers, not even to a preflight', async () => {
    const responses = [
      await request(proxy.url, '/v1/messages', {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
      }),
      await request(proxy.url, '/v1/messages', { method: 'OPTIONS' }),
      await postJson(proxy.url, '/v1/messages', MESSAGE),
      await request(proxy.url, '/health'),
      await request(proxy.url, '/v1/models', { headers: { origin: 'https://evil.example' } }),
    ];
    assert.ok(responses[0].status >= 400, `preflight answered ${responses[0].status}`);
    for (const res of responses) {
      const cors = Object.keys(res.headers).filter((h) => h.startsWith('access-control-'));
      assert.deepEqual(cors, []);
    }
  });

  it('survives malformed request targets and headers (one used to crash the process)', async () => {
    const port = portOf(proxy.url);
    for (const target of ['http://[', 'http://a:b:c/', '//[::1', '*', 'http://%zz/']) {
      const result = await slowClient(port, [`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`], 10, 2000);
      assert.match(result.received, /^HTTP\/1\.1 4\d\d /, `${target}: ${result.received.slice(0, 80)}`);
    }
    const garbage = await slowClient(port, ['\x00\x01GARBAGE\r\n\r\n'], 10, 2000);
    assert.ok(garbage.closedByServer);
    await sleep(100);
    assert.equal(proxy.child.exitCode, null, 'the CLI is still running');
    assert.equal((await request(proxy.url, '/health')).status, 200);
  });

  it('refuses a POST that is not JSON with 415 (forms, text/plain, none)', async () => {
    const body = JSON.stringify(MESSAGE);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/html', undefined]) {
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      for (const path of ['/v1/messages', '/v1/chat/completions', '/v1/messages/count_tokens']) {
        const res = await request(proxy.url, path, { method: 'POST', body, headers });
        assert.equal(res.status, 415, `${path} with ${type}`);
      }
      // Admin actions and the telemetry sink too, when they carry a body.
      const admin = await request(proxy.url, '/admin/accounts/x/disable', { method: 'POST', body: 'a=b', headers });
      assert.equal(admin.status, 415, `admin POST with ${type}`);
      const telemetry = await request(proxy.url, '/api/event_logging/batch', { method: 'POST', body: 'a=b', headers });
      assert.equal(telemetry.status, 415, `telemetry POST with ${type}`);
    }
    const ok = await postJson(proxy.url, '/v1/messages', MESSAGE, { headers: { 'content-type': 'application/json; charset=utf-8' } });
    assert.equal(ok.status, 200);
  });
});

describe('local endpoint: limits', () => {
  let proxy: RunningProxy;
  let small: RunningProxy;
  before(async () => {
    proxy = await startProxy();
    small = await startProxy({
      args: ['--max-body-bytes', '4096', '--headers-timeout-ms', '800', '--request-timeout-ms', '1500', '--max-concurrent', '2'],
    });
  });
  after(async () => {
    await proxy.stop();
    await small.stop();
  });

  it('refuses a body over the default 10 MB with 413 in the protocol shape, and accepts one under it', async () => {
    const big = JSON.stringify({ ...MESSAGE, pad: 'x'.repeat(10 * 1024 * 1024) });
    // The proxy answers before reading the upload; a client still writing must get that answer,
    // not EPIPE or ECONNRESET (closing with unread bytes sends RST; see server/linger.ts). Once
    // is a race, so a few times.
    let res!: Awaited<ReturnType<typeof postJson>>;
    for (let i = 0; i < 5; i++) {
      res = await postJson(proxy.url, '/v1/messages', big, { timeoutMs: 20_000 });
      assert.equal(res.status, 413);
    }
    assert.equal(res.json().type, 'error');
    assert.equal(res.json().error.type, 'request_too_large');
    const under = await postJson(proxy.url, '/v1/messages/count_tokens', { ...MESSAGE, pad: 'x'.repeat(9 * 1024 * 1024) }, { timeoutMs: 20_000 });
    assert.equal(under.status, 200);
  });

  it('after a 413 drops the rest of the upload for a few seconds only, then closes', async () => {
    const port = portOf(proxy.url);
    const head = `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${1024 ** 3}\r\n\r\n`;
    const started = Date.now();
    const result = await new Promise<{ received: string; closedAfterMs: number }>((resolve) => {
      // Half-open, as a client uploading in the background is: our FIN does not stop its writes.
      const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let received = '';
      const chunk = Buffer.alloc(64 * 1024, 0x78);
      const writer = setInterval(() => socket.writable && socket.write(chunk), 20);
      const finish = () => {
        clearInterval(writer);
        clearTimeout(limit);
        socket.destroy();
        resolve({ received, closedAfterMs: Date.now() - started });
      };
      // The server's FIN ('end') comes with the answer; what counts is when it stops reading.
      socket.on('data', (d) => (received += d.toString()));
      socket.on('close', finish);
      socket.on('error', finish);
      const limit = setTimeout(finish, 20_000);
      socket.write(head);
    });
    assert.match(result.received, /^HTTP\/1\.1 413 /);
    assert.match(result.received, /connection: close/i);
    assert.ok(result.closedAfterMs < 9_000, `the socket stayed open ${result.closedAfterMs} ms while the client kept sending`);
    // Not closed at once either (that is what loses the answer): it read and dropped for a while.
    assert.ok(result.closedAfterMs >= 3_000, `the socket closed after ${result.closedAfterMs} ms: no lingering close`);
  });

  it('a request sent on a socket that is draining a dropped upload is not served: its answer could go nowhere', async () => {
    const port = portOf(proxy.url);
    const before = proxy.sim.chatRequests().length;
    const next = JSON.stringify(MESSAGE);
    const received = await new Promise<string>((resolve) => {
      // Half-open, as a client uploading in the background is; it ignores `Connection: close`.
      const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let text = '';
      let sent = false;
      socket.on('data', (d) => {
        text += d.toString();
        if (sent || !text.includes('\r\n\r\n')) return;
        sent = true;
        // The declared upload ends here; the next request follows on the same socket.
        socket.write(Buffer.alloc(11 * 1024 * 1024 - 100, 0x78));
        socket.write(`POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${next.length}\r\n\r\n${next}`);
      });
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
      setTimeout(() => socket.destroy(), 8_000);
      socket.write(`POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${11 * 1024 * 1024}\r\n\r\n${'x'.repeat(100)}`);
    });
    assert.match(received, /^HTTP\/1\.1 413 /);
    assert.equal(received.match(/HTTP\/1\.1 /g)?.length, 1, 'one answer only');
    await sleep(200);
    assert.equal(proxy.sim.chatRequests().length, before, 'the second request never reached Kiro');
  });

  it('applies a configured body limit, also to a chunked upload without Content-Length', async () => {
    const res = await postJson(small.url, '/v1/chat/completions', { ...CHAT, pad: 'x'.repeat(5000) });
    assert.equal(res.status, 413);
    assert.equal(res.json().error.type, 'invalid_request_error');
    const chunked = await postJson(small.url, '/v1/messages', JSON.stringify({ ...MESSAGE, pad: 'x'.repeat(5000) }), {
      headers: { 'transfer-encoding': 'chunked' },
    });
    assert.equal(chunked.status, 413);
    const fits = await postJson(small.url, '/v1/messages', MESSAGE);
    assert.equal(fits.status, 200);
  });

  it('cuts off a client that sends its headers byte by byte (slowloris)', async () => {
    const port = portOf(small.url);
    const head = `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`;
    const result = await slowClient(port, [...head], 50, 8000);
    assert.ok(result.closedByServer, 'the server must close the socket');
    assert.ok(result.aliveMs < 4000, `socket lived ${result.aliveMs} ms`);
    assert.ok(!result.received.includes('200 OK'));
  });

  it('cuts off a client that opens a socket and sends nothing', async () => {
    const result = await slowClient(portOf(small.url), [], 50, 8000);
    assert.ok(result.closedByServer, 'the server must close an idle socket');
    assert.ok(result.aliveMs < 4000, `socket lived ${result.aliveMs} ms`);
  });

  it('cuts off a client that sends its body byte by byte', async () => {
    const port = portOf(small.url);
    const body = JSON.stringify(MESSAGE);
    const head = `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const result = await slowClient(port, [head, ...body], 100, 10_000);
    assert.ok(result.closedByServer, 'the server must close a socket that trickles its body');
    assert.ok(result.aliveMs < 5000, `socket lived ${result.aliveMs} ms`);
  });

  it('answers 429 with Retry-After beyond the concurrency cap, and recovers', async () => {
    const [account] = small.sim.accounts.list();
    small.sim.setBehavior(account.id, { firstByteDelayMs: 30_000 });
    const hanging = [1, 2].map(() => {
      const controller = new AbortController();
      const done = fetch(`${small.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(MESSAGE),
        signal: controller.signal,
      }).catch(() => undefined);
      return { controller, done };
    });
    try {
      await sleep(300);
      const third = await postJson(small.url, '/v1/messages', MESSAGE);
      assert.equal(third.status, 429, third.text);
      assert.equal(third.headers['retry-after'], '1');
      assert.equal(third.json().error.type, 'rate_limit_error');
      const openai = await postJson(small.url, '/v1/chat/completions', CHAT);
      assert.equal(openai.status, 429);
      assert.equal(openai.json().error.code, 'rate_limit_exceeded');
    } finally {
      for (const h of hanging) h.controller.abort();
      await Promise.all(hanging.map((h) => h.done));
      small.sim.setBehavior(account.id, null);
    }
    await sleep(200);
    const after = await postJson(small.url, '/v1/messages', MESSAGE);
    assert.equal(after.status, 200, 'slots are released when clients leave');
  });
});
