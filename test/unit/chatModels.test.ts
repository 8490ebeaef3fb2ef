// VS Code's chat models without VS Code: the message conversion, the model list and the
// settings, and a converted request going to the simulator through the engine's exchange with
// the HTTP proxy never started. The real-VS-Code layer (test/suite/chatModels.spec.ts) runs the
// provider itself with VS Code's own classes.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountModels, displayName, kiroChatModels } from '../../src/host/chatModels/catalog';
import type { CatalogModel } from '../../src/proxy/pool/catalog';
import type { PoolChange } from '../../src/proxy/pool/pool';
import { conversationOf } from '../../src/host/chatModels/messages';
import { languageModelError, reportReply } from '../../src/host/chatModels/reply';
import { CHAT_MODEL_DEFAULTS, readChatModelSettings, thinkingConfigOf } from '../../src/host/chatModels/settings';
import type { LanguageModelChatRequestMessage } from '../../src/host/chatModels/vscodeLm';
import { defaultConfig } from '../../src/proxy/config';
import { asProxyError } from '../../src/proxy/errors';
import { Engine } from '../../src/proxy/engine';
import { collectReply } from '../../src/proxy/protocols/reply';
import { MemoryAccountStore } from '../../src/proxy/pool/store';
import { importSimAccount, useSimulator } from '../helpers/pool';

// The parts as VS Code 1.139's extension host builds them (same own properties as its classes).
const text = (value: string) => ({ value });
const toolCall = (callId: string, name: string, input: object) => ({ callId, name, input });
const toolResult = (callId: string, content: unknown[], isError = false) => ({ callId, content, isError });
const data = (bytes: string | Uint8Array, mimeType: string) => ({ mimeType, data: typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes, audience: undefined });
const thinking = (value: string | string[]) => ({ value, id: 'think-1', metadata: undefined });
const msg = (role: 1 | 2 | 3, ...content: unknown[]): LanguageModelChatRequestMessage => ({ role, content, name: undefined });

/** Records what the provider reports, in the shape of VS Code's part classes (the real ones run in test/suite). */
class TextPart { constructor(readonly value: string) {} }
class ToolCallPart { constructor(readonly callId: string, readonly name: string, readonly input: object) {} }
class ThinkingPart { constructor(readonly value: string | string[], readonly id?: string) {} }
class LanguageModelError extends Error {
  code = '';
  static coded(code: string, message?: string) { return Object.assign(new LanguageModelError(message), { code }); }
  static Blocked = (m?: string) => LanguageModelError.coded('Blocked', m);
  static NoPermissions = (m?: string) => LanguageModelError.coded('NoPermissions', m);
  static NotFound = (m?: string) => LanguageModelError.coded('NotFound', m);
}
const parts = { LanguageModelTextPart: TextPart, LanguageModelToolCallPart: ToolCallPart, LanguageModelThinkingPart: ThinkingPart };

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const PNG_BASE64 = Buffer.from(PNG).toString('base64');

describe('conversationOf (VS Code messages → the engine conversation)', () => {
  it('maps system, text, images, tool calls and results, thinking and tools', () => {
    const conversation = conversationOf(
      [
        msg(3, text('You are terse.')),
        msg(1, text('What is in '), text('this picture?'), data(PNG, 'image/png'), data('cache', 'cache_control')),
        msg(2, thinking(['Look at ', 'it.']), text('Let me read the file.'), toolCall('call-1', 'read_file', { path: 'a.txt' })),
        msg(1, toolResult('call-1', [text('line 1'), data('{"n":1}', 'text/x-json'), data(PNG, 'image/png')])),
        msg(3, text('Answer in English.')),
      ],
      { tools: [{ name: 'read_file', description: 'Reads a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } }], toolMode: 2 },
      { model: 'claude-sonnet-4.5', thinking: { type: 'adaptive', effort: 'low' } },
    );
    assert.equal(conversation.system, 'You are terse.');
    assert.deepEqual(conversation.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in ' },
          { type: 'text', text: 'this picture?' },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG_BASE64 } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', text: 'Look at it.' },
          { type: 'text', text: 'Let me read the file.' },
          { type: 'tool_use', id: 'call-1', name: 'read_file', input: { path: 'a.txt' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', toolUseId: 'call-1', content: 'line 1\n{"n":1}', isError: false },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG_BASE64 } },
        ],
      },
      // A system message inside the dialogue stays where it was.
      { role: 'user', content: [{ type: 'text', text: 'Answer in English.' }] },
    ]);
    assert.deepEqual(conversation.tools, [{ name: 'read_file', description: 'Reads a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } }]);
    assert.deepEqual(conversation.toolChoice, { type: 'any' }, 'toolMode Required: some tool must be called');
    assert.deepEqual(conversation.thinking, { type: 'adaptive', effort: 'low' });
    assert.equal(conversation.model, 'claude-sonnet-4.5');
  });

  it('toolMode Auto lets the model choose; no tools means no choice; a schema-less tool gets an empty object schema', () => {
    const auto = conversationOf([msg(1, text('hi'))], { tools: [{ name: 'now', description: 'The time' }], toolMode: 1 }, { model: 'auto' });
    assert.deepEqual(auto.toolChoice, { type: 'auto' });
    assert.deepEqual(auto.tools[0].inputSchema, { type: 'object', properties: {} });
    assert.equal(conversationOf([msg(1, text('hi'))], { toolMode: 2 }, { model: 'auto' }).toolChoice, undefined);
  });

  it('a tool result marked as an error reaches Kiro as one', () => {
    const { messages } = conversationOf([msg(1, toolResult('c', [text('ENOENT')], true))], { toolMode: 1 }, { model: 'auto' });
    assert.deepEqual(messages[0].content, [{ type: 'tool_result', toolUseId: 'c', content: 'ENOENT', isError: true }]);
  });

  it('the same conversation start gives the same session key on every turn (stickiness)', () => {
    const first = conversationOf([msg(1, text('plan a trip'))], { toolMode: 1 }, { model: 'auto' });
    const later = conversationOf([msg(1, text('plan a trip')), msg(2, text('Where to?')), msg(1, text('Rome'))], { toolMode: 1 }, { model: 'auto' });
    const other = conversationOf([msg(1, text('something else'))], { toolMode: 1 }, { model: 'auto' });
    assert.equal(first.sessionId, later.sessionId);
    assert.notEqual(first.sessionId, other.sessionId);
  });

  it('refuses a role VS Code does not have', () => {
    assert.throws(() => conversationOf([{ role: 7 as 1, content: [], name: undefined }], { toolMode: 1 }, { model: 'auto' }), /role 7/);
  });
});

describe('the chat model list', () => {
  it('lists lower-case Kiro ids with names, context windows and image input, minus the hidden ones', () => {
    const model = (id: string, more: Partial<CatalogModel> = {}): CatalogModel => ({ id, name: id, supportsImages: true, accounts: 1, ...more });
    const models = kiroChatModels(
      [
        model('claude-sonnet-4.5'),
        model('CLAUDE_SONNET_4_20250514_V1_0'),
        model('auto'),
        model('claude-opus-4.6'),
        model('claude-haiku-4.5'),
        model('glm-5', { name: 'GLM-5', contextWindow: 200_000, maxOutputTokens: 32_000, supportsImages: false }),
        model('MiniMax-M2.5', { name: 'MiniMax M2.5', contextWindow: 196_000 }),
      ],
      [' Claude-Haiku-4.5 '],
    );
    assert.deepEqual(models, [
      { id: 'auto', name: 'Auto', maxInputTokens: 200_000, maxOutputTokens: 64_000, imageInput: true },
      { id: 'claude-opus-4.6', name: 'Claude Opus 4.6', maxInputTokens: 1_000_000, maxOutputTokens: 64_000, imageInput: true },
      { id: 'claude-sonnet-4.5', name: 'Claude Sonnet 4.5', maxInputTokens: 200_000, maxOutputTokens: 64_000, imageInput: true },
      { id: 'glm-5', name: 'GLM-5', maxInputTokens: 200_000, maxOutputTokens: 32_000, imageInput: false },
      { id: 'MiniMax-M2.5', name: 'MiniMax M2.5', maxInputTokens: 196_000, maxOutputTokens: 64_000, imageInput: true },
    ]);
    assert.equal(displayName('claude-sonnet-4.5-1m'), 'Claude Sonnet 4.5 (1M)');
  });

  it('settings: defaults, the user value only, unknown values fall back', () => {
    const of = (global: Record<string, unknown>) => readChatModelSettings({ inspect: <T>(key: string) => ({ globalValue: global[key] as T, workspaceValue: 'ignored' }) });
    assert.deepEqual(of({}), CHAT_MODEL_DEFAULTS);
    assert.deepEqual(of({ enabled: false, hidden: ['auto', 3], thinking: 'medium' }), { enabled: false, hidden: ['auto'], thinking: 'medium' });
    assert.equal(of({ thinking: 'max' }).thinking, 'off');
    assert.equal(thinkingConfigOf('off'), undefined);
    assert.deepEqual(thinkingConfigOf('high'), { type: 'adaptive', effort: 'high' });
  });
});

describe('VS Code chat requests through the engine, the HTTP proxy stopped', () => {
  const kiro = useSimulator({ accounts: 0 });
  let engine: Engine;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiro-chat-models-'));
    const config = defaultConfig({ port: 0, kiroEndpoint: kiro.sim.url, tokenDir: join(dir, 'cache'), dataDir: join(dir, 'data') });
    engine = new Engine({ config, store: new MemoryAccountStore(), version: 'test', scanTokenDirWhenEmpty: false });
    await engine.init();
  });
  after(async () => {
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  // The simulator forgets its accounts after each test: so does the pool.
  afterEach(async () => {
    for (const account of engine.pool.list()) await engine.pool.remove(account.id);
  });

  it('request counters are announced as counters only (the chat models skip them); a new catalog is not', async () => {
    const changes: PoolChange[] = [];
    const onChange = (change: PoolChange) => changes.push(change);
    engine.pool.on('change', onChange);
    try {
      const account = await importSimAccount(engine.pool, kiro.sim, { models: ['claude-sonnet-4.5', 'glm-5'] });
      changes.length = 0;
      for (let i = 0; i < 5; i++) engine.pool.reportSuccess(account.id, { credits: 0.1 });
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(changes.length > 0 && changes.every((c) => c.type === 'updated' && c.countersOnly), 'counters alone');
      changes.length = 0;
      await engine.pool.refreshQuota(account.id);
      assert.ok(changes.some((c) => c.type === 'updated' && !c.countersOnly), 'the catalog Kiro reported is a real change');
      assert.deepEqual(accountModels(engine).map((m) => m.id).sort(), ['claude-sonnet-4.5', 'glm-5']);
    } finally {
      engine.pool.off('change', onChange);
    }
  });

  it('the model list follows the enabled accounts and the catalog Kiro reported for them', async () => {
    const ids = () => accountModels(engine).map((m) => m.id);
    assert.deepEqual(ids(), [], 'no account, no models');
    const account = await importSimAccount(engine.pool, kiro.sim, { models: ['claude-sonnet-4.5', 'glm-5'] });
    assert.deepEqual(ids(), ['claude-sonnet-4.5', 'claude-haiku-4.5', 'claude-opus-4.5', 'claude-sonnet-4'], 'before Kiro said: the confirmed ones');
    await engine.pool.refreshQuota(account.id);
    assert.deepEqual(ids().sort(), ['claude-sonnet-4.5', 'glm-5']);
    const glm = accountModels(engine).find((m) => m.id === 'glm-5');
    assert.equal(glm?.supportsImages, false, "Kiro's text-only model says so");
    assert.ok(glm?.contextWindow, 'with its context window from the catalog');
    await engine.pool.setEnabled(account.id, false);
    assert.deepEqual(ids(), [], 'a disabled account offers nothing');
  });

  it('sends images, tool results and tools to Kiro, and logs the request as "VS Code chat"', async () => {
    assert.equal(engine.state.status, 'stopped');
    await importSimAccount(engine.pool, kiro.sim);
    kiro.sim.enqueue({ text: 'A red square.' });
    const conversation = conversationOf(
      [
        msg(1, text('Read it')),
        msg(2, toolCall('tooluse_abc', 'read_file', { path: 'a.png' })),
        msg(1, toolResult('tooluse_abc', [text('the file'), data(PNG, 'image/png')]), text('What is in it?')),
      ],
      { tools: [{ name: 'read_file', description: 'Reads a file', inputSchema: { type: 'object' } }], toolMode: 1 },
      { model: 'claude-sonnet-4.5' },
    );
    const { events } = await engine.exchange.start({ conversation, endpoint: 'VS Code chat', stream: true, signal: new AbortController().signal });
    const reply = await collectReply(events);
    assert.deepEqual(reply.content, [{ type: 'text', text: 'A red square.' }]);

    const [sent] = kiro.sim.chatRequests();
    const current = sent.body.conversationState.currentMessage.userInputMessage;
    assert.equal(current.modelId, 'claude-sonnet-4.5');
    assert.deepEqual(current.userInputMessageContext.toolResults, [{ toolUseId: 'tooluse_abc', status: 'success', content: [{ text: 'the file' }] }]);
    assert.deepEqual(current.images, [{ format: 'png', source: { bytes: PNG_BASE64 } }]);
    assert.equal(current.userInputMessageContext.tools[0].toolSpecification.name, 'read_file');
    const [entry] = engine.log.recent(1);
    assert.equal(entry.endpoint, 'VS Code chat');
    assert.equal(entry.status, 200);
  });

  const ask = async (text: string) => {
    const conversation = conversationOf([msg(1, { value: text })], { toolMode: 1 }, { model: 'claude-sonnet-4.5' });
    return engine.exchange.start({ conversation, endpoint: 'VS Code chat', stream: true, signal: new AbortController().signal });
  };
  const errorOf = async (text: string) => {
    const err = await ask(text).then(() => assert.fail('expected an error'), (e: unknown) => e);
    return languageModelError({ LanguageModelError }, asProxyError(err)) as LanguageModelError;
  };

  it('reports thinking, text and whole tool calls as they arrive', async () => {
    await importSimAccount(engine.pool, kiro.sim);
    kiro.sim.enqueue({ thinking: 'Check the file.', text: 'Reading it.', toolCalls: [{ id: 'tooluse_r1', name: 'read_file', input: { path: 'a.txt' } }] });
    const reported: unknown[] = [];
    await reportReply((await ask('go')).events, { report: (part) => reported.push(part) }, parts);
    const thinking = reported.filter((p) => p instanceof ThinkingPart);
    assert.equal(thinking.map((p) => p.value).join(''), 'Check the file.');
    assert.ok(thinking.every((p) => p.id === 'kiro-thinking-1'), 'one thinking run, one id');
    assert.equal(reported.filter((p) => p instanceof TextPart).map((p) => p.value).join(''), 'Reading it.');
    assert.deepEqual(reported.filter((p) => p instanceof ToolCallPart), [new ToolCallPart('tooluse_r1', 'read_file', { path: 'a.txt' })]);
    assert.ok(reported.findIndex((p) => p instanceof ThinkingPart) < reported.findIndex((p) => p instanceof TextPart), 'in Kiro\'s order');
  });

  it('without a thinking part (VS Code before it had one) the reasoning is left out, the answer is whole', async () => {
    await importSimAccount(engine.pool, kiro.sim);
    kiro.sim.enqueue({ thinking: 'Hidden.', text: 'Shown.' });
    const reported: unknown[] = [];
    await reportReply((await ask('go')).events, { report: (part) => reported.push(part) }, { ...parts, LanguageModelThinkingPart: undefined });
    assert.deepEqual(reported.map((p) => (p as TextPart).value).join(''), 'Shown.');
  });

  it('a reply Kiro breaks off fails instead of ending short', async () => {
    await importSimAccount(engine.pool, kiro.sim);
    kiro.sim.enqueue({ text: 'half an answer that goes on', resetAfterFrames: 3, chunking: 'frame' });
    await assert.rejects(reportReply((await ask('go')).events, { report: () => undefined }, parts));
  });

  it('errors carry the HTTP reasons: too long, quota exhausted, every account cooling, no account', async () => {
    const account = await importSimAccount(engine.pool, kiro.sim);
    kiro.sim.setBehavior(account.sim.id, { error: 'inputTooLong' }, { times: 1 });
    const tooLong = await errorOf('a very long prompt');
    assert.equal(tooLong.code, '');
    assert.match(tooLong.message, /prompt is too long/);

    kiro.sim.setBehavior(account.sim.id, { error: 'throttled' }, { times: 1 });
    engine.config.maxWaitSeconds = 0;
    const cooling = await errorOf('cool down');
    assert.equal(cooling.code, 'Blocked');
    assert.match(cooling.message, /Every Kiro account is cooling down; the first is back in \d+ s/);
    engine.pool.clearCooldowns();

    kiro.sim.setBehavior(account.sim.id, { error: 'monthlyLimit' });
    const exhausted = await errorOf('out of credits');
    assert.equal(exhausted.code, 'Blocked');
    assert.match(exhausted.message, /No Kiro account is available/);
    assert.match(exhausted.message, /exhausted/i);

    await engine.pool.remove(account.id);
    const none = await errorOf('anyone?');
    // No account is a 403 (not retried by HTTP clients): VS Code's word for it is NoPermissions.
    assert.equal(none.code, 'NoPermissions');
    assert.match(none.message, /No Kiro account is available: add one/);
  });
});
