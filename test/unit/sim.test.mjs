// Tests for the offline Kiro simulator (test/sim). Run: node --test test/unit/sim.test.mjs
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame, encodeException, crc32 } from '../sim/eventstream.mjs';
import { validateKiroRequest } from '../sim/validate.mjs';
import { startSimulator, parseDirective } from '../sim/kiro-sim.mjs';
import { clientIdHash } from '../sim/accounts.mjs';

// Real captures (copied from the research fixtures; provenance in fixtures/README.md).
const FIXTURES = new URL('../sim/fixtures', import.meta.url).pathname;
const REQUEST_FILES = readdirSync(join(FIXTURES, 'requests')).filter((f) => f.endsWith('.json'));
const loadRequest = (name) => JSON.parse(readFileSync(join(FIXTURES, 'requests', name), 'utf8'));

// ---- a deliberately minimal event-stream reader (the product decoder lives in src/proxy/kiro) ----

/** @returns {{frames: Array<{offset: number, length: number, headers: Record<string,string>, payload: string, crcOk: boolean}>, rest: Buffer}} */
function readFrames(buf) {
  const frames = [];
  let off = 0;
  while (buf.length - off >= 16) {
    const total = buf.readUInt32BE(off);
    const headersLen = buf.readUInt32BE(off + 4);
    if (crc32(buf.subarray(off, off + 8)) !== buf.readUInt32BE(off + 8)) break; // not a frame start
    if (buf.length - off < total) break;
    const frame = buf.subarray(off, off + total);
    const crcOk = crc32(frame.subarray(0, total - 4)) === frame.readUInt32BE(total - 4);
    const headers = {};
    for (let h = 12; h < 12 + headersLen;) {
      const nameLen = frame[h];
      const name = frame.toString('utf8', h + 1, h + 1 + nameLen);
      assert.equal(frame[h + 1 + nameLen], 7, 'Kiro uses string headers only');
      const valueLen = frame.readUInt16BE(h + 2 + nameLen);
      headers[name] = frame.toString('utf8', h + 4 + nameLen, h + 4 + nameLen + valueLen);
      h += 4 + nameLen + valueLen;
    }
    frames.push({ offset: off, length: total, headers, payload: frame.toString('utf8', 12 + headersLen, total - 4), crcOk });
    off += total;
  }
  return { frames, rest: buf.subarray(off) };
}

/** HTTP request that keeps every network chunk and survives connection errors. */
function rawRequest(url, { method = 'POST', headers = {}, body, onChunk } = {}) {
  return new Promise((resolve) => {
    const chunks = [];
    const out = { status: 0, headers: {}, chunks, body: Buffer.alloc(0), error: null };
    const finish = () => { out.body = Buffer.concat(chunks); resolve(out); };
    const req = http.request(url, { method, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      out.status = res.statusCode;
      out.headers = res.headers;
      res.on('data', (c) => { chunks.push(c); onChunk?.(c, req); });
      res.on('end', finish);
      res.on('error', (e) => { out.error = e; finish(); });
      res.on('aborted', () => { out.error ??= new Error('aborted'); });
    });
    req.on('error', (e) => { out.error = e; finish(); });
    if (body !== undefined) req.write(typeof body === 'string' ? body : JSON.stringify(body));
    req.end();
  });
}

const json = (r) => JSON.parse(r.body.toString('utf8'));

/** A small valid chat body. */
function chatBody(content, { profileArn, tools, history, toolResults, modelId = 'claude-sonnet-4.5' } = {}) {
  const ctx = {};
  if (tools) ctx.tools = tools;
  if (toolResults) ctx.toolResults = toolResults;
  const body = { conversationState: { chatTriggerType: 'MANUAL', conversationId: '3b1b8c1e-0000-4000-8000-000000000001',
    currentMessage: { userInputMessage: { content, modelId, origin: 'AI_EDITOR', userInputMessageContext: ctx } } } };
  if (history) body.conversationState.history = history;
  if (profileArn) body.profileArn = profileArn;
  return body;
}
const tool = (name, schema = { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }) =>
  ({ toolSpecification: { name, description: `Tool ${name}`, inputSchema: { json: schema } } });

function chat(sim, account, body, extra = {}) {
  return rawRequest(`${sim.url}/generateAssistantResponse`, { headers: { authorization: `Bearer ${account.accessToken}` }, body, ...extra });
}

const textOf = (frames) => frames.filter((f) => f.headers[':event-type'] === 'assistantResponseEvent').map((f) => JSON.parse(f.payload).content).join('');

// ==================================================================================================

describe('eventstream encoder', () => {
  it('reproduces every real capture byte-for-byte', () => {
    const dir = join(FIXTURES, 'eventstream');
    const decoded = readdirSync(dir).filter((f) => f.endsWith('.decoded.json'));
    assert.equal(decoded.length, 5);
    for (const name of decoded) {
      const d = JSON.parse(readFileSync(join(dir, name), 'utf8'));
      const bin = readFileSync(join(dir, name.replace('.decoded.json', name.startsWith('kirocli') ? '.complete-frames.bin' : '.bin')));
      const encoded = Buffer.concat(d.frames.map((f) => {
        const h = Object.fromEntries(f.headers.map((x) => [x.name, x.value]));
        return encodeFrame(h[':event-type'], f.payload, { contentType: h[':content-type'] });
      }));
      assert.ok(encoded.equals(bin), `${name}: re-encoded bytes differ`);
    }
  });

  it('first frame of simple-text matches the documented worked example', () => {
    const f = encodeFrame('assistantResponseEvent', { content: 'Immersive Weather Car' });
    assert.equal(f.length, 143);
    assert.equal(f.readUInt32BE(4), 92);
    assert.equal(f.readUInt32BE(8), 0x3449e5f5);
    assert.equal(f.readUInt32BE(139), 0x1a4941b0);
  });

  it('crc32 is IEEE and exception frames carry :exception-type', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    const { frames } = readFrames(encodeException('ThrottlingException', { message: 'slow down', reason: 'X' }));
    assert.deepEqual(Object.keys(frames[0].headers), [':exception-type', ':content-type', ':message-type']);
    assert.equal(frames[0].headers[':message-type'], 'exception');
    assert.equal(frames[0].headers[':exception-type'], 'ThrottlingException');
    assert.deepEqual(JSON.parse(frames[0].payload), { message: 'slow down', reason: 'X' });
    assert.ok(frames[0].crcOk);
  });
});

// ==================================================================================================

describe('validateKiroRequest', () => {
  const IMPROPER = { status: 400, message: 'Improperly formed request.', reason: null };
  const pick = (e) => e && { status: e.status, message: e.message, reason: e.reason };
  /** req2 has history tool use answered by the current message: a good base for mutations. */
  const base = () => structuredClone(loadRequest('kiro-ide-request-req2-f794fdb.json'));
  const cur = (b) => b.conversationState.currentMessage.userInputMessage;

  for (const f of REQUEST_FILES) {
    it(`accepts real IDE body ${f} (as text and as object)`, () => {
      const raw = readFileSync(join(FIXTURES, 'requests', f), 'utf8');
      assert.equal(validateKiroRequest(raw), null);
      assert.equal(validateKiroRequest(JSON.parse(raw)), null);
    });
  }

  it('accepts " " as well as the captures\' "" in a tool-only assistant turn (§11.7)', () => {
    const b = base();
    const toolOnly = b.conversationState.history.map((h) => h.assistantResponseMessage).filter((m) => m?.toolUses?.length && m.content === '');
    assert.ok(toolOnly.length > 0, 'req2 has a tool-only assistant turn with ""');
    for (const m of toolOnly) m.content = ' ';
    assert.equal(validateKiroRequest(b), null);
  });

  const broken = {
    'non-JSON text': () => '{"conversationState": ',
    'missing content': (b) => { delete cur(b).content; },
    'non-string content': (b) => { cur(b).content = 42; },
    'missing currentMessage': (b) => { delete b.conversationState.currentMessage; },
    'history starting with assistant': (b) => { b.conversationState.history.shift(); },
    'two user turns in a row': (b) => { b.conversationState.history.splice(1, 0, structuredClone(b.conversationState.history[0])); },
    'history ending with a user turn': (b) => { b.conversationState.history.push(structuredClone(b.conversationState.history[0])); },
    'toolResult id not in the preceding assistant turn': (b) => { cur(b).userInputMessageContext.toolResults[0].toolUseId = 'tooluse_unknownXXXXXXXXXXXXXX'; },
    'assistant toolUses left unanswered': (b) => { delete cur(b).userInputMessageContext.toolResults; },
    'duplicate toolUseIds in one toolResults': (b) => { const r = cur(b).userInputMessageContext.toolResults; r.push(structuredClone(r[0])); },
    'history tool not declared in current tools': (b) => { cur(b).userInputMessageContext.tools = cur(b).userInputMessageContext.tools.filter((t) => t.toolSpecification.name !== 'fsWrite'); },
    'tool name longer than 64 chars': (b) => { cur(b).userInputMessageContext.tools[0].toolSpecification.name = 'x'.repeat(65); },
    'toolUses input that is a string': (b) => { b.conversationState.history[5].assistantResponseMessage.toolUses[0].input = '{"path":"a"}'; },
    'toolUses input that is null': (b) => { b.conversationState.history[5].assistantResponseMessage.toolUses[0].input = null; },
    'image format bmp': (b) => { cur(b).images = [{ format: 'bmp', source: { bytes: 'AAAA' } }]; },
    'null inputSchema.json': (b) => { cur(b).userInputMessageContext.tools[0].toolSpecification.inputSchema.json = null; },
    'null properties inside a schema': (b) => { cur(b).userInputMessageContext.tools[0].toolSpecification.inputSchema.json.properties = null; },
    'null tools array': (b) => { cur(b).userInputMessageContext.tools = null; },
  };
  for (const [name, mutate] of Object.entries(broken)) {
    it(`rejects ${name} with 400 Improperly formed request.`, () => {
      const b = base();
      const replaced = mutate(b);
      const err = validateKiroRequest(typeof replaced === 'string' ? replaced : b);
      assert.deepEqual(pick(err), IMPROPER);
      assert.equal(err.errorType, 'ValidationException');
    });
  }

  it('accepts empty content, empty images and a case-insensitive tool match', () => {
    const b = base();
    cur(b).content = '';
    cur(b).images = [{ format: 'webp', source: { bytes: 'AAAA' } }];
    cur(b).userInputMessageContext.tools.find((t) => t.toolSpecification.name === 'fsWrite').toolSpecification.name = 'FSWRITE';
    assert.equal(validateKiroRequest(b), null);
  });

  it('rejects a raw payload over 600,000 bytes', () => {
    const b = base();
    cur(b).content = 'a'.repeat(600_001);
    assert.deepEqual(pick(validateKiroRequest(JSON.stringify(b))), IMPROPER);
    cur(b).content = 'a'.repeat(500_000);
    assert.equal(validateKiroRequest(JSON.stringify(b)), null);
  });

  it('rejects an unknown modelId with INVALID_MODEL_ID', () => {
    const b = base();
    cur(b).modelId = 'claude-imaginary-9';
    const err = validateKiroRequest(b);
    assert.deepEqual(pick(err), { status: 400, message: 'Invalid model. Please select a different model to continue.', reason: 'INVALID_MODEL_ID' });
    for (const ok of ['auto', 'claude-opus-4.6', 'claude-3.7-sonnet', 'CLAUDE_3_5_HAIKU_20241022_V1_0']) {
      cur(b).modelId = ok;
      assert.equal(validateKiroRequest(b), null, ok);
    }
  });

  it('applies the chars/4 token budget', () => {
    const raw = JSON.stringify(base());
    const tokens = Math.ceil(raw.length / 4);
    assert.equal(validateKiroRequest(raw, { contextLimitTokens: tokens }), null);
    assert.deepEqual(pick(validateKiroRequest(raw, { contextLimitTokens: tokens - 1 })),
      { status: 400, message: 'Input is too long.', reason: 'CONTENT_LENGTH_EXCEEDS_THRESHOLD' });
  });
});

// ==================================================================================================

describe('simulator: chat streaming', () => {
  let sim, acct;
  before(async () => { sim = await startSimulator({ seed: 42, accounts: 2 }); acct = sim.accounts.list()[0]; });
  after(() => sim.close());
  beforeEach(() => sim.reset());

  it('streams a text + tool-call reply that a plain frame reader can parse', async () => {
    const input = { path: 'src/a.txt', lines: [1, 2, 3], note: 'unicode ✓ and "quotes"' };
    sim.enqueue({ text: "I'll read it.", toolCalls: [{ name: 'read_file', input }], credits: 0.0375, contextUsagePercentage: 3.21 });
    const r = await chat(sim, acct, chatBody('read a.txt', { profileArn: acct.profileArn, tools: [tool('read_file')] }));
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.amazon.eventstream');
    const { frames, rest } = readFrames(r.body);
    assert.equal(rest.length, 0);
    assert.ok(frames.every((f) => f.crcOk));
    for (const f of frames) assert.deepEqual(Object.keys(f.headers), [':event-type', ':content-type', ':message-type']);
    assert.equal(textOf(frames), "I'll read it.");
    const deltas = frames.filter((f) => f.headers[':event-type'] === 'assistantResponseEvent').map((f) => JSON.parse(f.payload).content);
    assert.ok(deltas.every((d) => d.length >= 1 && d.length <= 10));

    const tools = frames.filter((f) => f.headers[':event-type'] === 'toolUseEvent').map((f) => JSON.parse(f.payload));
    assert.deepEqual(Object.keys(tools[0]).sort(), ['name', 'toolUseId']);
    const id = tools[0].toolUseId;
    assert.match(id, /^tooluse_[A-Za-z0-9_-]{22}$/);
    assert.ok(tools.every((t) => t.toolUseId === id && t.name === 'read_file'));
    assert.deepEqual(tools.at(-1), { name: 'read_file', stop: true, toolUseId: id });
    assert.deepEqual(JSON.parse(tools.map((t) => t.input ?? '').join('')), input);

    const tail = frames.slice(-2).map((f) => [f.headers[':event-type'], JSON.parse(f.payload)]);
    assert.deepEqual(tail, [
      ['meteringEvent', { unit: 'credit', unitPlural: 'credits', usage: 0.0375 }],
      ['contextUsageEvent', { contextUsagePercentage: 3.21 }],
    ]);
    assert.equal(sim.replies[0].toolCalls[0].id, id);
  });

  it('splits frames across network chunks at arbitrary offsets', async () => {
    sim.enqueue({ text: 'The quick brown fox jumps over the lazy dog, twice over.' });
    const r = await chat(sim, acct, chatBody('hi', { profileArn: acct.profileArn }));
    assert.ok(r.chunks.length > 3, `only ${r.chunks.length} chunks`);
    const { frames } = readFrames(r.body);
    const starts = new Set(frames.map((f) => f.offset));
    let at = 0;
    const cuts = r.chunks.slice(0, -1).map((c) => (at += c.length));
    assert.ok(cuts.some((c) => !starts.has(c)), 'no chunk boundary fell inside a frame');
    assert.equal(textOf(frames), 'The quick brown fox jumps over the lazy dog, twice over.');
  });

  it('default reply echoes the current prompt and derives contextUsagePercentage from the payload', async () => {
    const body = chatBody('  What is 2+2?  ', { profileArn: acct.profileArn });
    const r = await chat(sim, acct, body);
    const { frames } = readFrames(r.body);
    assert.equal(textOf(frames), 'Echo: What is 2+2?');
    const pct = JSON.parse(frames.at(-1).payload).contextUsagePercentage;
    assert.equal(pct, Math.round((Math.ceil(JSON.stringify(body).length / 4) / 200000) * 10000) / 100);
    assert.equal(JSON.parse(frames.at(-2).payload).usage, 0.01);
    assert.equal(sim.requests[0].body.conversationState.currentMessage.userInputMessage.content, '  What is 2+2?  ');
    assert.equal(sim.requests[0].headers.authorization, `Bearer ${acct.accessToken}`);
  });

  it('is deterministic for a given seed and request order', async () => {
    const run = async () => {
      const s = await startSimulator({ seed: 7, accounts: 1 });
      const a = s.accounts.list()[0];
      s.enqueue({ text: 'same bytes every time', toolCalls: [{ name: 't', input: { a: 1 } }] });
      const r = await chat(s, a, chatBody('x', { profileArn: a.profileArn, tools: [tool('t')] }));
      await s.close();
      return { body: r.body, sizes: r.chunks.map((c) => c.length) };
    };
    const [x, y] = [await run(), await run()];
    assert.ok(x.body.equals(y.body));
    assert.deepEqual(x.sizes, y.sizes);
  });

  it('[[sim:{...}]] in the prompt scripts the reply', async () => {
    assert.deepEqual(parseDirective('a [[sim:{"toolCalls":[{"name":"x"}]}]] b'), { toolCalls: [{ name: 'x' }] });
    const r = await chat(sim, acct, chatBody('please [[sim:{"text":"scripted!","credits":0.5}]]', { profileArn: acct.profileArn }));
    const { frames } = readFrames(r.body);
    assert.equal(textOf(frames), 'scripted!');
    assert.equal(JSON.parse(frames.at(-2).payload).usage, 0.5);
    assert.equal(sim.requests[0].source, 'directive');
  });

  it('thinking as <thinking> prefix, as reasoningContentEvent, and duplicate deltas', async () => {
    sim.enqueue({ thinking: 'hmm', text: 'ok' });
    let { frames } = readFrames((await chat(sim, acct, chatBody('q', { profileArn: acct.profileArn }))).body);
    assert.equal(textOf(frames), '<thinking>hmm</thinking>\n\nok');

    sim.enqueue({ thinking: 'deep thought', reasoningEvent: true, text: 'ok', reasoningSignature: 'sig1' });
    ({ frames } = readFrames((await chat(sim, acct, chatBody('q', { profileArn: acct.profileArn }))).body));
    const reasoning = frames.filter((f) => f.headers[':event-type'] === 'reasoningContentEvent').map((f) => JSON.parse(f.payload));
    assert.equal(reasoning.map((p) => p.text).join(''), 'deep thought');
    assert.equal(reasoning.at(-1).signature, 'sig1');
    assert.equal(textOf(frames), 'ok');

    sim.enqueue({ text: 'abcdefghij', duplicateDeltas: true, deltaSize: [2, 2] });
    ({ frames } = readFrames((await chat(sim, acct, chatBody('q', { profileArn: acct.profileArn }))).body));
    assert.equal(textOf(frames), 'ababcdcdefefghghijij');
    assert.equal(sim.replies.at(-1).text, 'ababcdcdefefghghijij');
  });

  it('truncateToolInput cuts the input mid-JSON with no stop and no final events', async () => {
    sim.enqueue({ toolCalls: [{ name: 'Write', input: { path: 'a.txt', content: 'x'.repeat(200) } }], truncateToolInput: true });
    const { frames } = readFrames((await chat(sim, acct, chatBody('w', { profileArn: acct.profileArn, tools: [tool('Write')] }))).body);
    const tools = frames.filter((f) => f.headers[':event-type'] === 'toolUseEvent').map((f) => JSON.parse(f.payload));
    assert.ok(!tools.some((t) => t.stop));
    assert.throws(() => JSON.parse(tools.map((t) => t.input ?? '').join('')));
    assert.equal(frames.at(-1).headers[':event-type'], 'toolUseEvent');
  });

  it('bracketToolCall puts the call into the text', async () => {
    sim.enqueue({ text: 'Sure.', toolCalls: [{ name: 'get_weather', input: { city: 'Paris' } }], bracketToolCall: true });
    const { frames } = readFrames((await chat(sim, acct, chatBody('w', { profileArn: acct.profileArn }))).body);
    assert.equal(textOf(frames), 'Sure.\n[Called get_weather with args: {"city":"Paris"}]');
    assert.ok(!frames.some((f) => f.headers[':event-type'] === 'toolUseEvent'));
  });

  it('tool input as object, duplicate tool call, extra events, metadataEvent, final-event order, frame-aligned chunking', async () => {
    const events = (r) => readFrames(r.body).frames.map((f) => [f.headers[':event-type'], JSON.parse(f.payload)]);
    const ask = (content = 'q') => chat(sim, acct, chatBody(content, { profileArn: acct.profileArn, tools: [tool('t')] }));

    sim.enqueue({ toolCalls: [{ name: 't', input: { a: 1 }, id: 'tooluse_fixedfixedfixedfixed01' }], toolInputAsObject: true, duplicateToolCall: true });
    assert.deepEqual(events(await ask()).slice(0, 6).map(([, p]) => p), [
      { name: 't', toolUseId: 'tooluse_fixedfixedfixedfixed01' },
      { input: { a: 1 }, name: 't', toolUseId: 'tooluse_fixedfixedfixedfixed01' },
      { name: 't', stop: true, toolUseId: 'tooluse_fixedfixedfixedfixed01' },
      { name: 't', toolUseId: 'tooluse_fixedfixedfixedfixed01' },
      { input: '', name: 't', toolUseId: 'tooluse_fixedfixedfixedfixed01' },
      { name: 't', stop: true, toolUseId: 'tooluse_fixedfixedfixedfixed01' },
    ]);

    sim.enqueue({ text: 'hi', extraEvents: [{ type: 'followupPromptEvent', payload: { followupPrompt: { content: 'more?' } } }], contextUsageFirst: true, metadataEvent: true, contextUsagePercentage: 1 });
    const ev = events(await ask());
    assert.deepEqual(ev.slice(-4).map(([t]) => t), ['followupPromptEvent', 'contextUsageEvent', 'meteringEvent', 'metadataEvent']);
    assert.deepEqual(ev.at(-1)[1], { tokenUsage: { uncachedInputTokens: 2000, outputTokens: 1, totalTokens: 2001, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 }, stopReason: 'END_TURN' });

    sim.enqueue({ text: 'no tail', noFinalEvents: true, chunking: 'frame' });
    const r = await ask();
    const { frames } = readFrames(r.body);
    assert.ok(frames.every((f) => f.headers[':event-type'] === 'assistantResponseEvent'));
    assert.deepEqual(r.chunks.map((c) => c.length), frames.map((f) => f.length));
  });

  it('in-stream exception frame ends the stream', async () => {
    sim.enqueue({ text: 'partial answer', exception: { type: 'ThrottlingException', message: 'Too many requests', afterFrames: 2 } });
    const { frames } = readFrames((await chat(sim, acct, chatBody('q', { profileArn: acct.profileArn }))).body);
    assert.equal(frames.length, 3);
    assert.equal(frames[2].headers[':message-type'], 'exception');
    assert.equal(frames[2].headers[':exception-type'], 'ThrottlingException');
    assert.deepEqual(JSON.parse(frames[2].payload), { message: 'Too many requests', reason: null });
  });

  it('awsJson flavour (POST / + x-amz-target) starts with initial-response', async () => {
    sim.enqueue({ text: 'hi' });
    const r = await rawRequest(`${sim.url}/`, {
      headers: { authorization: `Bearer ${acct.accessToken}`, 'x-amz-target': 'AmazonCodeWhispererStreamingService.GenerateAssistantResponse', 'content-type': 'application/x-amz-json-1.0' },
      body: chatBody('q', { profileArn: acct.profileArn, modelId: 'auto' }),
    });
    const { frames } = readFrames(r.body);
    assert.equal(frames[0].headers[':event-type'], 'initial-response');
    assert.equal(frames[0].headers[':content-type'], 'application/x-amz-json-1.0');
    assert.deepEqual(JSON.parse(frames[1].payload).modelId, 'auto');
    assert.equal(textOf(frames), 'hi');
  });
});

// ==================================================================================================

describe('simulator: errors, faults and reply selection', () => {
  let sim, a1, a2;
  before(async () => { sim = await startSimulator({ seed: 3, accounts: 2 }); [a1, a2] = sim.accounts.list(); });
  after(() => sim.close());
  beforeEach(() => sim.reset());
  const body = (acct, content = 'q') => chatBody(content, { profileArn: acct.profileArn });

  it('unknown bearer → 403 AccessDeniedException with the verbatim message', async () => {
    const r = await chat(sim, { accessToken: 'aoaNOPE' }, body(a1));
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-amzn-errortype'], 'AccessDeniedException');
    assert.deepEqual(json(r), { message: 'The bearer token included in the request is invalid.', reason: null });
    const missing = await rawRequest(`${sim.url}/generateAssistantResponse`, { body: body(a1) });
    assert.equal(missing.status, 403);
  });

  it('expired or revoked access token → 403', async () => {
    const s = await startSimulator({ accounts: [{ expiresInSec: 60 }, {}] });
    const [x, y] = s.accounts.list();
    assert.equal((await chat(s, x, body(x))).status, 200);
    s.advanceTime(61_000);
    assert.equal((await chat(s, x, body(x))).status, 403);
    s.revokeAccessTokens(y.id);
    assert.equal((await chat(s, y, body(y))).status, 403);
    await s.close();
  });

  it('social account without profileArn → 400 profileArn is required', async () => {
    const r = await chat(sim, a1, chatBody('q'));
    assert.equal(r.status, 400);
    assert.deepEqual(json(r), { message: 'profileArn is required for this request.', reason: null });
    assert.equal(r.headers['x-amzn-errortype'], 'ValidationException');
  });

  it('IdC account may omit profileArn; invalid bodies get the generic 400', async () => {
    const idc = sim.addAccount({ authMethod: 'idc' });
    assert.equal((await chat(sim, idc, chatBody('q'))).status, 200);
    const r = await chat(sim, idc, '{"conversationState":{}}');
    assert.equal(r.status, 400);
    assert.deepEqual(json(r), { message: 'Improperly formed request.', reason: null });
    assert.match(sim.requests.at(-1).validation, /currentMessage/);
  });

  it('per-account behaviour wins over the queue and spares other accounts', async () => {
    sim.setBehavior(a1.id, { status: 429, retryAfter: 7 });
    sim.enqueue({ text: 'queued' });
    const r1 = await chat(sim, a1, body(a1));
    assert.equal(r1.status, 429);
    assert.equal(r1.headers['retry-after'], '7');
    assert.equal(r1.headers['x-amzn-errortype'], 'ThrottlingException');
    assert.deepEqual(json(r1), { message: 'Too many requests, please wait before trying again.', reason: null });
    const r2 = await chat(sim, a2, body(a2));
    assert.equal(textOf(readFrames(r2.body).frames), 'queued');
  });

  it('behaviour functions and times, queue items reserved for an account', async () => {
    sim.setBehavior(a1.accessToken, (req) => (req.body.conversationState.currentMessage.userInputMessage.content === 'fail' ? { error: 'internal' } : undefined));
    assert.equal((await chat(sim, a1, body(a1, 'fail'))).status, 500);
    assert.equal((await chat(sim, a1, body(a1, 'fine'))).status, 200);
    sim.setBehavior(a1.id, { error: 'overloaded' }, { times: 1 });
    assert.equal((await chat(sim, a1, body(a1))).status, 500);
    assert.equal((await chat(sim, a1, body(a1))).status, 200);
    sim.enqueue({ text: 'for a2' }, { account: a2.id });
    assert.equal(textOf(readFrames((await chat(sim, a1, body(a1, 'x'))).body).frames), 'Echo: x');
    assert.equal(textOf(readFrames((await chat(sim, a2, body(a2, 'x'))).body).frames), 'for a2');
  });

  it('error presets: 402 monthly limit, 403 suspended, 429 suspicious activity', async () => {
    sim.enqueue({ error: 'monthlyLimit' });
    let r = await chat(sim, a1, body(a1));
    assert.equal(r.status, 402);
    assert.deepEqual(json(r), { message: 'You have reached the limit.', reason: 'MONTHLY_REQUEST_COUNT' });

    sim.enqueue({ error: 'suspended' });
    r = await chat(sim, a1, body(a1));
    assert.equal(r.status, 403);
    assert.equal(json(r).reason, 'TEMPORARILY_SUSPENDED');
    assert.ok(json(r).message.startsWith(`Your User ID (${a1.userId}) temporarily is suspended.`));

    sim.enqueue({ error: 'suspicious' });
    r = await chat(sim, a1, body(a1));
    assert.equal(r.status, 429);
    assert.match(json(r).message, /^Due to suspicious activity, we are imposing temporary limits/);

    sim.setAccount(a2.id, { suspended: true });
    r = await chat(sim, a2, body(a2));
    assert.equal(r.status, 403);
    assert.equal(json(r).reason, 'TEMPORARILY_SUSPENDED');
    sim.setAccount(a2.id, { suspended: false });
  });

  it('resetBeforeHeaders drops the connection without a response', async () => {
    sim.enqueue({ resetBeforeHeaders: true });
    const r = await chat(sim, a1, body(a1));
    assert.equal(r.status, 0);
    assert.ok(r.error);
  });

  it('resetAfterFrames delivers N frames then cuts the connection', async () => {
    sim.enqueue({ text: 'x'.repeat(60), deltaSize: [5, 5], resetAfterFrames: 4 });
    const r = await chat(sim, a1, body(a1));
    assert.equal(r.status, 200);
    assert.ok(r.error, 'client should see the connection drop');
    const { frames, rest } = readFrames(r.body);
    assert.equal(frames.length, 4);
    assert.equal(rest.length, 0);
  });

  it('badCrcAtFrame, garbageBetweenFrames and truncateLastFrame corrupt the wire as asked', async () => {
    sim.enqueue({ text: 'abcdefghijkl', deltaSize: [3, 3], badCrcAtFrame: 1 });
    let { frames } = readFrames((await chat(sim, a1, body(a1))).body);
    assert.deepEqual(frames.map((f) => f.crcOk), [true, false, true, true, true, true]);

    sim.enqueue({ text: 'abcdef', deltaSize: [3, 3], garbageBetweenFrames: 0 });
    const g = await chat(sim, a1, body(a1));
    const first = readFrames(g.body);
    assert.equal(first.frames.length, 1, 'reader stops at the junk after frame 0');
    const frameLen = first.frames[0].length;
    const second = encodeFrame('assistantResponseEvent', { content: 'def' });
    const junk = g.body.indexOf(second) - frameLen;
    assert.ok(junk >= 3 && junk <= 12, `junk bytes ${junk}`);
    const after = readFrames(g.body.subarray(frameLen + junk));
    assert.equal(after.rest.length, 0);
    assert.deepEqual(after.frames.map((f) => f.headers[':event-type']), ['assistantResponseEvent', 'meteringEvent', 'contextUsageEvent']);

    sim.enqueue({ text: 'abc', truncateLastFrame: true });
    const t = await chat(sim, a1, body(a1));
    const parsed = readFrames(t.body);
    assert.ok(parsed.rest.length > 0 && parsed.rest.length < parsed.rest.readUInt32BE(0));
    assert.equal(parsed.frames.at(-1).headers[':event-type'], 'meteringEvent');
  });

  it('firstByteDelayMs delays the status line; stallAfterFrames holds the stream open', async () => {
    sim.enqueue({ text: 'hi', firstByteDelayMs: 120 });
    const t0 = Date.now();
    assert.equal((await chat(sim, a1, body(a1))).status, 200);
    assert.ok(Date.now() - t0 >= 110);

    sim.enqueue({ text: 'abcdefgh', deltaSize: [2, 2], stallAfterFrames: 2 });
    let got = Buffer.alloc(0);
    const r = await chat(sim, a1, body(a1), {
      onChunk: (c, req) => {
        got = Buffer.concat([got, c]);
        // Once both frames are in, wait a bit longer than any inter-chunk gap, then hang up.
        if (readFrames(got).frames.length === 2) setTimeout(() => req.destroy(), 150);
      },
    });
    assert.equal(readFrames(r.body).frames.length, 2);
    assert.ok(r.error, 'the stream never ended on its own');
    assert.equal(sim.requests.at(-1).outcome, 'stalled');
  });

  it('close() ends stalled streams and pending first bytes', async () => {
    const s = await startSimulator({ accounts: 1 });
    const a = s.accounts.list()[0];
    s.enqueue({ firstByteDelayMs: 60_000 });
    const pending = chat(s, a, body(a));
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await s.close();
    const r = await pending;
    assert.ok(Date.now() - t0 < 1000);
    assert.ok(r.error || r.status === 0);
  });

  it('context budget and plan-gated models', async () => {
    const s = await startSimulator({ accounts: [{ models: ['claude-sonnet-4.5'] }], contextLimitTokens: 50 });
    const a = s.accounts.list()[0];
    let r = await chat(s, a, chatBody('x'.repeat(400), { profileArn: a.profileArn }));
    assert.deepEqual(json(r), { message: 'Input is too long.', reason: 'CONTENT_LENGTH_EXCEEDS_THRESHOLD' });
    s.configure({ contextLimitTokens: null });
    r = await chat(s, a, chatBody('x', { profileArn: a.profileArn, modelId: 'claude-opus-4.6' }));
    assert.deepEqual(json(r), { message: 'Improperly formed request.', reason: null });
    r = await chat(s, a, chatBody('x', { profileArn: a.profileArn, modelId: 'nope' }));
    assert.equal(json(r).reason, 'INVALID_MODEL_ID');
    await s.close();
  });
});

// ==================================================================================================

describe('simulator: auth, usage and admin API', () => {
  let sim;
  before(async () => { sim = await startSimulator({ seed: 9 }); });
  after(() => sim.close());
  const post = (path, body, headers) => rawRequest(`${sim.url}${path}`, { body, headers });
  const get = (path, token) => rawRequest(`${sim.url}${path}`, { method: 'GET', headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('issues aoa/aor tokens', () => {
    const a = sim.addAccount({});
    assert.match(a.accessToken, /^aoa/);
    assert.match(a.refreshToken, /^aor.{100,}$/);
    assert.match(a.profileArn, /^arn:aws:codewhisperer:us-east-1:\d{12}:profile\/[A-Z0-9]{12}$/);
  });

  it('social /refreshToken issues a new access token and counts refreshes', async () => {
    const a = sim.addAccount({ expiresInSec: 5 });
    const old = a.accessToken;
    const r = await post('/refreshToken', { refreshToken: a.refreshToken });
    assert.equal(r.status, 200);
    const b = json(r);
    assert.deepEqual(Object.keys(b).sort(), ['accessToken', 'expiresIn', 'profileArn', 'refreshToken']);
    assert.notEqual(b.accessToken, old);
    assert.equal(b.refreshToken, a.refreshToken);
    assert.equal(b.profileArn, a.profileArn);
    assert.equal(b.expiresIn, 3600);
    assert.equal(sim.refreshCount(a.id), 1);
    assert.equal((await get('/getUsageLimits', b.accessToken)).status, 400, 'a social account names its profile (§11.2)');
    const usage = await get(`/getUsageLimits?profileArn=${encodeURIComponent(a.profileArn)}`, b.accessToken);
    assert.equal(usage.status, 200);
  });

  it('refresh token rotation kills the old refresh token; unknown ones get invalid_grant', async () => {
    const a = sim.addAccount({ rotateRefreshToken: true });
    const first = a.refreshToken;
    const r = json(await post('/refreshToken', { refreshToken: first }));
    assert.notEqual(r.refreshToken, first);
    const again = await post('/refreshToken', { refreshToken: first });
    assert.equal(again.status, 400);
    assert.deepEqual(json(again), { error: 'invalid_grant', error_description: 'Invalid refresh token provided' });
    sim.revokeRefreshToken(a.id);
    assert.equal((await post('/refreshToken', { refreshToken: r.refreshToken })).status, 400);
  });

  it('scripted refresh failure and delay', async () => {
    const a = sim.addAccount({});
    sim.setAccount(a.id, { refreshFailure: { status: 503, times: 1 }, refreshDelayMs: 80 });
    const t0 = Date.now();
    assert.equal((await post('/refreshToken', { refreshToken: a.refreshToken })).status, 503);
    assert.ok(Date.now() - t0 >= 70);
    assert.equal((await post('/refreshToken', { refreshToken: a.refreshToken })).status, 200);
    assert.equal(sim.refreshCount(a.id), 2);
  });

  it('OIDC device flow: register, authorize, pending twice, then tokens that work', async () => {
    const reg = json(await post('/client/register', { clientName: 'Kiro IDE', clientType: 'public', scopes: ['codewhisperer:completions'], grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'] }));
    assert.ok(reg.clientId && reg.clientSecret && reg.clientSecretExpiresAt > reg.clientIdIssuedAt);
    const dev = json(await post('/device_authorization', { clientId: reg.clientId, clientSecret: reg.clientSecret, startUrl: 'https://view.awsapps.com/start' }));
    assert.match(dev.userCode, /^[A-Z]{4}-[A-Z]{4}$/);
    assert.equal(dev.verificationUriComplete, `${dev.verificationUri}?user_code=${dev.userCode}`);
    assert.equal(dev.interval, 1);
    const poll = () => post('/token', { clientId: reg.clientId, clientSecret: reg.clientSecret, deviceCode: dev.deviceCode, grantType: 'urn:ietf:params:oauth:grant-type:device_code' });
    for (let i = 0; i < 2; i++) {
      const p = await poll();
      assert.equal(p.status, 400);
      assert.deepEqual(json(p), { error: 'authorization_pending' });
    }
    const ok = await poll();
    assert.equal(ok.status, 200);
    const tok = json(ok);
    assert.equal(tok.tokenType, 'Bearer');
    assert.equal(tok.expiresIn, 28800);
    const account = sim.account(tok.accessToken);
    assert.equal(account.authMethod, 'idc');
    assert.equal(account.clientId, reg.clientId);
    assert.equal((await post('/generateAssistantResponse', chatBody('hi'), { authorization: `Bearer ${tok.accessToken}` })).status, 200);
    // IdC refresh via /token
    const ref = await post('/token', { clientId: reg.clientId, clientSecret: reg.clientSecret, refreshToken: tok.refreshToken, grantType: 'refresh_token' });
    assert.equal(ref.status, 200);
    assert.notEqual(json(ref).accessToken, tok.accessToken);
    assert.equal(sim.refreshCount(account.id), 1);
    const wrongClient = await post('/token', { clientId: 'other', clientSecret: 'x', refreshToken: tok.refreshToken, grantType: 'refresh_token' });
    assert.equal(wrongClient.status, 401);
    assert.equal(json(wrongClient).error, 'invalid_client');
  });

  it('OIDC device flow: slow_down first, access_denied, expired_token', async () => {
    const reg = json(await post('/client/register', { clientName: 'Kiro IDE', clientType: 'public' }));
    const device = async () => json(await post('/device_authorization', { clientId: reg.clientId, clientSecret: reg.clientSecret }));
    const poll = (d) => post('/token', { clientId: reg.clientId, clientSecret: reg.clientSecret, deviceCode: d.deviceCode, grantType: 'urn:ietf:params:oauth:grant-type:device_code' });

    sim.configure({ device: { slowDown: true, pendingPolls: 0 } });
    let d = await device();
    assert.deepEqual(json(await poll(d)), { error: 'slow_down' });
    assert.equal((await poll(d)).status, 200);

    sim.configure({ device: { slowDown: false, deny: true } });
    d = await device();
    assert.equal(json(await poll(d)).error, 'access_denied');

    sim.configure({ device: { deny: false, pendingPolls: 5 } });
    d = await device();
    sim.advanceTime(601_000);
    assert.equal(json(await poll(d)).error, 'expired_token');
    sim.advanceTime(-601_000);
    sim.configure({ device: { pendingPolls: 2 } });
  });

  it('device page approval and the IdC authorization-code (PKCE) flow', async () => {
    sim.configure({ device: { pendingPolls: 100 } });
    const reg = json(await post('/client/register', { clientName: 'Kiro IDE', clientType: 'public', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: ['http://127.0.0.1:9/oauth/callback'], issuerUrl: 'https://d-1234567890.awsapps.com/start' }));
    const dev = json(await post('/device_authorization', { clientId: reg.clientId, clientSecret: reg.clientSecret }));
    const poll = () => post('/token', { clientId: reg.clientId, clientSecret: reg.clientSecret, deviceCode: dev.deviceCode, grantType: 'urn:ietf:params:oauth:grant-type:device_code' });
    assert.equal(json(await poll()).error, 'authorization_pending');
    assert.equal((await get(`/device?user_code=${dev.userCode}`)).status, 200);
    assert.equal((await poll()).status, 200);
    sim.configure({ device: { pendingPolls: 2 } });

    const verifier = 'k'.repeat(64);
    const q = new URLSearchParams({ response_type: 'code', client_id: reg.clientId, redirect_uri: 'http://127.0.0.1:9/oauth/callback', scopes: 'codewhisperer:completions',
      state: 's1', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' });
    const auth = await get(`/authorize?${q}`);
    assert.equal(auth.status, 302);
    const code = new URL(auth.headers.location).searchParams.get('code');
    const exchange = (codeVerifier) => post('/token', { clientId: reg.clientId, clientSecret: reg.clientSecret, grantType: 'authorization_code', code, codeVerifier, redirectUri: 'http://127.0.0.1:9/oauth/callback' });
    assert.equal(json(await exchange('wrong')).error, 'invalid_grant');
    const t = json(await exchange(verifier));
    assert.equal(sim.account(t.accessToken).startUrl, 'https://d-1234567890.awsapps.com/start');
    assert.equal(sim.account(t.accessToken).provider, 'Enterprise');
  });

  it('social PKCE login: /login redirects with code+state, /oauth/token checks the verifier', async () => {
    const verifier = 'v'.repeat(50);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirect = 'http://127.0.0.1:9/cb';
    const q = new URLSearchParams({ idp: 'Github', redirect_uri: redirect, code_challenge: challenge, code_challenge_method: 'S256', state: 'st8' });
    const login = await get(`/login?${q}`);
    assert.equal(login.status, 302);
    const loc = new URL(login.headers.location);
    assert.equal(`${loc.origin}${loc.pathname}`, redirect);
    assert.equal(loc.searchParams.get('state'), 'st8');
    const code = loc.searchParams.get('code');
    const bad = await post('/oauth/token', { code, code_verifier: 'w'.repeat(50), redirect_uri: redirect });
    assert.equal(bad.status, 400);
    const r = await post('/oauth/token', { code, code_verifier: verifier, redirect_uri: redirect });
    assert.equal(r.status, 200);
    const t = json(r);
    assert.match(t.accessToken, /^aoa/);
    assert.match(t.profileArn, /^arn:aws:codewhisperer:/);
    assert.equal(sim.account(t.accessToken).provider, 'Github');
    assert.equal((await post('/oauth/token', { code, code_verifier: verifier, redirect_uri: redirect })).status, 400, 'codes are single-use');

    sim.configure({ autoApproveLogin: false });
    const pending = await get(`/login?${new URLSearchParams({ ...Object.fromEntries(q), state: 'st9' })}`);
    assert.equal(pending.status, 200);
    const callback = new URL(sim.approveLogin('st9'));
    assert.equal(callback.searchParams.get('state'), 'st9');
    sim.configure({ autoApproveLogin: true });
  });

  it('getUsageLimits counts metered credits; isEmailRequired adds userInfo; limits enforce 402', async () => {
    const a = sim.addAccount({ plan: 'free', currentUsage: 49.9, email: 'me@example.com' });
    sim.enqueue({ text: 'a', credits: 0.04 }, { account: a.id });
    sim.enqueue({ text: 'b', credits: 0.02 }, { account: a.id });
    for (let i = 0; i < 2; i++) await post('/generateAssistantResponse', chatBody('x', { profileArn: a.profileArn }), { authorization: `Bearer ${a.accessToken}` });
    const arn = encodeURIComponent(a.profileArn);
    const u = json(await get(`/getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST&isEmailRequired=true&profileArn=${arn}`, a.accessToken));
    assert.equal(u.subscriptionInfo.subscriptionTitle, 'KIRO FREE');
    assert.equal(u.usageBreakdownList[0].currentUsageWithPrecision, 49.96);
    assert.equal(u.usageBreakdownList[0].usageLimitWithPrecision, 50);
    assert.equal(u.userInfo.email, 'me@example.com');
    assert.ok(u.nextDateReset < 1e10 && u.nextDateReset * 1000 > Date.now());
    assert.equal(json(await get(`/getUsageLimits?profileArn=${arn}`, a.accessToken)).userInfo, undefined);
    assert.equal(sim.usage(a.id).used, 49.96);

    sim.configure({ enforceUsageLimits: true });
    sim.setAccount(a.id, { currentUsage: 50 });
    const r = await post('/generateAssistantResponse', chatBody('x', { profileArn: a.profileArn }), { authorization: `Bearer ${a.accessToken}` });
    assert.equal(r.status, 402);
    assert.equal(json(r).reason, 'MONTHLY_REQUEST_COUNT');
    sim.configure({ enforceUsageLimits: false });
    assert.equal((await get('/getUsageLimits', 'aoaBAD')).status, 403);
  });

  it('ListAvailableModels lists the account models with token limits', async () => {
    const a = sim.addAccount({ models: ['auto', 'claude-haiku-4.5'] });
    const m = json(await get(`/ListAvailableModels?origin=AI_EDITOR&profileArn=${encodeURIComponent(a.profileArn)}`, a.accessToken));
    assert.deepEqual(m.models.map((x) => x.modelId), ['auto', 'claude-haiku-4.5']);
    assert.equal(m.models[1].tokenLimits.maxInputTokens, 200000);
    assert.equal(m.defaultModel.modelId, 'auto');
    const b = sim.addAccount({});
    const all = json(await get(`/ListAvailableModels?profileArn=${encodeURIComponent(b.profileArn)}`, b.accessToken));
    assert.ok(all.models.some((x) => x.modelId === 'claude-opus-4.6'));
    assert.ok(!all.models.some((x) => x.modelId === 'claude-3.7-sonnet'), 'hidden model is not listed');
  });

  it('makeTokenFile writes IDE-style social and IdC files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiro-sim-'));
    try {
      const s = sim.addAccount({ provider: 'Github' });
      const { tokenPath } = sim.makeTokenFile(dir, s.id);
      const t = JSON.parse(readFileSync(tokenPath, 'utf8'));
      assert.deepEqual(t, { accessToken: s.accessToken, refreshToken: s.refreshToken, profileArn: s.profileArn,
        expiresAt: new Date(s.expiresAt).toISOString(), authMethod: 'social', provider: 'Github' });
      const i = sim.addAccount({ authMethod: 'idc' });
      const files = sim.makeTokenFile(dir, i, { fileName: 'kiro-account-2.json' });
      const it2 = JSON.parse(readFileSync(files.tokenPath, 'utf8'));
      const hash = createHash('sha1').update(JSON.stringify({ startUrl: 'https://view.awsapps.com/start' })).digest('hex');
      assert.equal(it2.clientIdHash, hash);
      assert.equal(clientIdHash('https://view.awsapps.com/start'), hash);
      assert.equal(it2.authMethod, 'IdC');
      assert.equal(files.registrationPath, join(dir, `${hash}.json`));
      const reg = JSON.parse(readFileSync(files.registrationPath, 'utf8'));
      assert.equal(reg.clientId, i.clientId);
      assert.equal(reg.clientSecret, i.clientSecret);
      assert.ok(Date.parse(reg.expiresAt) > Date.now());
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('admin API: accounts, enqueue, behavior, requests, reset', async () => {
    const created = json(await post('/__sim/accounts', { id: 'remote-1', plan: 'pro' }));
    assert.equal(created.account.id, 'remote-1');
    const token = created.account.accessToken;
    const arn = created.account.profileArn;
    await post('/__sim/enqueue', { replies: [{ text: 'one' }, { text: 'two' }], account: 'remote-1' });
    const call = () => post('/generateAssistantResponse', chatBody('x', { profileArn: arn }), { authorization: `Bearer ${token}` });
    assert.equal(textOf(readFrames((await call()).body).frames), 'one');
    assert.equal(textOf(readFrames((await call()).body).frames), 'two');
    await post('/__sim/behavior', { account: 'remote-1', reply: { status: 503 }, times: 1 });
    assert.equal((await call()).status, 503);
    assert.equal((await call()).status, 200);
    const reqs = json(await get('/__sim/requests?path=/generateAssistantResponse')).requests.filter((r) => r.account === 'remote-1');
    assert.equal(reqs.length, 4);
    assert.deepEqual(reqs.map((r) => r.status), [200, 200, 503, 200]);
    assert.equal(reqs[0].body.conversationState.currentMessage.userInputMessage.content, 'x');
    assert.equal((await post('/__sim/accounts/update', { id: 'nope' })).status, 400);
    await post('/__sim/reset', {});
    assert.equal(json(await get('/__sim/requests')).requests.length, 0);
    assert.equal(sim.account('remote-1').id, 'remote-1', 'reset keeps accounts');
  });
});

// ==================================================================================================

describe('simulator: load and CLI', () => {
  it('serves many concurrent streams across accounts without mixing them up', async () => {
    const sim = await startSimulator({ seed: 5, accounts: 3 });
    const accts = sim.accounts.list();
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => {
      const a = accts[i % 3];
      return chat(sim, a, chatBody(`message number ${i}`, { profileArn: a.profileArn })).then((r) => ({ i, r }));
    }));
    for (const { i, r } of results) {
      const { frames, rest } = readFrames(r.body);
      assert.equal(rest.length, 0);
      assert.equal(textOf(frames), `Echo: message number ${i}`);
    }
    assert.deepEqual(accts.map((a) => sim.usage(a.id).used), [0.08, 0.08, 0.08]);
    await sim.close();
  });

  it('cli.mjs writes token files, prints the URL last and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiro-sim-cli-'));
    const child = spawn(process.execPath, [new URL('../sim/cli.mjs', import.meta.url).pathname, '--accounts', '3', '--token-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      const url = await new Promise((resolve, reject) => {
        child.stdout.on('data', (c) => {
          out += c;
          const m = /kiro simulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`cli exited early (${code}): ${out}`)));
      });
      const files = readdirSync(dir).sort();
      assert.equal(files.length, 4);
      assert.ok(files.includes('kiro-auth-token.json') && files.includes('kiro-account-2.json') && files.includes('kiro-account-3.json'));
      const social = JSON.parse(readFileSync(join(dir, 'kiro-auth-token.json'), 'utf8'));
      const idc = JSON.parse(readFileSync(join(dir, 'kiro-account-3.json'), 'utf8'));
      assert.equal(social.authMethod, 'social');
      assert.equal(idc.authMethod, 'IdC');
      assert.ok(files.includes(`${idc.clientIdHash}.json`));
      const r = await rawRequest(`${url}/generateAssistantResponse`, { headers: { authorization: `Bearer ${social.accessToken}` }, body: chatBody('ping', { profileArn: social.profileArn }) });
      assert.equal(textOf(readFrames(r.body).frames), 'Echo: ping');
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
