import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { classifyProbe, probeHealth, probeHost } from '../../src/host/healthProbe';

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
    { kind: 'timeout' as const },
    { kind: 'error' as const, code: 'ECONNRESET', message: 'socket hang up' },
    { kind: 'error' as const, code: 'HPE_INVALID_CONSTANT', message: 'Parse Error' },
  ]) {
    assert.equal(classifyProbe(result).kind, 'foreign', JSON.stringify(result));
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

test('probeHealth talks to a real server: ours, with the key sent', async () => {
  let seenKey: string | undefined;
  const server = http.createServer((req, res) => {
    seenKey = req.headers['x-api-key'] as string | undefined;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: 'ok', service: 'kiro-proxy', version: '1.2.3', accounts: [{ id: 'a' }] }));
  });
  const port = await listen(server);
  try {
    const verdict = classifyProbe(await probeHealth('127.0.0.1', port, 'kp-key'));
    assert.deepEqual(verdict, { kind: 'ours', version: '1.2.3', accounts: 1 });
    assert.equal(seenKey, 'kp-key');
  } finally {
    server.close();
  }
});

test('probeHealth: a silent TCP listener is foreign (timeout), a closed port is free', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => void sockets.push(s));
  const port = await listen(silent);
  try {
    assert.equal(classifyProbe(await probeHealth('127.0.0.1', port, undefined, 200)).kind, 'foreign');
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(classifyProbe(await probeHealth('127.0.0.1', port, undefined, 500)).kind, 'free');
});
