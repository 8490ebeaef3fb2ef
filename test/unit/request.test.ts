import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { ProxyError, TOO_LONG_MESSAGE } from '../../src/proxy/errors';
import { DEFAULT_KIRO_VERSION, isKiroVersion, kiroHeaders, machineIdFor } from '../../src/proxy/kiro/headers';
import { KiroHttp } from '../../src/proxy/kiro/http';
import { resolveImageUrls, type ImageFetchOptions } from '../../src/proxy/kiro/images';
import { isPublicAddress } from '../../src/proxy/kiro/public-address';
import { waitFor } from '../helpers/http';
import { buildKiroRequest, type KiroRequestBody, type KiroTool, type KiroUserInputMessage } from '../../src/proxy/kiro/request';
import { encodeKiroRequest } from '../../src/proxy/kiro/request-bytes';
import type { Block, Conversation, Message, ToolSpec } from '../../src/proxy/model';
import { tokenWeight } from '../../src/proxy/tokens';
// @ts-expect-error: the simulator is plain JavaScript without type declarations
import { validateKiroRequest } from '../sim/validate.mjs';

const MODEL = 'claude-sonnet-4.5';
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

// ---- Conversation builders ----

const text = (t: string): Block => ({ type: 'text', text: t });
const call = (id: string, name = 'readFile', input: Record<string, unknown> = { path: 'a.ts' }): Block => ({ type: 'tool_use', id, name, input });
const result = (toolUseId: string, content = 'ok', isError = false): Block => ({ type: 'tool_result', toolUseId, content, isError });
const user = (...content: Array<Block | string>): Message => ({ role: 'user', content: content.map((b) => (typeof b === 'string' ? text(b) : b)) });
const assistant = (...content: Array<Block | string>): Message => ({ role: 'assistant', content: content.map((b) => (typeof b === 'string' ? text(b) : b)) });
const tool = (name: string, extra: Partial<ToolSpec> = {}): ToolSpec => ({
  name,
  description: `The ${name} tool`,
  inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  ...extra,
});

function conversation(messages: Message[], extra: Partial<Conversation> = {}): Conversation {
  return { model: 'claude-sonnet-4-5', system: '', messages, tools: [], ...extra };
}

function build(conv: Conversation, opts: { maxPayloadBytes?: number; profileArn?: string } = {}) {
  const built = buildKiroRequest(conv, { kiroModel: MODEL, conversationId: 'conv-1', ...opts });
  const json = built.bytes.toString();
  // Written piece by piece (kiro/request-bytes), the bytes are still exactly the body's JSON.
  assert.equal(json, JSON.stringify(built.body), 'the bytes sent are the serialized body');
  assert.equal(built.textWeight, tokenWeight(json), "the text's token weight, summed over its pieces");
  return { ...built, json };
}

/** The body must pass the simulator's copy of Kiro's strictness rules. */
function assertKiroAccepts(body: KiroRequestBody | string, maxBytes?: number): void {
  const error = validateKiroRequest(body, maxBytes ? { maxBytes } : {});
  assert.equal(error, null, `Kiro would reject: ${error?.detail}`);
}

const current = (body: KiroRequestBody): KiroUserInputMessage => body.conversationState.currentMessage.userInputMessage;
const history = (body: KiroRequestBody) => body.conversationState.history ?? [];
const userAt = (body: KiroRequestBody, i: number) => {
  const entry = history(body)[i];
  assert.ok('userInputMessage' in entry, `history[${i}] is a user turn`);
  return entry.userInputMessage;
};
const assistantAt = (body: KiroRequestBody, i: number) => {
  const entry = history(body)[i];
  assert.ok('assistantResponseMessage' in entry, `history[${i}] is an assistant turn`);
  return entry.assistantResponseMessage;
};
/** The tool specifications sent (cache points aside). */
const specs = (body: KiroRequestBody) => (current(body).userInputMessageContext?.tools ?? []).filter((t): t is KiroTool => 'toolSpecification' in t);
const toolNames = (body: KiroRequestBody) => specs(body).map((t) => t.toolSpecification.name);

// ---- Tests ----

describe('buildKiroRequest: envelope', () => {
  it('builds the §3.1 shape for a single message', () => {
    const { body } = build(conversation([user('hello')]), { profileArn: 'arn:aws:codewhisperer:us-east-1:1:profile/X' });
    const state = body.conversationState;
    assert.equal(state.chatTriggerType, 'MANUAL');
    assert.equal(state.agentTaskType, 'vibe');
    assert.equal(state.conversationId, 'conv-1');
    assert.match(state.agentContinuationId, /^[0-9a-f-]{36}$/);
    assert.equal(state.history, undefined, 'no empty history');
    assert.deepEqual(current(body), { content: 'hello', modelId: MODEL, origin: 'AI_EDITOR', userInputMessageContext: {} });
    assert.equal(body.profileArn, 'arn:aws:codewhisperer:us-east-1:1:profile/X');
    assertKiroAccepts(body);
  });

  it('omits profileArn when there is none and gives every request a new continuation id', () => {
    const a = build(conversation([user('hi')])).body;
    const b = build(conversation([user('hi')])).body;
    assert.equal('profileArn' in a, false);
    assert.notEqual(a.conversationState.agentContinuationId, b.conversationState.agentContinuationId);
  });

  it('puts the system prompt in a leading history pair like the real IDE', () => {
    const { body } = build(conversation([user('q')], { system: 'x-anthropic-billing-header: cc_version=1\nBe brief.' }));
    assert.equal(userAt(body, 0).content, 'x-anthropic-billing-header: cc_version=1\nBe brief.');
    assert.equal(assistantAt(body, 1).content, 'I will follow these instructions.');
    assert.equal(current(body).content, 'q');
    assertKiroAccepts(body);
  });

  it('sends empty user content as Continue', () => {
    const { body } = build(conversation([user('a'), assistant('b'), user('  ')]));
    assert.equal(current(body).content, 'Continue');
    assertKiroAccepts(body);
  });
});

describe('buildKiroRequest: alternation', () => {
  it('merges consecutive same-role turns', () => {
    const conv = conversation([
      user('one'),
      user('two'),
      assistant('a', call('t1')),
      assistant('b', call('t2')),
      user(result('t1'), result('t2')),
    ]);
    const { body } = build(conv);
    assert.equal(userAt(body, 0).content, 'one\ntwo');
    assert.equal(assistantAt(body, 1).content, 'a\nb');
    assert.deepEqual(assistantAt(body, 1).toolUses?.map((u) => u.toolUseId), ['t1', 't2']);
    assert.deepEqual(current(body).userInputMessageContext?.toolResults?.map((r) => r.toolUseId), ['t1', 't2']);
    assertKiroAccepts(body);
  });

  it('inserts a user turn before a conversation that starts with the assistant', () => {
    const { body } = build(conversation([assistant('Hi, how can I help?'), user('fix it')]));
    assert.equal(userAt(body, 0).content, 'Continue');
    assert.equal(assistantAt(body, 1).content, 'Hi, how can I help?');
    assertKiroAccepts(body);
  });

  it('also after the system pair', () => {
    const { body } = build(conversation([assistant('Hi'), user('fix it')], { system: 'sys' }));
    assert.equal(history(body).length, 4);
    assert.equal(userAt(body, 2).content, 'Continue');
    assertKiroAccepts(body);
  });

  it('moves a trailing assistant prefill to history and continues', () => {
    const { body } = build(conversation([user('write json'), assistant('Here is')]));
    assert.equal(assistantAt(body, 1).content, 'Here is');
    assert.equal(current(body).content, 'Continue');
    assertKiroAccepts(body);
  });

  it('drops a trailing "{" prefill', () => {
    const { body } = build(conversation([user('write json'), assistant('{')]));
    assert.equal(history(body).length, 0);
    assert.equal(current(body).content, 'write json');
    assertKiroAccepts(body);
  });

  it('skips empty messages instead of sending empty content', () => {
    const { body } = build(conversation([user('a'), assistant(), user('b')]));
    assert.equal(history(body).length, 0);
    assert.equal(current(body).content, 'a\nb');
  });

  it('sends Continue for a conversation with no messages', () => {
    const { body } = build(conversation([]));
    assert.equal(current(body).content, 'Continue');
    assertKiroAccepts(body);
  });
});

describe('buildKiroRequest: tool pairing', () => {
  it('sends " " for tool-call-only assistant turns and "" for pure tool-result user turns (§11.7)', () => {
    const { body } = build(conversation([user('go'), assistant(call('t1')), user(result('t1', 'done'))], { tools: [tool('readFile')] }));
    assert.equal(assistantAt(body, 1).content, ' ');
    assert.equal(current(body).content, '');
    assert.deepEqual(current(body).userInputMessageContext?.toolResults, [{ toolUseId: 't1', status: 'success', content: [{ text: 'done' }] }]);
    assertKiroAccepts(body);
  });

  it('marks failed results as errors and never sends an empty result text', () => {
    const { body } = build(conversation([user('go'), assistant(call('t1')), user(result('t1', '', true))]));
    assert.deepEqual(current(body).userInputMessageContext?.toolResults?.[0], { toolUseId: 't1', status: 'error', content: [{ text: '(no output)' }] });
  });

  it('turns orphan results into text', () => {
    const { body } = build(conversation([user('go'), assistant('sure'), user(result('ghost', 'file list'), 'and then?')]));
    assert.equal(current(body).content, '[Tool result for ghost]\nfile list\nand then?');
    assert.equal(current(body).userInputMessageContext?.toolResults, undefined);
    assertKiroAccepts(body);
  });

  it('turns results in the first user turn into text', () => {
    const { body } = build(conversation([user(result('old', 'x')), assistant('ok'), user('next')], { system: 'sys' }));
    assert.equal(userAt(body, 2).content, '[Tool result for old]\nx');
    assertKiroAccepts(body);
  });

  it('answers calls that have no result with an error result', () => {
    const conv = conversation([user('go'), assistant(call('t1'), call('t2')), user(result('t2')), assistant('done'), user('thanks')], { tools: [tool('readFile')] });
    const { body } = build(conv);
    const results = userAt(body, 2).userInputMessageContext?.toolResults ?? [];
    assert.deepEqual(results.map((r) => [r.toolUseId, r.status]), [['t1', 'error'], ['t2', 'success']]);
    assert.match(results[0].content[0].text, /interrupted or cancelled/);
    assertKiroAccepts(body);
  });

  it('answers the calls of a trailing assistant turn', () => {
    const { body } = build(conversation([user('go'), assistant('let me look', call('t1'))], { tools: [tool('readFile')] }));
    assert.equal(current(body).content, '');
    assert.equal(current(body).userInputMessageContext?.toolResults?.[0].status, 'error');
    assertKiroAccepts(body);
  });

  it('de-duplicates result ids and call ids', () => {
    const conv = conversation([
      user('go'),
      assistant(call('t1')),
      assistant(call('t1')), // a client retry repeated the call
      user(result('t1', 'first'), result('t1', 'second')),
    ], { tools: [tool('readFile')] });
    const { body } = build(conv);
    assert.equal(assistantAt(body, 1).toolUses?.length, 1);
    assert.deepEqual(current(body).userInputMessageContext?.toolResults?.map((r) => r.content[0].text), ['first']);
    assertKiroAccepts(body);
  });
});

describe('buildKiroRequest: tools', () => {
  it('declares stubs for history tools when the client sent none', () => {
    const { body } = build(conversation([user('go'), assistant(call('t1', 'Bash', { command: 'ls' })), user(result('t1')), assistant('ok'), user('more')]));
    const tools = current(body).userInputMessageContext?.tools ?? [];
    assert.deepEqual(tools, [{
      toolSpecification: {
        name: 'Bash',
        description: 'Tool used in conversation history',
        inputSchema: { json: { type: 'object', properties: {}, additionalProperties: true } },
      },
    }]);
    assertKiroAccepts(body);
  });

  it('matches history tools to declared ones case-insensitively', () => {
    const { body } = build(conversation([user('go'), assistant(call('t1', 'read')), user(result('t1'))], { tools: [tool('Read'), tool('Write')] }));
    assert.deepEqual(toolNames(body), ['Read', 'Write']);
    assertKiroAccepts(body);
  });

  it('drops duplicate tool declarations', () => {
    const { body } = build(conversation([user('go')], { tools: [tool('Read'), tool('read')] }));
    assert.deepEqual(toolNames(body), ['Read']);
  });

  it('sends no tools for tool_choice none, unless history needs them', () => {
    const none = { type: 'none' } as const;
    const plain = build(conversation([user('go')], { tools: [tool('Read')], toolChoice: none })).body;
    assert.equal(current(plain).userInputMessageContext?.tools, undefined);
    assert.equal(history(plain).length, 0, 'no hint without tools');

    const withHistory = build(conversation([user('go'), assistant(call('t1', 'Read')), user(result('t1'))], { tools: [tool('Read'), tool('Write')], toolChoice: none })).body;
    assert.deepEqual(toolNames(withHistory), ['Read']);
    assert.equal(specs(withHistory)[0].toolSpecification.description, 'The Read tool', 'real spec, not a stub');
    assert.match(userAt(withHistory, 0).content, /Do not call any tools/);
    assertKiroAccepts(withHistory);
  });

  it('turns tool_choice any/tool into a system hint', () => {
    const any = build(conversation([user('go')], { system: 'sys', tools: [tool('Read')], toolChoice: { type: 'any' } })).body;
    assert.equal(userAt(any, 0).content, 'sys\n\nYou MUST call one of the provided tools in your next reply.');
    const named = build(conversation([user('go')], { tools: [tool('Read')], toolChoice: { type: 'tool', name: 'Read' } })).body;
    assert.equal(userAt(named, 0).content, 'You MUST call the tool "Read" in your next reply.');
  });

  it('asks for structured output in words: Kiro has no response format', () => {
    const schema = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] };
    const body = build(conversation([user('count')], { system: 'sys', tools: [tool('Read')], toolChoice: { type: 'any' }, responseFormat: { type: 'json_schema', schema } })).body;
    assert.equal(
      userAt(body, 0).content,
      `sys\n\nYou MUST call one of the provided tools in your next reply.\n\nRespond with a single JSON value matching this JSON Schema, and nothing else:\n${JSON.stringify(schema)}`,
    );
    const object = build(conversation([user('count')], { responseFormat: { type: 'json_object' } })).body;
    assert.equal(userAt(object, 0).content, 'Respond with a single JSON object and nothing else.');
    assertKiroAccepts(body);
  });

  it('shortens long names stably, consistently and reversibly', () => {
    const longName = `mcp__${'very_long_server_name_'.repeat(4)}__read_resource`;
    const otherLong = `${longName}_2`;
    const conv = conversation(
      [user('go'), assistant(call('t1', longName)), user(result('t1'))],
      { tools: [tool(longName), tool(otherLong)], toolChoice: { type: 'tool', name: longName } },
    );
    const first = build(conv);
    const second = build(conv);
    const [short, otherShort] = toolNames(first.body);
    assert.ok(short.length <= 64 && otherShort.length <= 64);
    assert.notEqual(short, otherShort);
    assert.match(short, /^mcp__very_long_server_name_.*_[0-9a-f]{8}$/);
    assert.deepEqual(toolNames(second.body), [short, otherShort], 'stable across requests');
    assert.equal(assistantAt(first.body, 3).toolUses?.[0].name, short, 'history uses the same short name');
    assert.ok(userAt(first.body, 0).content.includes(`"${short}"`), 'tool_choice hint names the short name');
    assert.equal(first.toolNameMap.get(short), longName);
    assert.equal(first.toolNameMap.get(otherShort), otherLong);
    assert.equal(first.toolNameMap.size, 2, 'short names only');
    assertKiroAccepts(first.body);
  });

  it('cuts long descriptions and fills empty ones', () => {
    const long = 'd'.repeat(10_000);
    const { body } = build(conversation([user('go')], { tools: [tool('A', { description: long }), tool('B', { description: '  ' })] }));
    const [a, b] = specs(body);
    assert.equal(a.toolSpecification.description, `${'d'.repeat(9_216)}...`);
    assert.equal(b.toolSpecification.description, 'Tool: B');
  });

  it('repairs null and non-object schemas', () => {
    const tools: ToolSpec[] = [
      tool('Nulls', {
        inputSchema: {
          type: 'object',
          properties: { a: null, b: { type: 'string', enum: ['x', null], items: null }, c: { anyOf: null } },
          required: null,
        } as unknown as Record<string, unknown>,
      }),
      tool('NoProps', { inputSchema: { type: 'object', properties: null } as unknown as Record<string, unknown> }),
      tool('Empty', { inputSchema: {} }),
      tool('StringSchema', { inputSchema: { type: 'string' } }),
      tool('NullSchema', { inputSchema: null as unknown as Record<string, unknown> }),
    ];
    const { body } = build(conversation([user('go')], { tools }));
    const schemas = specs(body).map((t) => t.toolSpecification.inputSchema.json);
    assert.deepEqual(schemas[0], { type: 'object', properties: { a: {}, b: { type: 'string', enum: ['x', null] }, c: {} } });
    assert.deepEqual(schemas[1], { type: 'object', properties: {} });
    assert.deepEqual(schemas[2], { type: 'object', properties: {} });
    assert.deepEqual(schemas[3], { type: 'object', properties: {}, additionalProperties: true });
    assert.deepEqual(schemas[4], { type: 'object', properties: {}, additionalProperties: true });
    assertKiroAccepts(body);
  });

  it('keeps full JSON Schema as the real IDE sends it', () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { path: { anyOf: [{ not: {} }, { type: 'string' }] } },
      required: ['path'],
      additionalProperties: false,
    };
    const { body } = build(conversation([user('go')], { tools: [tool('listDirectory', { inputSchema: schema })] }));
    assert.deepEqual(specs(body)[0].toolSpecification.inputSchema.json, schema);
  });
});

describe('buildKiroRequest: images', () => {
  const image = (mediaType: string): Block => ({ type: 'image', source: { kind: 'base64', mediaType, data: PNG_1PX } });

  it('sends images in userInputMessage.images with the Kiro format', () => {
    const conv = conversation([user(image('image/png'), 'what is this?'), assistant('a pixel'), user(image('image/jpeg'), image('image/webp'), image('image/gif'))]);
    const { body } = build(conv);
    assert.deepEqual(userAt(body, 0).images, [{ format: 'png', source: { bytes: PNG_1PX } }]);
    assert.deepEqual(current(body).images?.map((i) => i.format), ['jpeg', 'webp', 'gif']);
    assert.equal(current(body).content, 'Continue');
    assertKiroAccepts(body);
  });

  it('refuses unsupported image types with a 400 naming the type', () => {
    assert.throws(() => build(conversation([user(image('image/tiff'))])), (err: unknown) =>
      err instanceof ProxyError && err.status === 400 && err.message.includes('image/tiff'));
  });

  it('refuses URL images that were not resolved', () => {
    const conv = conversation([user({ type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } })]);
    assert.throws(() => build(conv), (err: unknown) => err instanceof ProxyError && err.kind === 'invalid_request');
  });
});

describe('buildKiroRequest: thinking', () => {
  it('puts clamped thinking tags at the very start of the system text', () => {
    const low = build(conversation([user('q')], { system: 'sys', thinking: { type: 'enabled', budgetTokens: 10 } })).body;
    assert.equal(userAt(low, 0).content, '<thinking_mode>enabled</thinking_mode><max_thinking_length>1024</max_thinking_length>\nsys');
    const high = build(conversation([user('q')], { thinking: { type: 'enabled', budgetTokens: 100_000 } })).body;
    assert.equal(userAt(high, 0).content, '<thinking_mode>enabled</thinking_mode><max_thinking_length>24576</max_thinking_length>');
    const adaptive = build(conversation([user('q')], { system: 'sys', thinking: { type: 'adaptive', effort: 'high' } })).body;
    assert.equal(userAt(adaptive, 0).content, '<thinking_mode>adaptive</thinking_mode><thinking_effort>high</thinking_effort>\nsys');
    assertKiroAccepts(low);
  });

  it('never duplicates tags the system text already has', () => {
    const system = '<thinking_mode>enabled</thinking_mode><max_thinking_length>5000</max_thinking_length>\nsys';
    const { body } = build(conversation([user('q')], { system, thinking: { type: 'enabled', budgetTokens: 8000 } }));
    assert.equal(userAt(body, 0).content, system);
  });

  it('re-sends earlier thinking inline', () => {
    const conv = conversation([user('q'), assistant({ type: 'thinking', text: 'let me think', signature: 's' }, 'answer'), user('more')]);
    const { body } = build(conv);
    assert.equal(assistantAt(body, 1).content, '<thinking>let me think</thinking>\n\nanswer');
  });
});

describe('buildKiroRequest: payload size', () => {
  /** A Claude Code-like agent loop: each round one call and one big result. */
  function agentLoop(rounds: number, resultSize: number, extra: Partial<Conversation> = {}): Conversation {
    const messages: Message[] = [user('refactor the project')];
    for (let i = 0; i < rounds; i++) {
      messages.push(assistant(`step ${i}`, call(`t${i}`, 'readFile', { path: `f${i}.ts` })));
      messages.push(user(result(`t${i}`, `${i}:`.padEnd(resultSize, 'x'))));
    }
    return conversation(messages, { system: 'You are Claude Code.', tools: [tool('readFile')], ...extra });
  }

  it('does not trim what fits', () => {
    const built = build(agentLoop(5, 1_000));
    assert.equal(built.trimmedPairs, 0);
  });

  it('trims the oldest pairs, keeps the system pair and valid pairing', () => {
    const conv = agentLoop(40, 20_000);
    const built = build(conv);
    assert.ok(Buffer.byteLength(built.json) <= 600_000);
    assert.ok(built.trimmedPairs > 0);
    assert.equal(userAt(built.body, 0).content, 'You are Claude Code.');
    assert.equal(assistantAt(built.body, 1).content, 'I will follow these instructions.');
    // The first kept user turn lost its calls: its results became text after a note.
    const firstKept = userAt(built.body, 2);
    assert.match(firstKept.content, /^\[Earlier messages of this conversation were removed/);
    assert.equal(firstKept.userInputMessageContext, undefined);
    // The newest result is still answered as a real tool result.
    assert.equal(current(built.body).userInputMessageContext?.toolResults?.[0].toolUseId, 't39');
    assert.equal(history(built.body).length, 2 + 2 * (40 - built.trimmedPairs));
    assertKiroAccepts(built.json);
  });

  it('drops old images before any text, oldest first, and says so where they were', () => {
    const shot = (kb: number): Block => ({ type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'A'.repeat(kb * 1000) } });
    const conv = conversation([
      user('look at this', shot(250)),
      assistant('a login form'),
      user('and this', shot(250)),
      assistant('a settings page'),
      user('and now this one', shot(150)),
    ]);
    const built = build(conv);
    assert.equal(built.trimmedPairs, 0, 'every written turn kept');
    assert.deepEqual(userAt(built.body, 0).images ?? [], [], 'the oldest image went');
    assert.match(userAt(built.body, 0).content, /^look at this\n\[An image of this message was removed/);
    assert.equal(userAt(built.body, 2).images?.length, 1, 'the next one fitted');
    assert.equal(current(built.body).images?.length, 1, "the current message's image is always sent");
    assertKiroAccepts(built.json);

    // Images of the current message alone beyond the limit: said plainly, not "too long".
    assert.throws(() => build(conversation([user('huge', shot(400), shot(400))])), (err: unknown) =>
      err instanceof ProxyError && err.status === 400 && /images of this message take 800 KB/.test(err.message));
  });

  it('makes tool names Kiro accepts and maps them back: dots, slashes, unicode', () => {
    const names = ['github.search/issues', 'ツール', 'ok_name-1'];
    const conv = conversation([user('go'), assistant(call('t1', names[0])), user(result('t1'))], { tools: names.map((n) => tool(n)) });
    const built = build(conv);
    const wire = toolNames(built.body);
    assert.equal(wire.length, 3);
    for (const name of wire) assert.match(name, /^[a-zA-Z0-9_-]{1,64}$/);
    assert.equal(wire[2], 'ok_name-1', 'valid names are left alone');
    assert.deepEqual(wire.map((w) => built.toolNameMap.get(w) ?? w), names);
    assert.equal(assistantAt(built.body, 1).toolUses?.[0].name, wire[0], 'history calls use the same name');
    assert.equal(build(conv).toolNameMap.size, 2, 'stable across requests');
    assertKiroAccepts(built.json);
  });

  it('trims no more than needed', () => {
    const conv = agentLoop(40, 20_000);
    const built = build(conv);
    const lessTrimmed = build(conv, { maxPayloadBytes: Buffer.byteLength(built.json) - 1 });
    assert.ok(lessTrimmed.trimmedPairs > built.trimmedPairs);
    const limit = 300_000;
    const small = build(conv, { maxPayloadBytes: limit });
    assert.ok(Buffer.byteLength(small.json) <= limit);
    assert.ok(Buffer.byteLength(small.json) > limit - 2 * 20_500, 'stops as soon as it fits');
    assertKiroAccepts(small.json, limit);
  });

  it('can trim the whole history when the current message has no results', () => {
    const conv = agentLoop(3, 50_000);
    conv.messages.push(assistant('done'), user('short question'));
    const built = build(conv, { maxPayloadBytes: 10_000 });
    assert.equal(built.trimmedPairs, 4);
    assert.equal(history(built.body).length, 2);
    assert.match(current(built.body).content, /removed to fit.*\nshort question$/s);
    assertKiroAccepts(built.json, 10_000);
  });

  it('throws the too-long error when the current message alone does not fit', () => {
    const conv = agentLoop(3, 1_000);
    conv.messages.push(assistant('done'), user('y'.repeat(700_000)));
    assert.throws(() => build(conv), (err: unknown) =>
      err instanceof ProxyError && err.kind === 'invalid_request' && err.message === TOO_LONG_MESSAGE);
  });

  it('never drops the pair that the current tool results answer', () => {
    const conv = agentLoop(2, 1_000);
    (conv.messages[conv.messages.length - 1].content[0] as { content: string }).content = 'z'.repeat(599_000);
    assert.throws(() => build(conv), (err: unknown) => err instanceof ProxyError && err.message === TOO_LONG_MESSAGE);
  });

  it('handles multi-byte text by bytes, not characters', () => {
    const conv = agentLoop(30, 10_000);
    for (const message of conv.messages) for (const block of message.content) if (block.type === 'tool_result') block.content = '诗'.repeat(10_000);
    const built = build(conv);
    assert.ok(built.trimmedPairs > 0);
    assertKiroAccepts(built.json);
  });
});

describe('buildKiroRequest: realistic conversations pass Kiro strictness', () => {
  it('a Claude Code session with parallel calls, thinking, reminders and an image', () => {
    const conv = conversation([
      user(text('<system-reminder>context</system-reminder>'), text('Fix the failing test')),
      assistant({ type: 'thinking', text: 'look first', signature: 'sig' }, 'Let me look.', call('toolu_1', 'Read', { file_path: '/a.ts' }), call('toolu_2', 'Grep', { pattern: 'x' })),
      user(result('toolu_1', 'file body'), result('toolu_2', 'no matches', true)),
      assistant(call('toolu_3', 'Edit', { file_path: '/a.ts', old_string: 'a', new_string: 'b' })),
      user(result('toolu_3', 'edited'), text('<system-reminder>todo</system-reminder>')),
      assistant('Done. Anything else?'),
      user({ type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG_1PX } }, 'this screenshot shows another bug'),
      assistant(call('toolu_4', 'Bash', { command: 'npm test' })),
      user(result('toolu_4', 'pass')),
    ], {
      system: 'x-anthropic-billing-header: cc_version=2.0\nYou are Claude Code.',
      tools: [tool('Read'), tool('Grep'), tool('Edit'), tool('Bash'), tool('mcp__server__tool', { inputSchema: { type: 'object', properties: null } as unknown as Record<string, unknown> })],
      thinking: { type: 'enabled', budgetTokens: 16_000 },
    });
    const { body, json } = build(conv);
    assertKiroAccepts(json);
    assert.equal(current(body).content, '');
  });

  it('an OpenAI-style chat with a retry, orphans and no tool list', () => {
    const conv = conversation([
      assistant('Welcome!'),
      user('list files'),
      assistant(call('call_1', 'list_files', {})),
      assistant(call('call_1', 'list_files', {})),
      user(result('call_1', 'a b c')),
      user(result('call_9', 'stale')),
      assistant('There are three files.'),
      assistant(''),
      user('thanks'),
      assistant('{'),
    ], { toolChoice: { type: 'auto' } });
    const { body, json } = build(conv);
    assertKiroAccepts(json);
    assert.deepEqual(toolNames(body), ['list_files']);
  });

  it('reproduces the structure of the captured Kiro IDE requests', () => {
    const dir = fileURLToPath(new URL('../sim/fixtures/requests', import.meta.url));
    const captured = JSON.parse(readFileSync(`${dir}/${readdirSync(dir).find((f) => f.includes('req4'))}`, 'utf8'));
    const ideTools = captured.conversationState.currentMessage.userInputMessage.userInputMessageContext.tools as Array<{ toolSpecification: { name: string; description: string; inputSchema: { json: Record<string, unknown> } } }>;
    const conv = conversation([
      user('debug: write a poem to Output/output.txt'),
      assistant(call('tooluse_hp', 'fsWrite', { path: 'Output/output.txt', text: 'poem' })),
      user(result('tooluse_hp', 'Created the Output/output.txt file.')),
      assistant('Done.'),
      user('build a weather card'),
    ], {
      system: '# Identity\nYou are Kiro.',
      tools: ideTools.map(({ toolSpecification: t }) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema.json })),
    });
    const { body } = build(conv);
    assertKiroAccepts(body);
    // Same tool specs as the IDE sent; a tool-only turn says " " where the 2025 IDE sent "" (§11.7).
    assert.deepEqual(current(body).userInputMessageContext?.tools, ideTools);
    assert.equal(assistantAt(body, 3).content, ' ');
    assert.equal(userAt(body, 4).content, '');
    assert.deepEqual(Object.keys(body.conversationState).sort(), Object.keys(captured.conversationState).sort());
  });
});

describe('kiroHeaders', () => {
  const creds = { accessToken: 'aoa-token', authMethod: 'social' as const, region: 'us-east-1', machineId: machineIdFor('account-uuid') };

  it('sends the IDE header set with the account machine id', () => {
    const headers = kiroHeaders(creds, 'legacy', { kiroVersion: '0.11.107', sdkVersion: '1.0.34' });
    assert.equal(headers.authorization, 'Bearer aoa-token');
    assert.equal(headers['x-amzn-kiro-agent-mode'], 'vibe');
    assert.equal(headers['x-amzn-codewhisperer-optout'], 'true');
    assert.equal(headers['amz-sdk-request'], 'attempt=1; max=3');
    assert.equal(headers['x-amz-user-agent'], `aws-sdk-js/1.0.34 KiroIDE-0.11.107-${creds.machineId}`);
    assert.match(headers['user-agent'], new RegExp(`^aws-sdk-js/1\\.0\\.34 ua/2\\.1 os/${process.platform}#\\S+ lang/js md/nodejs#${process.versions.node} api/codewhispererstreaming#1\\.0\\.34 m/E KiroIDE-0\\.11\\.107-${creds.machineId}$`));
    assert.equal(Object.keys(headers).some((h) => h.toLowerCase() === 'connection'), false, 'connections are reused');
  });

  it('uses a fresh invocation id per call', () => {
    assert.notEqual(kiroHeaders(creds)['amz-sdk-invocation-id'], kiroHeaders(creds)['amz-sdk-invocation-id']);
  });

  it('names a current Kiro IDE release by default, and the 1.x runtime client on the kiro.dev hosts (§11.9)', () => {
    assert.equal(DEFAULT_KIRO_VERSION, '1.0.437');
    assert.equal(kiroHeaders(creds)['x-amz-user-agent'], `aws-sdk-js/1.0.34 KiroIDE-1.0.437-${creds.machineId}`);
    const runtime = kiroHeaders(creds, 'kiro.dev', { kiroVersion: '1.1.14' });
    assert.equal(runtime['x-amz-user-agent'], `aws-sdk-js/1.0.0 KiroIDE-1.1.14-${creds.machineId}`);
    assert.match(runtime['user-agent'], / api\/kiroruntime#1\.0\.0 m\/N KiroIDE-1\.1\.14-[0-9a-f]{64}$/);
    assert.ok(isKiroVersion('1.0.437') && !isKiroVersion('latest') && !isKiroVersion('1.0'));
  });

  it('derives a stable 64-hex machine id per key', () => {
    assert.match(machineIdFor('a'), /^[0-9a-f]{64}$/);
    assert.equal(machineIdFor('a'), machineIdFor('a'));
    assert.notEqual(machineIdFor('a'), machineIdFor('b'));
  });
});

describe('resolveImageUrls', () => {
  const png = Buffer.from(PNG_1PX, 'base64');
  const urlImage = (url: string): Block => ({ type: 'image', source: { kind: 'url', url } });

  // The test server is on loopback: these limits are those of a user who allows private addresses.
  const limits = (over: Partial<ImageFetchOptions> = {}): ImageFetchOptions => ({ maxBytes: 1_000, timeoutMs: 5_000, signal: new AbortController().signal, addressAllowed: () => true, ...over });
  /** Paths the image server was asked for. */
  const served: string[] = [];
  /** Requests to /slow that are still open (their sockets have not closed). */
  const slow = new Set<ServerResponse>();

  async function withImageServer(fn: (base: string) => Promise<void>): Promise<void> {
    const server = createServer((req, res) => {
      served.push(req.url ?? '');
      if (req.url === '/slow') {
        // Headers and half a PNG, then nothing: only a timeout or an abort ends it.
        res.writeHead(200, { 'content-type': 'image/png' }).write(png.subarray(0, 10));
        slow.add(res);
        res.on('close', () => slow.delete(res));
        return;
      }
      if (req.url === '/a.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      else if (req.url === '/untyped') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(png);
      else if (req.url === '/big') res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(5_000));
      else if (req.url === '/moved') res.writeHead(302, { location: '/a.png' }).end();
      else if (req.url === '/to-other-host') res.writeHead(302, { location: `http://127.0.0.2:${(server.address() as AddressInfo).port}/a.png` }).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const http = new KiroHttp();
    try {
      await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      await http.close();
      server.close();
    }
  }

  it('fetches http images (following redirects) and decodes data: URLs in place', async () => {
    await withImageServer(async (base) => {
      const conv = conversation([user(urlImage(`${base}/a.png`), urlImage(`${base}/moved`), urlImage(`${base}/untyped`), urlImage(`data:image/png;base64,${PNG_1PX}`))]);
      await resolveImageUrls(conv, new KiroHttp(), limits());
      for (const block of conv.messages[0].content) {
        assert.deepEqual(block, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG_1PX } });
      }
      assertKiroAccepts(build(conv).body);
    });
  });

  it('refuses missing, oversized and unsupported images with 400s', async () => {
    await withImageServer(async (base) => {
      const http = new KiroHttp();
      const rejects = (url: string, pattern: RegExp) =>
        assert.rejects(resolveImageUrls(conversation([user(urlImage(url))]), http, limits()), (err: unknown) =>
          err instanceof ProxyError && err.status === 400 && pattern.test(err.message));
      await rejects(`${base}/missing.png`, /HTTP 404/);
      await rejects(`${base}/big`, /larger than 1000 bytes/);
      await rejects('ftp://example.com/a.png', /not supported/);
      await rejects(`data:image/png;base64,${Buffer.alloc(2_000).toString('base64')}`, /larger than/);
      await http.close();
    });
  });

  it('refuses image URLs on loopback, private and link-local addresses, names and IPv4-mapped forms included, before connecting', async () => {
    await withImageServer(async (base) => {
      const port = new URL(base).port;
      served.length = 0;
      for (const url of [`${base}/a.png`, `http://localhost:${port}/a.png`, `http://[::1]:${port}/a.png`, `http://[::ffff:127.0.0.1]:${port}/a.png`, 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.1/a.png', 'http://192.168.1.1/a.png']) {
        await assert.rejects(resolveImageUrls(conversation([user(urlImage(url))]), new KiroHttp(), limits({ addressAllowed: isPublicAddress })), (err: unknown) =>
          err instanceof ProxyError && err.status === 400 && /private or local address .*--allow-private-image-urls .*kiroProxy\.allowPrivateImageUrls/.test(err.message), url);
      }
      assert.deepEqual(served, [], 'no request reached the server');
    });
  });

  it('checks the address of every redirect hop', async () => {
    await withImageServer(async (base) => {
      served.length = 0;
      // Only the first host is allowed: the redirect to 127.0.0.2 must be refused before it is followed.
      await assert.rejects(resolveImageUrls(conversation([user(urlImage(`${base}/to-other-host`))]), new KiroHttp(), limits({ addressAllowed: (ip) => ip === '127.0.0.1' })), (err: unknown) =>
        err instanceof ProxyError && err.status === 400 && /\(127\.0\.0\.2\)/.test(err.message));
      assert.deepEqual(served, ['/to-other-host']);
    });
  });

  it('tells public addresses from special-use ones', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2001:4860:4860::8888']) assert.equal(isPublicAddress(ip), true, ip);
    for (const ip of ['127.0.0.1', '127.9.9.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1', 'not-an-ip']) {
      assert.equal(isPublicAddress(ip), false, ip);
    }
  });

  it('gives up on an image server that stops answering, with a 400 naming the time limit', { timeout: 10_000 }, async () => {
    await withImageServer(async (base) => {
      const started = Date.now();
      await assert.rejects(resolveImageUrls(conversation([user(urlImage(`${base}/slow`))]), new KiroHttp(), limits({ timeoutMs: 300 })), (err: unknown) =>
        err instanceof ProxyError && err.status === 400 && /no answer within 0\.3 s/.test(err.message));
      assert.ok(Date.now() - started < 3_000);
      await waitFor(() => slow.size === 0, 2_000, 'the image connection closed');
    });
  });

  it('stops fetching when the client leaves', { timeout: 10_000 }, async () => {
    await withImageServer(async (base) => {
      const client = new AbortController();
      const fetching = resolveImageUrls(conversation([user(urlImage(`${base}/slow`), urlImage(`${base}/slow`))]), new KiroHttp(), limits({ signal: client.signal }));
      await waitFor(() => slow.size === 2, 2_000, 'both fetches under way');
      client.abort();
      await assert.rejects(fetching, ProxyError);
      await waitFor(() => slow.size === 0, 2_000, 'both image connections closed');
    });
  });
});

describe('prompt-cache breakpoints → Kiro cache points (§11.5)', () => {
  const POINT = { cachePoint: { type: 'default' } };
  const marked = (cache: Conversation['cache'], extra: Partial<Conversation> = {}) =>
    conversation([user('one'), assistant('two'), user('three')], { system: 'Be brief.', tools: [tool('A'), tool('B'), tool('C')], cache, ...extra });

  it('system, tools and user messages each get one; the simulator (Kiro\'s rules) accepts them', () => {
    const { body } = build(marked({ system: true, tools: [1], messages: [2] }));
    assert.deepEqual(userAt(body, 0).cachePoint, POINT.cachePoint, 'after the system pair');
    assert.deepEqual(current(body).userInputMessageContext?.tools?.map((t) => ('cachePoint' in t ? 'point' : t.toolSpecification.name)), ['A', 'B', 'point', 'C']);
    assert.deepEqual(current(body).cachePoint, POINT.cachePoint);
    assertKiroAccepts(body);
  });

  it('at most 4: system and tools first, then the latest messages', () => {
    const { body } = build(marked({ system: true, tools: [0, 1], messages: [0, 2] }));
    assert.equal(JSON.stringify(body).split('"cachePoint"').length - 1, 4);
    assert.equal(current(body).cachePoint?.type, 'default', 'the latest message kept its point');
    assert.equal(userAt(body, 2).cachePoint, undefined, 'the older one was dropped');
    assertKiroAccepts(body);
  });

  it('none for a model without prompt caching, none without breakpoints', () => {
    const other = buildKiroRequest(marked({ system: true, tools: [0], messages: [2] }), { kiroModel: 'qwen3-coder-next', conversationId: 'c' });
    assert.equal(other.bytes.toString().includes('cachePoint'), false);
    assert.equal(build(marked(undefined)).json.includes('cachePoint'), false);
  });

  it('the simulator refuses malformed or too many cache points', () => {
    const { body } = build(marked({ system: true, tools: [], messages: [] }));
    const bad = structuredClone(body);
    (userAt(bad, 0) as { cachePoint?: unknown }).cachePoint = { type: 'ephemeral' };
    assert.ok(validateKiroRequest(bad));
    const many = structuredClone(body);
    current(many).userInputMessageContext!.tools = [...Array.from({ length: 4 }, () => POINT), ...(current(many).userInputMessageContext!.tools ?? [])] as never;
    assert.ok(validateKiroRequest(many));
  });
});

describe('encodeKiroRequest', () => {
  it('writes exactly the JSON of any body shape, and its token weight', () => {
    const entry = { userInputMessage: { content: 'naïve 世界 "quoted"\n', modelId: MODEL, origin: 'AI_EDITOR' } };
    const bodies = [
      { conversationState: { chatTriggerType: 'MANUAL' } },
      { conversationState: { chatTriggerType: 'MANUAL', history: [] }, profileArn: 'arn:x' },
      { conversationState: { history: [entry] } },
      { conversationState: { history: [] } },
      { conversationState: { chatTriggerType: 'MANUAL', skipped: undefined, history: [entry, { assistantResponseMessage: { content: ' ' } }] }, profileArn: 'arn:x' },
    ];
    for (const body of bodies) {
      const { bytes, textWeight } = encodeKiroRequest(body);
      const json = JSON.stringify(body);
      assert.equal(bytes.toString(), json);
      assert.equal(textWeight, tokenWeight(json));
    }
  });
});
