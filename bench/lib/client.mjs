// The two measuring clients, raw node:http and fetch (undici, what most real clients use), with
// no SDK on the clock; plus the Kiro event-stream decoder that checks direct/raw answers after
// the clock stops (the proxy's protocols are read back by ./protocols.mjs), which the minimal
// translator decodes with too.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export function makeAgent() {
  return new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 2048, keepAliveMsecs: 30_000 });
}

/**
 * One exchange. Times (ms, performance.now): start, headers, first body byte, last byte.
 * @param {{url: string, path: string, headers: Record<string,string>}} target
 * @param {string|Buffer} body
 * @param {{agent: http.Agent, keep?: boolean, timeoutMs?: number, abortAfterFirstChunk?: boolean, readDelayMs?: number, stallMs?: number}} opts
 */
export async function send(target, body, opts) {
  const first = await sendOnce(target, body, opts);
  // A keep-alive socket the server closed while idle fails at once on reuse: retry once on a
  // fresh one, as any HTTP client must (node docs: request.reusedSocket). Timed from the retry.
  if (first.status === 0 && first.reusedSocket && !first.bytes) return sendOnce(target, body, opts);
  return first;
}

function sendOnce(target, body, { agent, keep = true, timeoutMs = 120_000, abortAfterFirstChunk = false, readDelayMs = 0, stallMs = 0 }) {
  const u = new URL(target.url);
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  return new Promise((resolve) => {
    const t0 = performance.now();
    let headersAt = NaN, firstAt = NaN, bytes = 0, reads = 0, settled = false;
    const chunks = [];
    const done = (r) => { if (!settled) { settled = true; clearTimeout(timer); resolve(r); } };
    const req = http.request({
      host: u.hostname, port: u.port, method: 'POST', path: target.path, agent,
      headers: { ...target.headers, 'content-length': payload.length },
    }, (res) => {
      headersAt = performance.now();
      res.on('data', (c) => {
        if (!bytes) firstAt = performance.now();
        bytes += c.length;
        reads++;
        if (keep) chunks.push(c);
        // A slow reader: stops reading for `stallMs` after the first chunk (a busy client), then
        // for a while after every chunk (the socket fills meanwhile).
        const pauseMs = reads === 1 && stallMs > 0 ? stallMs : readDelayMs;
        if (pauseMs > 0) { res.pause(); setTimeout(() => res.resume(), pauseMs); }
        if (abortAfterFirstChunk) { req.destroy(); done({ status: res.statusCode, aborted: true, t0, headersAt, firstAt, endAt: performance.now(), bytes, chunks }); }
      });
      res.on('end', () => done({ status: res.statusCode, t0, headersAt, firstAt, endAt: performance.now(), bytes, reads, chunks }));
      res.on('error', (e) => done({ status: res.statusCode, error: e.message, t0, headersAt, firstAt, endAt: performance.now(), bytes, chunks }));
      res.on('close', () => done({ status: res.statusCode, error: 'closed early', t0, headersAt, firstAt, endAt: performance.now(), bytes, chunks }));
    });
    req.on('socket', (socket) => socket.setNoDelay(true));
    const timer = setTimeout(() => { req.destroy(new Error('bench timeout')); }, timeoutMs);
    req.on('error', (e) => done({ status: 0, error: e.message, reusedSocket: req.reusedSocket, t0, headersAt, firstAt, endAt: performance.now(), bytes, chunks }));
    req.end(payload);
  });
}

/**
 * The same exchange through fetch (Node's built-in undici client, keep-alive by default), with
 * the same result shape as `send`. `headersAt` is when fetch resolved; chunks are read as they come.
 */
export async function sendFetch(target, body, { keep = true, timeoutMs = 120_000 } = {}) {
  const t0 = performance.now();
  let headersAt = NaN, firstAt = NaN, bytes = 0, status = 0;
  const chunks = [];
  try {
    const res = await fetch(target.url + target.path, { method: 'POST', headers: target.headers, body, signal: AbortSignal.timeout(timeoutMs) });
    headersAt = performance.now();
    status = res.status;
    for await (const c of res.body) {
      if (!bytes) firstAt = performance.now();
      bytes += c.byteLength;
      if (keep) chunks.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    }
    return { status, t0, headersAt, firstAt, endAt: performance.now(), bytes, chunks };
  } catch (e) {
    return { status, error: e.message, t0, headersAt, firstAt, endAt: performance.now(), bytes, chunks };
  }
}

// ---- answer checks (never on the clock) ------------------------------------------------------

/**
 * Calls `onFrame` for each whole frame of a Kiro event stream in `buf`, with its event type,
 * message type and payload text; returns where the first incomplete frame starts.
 */
export function eachKiroFrame(buf, onFrame) {
  let at = 0;
  while (at + 12 <= buf.length) {
    const total = buf.readUInt32BE(at);
    const headersLen = buf.readUInt32BE(at + 4);
    if (total < 16 || at + total > buf.length) break;
    let h = at + 12;
    const hEnd = h + headersLen;
    let eventType = '', messageType = '';
    while (h < hEnd) {
      const nameLen = buf[h];
      const name = buf.toString('latin1', h + 1, h + 1 + nameLen);
      h += 1 + nameLen;
      const type = buf[h++];
      if (type !== 7) { h = hEnd; break; } // the simulator only writes string headers
      const len = buf.readUInt16BE(h);
      const value = buf.toString('utf8', h + 2, h + 2 + len);
      h += 2 + len;
      if (name === ':event-type') eventType = value;
      else if (name === ':message-type') messageType = value;
    }
    onFrame(eventType, messageType, buf.toString('utf8', hEnd, at + total - 4));
    at += total;
  }
  return at;
}

/** Text of a Kiro event stream (assistantResponseEvent contents), and whether it ended cleanly. */
export function kiroText(chunks) {
  const buf = Buffer.concat(chunks);
  const parts = [];
  let events = 0, exception = null;
  const at = eachKiroFrame(buf, (eventType, messageType, payload) => {
    if (messageType !== 'event') exception = payload;
    else if (eventType === 'assistantResponseEvent') parts.push(JSON.parse(payload).content);
    events++;
  });
  return { text: parts.join(''), events, leftover: buf.length - at, exception };
}

/** POST JSON to the simulator's admin API. */
export async function admin(simUrl, path, body) {
  const res = await send({ url: simUrl, path, headers: { 'content-type': 'application/json' } }, JSON.stringify(body ?? {}), { agent: adminAgent, timeoutMs: 60_000 });
  if (res.status !== 200) throw new Error(`sim admin ${path} → ${res.status} ${res.error ?? Buffer.concat(res.chunks).toString().slice(0, 300)}`);
  return JSON.parse(Buffer.concat(res.chunks).toString('utf8'));
}
const adminAgent = new http.Agent({ keepAlive: false });

export async function adminGet(simUrl, path) {
  const res = await fetch(simUrl + path);
  return res.json();
}
