// Raw node:http client for measurement (no SDK on the clock), plus the checks run after the
// clock stops: a Kiro event-stream decoder for direct/raw answers and an Anthropic SSE reader.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export function makeAgent() {
  return new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 2048, keepAliveMsecs: 30_000 });
}

/**
 * One exchange. Times (ms, performance.now): start, headers, first body byte, last byte.
 * @param {{url: string, path: string, headers: Record<string,string>}} target
 * @param {string|Buffer} body
 * @param {{agent: http.Agent, keep?: boolean, timeoutMs?: number, abortAfterFirstChunk?: boolean}} opts
 */
export async function send(target, body, opts) {
  const first = await sendOnce(target, body, opts);
  // A keep-alive socket the server closed while idle fails at once on reuse: retry once on a
  // fresh one, as any HTTP client must (node docs: request.reusedSocket). Timed from the retry.
  if (first.status === 0 && first.reusedSocket && !first.bytes) return sendOnce(target, body, opts);
  return first;
}

function sendOnce(target, body, { agent, keep = true, timeoutMs = 120_000, abortAfterFirstChunk = false }) {
  const u = new URL(target.url);
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  return new Promise((resolve) => {
    const t0 = performance.now();
    let headersAt = NaN, firstAt = NaN, bytes = 0, settled = false;
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
        if (keep) chunks.push(c);
        if (abortAfterFirstChunk) { req.destroy(); done({ status: res.statusCode, aborted: true, t0, headersAt, firstAt, endAt: performance.now(), bytes, chunks }); }
      });
      res.on('end', () => done({ status: res.statusCode, t0, headersAt, firstAt, endAt: performance.now(), bytes, chunks }));
      res.on('error', (e) => done({ status: res.statusCode, error: e.message, t0, headersAt, firstAt, endAt: performance.now(), bytes, chunks }));
      res.on('close', () => done({ status: res.statusCode, error: 'closed early', t0, headersAt, firstAt, endAt: performance.now(), bytes, chunks }));
    });
    req.on('socket', (socket) => socket.setNoDelay(true));
    const timer = setTimeout(() => { req.destroy(new Error('bench timeout')); }, timeoutMs);
    req.on('error', (e) => done({ status: 0, error: e.message, reusedSocket: req.reusedSocket, t0, headersAt, firstAt, endAt: performance.now(), bytes, chunks }));
    req.end(payload);
  });
}

// ---- answer checks (never on the clock) ------------------------------------------------------

/** Text of a Kiro event stream (assistantResponseEvent contents), and whether it ended cleanly. */
export function kiroText(chunks) {
  const buf = Buffer.concat(chunks);
  const parts = [];
  let at = 0, events = 0, exception = null;
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
    const payload = buf.toString('utf8', hEnd, at + total - 4);
    if (messageType !== 'event') exception = payload;
    else if (eventType === 'assistantResponseEvent') parts.push(JSON.parse(payload).content);
    events++;
    at += total;
  }
  return { text: parts.join(''), events, leftover: buf.length - at, exception };
}

/** Text of an Anthropic SSE stream (text_delta), and whether message_stop arrived. */
export function sseText(chunks) {
  const s = Buffer.concat(chunks).toString('utf8');
  const parts = [];
  let stopped = false, error = null;
  for (const line of s.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    if (line.startsWith('data: {"type":"content_block_delta"')) {
      const d = JSON.parse(line.slice(6)).delta;
      if (d.type === 'text_delta') parts.push(d.text);
    } else if (line.startsWith('data: {"type":"message_stop"')) stopped = true;
    else if (line.startsWith('data: {"type":"error"')) error = line.slice(6);
  }
  return { text: parts.join(''), stopped, error };
}

/** Text of an Anthropic non-streaming body. */
export function jsonText(chunks) {
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return { text: (body.content ?? []).filter((b) => b.type === 'text').map((b) => b.text).join(''), stopped: body.type === 'message' };
  } catch (e) { return { text: '', stopped: false, error: e.message }; }
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
