// KiroHttp's exchange through undici's dispatch, against a real local HTTP server: the body
// as chunks, backpressure on the socket, a consumer leaving early, aborts and broken bodies.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { KiroHttp } from '../../src/proxy/kiro/http';
import { LightAbortController } from '../../src/proxy/abort';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('KiroHttp.request', () => {
  const kiroHttp = new KiroHttp();
  after(() => kiroHttp.close());

  test('status, headers and the body in order, also for a body sent in many writes', async () => {
    const parts = Array.from({ length: 50 }, (_, i) => `part ${i};`);
    const server = await serve(async (req, res) => {
      const sent: Buffer[] = [];
      for await (const c of req) sent.push(c as Buffer);
      res.writeHead(201, { 'x-echo': Buffer.concat(sent).toString(), 'set-cookie': ['a=1', 'b=2'] });
      for (const p of parts) {
        res.write(p);
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    });
    try {
      const res = await kiroHttp.request(server.url + '/x?y=1', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
      assert.equal(res.statusCode, 201);
      assert.equal(res.headers['x-echo'], 'hello');
      assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
      assert.equal(await res.body.text(), parts.join(''));
    } finally {
      await server.close();
    }
  });

  test('chunks that wait for a consumer that fell behind are handed over as one', async () => {
    const parts = Array.from({ length: 20 }, (_, i) => `chunk ${i};`);
    let sentAll: () => void = () => undefined;
    const allSent = new Promise<void>((resolve) => (sentAll = resolve));
    const server = await serve(async (_req, res) => {
      res.writeHead(200);
      for (const p of parts) {
        res.write(p);
        await new Promise((r) => setTimeout(r, 2));
      }
      sentAll();
      setTimeout(() => res.end(), 50);
    });
    try {
      const res = await kiroHttp.request(server.url, { method: 'GET' });
      await allSent;
      await new Promise((r) => setTimeout(r, 50));
      const reads: string[] = [];
      for await (const chunk of res.body) reads.push(chunk.toString());
      assert.equal(reads.join(''), parts.join(''));
      assert.ok(reads.length <= 2, `${reads.length} reads for what had all arrived before the first`);
    } finally {
      await server.close();
    }
  });

  test('a consumer that does not read pauses the socket: the server cannot write everything', async () => {
    const total = 32 * 1024 * 1024;
    let written = 0;
    let serverDone = false;
    const server = await serve((_req, res) => {
      res.writeHead(200);
      const block = Buffer.alloc(64 * 1024, 120);
      const pump = () => {
        while (written < total) {
          written += block.length;
          if (!res.write(block)) return void res.once('drain', pump);
        }
        res.end(() => (serverDone = true));
      };
      pump();
    });
    try {
      const res = await kiroHttp.request(server.url, { method: 'GET' });
      const iterator = res.body[Symbol.asyncIterator]();
      await iterator.next();
      // Wait until the server stops making progress: the socket is full and stays so.
      let last = -1;
      while (written !== last) {
        last = written;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(serverDone, false);
      assert.ok(written < total / 2, `the server wrote ${written} of ${total} bytes to a consumer that read one chunk`);
      // Reading on resumes the socket, to the last byte.
      let read = 0;
      for await (const chunk of res.body) read += chunk.length;
      assert.ok(read > 0);
      assert.equal(serverDone, true);
    } finally {
      await server.close();
    }
  });

  test('leaving the body early closes the exchange, and the server sees its connection end', { timeout: 10_000 }, async () => {
    let serverSaw: Promise<unknown> | undefined;
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.write('first');
      serverSaw = once(res, 'close');
      // Never ends by itself.
    });
    try {
      const res = await kiroHttp.request(server.url, { method: 'GET' });
      for await (const chunk of res.body) {
        assert.equal(chunk.toString(), 'first');
        break;
      }
      await serverSaw;
    } finally {
      await server.close();
    }
  });

  test('an abort before the headers rejects with its reason; after them, the body fails with it', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/late') return; // never answers
      res.writeHead(200);
      res.write('start');
    });
    try {
      const early = new LightAbortController();
      const pending = kiroHttp.request(server.url + '/late', { method: 'GET', signal: early.signal });
      setTimeout(() => early.abort(new Error('first byte timeout')), 50);
      await assert.rejects(pending, /first byte timeout/);

      const late = new LightAbortController();
      const res = await kiroHttp.request(server.url, { method: 'GET', signal: late.signal });
      const iterator = res.body[Symbol.asyncIterator]();
      assert.equal((await iterator.next()).value?.toString(), 'start');
      const next = iterator.next();
      late.abort(new Error('client left'));
      await assert.rejects(next, /client left/);

      const already = new LightAbortController();
      already.abort(new Error('gone before it began'));
      await assert.rejects(kiroHttp.request(server.url, { method: 'GET', signal: already.signal }), /gone before it began/);
    } finally {
      await server.close();
    }
  });

  test('a body the server breaks off fails the reading, it does not end as if complete', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part of it');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    try {
      const res = await kiroHttp.request(server.url, { method: 'GET' });
      await assert.rejects(res.body.text(), (err: Error & { code?: string }) => err.code === 'UND_ERR_SOCKET');
    } finally {
      await server.close();
    }
  });

  test('dump cuts a body past 128 KiB instead of reading it all, and a body left early stays done', { timeout: 10_000 }, async () => {
    let serverClosed: Promise<unknown> | undefined;
    let written = 0;
    const server = await serve((_req, res) => {
      res.writeHead(404);
      serverClosed = once(res, 'close');
      const block = Buffer.alloc(64 * 1024, 120);
      // Endless: only a cut ends it.
      const pump = () => {
        while (res.write(block)) written += block.length;
        res.once('drain', pump);
      };
      pump();
    });
    try {
      const res = await kiroHttp.request(server.url, { method: 'GET' });
      await res.body.dump();
      await serverClosed;
      assert.ok(written < 32 * 1024 * 1024, `${written} bytes were written before the cut`);
      assert.deepEqual(await res.body.next(), { value: undefined, done: true });
    } finally {
      await server.close();
    }
  });

  test('dump reads the rest, so the connection is reused for the next request', async () => {
    const ports = new Set<number>();
    const server = await serve((req, res) => {
      ports.add(req.socket.remotePort!);
      res.end('x'.repeat(100_000));
    });
    try {
      for (let i = 0; i < 10; i++) {
        const res = await kiroHttp.request(server.url, { method: 'GET' });
        await res.body.dump();
      }
      // undici checks an idle socket for a moment before reusing it, and a request arriving
      // meanwhile takes a second connection: two at most, never one per request.
      assert.ok(ports.size <= 2, `${ports.size} connections for ten requests`);
    } finally {
      await server.close();
    }
  });
});
