import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyProbe, probeHealth, probeHost } from '../../src/host/healthProbe';
import { defaultConfig } from '../../src/proxy/config';
import { Engine } from '../../src/proxy/engine';
import { MemoryAccountStore } from '../../src/proxy/pool/store';

const ok = (body: unknown) => ({ kind: 'response' as const, status: 200, body: JSON.stringify(body) });

test('our health JSON (with service, or with the full shape) is ours', () => {
  assert.deepEqual(classifyProbe(ok({ status: 'ok', service: 'kiro-proxy' })), { kind: 'ours' });
  assert.deepEqual(classifyProbe(ok({ status: 'ok', service: 'kiro-proxy', version: '0.1.0', accounts: [{}, {}] })), {
    kind: 'ours',
    version: '0.1.0',
    accounts: 2,
  });
  assert.deepEqual(classifyProbe(ok({ status: 'ok', version: '0.1.0', accounts: [] })), { kind: 'ours', version: '0.1.0', accounts: 0 });
});

test('anything else on the port is foreign', () => {
  for (const result of [
    ok({ status: 'ok' }),
    ok({ status: 'up', service: 'kiro-proxy' }),
    ok({ service: 'other', status: 'ok' }),
    ok([1, 2]),
    { kind: 'response' as const, status: 200, body: '<html>hello</html>' },
    { kind: 'response' as const, status: 404, body: '{"status":"ok","service":"kiro-proxy"}' },
    { kind: 'error' as const, code: 'HPE_INVALID_CONSTANT', message: 'Parse Error' },
  ]) {
    assert.equal(classifyProbe(result).kind, 'foreign', JSON.stringify(result));
  }
});

test('no answer proves nothing: a busy or closing window of ours times out or resets too', () => {
  for (const result of [
    { kind: 'timeout' as const },
    { kind: 'error' as const, code: 'ECONNRESET', message: 'socket hang up' },
    { kind: 'error' as const, code: 'EHOSTUNREACH', message: 'unreachable' },
  ]) {
    assert.equal(classifyProbe(result).kind, 'unknown', JSON.stringify(result));
  }
});

test('a refused connection means the port is free', () => {
  assert.deepEqual(classifyProbe({ kind: 'error', code: 'ECONNREFUSED', message: 'refused' }), { kind: 'free' });
});

test('wildcard binds are probed on loopback', () => {
  assert.equal(probeHost('0.0.0.0'), '127.0.0.1');
  assert.equal(probeHost('::'), '::1');
  assert.equal(probeHost('127.0.0.1'), '127.0.0.1');
  assert.equal(probeHost('[::1]'), '::1');
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** An HTTP server that answers `/health` as `answer` says and records the key of every request. */
async function recording(answer: (key: string | undefined, res: http.ServerResponse) => void) {
  const keys: Array<string | undefined> = [];
  const server = http.createServer((req, res) => {
    const key = req.headers['x-api-key'] as string | undefined;
    keys.push(key);
    answer(key, res);
  });
  return { port: await listen(server), keys, close: () => server.close() };
}

const sendJson = (res: http.ServerResponse, body: unknown, type = 'application/json') => {
  res.setHeader('content-type', type);
  res.end(JSON.stringify(body));
};

test('probeHealth: our proxy without a key answers in full, and gets no key', async () => {
  const ours = await recording((_, res) => sendJson(res, { status: 'ok', service: 'kiro-proxy', version: '1.2.3', accounts: [{ id: 'a' }] }));
  try {
    assert.deepEqual(classifyProbe(await probeHealth('127.0.0.1', ours.port, 'kp-key')), { kind: 'ours', version: '1.2.3', accounts: 1 });
    assert.deepEqual(ours.keys, [undefined]);
  } finally {
    ours.close();
  }
});

test('probeHealth: the key goes only to what answers like our keyed proxy, never to another program on the port', async () => {
  const keyed = await recording((key, res) =>
    sendJson(res, key === 'kp-key' ? { status: 'ok', service: 'kiro-proxy', version: '1.2.3', accounts: [] } : { status: 'ok' }),
  );
  try {
    assert.deepEqual(classifyProbe(await probeHealth('127.0.0.1', keyed.port, 'kp-key')), { kind: 'ours', version: '1.2.3', accounts: 0 });
    assert.deepEqual(keyed.keys, [undefined, 'kp-key'], 'asked without the key first');
  } finally {
    keyed.close();
  }
  const devServers: Array<(res: http.ServerResponse) => void> = [
    (res) => sendJson(res, { status: 'ok' }, 'application/json; charset=utf-8'), // express, fastify
    (res) => sendJson(res, { status: 'UP' }),
    (res) => sendJson(res, { status: 'ok', uptime: 12 }),
    (res) => ((res.statusCode = 404), res.end('Cannot GET /health')),
    (res) => (res.setHeader('content-type', 'text/html'), res.end('<html></html>')),
  ];
  for (const [i, answer] of devServers.entries()) {
    const dev = await recording((_, res) => answer(res));
    try {
      assert.equal(classifyProbe(await probeHealth('127.0.0.1', dev.port, 'kp-key')).kind, 'foreign', `dev server ${i}`);
      assert.deepEqual(dev.keys, [undefined], `dev server ${i} never saw the key`);
    } finally {
      dev.close();
    }
  }
});

test('probeHealth recognises the real proxy when it requires a key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiro-probe-'));
  const config = defaultConfig({ port: 0, apiKey: 'kp-key', tokenDir: join(dir, 'cache'), dataDir: join(dir, 'data') });
  const engine = new Engine({ config, store: new MemoryAccountStore(), version: '9.9.9', scanTokenDirWhenEmpty: false });
  try {
    await engine.init();
    const state = await engine.start();
    assert.equal(state.status, 'running');
    const port = state.status === 'running' ? state.port : 0;
    assert.equal(classifyProbe(await probeHealth('127.0.0.1', port, undefined)).kind, 'foreign', 'without the key it cannot tell');
    assert.deepEqual(classifyProbe(await probeHealth('127.0.0.1', port, 'kp-key')), { kind: 'ours', version: '9.9.9', accounts: 0 });
  } finally {
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('probeHealth: a silent TCP listener is unknown (timeout), a closed port is free', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => void sockets.push(s));
  const port = await listen(silent);
  try {
    assert.equal(classifyProbe(await probeHealth('127.0.0.1', port, undefined, 200)).kind, 'unknown');
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(classifyProbe(await probeHealth('127.0.0.1', port, undefined, 500)).kind, 'free');
});
