import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { ProxyError } from '../../src/proxy/errors';
import type { ReplyEvent } from '../../src/proxy/model';
import { errorBody, handleChatCompletions, renderCompletionStream } from '../../src/proxy/protocols/openai-chat';
import { adapterFetch, MemorySink, script, type ScriptedExchange } from './sse-harness';

const head = { id: 'chatcmpl-1', model: 'gpt-4o', created: 1700000000 };
const usage = { inputTokens: 50, outputTokens: 7 };

const THINK_TEXT_TOOLS: ReplyEvent[] = [
  { type: 'thinking', text: 'Two ' },
  { type: 'thinking', text: 'reads.' },
  { type: 'thinking_signature', signature: 'sig' },
  { type: 'text', text: 'Reading.' },
  { type: 'tool_start', id: 'tooluse_A', name: 'read' },
  { type: 'tool_input', id: 'tooluse_A', partialJson: '{"path":' },
  { type: 'tool_input', id: 'tooluse_A', partialJson: '"a"}' },
  { type: 'tool_end', id: 'tooluse_A', input: { path: 'a' } },
  { type: 'tool_start', id: 'tooluse_B', name: 'read' },
  { type: 'tool_end', id: 'tooluse_B', input: { path: 'b' } },
  { type: 'end', stopReason: 'tool_use', usage },
];

async function render(events: ReplyEvent[], includeUsage: boolean, failWith?: Error): Promise<MemorySink> {
  const sink = new MemorySink();
  await renderCompletionStream(script(events, failWith), sink, head, includeUsage);
  return sink;
}

function client(reply: Parameters<typeof adapterFetch>[2], seen?: ScriptedExchange) {
  return new OpenAI({ apiKey: 'k', baseURL: 'http://proxy.test/v1', maxRetries: 0, fetch: adapterFetch(handleChatCompletions, errorBody, reply, seen) });
}

const params = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'read a and b' }] };

describe('renderCompletionStream', () => {
  it('writes the exact chunk sequence with usage', async () => {
    const sink = await render(THINK_TEXT_TOOLS, true);
    const chunk = (delta: object, finish: string | null = null) => ({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1700000000,
      model: 'gpt-4o',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      usage: null,
    });
    const expected = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'Two ' }),
      chunk({ reasoning_content: 'reads.' }),
      chunk({ content: 'Reading.' }),
      chunk({ tool_calls: [{ index: 0, id: 'tooluse_A', type: 'function', function: { name: 'read', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"path":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"a"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'tooluse_B', type: 'function', function: { name: 'read', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{"path":"b"}' } }] }),
      chunk({}, 'tool_calls'),
      { ...chunk({}), choices: [], usage: { prompt_tokens: 50, completion_tokens: 7, total_tokens: 57 } },
    ];
    assert.equal(sink.text, [...expected.map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n'].join(''));
  });

  it('leaves usage out entirely without include_usage', async () => {
    const sink = await render([{ type: 'text', text: 'hi' }, { type: 'end', stopReason: 'end_turn', usage }], false);
    const chunks = sink.events().map(([, data]) => data);
    assert.equal(chunks.length, 4);
    assert.ok(chunks.slice(0, 3).every((c) => !('usage' in (c as object))));
    assert.equal((chunks[2] as { choices: Array<{ finish_reason: string }> }).choices[0].finish_reason, 'stop');
    assert.equal(chunks[3], '[DONE]');
  });

  it('reports truncation and context overflow as length', async () => {
    for (const end of [
      { type: 'end', stopReason: 'tool_use', usage, truncated: true },
      { type: 'end', stopReason: 'context_window_exceeded', usage },
      { type: 'end', stopReason: 'max_tokens', usage },
    ] as ReplyEvent[]) {
      const sink = await render([end], false);
      assert.equal((sink.events()[1][1] as { choices: Array<{ finish_reason: string }> }).choices[0].finish_reason, 'length');
    }
  });

  it('ends a failed stream with an error chunk and no [DONE]', async () => {
    const sink = await render([{ type: 'text', text: 'par' }], false, new ProxyError('overloaded', 'Kiro is busy'));
    assert.ok(sink.text.endsWith('data: {"error":{"message":"Kiro is busy","type":"server_error","code":"server_overloaded","param":null}}\n\n'));
    assert.doesNotMatch(sink.text, /\[DONE\]/);
  });
});

describe('OpenAI SDK against the adapter', () => {
  it('create({stream}) yields chunks the SDK parses, with usage', async () => {
    const seen: ScriptedExchange = {};
    const stream = await client({ events: THINK_TEXT_TOOLS }, seen).chat.completions.create({
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let reasoning = '';
    const args: string[] = ['', ''];
    const ids: string[] = [];
    let finish: string | null = null;
    let total = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (chunk.usage) total = chunk.usage.total_tokens;
      if (!choice) continue;
      text += choice.delta.content ?? '';
      reasoning += (choice.delta as { reasoning_content?: string }).reasoning_content ?? '';
      for (const call of choice.delta.tool_calls ?? []) {
        if (call.id) ids.push(call.id);
        args[call.index] += call.function?.arguments ?? '';
      }
      finish = choice.finish_reason ?? finish;
    }
    assert.equal(text, 'Reading.');
    assert.equal(reasoning, 'Two reads.');
    assert.deepEqual(ids, ['tooluse_A', 'tooluse_B']);
    assert.deepEqual(args.map((a) => JSON.parse(a)), [{ path: 'a' }, { path: 'b' }]);
    assert.equal(finish, 'tool_calls');
    assert.equal(total, 57);
    assert.equal(seen.request?.endpoint, '/v1/chat/completions');
    assert.equal(seen.request?.conversation.messages.length, 1);
  });

  it('the ChatCompletionStream helper assembles the final completion', async () => {
    const stream = client({ events: THINK_TEXT_TOOLS }).chat.completions.stream({ ...params, stream_options: { include_usage: true } });
    const completion = await stream.finalChatCompletion();
    const message = completion.choices[0].message;
    assert.equal(message.content, 'Reading.');
    assert.deepEqual(
      message.tool_calls?.map((c) => c.type === 'function' && [c.id, c.function.name, JSON.parse(c.function.arguments)]),
      [
        ['tooluse_A', 'read', { path: 'a' }],
        ['tooluse_B', 'read', { path: 'b' }],
      ],
    );
    assert.equal(completion.choices[0].finish_reason, 'tool_calls');
    assert.deepEqual(completion.usage, { prompt_tokens: 50, completion_tokens: 7, total_tokens: 57 });
  });

  it('non-streaming create returns a chat.completion', async () => {
    const completion = await client({ events: THINK_TEXT_TOOLS }).chat.completions.create(params);
    assert.deepEqual(completion, {
      id: completion.id,
      object: 'chat.completion',
      created: completion.created,
      model: 'gpt-4o',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Reading.',
            refusal: null,
            reasoning_content: 'Two reads.',
            tool_calls: [
              { id: 'tooluse_A', type: 'function', function: { name: 'read', arguments: '{"path":"a"}' } },
              { id: 'tooluse_B', type: 'function', function: { name: 'read', arguments: '{"path":"b"}' } },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 50, completion_tokens: 7, total_tokens: 57 },
    });
    assert.match(completion.id, /^chatcmpl-/);
  });

  it('sends null content when the answer is only tool calls', async () => {
    const completion = await client({
      events: [
        { type: 'tool_start', id: 'tooluse_A', name: 'read' },
        { type: 'tool_end', id: 'tooluse_A', input: {} },
        { type: 'end', stopReason: 'tool_use', usage },
      ],
    }).chat.completions.create(params);
    assert.equal(completion.choices[0].message.content, null);
    assert.equal(completion.choices[0].message.tool_calls?.length, 1);
  });

  it('raises a mid-stream error chunk as an APIError', async () => {
    const stream = await client({ events: [{ type: 'text', text: 'x' }], failWith: new ProxyError('overloaded', 'Kiro is busy') }).chat.completions.create({
      ...params,
      stream: true,
    });
    await assert.rejects(
      async () => {
        for await (const chunk of stream) void chunk;
      },
      (err: unknown) => err instanceof OpenAI.APIError && err.message.includes('Kiro is busy'),
    );
  });

  it('raises errors before the stream as typed HTTP errors', async () => {
    const startError = new ProxyError('rate_limit', 'All accounts are cooling down.', { retryAfterSeconds: 5 });
    await assert.rejects(client({ startError }).chat.completions.create({ ...params, stream: true }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.RateLimitError);
      assert.equal(err.code, 'rate_limit_exceeded');
      return true;
    });
    await assert.rejects(client({}).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'robot' } as never] }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.BadRequestError);
      assert.equal(err.message, '400 messages.0.role: unknown role "robot"');
      return true;
    });
  });
});
