import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { ProxyError } from '../../src/proxy/errors';
import type { ReplyEvent } from '../../src/proxy/model';
import { errorBody, handleCountTokens, handleMessages, renderMessageStream } from '../../src/proxy/protocols/anthropic';
import { collectReply } from '../../src/proxy/protocols/reply';
import { sealThinking, unsealThinking } from '../../src/proxy/protocols/thinking-seal';
import { adapterFetch, MemorySink, script, type ScriptedExchange } from './sse-harness';

const head = { id: 'msg_1', model: 'claude-opus-4-6', inputTokens: 42 };
const usage = { inputTokens: 50, outputTokens: 7 };

const THINK_TEXT_TOOL: ReplyEvent[] = [
  { type: 'thinking', text: 'Let me ' },
  { type: 'thinking', text: 'think.' },
  { type: 'thinking_signature', signature: 'sig-1' },
  { type: 'text', text: 'Reading ' },
  { type: 'text', text: 'it.' },
  { type: 'tool_start', id: 'tooluse_A1', name: 'Read' },
  { type: 'tool_input', id: 'tooluse_A1', partialJson: '{"path":' },
  { type: 'tool_input', id: 'tooluse_A1', partialJson: '"a.ts"}' },
  { type: 'tool_end', id: 'tooluse_A1', input: { path: 'a.ts' } },
  { type: 'end', stopReason: 'tool_use', usage },
];

async function render(events: ReplyEvent[], failWith?: Error): Promise<MemorySink> {
  const sink = new MemorySink();
  await renderMessageStream(script(events, failWith), sink, head);
  return sink;
}

function client(reply: Parameters<typeof adapterFetch>[2], seen?: ScriptedExchange, handler = handleMessages) {
  return new Anthropic({ apiKey: 'k', baseURL: 'http://proxy.test', maxRetries: 0, fetch: adapterFetch(handler, errorBody, reply, seen) });
}

describe('renderMessageStream', () => {
  it('writes the exact Anthropic event sequence', async () => {
    const sink = await render(THINK_TEXT_TOOL);
    const shell = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-opus-4-6',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 42, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    };
    const expected: Array<[string, object]> = [
      ['message_start', { type: 'message_start', message: shell }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me ' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'think.' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig-1' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Reading ' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'it.' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      [
        'content_block_start',
        { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'tooluse_A1', name: 'Read', input: {} } },
      ],
      ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"path":' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '"a.ts"}' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 2 }],
      [
        'message_delta',
        { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 50, output_tokens: 7 } },
      ],
      ['message_stop', { type: 'message_stop' }],
    ];
    assert.equal(sink.text, expected.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join(''));
  });

  it('with thinking omitted: no thinking deltas, the text sealed in the signature', async () => {
    const sink = new MemorySink();
    await renderMessageStream(script(THINK_TEXT_TOOL), sink, head, true);
    const thinking = sink.events().filter(([, data]) => (data as { index?: number }).index === 0).map(([, data]) => data);
    assert.deepEqual(thinking, [
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: sealThinking('Let me think.') } },
      { type: 'content_block_stop', index: 0 },
    ]);
    assert.equal(unsealThinking(sealThinking('Let me think. ✓')), 'Let me think. ✓');
    assert.equal(unsealThinking('sig-1'), undefined, "another party's signature is left alone");
  });

  it('sends a whole tool input as one delta when Kiro gave no fragments', async () => {
    const sink = await render([
      { type: 'tool_start', id: 'tooluse_B', name: 'Ls' },
      { type: 'tool_end', id: 'tooluse_B', input: { dir: '.' } },
      { type: 'end', stopReason: 'tool_use', usage },
    ]);
    assert.deepEqual(sink.events()[2][1], {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'input_json_delta', partial_json: '{"dir":"."}' },
    });
  });

  it('closes a truncated tool call and reports max_tokens', async () => {
    const sink = await render([
      { type: 'tool_start', id: 'tooluse_C', name: 'Write' },
      { type: 'tool_input', id: 'tooluse_C', partialJson: '{"content":"abc' },
      { type: 'end', stopReason: 'tool_use', usage, truncated: true },
    ]);
    const names = sink.events().map(([event]) => event);
    assert.deepEqual(names, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    assert.deepEqual((sink.events()[4][1] as { delta: object }).delta, { stop_reason: 'max_tokens', stop_sequence: null });
  });

  it('maps a context window overflow to model_context_window_exceeded', async () => {
    const sink = await render([{ type: 'end', stopReason: 'context_window_exceeded', usage }]);
    assert.equal((sink.events()[1][1] as { delta: { stop_reason: string } }).delta.stop_reason, 'model_context_window_exceeded');
  });

  it('ends a failed stream with an error event', async () => {
    const sink = await render([{ type: 'text', text: 'par' }], new ProxyError('overloaded', 'Kiro is busy'));
    assert.equal(
      sink.text.split('\n\n').at(-2),
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Kiro is busy"}}',
    );
    const unfinished = await render([{ type: 'text', text: 'par' }]);
    assert.deepEqual(unfinished.events().at(-1), [
      'error',
      { type: 'error', error: { type: 'api_error', message: 'Kiro ended the reply without finishing it.' } },
    ]);
  });
});

describe('Anthropic SDK against the adapter', () => {
  const params = {
    model: 'claude-opus-4-6',
    max_tokens: 1024,
    messages: [{ role: 'user' as const, content: 'read a.ts' }],
  };

  it('MessageStream assembles thinking, text and the tool call', async () => {
    const seen: ScriptedExchange = {};
    const stream = client({ events: THINK_TEXT_TOOL }, seen).messages.stream(params);
    const texts: string[] = [];
    stream.on('text', (text) => texts.push(text));
    const message = await stream.finalMessage();
    // Both deltas were waiting when the writer ran (the script yields them in one tick): one event, same text.
    assert.deepEqual(texts, ['Reading it.']);
    assert.equal(message.model, 'claude-opus-4-6');
    assert.match(message.id, /^msg_/);
    assert.deepEqual(message.content, [
      { type: 'thinking', thinking: 'Let me think.', signature: 'sig-1' },
      { type: 'text', text: 'Reading it.' },
      { type: 'tool_use', id: 'tooluse_A1', name: 'Read', input: { path: 'a.ts' } },
    ]);
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.usage.input_tokens, 50);
    assert.equal(message.usage.output_tokens, 7);
    assert.equal(seen.request?.stream, true);
    assert.equal(seen.request?.endpoint, '/v1/messages');
  });

  it('non-streaming create returns the full message', async () => {
    const message = await client({ events: THINK_TEXT_TOOL }).messages.create(params);
    assert.deepEqual(message, {
      id: message.id,
      type: 'message',
      role: 'assistant',
      model: 'claude-opus-4-6',
      content: [
        { type: 'thinking', thinking: 'Let me think.', signature: 'sig-1' },
        { type: 'text', text: 'Reading it.' },
        { type: 'tool_use', id: 'tooluse_A1', name: 'Read', input: { path: 'a.ts' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 50, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it('raises a mid-stream error as an APIError of the right type', async () => {
    const stream = client({ events: [{ type: 'text', text: 'x' }], failWith: new ProxyError('overloaded', 'Kiro is busy') }).messages.stream(params);
    await assert.rejects(stream.finalMessage(), (err: unknown) => {
      assert.ok(err instanceof Anthropic.APIError);
      assert.equal(err.type, 'overloaded_error');
      return true;
    });
  });

  it('raises an error before the stream as a typed HTTP error', async () => {
    const startError = new ProxyError('rate_limit', 'All accounts are cooling down.', { retryAfterSeconds: 5 });
    await assert.rejects(client({ startError }).messages.create({ ...params, stream: true }), (err: unknown) => {
      assert.ok(err instanceof Anthropic.RateLimitError);
      assert.equal(err.type, 'rate_limit_error');
      return true;
    });
    await assert.rejects(client({}).messages.create({ ...params, messages: [{ role: 'user', content: [{ type: 'foo' } as never] }] }), (err: unknown) => {
      assert.ok(err instanceof Anthropic.BadRequestError);
      assert.deepEqual(err.error, {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'messages.0.content.0.type: unknown block type "foo"' },
      });
      return true;
    });
  });

  it('pings while Kiro is silent; the SDK skips the pings', async () => {
    async function* slow(): AsyncIterable<ReplyEvent> {
      await new Promise((resolve) => setTimeout(resolve, 60));
      yield { type: 'text', text: 'late' };
      yield { type: 'end', stopReason: 'end_turn', usage };
    }
    const response = await client({ events: slow, pingIntervalMs: 15 }).messages.create({ ...params, stream: true }).asResponse();
    const body = await response.text();
    assert.match(body, /^event: message_start\n[^]*event: ping\ndata: \{"type":"ping"\}\n\n[^]*event: content_block_start/);
    assert.ok(body.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    assert.equal(response.headers.get('cache-control'), 'no-cache');

    const message = await client({ events: slow, pingIntervalMs: 15 }).messages.stream(params).finalMessage();
    assert.deepEqual(message.content, [{ type: 'text', text: 'late' }]);
    assert.equal(message.stop_reason, 'end_turn');
  });

  it('counts tokens locally', async () => {
    const result = await client({}, undefined, handleCountTokens).messages.countTokens({
      model: 'claude-opus-4-6',
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'hello there, how are you doing today?' }],
      tools: [{ name: 'Read', input_schema: { type: 'object', properties: { path: { type: 'string' } } } }],
    });
    assert.ok(result.input_tokens > 0);
  });
});

describe('collectReply', () => {
  it('splits thinking at signatures, merges text runs and keeps truncated tool calls', async () => {
    const reply = await collectReply(
      script([
        { type: 'thinking', text: 'a' },
        { type: 'thinking_signature', signature: 's1' },
        { type: 'thinking', text: 'b' },
        { type: 'text', text: 'x' },
        { type: 'text', text: 'y' },
        { type: 'tool_start', id: 'tooluse_T', name: 'Write' },
        { type: 'tool_input', id: 'tooluse_T', partialJson: '{"a":' },
        { type: 'end', stopReason: 'tool_use', usage, truncated: true },
      ]),
    );
    assert.deepEqual(reply, {
      content: [
        { type: 'thinking', text: 'a', signature: 's1' },
        { type: 'thinking', text: 'b' },
        { type: 'text', text: 'xy' },
        { type: 'tool_use', id: 'tooluse_T', name: 'Write', input: {} },
      ],
      stopReason: 'tool_use',
      usage,
      truncated: true,
    });
  });

  it('answers with the reply before the events are closed, where the exchange keeps its books', async () => {
    const order: string[] = [];
    async function* events(): AsyncGenerator<ReplyEvent> {
      try {
        yield { type: 'text', text: 'hi' };
        yield { type: 'end', stopReason: 'end_turn', usage };
      } finally {
        order.push('closed');
      }
    }
    const reply = await collectReply(events(), (answered) => order.push(`answered ${answered.content.length}`));
    assert.deepEqual(order, ['answered 1', 'closed']);
    assert.equal(reply.stopReason, 'end_turn');
  });

  it('fails when the events stop before their end', async () => {
    await assert.rejects(collectReply(script([{ type: 'text', text: 'x' }])), (err: unknown) => err instanceof ProxyError && err.kind === 'upstream');
  });
});
