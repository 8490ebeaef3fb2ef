import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReplyDecoder, decodeKiroStream, type ReplyDecoderOptions } from '../../src/proxy/kiro/reply';
import type { KiroFrame } from '../../src/proxy/kiro/eventstream';
import type { ReplyEvent } from '../../src/proxy/model';
import { ProxyError } from '../../src/proxy/errors';
import { chunked, encodeFrame, event, exception, streamOf, text, toolUse } from './helpers/frames';

const FIXTURES = fileURLToPath(new URL('../sim/fixtures/eventstream', import.meta.url));
const OPTIONS: ReplyDecoderOptions = { contextWindowTokens: 200_000, estimateInputTokens: () => 1234 };

// Frames as the event-stream decoder hands them over.
const frame = (eventType: string, payload: unknown): KiroFrame => ({ eventType, messageType: 'event', payload: JSON.stringify(payload) });
const textFrame = (content: string) => frame('assistantResponseEvent', { content });
const toolFrame = (payload: Record<string, unknown>) => frame('toolUseEvent', payload);
const metering = (usage: number) => frame('meteringEvent', { unit: 'credit', unitPlural: 'credits', usage });
const contextUsage = (percent: number) => frame('contextUsageEvent', { contextUsagePercentage: percent });

function decode(frames: KiroFrame[], options: Partial<ReplyDecoderOptions> = {}, finish: { cutOff?: boolean } = {}): ReplyEvent[] {
  const decoder = new ReplyDecoder({ ...OPTIONS, ...options });
  const events = [...frames.flatMap((f) => decoder.push(f)), ...decoder.finish(finish)];
  assertWellFormed(events);
  return events;
}

/** The ReplyEvent contract: blocks never interleave, thinking runs end with a signature, one `end` last. */
function assertWellFormed(events: ReplyEvent[]): void {
  let open: 'none' | 'thinking' | 'text' | 'tool' = 'none';
  let toolId = '';
  events.forEach((e, i) => {
    const where = `event ${i} ${JSON.stringify(e)}`;
    if (e.type === 'end') assert.equal(i, events.length - 1, `end must be last: ${where}`);
    if (open === 'tool') assert.ok((e.type === 'tool_input' || e.type === 'tool_end') && e.id === toolId, `inside a tool call: ${where}`);
    if (open === 'thinking') assert.ok(e.type === 'thinking' || e.type === 'thinking_signature', `thinking run not closed: ${where}`);
    switch (e.type) {
      case 'thinking':
        open = 'thinking';
        break;
      case 'thinking_signature':
        assert.equal(open, 'thinking', where);
        assert.ok(e.signature.length > 0);
        open = 'none';
        break;
      case 'text':
        assert.ok(e.text.length > 0, where);
        open = 'text';
        break;
      case 'tool_start':
        open = 'tool';
        toolId = e.id;
        break;
      case 'tool_end':
        open = 'none';
        break;
    }
  });
  assert.equal(events.filter((e) => e.type === 'end').length, 1);
}

const joined = (events: ReplyEvent[], type: 'text' | 'thinking') =>
  events.map((e) => (e.type === type ? e.text : '')).join('');
const endOf = (events: ReplyEvent[]) => events[events.length - 1] as Extract<ReplyEvent, { type: 'end' }>;
const kinds = (events: ReplyEvent[]) => events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);

describe('decodeKiroStream on real captures', () => {
  const fixture = (name: string) => readFileSync(join(FIXTURES, name));
  const contents = (name: string) =>
    JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')).frames.map((f: { payload: string }) => JSON.parse(f.payload).content ?? '').join('');

  test('simple text, fed in odd chunk sizes, is the concatenated content; end_turn', async () => {
    const bytes = fixture('kiro2api-20250822-221838-simple-text.bin');
    const events: ReplyEvent[] = [];
    for await (const e of decodeKiroStream(streamOf(chunked(bytes, [1, 7, 140, 3, 50])), OPTIONS)) events.push(e);
    assertWellFormed(events);
    assert.equal(joined(events, 'text'), 'Immersive Weather Card: Native Web Design & Dynamic Effects');
    assert.deepEqual(endOf(events), { type: 'end', stopReason: 'end_turn', usage: { inputTokens: 1234, outputTokens: 15 } });
  });

  test('medium text keeps every delta in order', async () => {
    const events: ReplyEvent[] = [];
    const bytes = fixture('kiro2api-20250822-221834-medium-text.bin');
    for await (const e of decodeKiroStream(streamOf([bytes]), OPTIONS)) events.push(e);
    assert.equal(joined(events, 'text'), contents('kiro2api-20250822-221834-medium-text.decoded.json'));
    assert.equal(endOf(events).stopReason, 'end_turn');
  });

  test('tool sample: a Write call the capture cuts off is reported as truncated', async () => {
    const events: ReplyEvent[] = [];
    const bytes = fixture('kiro2api-20250822-221936-tool-sample.bin');
    const toolNameMap = new Map([['Write', 'mcp__files__Write']]);
    for await (const e of decodeKiroStream(streamOf([bytes]), { ...OPTIONS, toolNameMap })) events.push(e);
    assertWellFormed(events);
    assert.equal(joined(events, 'text'), contents('kiro2api-20250822-221936-tool-sample.decoded.json'));
    assert.deepEqual(events.slice(-3), [
      { type: 'tool_start', id: 'tooluse_1DCqyICMR-CfTS36UNNiwA', name: 'mcp__files__Write' },
      { type: 'tool_end', id: 'tooluse_1DCqyICMR-CfTS36UNNiwA', input: {} },
      endOf(events),
    ]);
    assert.equal(endOf(events).stopReason, 'max_tokens');
    assert.equal(endOf(events).truncated, true);
  });

  test('Kiro CLI capture cut mid-frame: text so far, then end marked truncated', async () => {
    const bytes = Buffer.from(readFileSync(join(FIXTURES, 'kirocli-20260524-turn1-partial.b64.txt'), 'utf8').trim(), 'base64');
    const events: ReplyEvent[] = [];
    for await (const e of decodeKiroStream(streamOf(chunked(bytes, Array(bytes.length).fill(1))), OPTIONS)) events.push(e);
    assert.equal(joined(events, 'text'), '你好！我是 ');
    assert.equal(endOf(events).truncated, true);
    assert.equal(endOf(events).stopReason, 'max_tokens');
  });
});

describe('text', () => {
  test('identical consecutive deltas are kept', () => {
    const deltas = ['ha', 'ha', '\n\n', '\n\n', '.'];
    const events = decode(deltas.map(textFrame));
    assert.deepEqual(events.slice(0, -1), deltas.map((t) => ({ type: 'text', text: t })));
  });

  test('unknown events are ignored', () => {
    const events = decode([
      frame('initial-response', { conversationId: '' }),
      textFrame('hi'),
      frame('followupPromptEvent', { followupPrompt: { content: 'more?', userIntent: 'X' } }),
      frame('codeReferenceEvent', { references: [] }),
      frame('supplementaryWebLinksEvent', { supplementaryWebLinks: [] }),
    ]);
    assert.deepEqual(events.slice(0, -1), [{ type: 'text', text: 'hi' }]);
  });

  test('a payload wrapped in its event name is unwrapped', () => {
    const events = decode([frame('assistantResponseEvent', { assistantResponseEvent: { content: 'wrapped' } })]);
    assert.equal(joined(events, 'text'), 'wrapped');
  });
});

describe('thinking', () => {
  test('<thinking> split across deltas becomes a thinking run, then text without the blank line', () => {
    const events = decode(['<thin', 'king>Let me ', 'think.</thi', 'nking', '>\n', '\nThe answer', ' is 4.'].map(textFrame));
    assert.equal(joined(events, 'thinking'), 'Let me think.');
    assert.equal(joined(events, 'text'), 'The answer is 4.');
    assert.deepEqual(kinds(events), ['thinking', 'thinking_signature', 'text', 'end']);
  });

  test('leading whitespace before the tag is tolerated', () => {
    const events = decode([textFrame('  \n<thinking>plan</thinking>\n\nanswer')]);
    assert.equal(joined(events, 'thinking'), 'plan');
    assert.equal(joined(events, 'text'), 'answer');
  });

  test('a tag that is not at the start stays text', () => {
    for (const answer of [
      '```xml\n<thinking>not thinking</thinking>\n```',
      'Use `<thinking>` tags like `</thinking>`.',
      '"<thinking>" is a tag',
      'Hello <thinking>x</thinking>',
      '<think>short tag</think>',
    ]) {
      const deltas = answer.match(/.{1,3}/gs)!;
      const events = decode(deltas.map(textFrame));
      assert.equal(joined(events, 'text'), answer);
      assert.equal(joined(events, 'thinking'), '');
    }
  });

  test('text that only looks like the start of a tag is released once it cannot be one', () => {
    const decoder = new ReplyDecoder(OPTIONS);
    assert.deepEqual(decoder.push(textFrame('<thi')), []);
    assert.deepEqual(decoder.push(textFrame('s>')), [{ type: 'text', text: '<this>' }]);
  });

  test('the signature is stable for the same thinking and differs for other thinking', () => {
    const signatureOf = (thinking: string) =>
      decode([textFrame(`<thinking>${thinking}</thinking>ok`)]).find((e) => e.type === 'thinking_signature');
    assert.deepEqual(signatureOf('abc'), signatureOf('abc'));
    assert.notDeepEqual(signatureOf('abc'), signatureOf('abd'));
    assert.match((signatureOf('abc') as { signature: string }).signature, /^[A-Za-z0-9+/]{43}=$/);
  });

  test('an answer that ends inside thinking ends with max_tokens', () => {
    const events = decode(['<thinking>still going', '</thin'].map(textFrame));
    assert.equal(joined(events, 'thinking'), 'still going</thin');
    assert.deepEqual(kinds(events), ['thinking', 'thinking_signature', 'end']);
    assert.equal(endOf(events).stopReason, 'max_tokens');
  });

  test('reasoningContentEvent becomes thinking with Kiro\'s signature', () => {
    const events = decode([
      frame('reasoningContentEvent', { text: 'step 1. ' }),
      frame('reasoningContentEvent', { text: 'step 2.' }),
      frame('reasoningContentEvent', { signature: 'sig-from-kiro' }),
      textFrame('Done.'),
    ]);
    assert.deepEqual(events.slice(0, -1), [
      { type: 'thinking', text: 'step 1. ' },
      { type: 'thinking', text: 'step 2.' },
      { type: 'thinking_signature', signature: 'sig-from-kiro' },
      { type: 'text', text: 'Done.' },
    ]);
  });

  test('assistantResponseEvent.reasoningContent.reasoningText is read (string or object form)', () => {
    const events = decode([
      frame('assistantResponseEvent', { reasoningContent: { reasoningText: 'a' } }),
      frame('assistantResponseEvent', { reasoningContent: { reasoningText: { text: 'b', signature: 's1' } } }),
      textFrame('c'),
    ]);
    assert.deepEqual(events.slice(0, -1), [
      { type: 'thinking', text: 'a' },
      { type: 'thinking', text: 'b' },
      { type: 'thinking_signature', signature: 's1' },
      { type: 'text', text: 'c' },
    ]);
  });
});

describe('structured tool calls', () => {
  test('string fragments stream as they arrive and end with the parsed input', () => {
    const id = 'tooluse_AbC';
    const events = decode([
      textFrame("I'll read it."),
      toolFrame({ name: 'read_file', toolUseId: id }),
      toolFrame({ input: '', name: 'read_file', toolUseId: id }),
      toolFrame({ input: '{"path":', name: 'read_file', toolUseId: id }),
      toolFrame({ input: ' "a.txt"}', name: 'read_file', toolUseId: id }),
      toolFrame({ name: 'read_file', stop: true, toolUseId: id }),
      metering(0.0375),
      contextUsage(3.21),
    ]);
    assert.deepEqual(events.slice(0, -1), [
      { type: 'text', text: "I'll read it." },
      { type: 'tool_start', id, name: 'read_file' },
      { type: 'tool_input', id, partialJson: '{"path":' },
      { type: 'tool_input', id, partialJson: ' "a.txt"}' },
      { type: 'tool_end', id, input: { path: 'a.txt' } },
    ]);
    assert.equal(endOf(events).stopReason, 'tool_use');
    assert.equal(endOf(events).truncated, undefined);
  });

  test('object-valued input fragments are merged and sent as one delta', () => {
    const id = 'tooluse_obj';
    const events = decode([
      toolFrame({ name: 'edit', toolUseId: id, input: { path: 'a.ts' } }),
      toolFrame({ name: 'edit', toolUseId: id, input: { line: 3 } }),
      toolFrame({ name: 'edit', toolUseId: id, stop: true }),
    ]);
    assert.deepEqual(events.slice(0, -1), [
      { type: 'tool_start', id, name: 'edit' },
      { type: 'tool_input', id, partialJson: '{"path":"a.ts","line":3}' },
      { type: 'tool_end', id, input: { path: 'a.ts', line: 3 } },
    ]);
  });

  test('an empty call ends with {} and shortened names map back', () => {
    const events = decode([toolFrame({ name: 'short_1', toolUseId: 't1' }), toolFrame({ name: 'short_1', toolUseId: 't1', stop: true })], {
      toolNameMap: new Map([['short_1', 'a_very_long_original_tool_name']]),
    });
    assert.deepEqual(events.slice(0, -1), [
      { type: 'tool_start', id: 't1', name: 'a_very_long_original_tool_name' },
      { type: 'tool_end', id: 't1', input: {} },
    ]);
  });

  test('a new id before stop closes the previous call; a repeat of a finished id is dropped', () => {
    const events = decode([
      toolFrame({ name: 'a', toolUseId: 't1', input: '{"x":1}' }),
      toolFrame({ name: 'b', toolUseId: 't2', input: '{"y":2}' }),
      toolFrame({ name: 'b', toolUseId: 't2', stop: true }),
      toolFrame({ name: 'a', toolUseId: 't1' }),
      toolFrame({ name: 'a', toolUseId: 't1', input: '', stop: true }),
      metering(0.01),
    ]);
    assert.deepEqual(events.slice(0, -1), [
      { type: 'tool_start', id: 't1', name: 'a' },
      { type: 'tool_input', id: 't1', partialJson: '{"x":1}' },
      { type: 'tool_end', id: 't1', input: { x: 1 } },
      { type: 'tool_start', id: 't2', name: 'b' },
      { type: 'tool_input', id: 't2', partialJson: '{"y":2}' },
      { type: 'tool_end', id: 't2', input: { y: 2 } },
    ]);
    assert.equal(endOf(events).stopReason, 'tool_use');
  });

  test('text arriving while a call is open waits until the call ends', () => {
    const events = decode([
      toolFrame({ name: 'a', toolUseId: 't1', input: '{"x":' }),
      textFrame('meanwhile'),
      toolFrame({ name: 'a', toolUseId: 't1', input: '1}', stop: true }),
    ]);
    assert.deepEqual(kinds(events), ['tool_start', 'tool_input', 'tool_end', 'text', 'end']);
  });

  test('a call cut off with unparseable JSON: tool_end {} and end max_tokens + truncated', () => {
    const events = decode([
      toolFrame({ name: 'Write', toolUseId: 't1' }),
      toolFrame({ name: 'Write', toolUseId: 't1', input: '{"file_path":"a.txt","content":"line 1\\nline' }),
      metering(0.2),
    ]);
    assert.deepEqual(events.slice(-2, -1), [{ type: 'tool_end', id: 't1', input: {} }]);
    assert.equal(endOf(events).stopReason, 'max_tokens');
    assert.equal(endOf(events).truncated, true);
  });

  test('a call without stop whose JSON parses is fine when Kiro finished normally', () => {
    const events = decode([toolFrame({ name: 'a', toolUseId: 't1', input: '{"x":1}' }), contextUsage(10)]);
    assert.deepEqual(events.slice(-2, -1), [{ type: 'tool_end', id: 't1', input: { x: 1 } }]);
    assert.equal(endOf(events).stopReason, 'tool_use');
    assert.equal(endOf(events).truncated, undefined);
  });

  test('an open call in a stream with no final events at all is truncated', () => {
    const events = decode([toolFrame({ name: 'a', toolUseId: 't1', input: '{"x":1}' })]);
    assert.deepEqual(events.slice(-2, -1), [{ type: 'tool_end', id: 't1', input: { x: 1 } }]);
    assert.equal(endOf(events).stopReason, 'max_tokens');
    assert.equal(endOf(events).truncated, true);
  });

  test('a text-only stream without final events is a normal end', () => {
    const events = decode([textFrame('all done')]);
    assert.equal(endOf(events).stopReason, 'end_turn');
    assert.equal(endOf(events).truncated, undefined);
  });
});

describe('bracket-style tool calls in text', () => {
  const call = '[Called read_file with args: {"path": "a]}.txt", "opts": {"q": "\\"x\\""}}]';

  test('a call split into 1..4-char deltas becomes a tool call and leaves the text around it', () => {
    const answer = `Sure. ${call} done`;
    const deltas = answer.match(/.{1,4}/gs)!;
    const events = decode(deltas.map(textFrame));
    assert.equal(joined(events, 'text'), 'Sure.  done');
    const start = events.find((e) => e.type === 'tool_start') as Extract<ReplyEvent, { type: 'tool_start' }>;
    assert.match(start.id, /^toolu_[0-9a-f]{24}$/);
    assert.equal(start.name, 'read_file');
    assert.deepEqual(
      events.filter((e) => e.type.startsWith('tool_')),
      [
        start,
        { type: 'tool_input', id: start.id, partialJson: '{"path": "a]}.txt", "opts": {"q": "\\"x\\""}}' },
        { type: 'tool_end', id: start.id, input: { path: 'a]}.txt', opts: { q: '"x"' } } },
      ],
    );
    assert.equal(endOf(events).stopReason, 'tool_use');
  });

  test('text starting with [ is released as soon as it cannot be a call', () => {
    const decoder = new ReplyDecoder(OPTIONS);
    assert.deepEqual(decoder.push(textFrame('see [l')), [{ type: 'text', text: 'see [l' }]);
    assert.deepEqual(decoder.push(textFrame('[Cal')), []);
    assert.deepEqual(decoder.push(textFrame('ling all')), [{ type: 'text', text: '[Calling all' }]);
    assert.deepEqual(decoder.push(textFrame('[Called x with args: {"a": 1} no')), [
      { type: 'text', text: '[Called x with args: {"a": 1} no' },
    ]);
  });

  test('an unfinished call at the end of the answer is plain text', () => {
    const events = decode([textFrame('[Called read_file with args: {"path": "a')]);
    assert.equal(joined(events, 'text'), '[Called read_file with args: {"path": "a');
    assert.equal(endOf(events).stopReason, 'end_turn');
    assert.equal(endOf(events).usage.outputTokens, 10); // the 40 held-back characters still count
  });

  test('a bracket call repeating a structured call is dropped', () => {
    const events = decode([
      toolFrame({ name: 'read_file', toolUseId: 't1', input: '{"path":"a"}', stop: true }),
      textFrame('[Called read_file with args: {"path": "a"}]'),
    ]);
    assert.equal(events.filter((e) => e.type === 'tool_start').length, 1);
    assert.equal(joined(events, 'text'), '');
  });
});

describe('usage and stop reasons', () => {
  test('credits add up; input = context% × window − output', () => {
    const events = decode([textFrame('abcd'.repeat(25)), metering(0.01), metering(0.02), contextUsage(5)]);
    assert.deepEqual(endOf(events), {
      type: 'end',
      stopReason: 'end_turn',
      usage: { inputTokens: 10_000 - 25, outputTokens: 25, credits: 0.03 },
    });
  });

  test('input never drops to 0 on a long answer, and falls back to the local estimate without a percentage', () => {
    assert.equal(endOf(decode([textFrame('x'.repeat(400)), contextUsage(0.01)])).usage.inputTokens, 20);
    assert.equal(endOf(decode([textFrame('x')])).usage.inputTokens, 1234);
  });

  test('output estimate counts thinking, text and tool JSON', () => {
    const events = decode([
      textFrame('<thinking>' + 'a'.repeat(40) + '</thinking>' + '你好'),
      toolFrame({ name: 'a', toolUseId: 't1', input: '{"k":"' + 'b'.repeat(34) + '"}', stop: true }),
    ]);
    // 40/4 thinking + 2 CJK + 42/4 JSON = 22.5 → 23
    assert.equal(endOf(events).usage.outputTokens, 23);
  });

  test('metadataEvent token counts win', () => {
    const events = decode([
      textFrame('hello'),
      contextUsage(50),
      frame('metadataEvent', {
        tokenUsage: { uncachedInputTokens: 100, cacheReadInputTokens: 900, cacheWriteInputTokens: 50, outputTokens: 7, totalTokens: 1057 },
        stopReason: 'END_TURN',
      }),
    ]);
    assert.deepEqual(endOf(events).usage, { inputTokens: 100, cacheReadTokens: 900, cacheWriteTokens: 50, outputTokens: 7 });
    assert.equal(endOf(events).stopReason, 'end_turn');
  });

  test('context ≥ 100% or MODEL_CONTEXT_WINDOW_EXCEEDED → context_window_exceeded; MAX_TOKENS → max_tokens', () => {
    assert.equal(endOf(decode([textFrame('a'), contextUsage(100)])).stopReason, 'context_window_exceeded');
    assert.equal(endOf(decode([textFrame('a'), frame('metadataEvent', { stopReason: 'MODEL_CONTEXT_WINDOW_EXCEEDED' })])).stopReason, 'context_window_exceeded');
    const maxTokens = endOf(decode([textFrame('a'), frame('metadataEvent', { stopReason: 'MAX_TOKENS' })]));
    assert.equal(maxTokens.stopReason, 'max_tokens');
    assert.equal(maxTokens.truncated, undefined);
  });

  test('an exception frame throws ProxyError(upstream) with the message only', () => {
    const decoder = new ReplyDecoder(OPTIONS);
    decoder.push(textFrame('partial'));
    const exceptionFrame: KiroFrame = {
      eventType: '',
      messageType: 'exception',
      exceptionType: 'ThrottlingException',
      payload: JSON.stringify({ message: 'Too many requests', reason: null, token: 'secret' }),
    };
    assert.throws(
      () => decoder.push(exceptionFrame),
      (err: unknown) =>
        err instanceof ProxyError && err.kind === 'upstream' && err.message === 'Kiro stream error (ThrottlingException): Too many requests',
    );
  });

  test('ContentLengthExceededException ends the reply with max_tokens', async () => {
    const body = Buffer.concat([text('Hello'), exception('ContentLengthExceededException', 'too long'), text(' ignored')]);
    const events: ReplyEvent[] = [];
    for await (const e of decodeKiroStream(streamOf([body]), OPTIONS)) events.push(e);
    assert.deepEqual(events.slice(0, -1), [{ type: 'text', text: 'Hello' }]);
    assert.equal(endOf(events).stopReason, 'max_tokens');
  });

  test('an exception inside a real byte stream surfaces from decodeKiroStream', async () => {
    const body = Buffer.concat([text('Hi'), exception('InternalServerException', 'Encountered an unexpected error')]);
    const seen: ReplyEvent[] = [];
    await assert.rejects(
      async () => {
        for await (const e of decodeKiroStream(streamOf([body]), OPTIONS)) seen.push(e);
      },
      (err: unknown) => err instanceof ProxyError && err.kind === 'upstream' && /Encountered an unexpected error/.test(err.message),
    );
    assert.deepEqual(seen, [{ type: 'text', text: 'Hi' }]);
  });

  test('a full tool turn as bytes: events, usage and credits', async () => {
    const body = Buffer.concat([
      text("I'll read it."),
      toolUse({ name: 'read_file', toolUseId: 'tooluse_AbC' }),
      toolUse({ name: 'read_file', toolUseId: 'tooluse_AbC', input: '{"path": "a.txt"}' }),
      toolUse({ name: 'read_file', toolUseId: 'tooluse_AbC', stop: true }),
      event('meteringEvent', { unit: 'credit', unitPlural: 'credits', usage: 0.0375 }),
      event('contextUsageEvent', { contextUsagePercentage: 3.21 }),
    ]);
    const events: ReplyEvent[] = [];
    for await (const e of decodeKiroStream(streamOf(chunked(body, [5, 100, 33])), OPTIONS)) events.push(e);
    assertWellFormed(events);
    assert.deepEqual(endOf(events), {
      type: 'end',
      stopReason: 'tool_use',
      usage: { inputTokens: 6420 - 8, outputTokens: 8, credits: 0.0375 },
    });
  });
});

describe('decodeKiroStream batching', () => {
  const collect = async (chunks: Uint8Array[]) => {
    const events: ReplyEvent[] = [];
    for await (const e of decodeKiroStream(streamOf(chunks), OPTIONS)) events.push(e);
    assertWellFormed(events);
    return events;
  };

  test('the text deltas of one network chunk arrive as one event; chunks are not held back', async () => {
    const first = Buffer.concat(['He', 'll', 'o, '].map((t) => text(t)));
    const second = Buffer.concat(['wor', 'ld'].map((t) => text(t)));
    const events = await collect([first, second]);
    assert.deepEqual(events.slice(0, -1), [
      { type: 'text', text: 'Hello, ' },
      { type: 'text', text: 'world' },
    ]);
  });

  test('merging joins only runs of one kind: thinking, its signature, text and tool calls stay in order', async () => {
    const body = Buffer.concat([
      event('reasoningContentEvent', { text: 'let me ' }),
      event('reasoningContentEvent', { text: 'think' }),
      event('reasoningContentEvent', { signature: 'sig' }),
      text('An'),
      text('swer'),
      toolUse({ name: 'read_file', toolUseId: 't1', input: '{"path":' }),
      toolUse({ name: 'read_file', toolUseId: 't1', input: '"a"}', stop: true }),
      text('af'),
      text('ter'),
    ]);
    const whole = await collect([body]);
    assert.deepEqual(whole.slice(0, -1), [
      { type: 'thinking', text: 'let me think' },
      { type: 'thinking_signature', signature: 'sig' },
      { type: 'text', text: 'Answer' },
      { type: 'tool_start', id: 't1', name: 'read_file' },
      { type: 'tool_input', id: 't1', partialJson: '{"path":' },
      { type: 'tool_input', id: 't1', partialJson: '"a"}' },
      { type: 'tool_end', id: 't1', input: { path: 'a' } },
      { type: 'text', text: 'after' },
    ]);
    // Byte by byte (no merging possible), the same reply.
    const single = await collect(chunked(body, Array(body.length).fill(1)));
    assert.equal(joined(single, 'text'), 'Answerafter');
    assert.equal(joined(single, 'thinking'), 'let me think');
    assert.deepEqual(endOf(single), endOf(whole));
  });

  test('escaped, quoted and non-ASCII content decodes exactly as JSON.parse gives it', async () => {
    const pieces = ['plain', 'say "hi"', 'back\\slash', 'tab\there', 'line\nbreak', 'ünïcødé ✓ 𝄞', '', '{"content":"x"}', 'end'];
    const events = await collect(pieces.map((t) => text(t)).map((b) => Buffer.from(b)));
    assert.equal(joined(events, 'text'), pieces.join(''));
    const extra = await collect([event('assistantResponseEvent', { content: 'a', modelId: 'm' })]);
    assert.equal(joined(extra, 'text'), 'a');
  });

  // Raw payloads, as Kiro could write them: escapes JSON.stringify would not produce, and broken ones.
  const rawText = (payload: string) => encodeFrame({ eventType: 'assistantResponseEvent', payload });

  test('a chunk of plain deltas, escapes included, leaves as one event with the text JSON.parse gives each', async () => {
    const payloads = ['{"content":"caf\\u00e9 "}', '{"content":"\\ud83d"}', '{"content":"\\ude80 \\"q\\" \\/ \\b\\f\\n\\r\\t"}', '{"content":"\\\\"}', '{"content":"中文"}'];
    const expected = payloads.map((p) => JSON.parse(p).content as string).join('');
    const events = await collect([Buffer.concat(payloads.map(rawText))]);
    assert.deepEqual(events.slice(0, -1), [{ type: 'text', text: expected }]);
    assert.equal(expected, 'café 🚀 "q" / \b\f\n\r\t\\中文');
  });

  test('a malformed delta inside a run is dropped alone, as before: its neighbours keep their order', async () => {
    const bad = ['{"content":"bad\\x"}', '{"content":"bad\\u12"}', '{"content":"bad\\"}', '{"content":"raw\u0001control"}'];
    for (const payload of bad) {
      const events = await collect([Buffer.concat([text('one '), rawText(payload), text('two')])]);
      assert.deepEqual(events.slice(0, -1), [{ type: 'text', text: 'one two' }], payload);
    }
    // Valid JSON in another shape still counts, in its place.
    for (const payload of ['{ "content": "and" }', '{"content":"and"} ']) {
      const spaced = await collect([Buffer.concat([text('one '), rawText(payload), text(' two')])]);
      assert.deepEqual(spaced.slice(0, -1), [{ type: 'text', text: 'one and two' }], payload);
    }
  });

  test('joined runs keep their place around thinking tags, tool calls and reasoning events', async () => {
    const body = Buffer.concat([
      text('<thin'),
      text('king>plan'),
      text(' it</thinking>'),
      text('\n\nDo'),
      text('ing'),
      toolUse({ name: 'run', toolUseId: 't1', input: '{"cmd":"ls"}' }),
      text('wait'),
      text('ed'),
      toolUse({ name: 'run', toolUseId: 't1', stop: true }),
      text(' done'),
      event('reasoningContentEvent', { text: 'more' }),
      text('!'),
    ]);
    const whole = await collect([body]);
    assert.deepEqual(whole.slice(0, -1).map((e) => (e.type === 'thinking_signature' ? { type: e.type } : e)), [
      { type: 'thinking', text: 'plan it' },
      { type: 'thinking_signature' },
      { type: 'text', text: 'Doing' },
      { type: 'tool_start', id: 't1', name: 'run' },
      { type: 'tool_input', id: 't1', partialJson: '{"cmd":"ls"}' },
      { type: 'tool_end', id: 't1', input: { cmd: 'ls' } },
      // Text that came while the call was open waits for its end, then goes on with what follows.
      { type: 'text', text: 'waited done' },
      { type: 'thinking', text: 'more' },
      { type: 'thinking_signature' },
      { type: 'text', text: '!' },
    ]);
    // Frame by frame, the same reply in more events.
    const single = await collect(chunked(body, Array(body.length).fill(1)));
    assert.equal(joined(single, 'text'), joined(whole, 'text'));
    assert.equal(joined(single, 'thinking'), joined(whole, 'thinking'));
    assert.deepEqual(kinds(single), kinds(whole));
  });

  test('text after ContentLengthExceeded in the same run is dropped; text before it is kept', async () => {
    const events = await collect([Buffer.concat([text('Hel'), text('lo'), exception('ContentLengthExceededException', 'too long'), text(' ignored'), text(' too')])]);
    assert.deepEqual(events.slice(0, -1), [{ type: 'text', text: 'Hello' }]);
    assert.equal(endOf(events).stopReason, 'max_tokens');
  });
});
