// The official OpenAI SDK, unchanged, through the real CLI against the simulator.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startProxy, type RunningProxy } from '../helpers/proxy';

describe('OpenAI SDK (Chat Completions) through the proxy', () => {
  let proxy: RunningProxy;
  let client: OpenAI;
  before(async () => {
    proxy = await startProxy();
    client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => proxy.stop());

  test('non-streaming chat maps gpt-4o to claude-sonnet-4', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, 'gpt-4o');
    assert.equal(completion.choices[0].message.content, 'Echo: hi');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.ok(completion.usage!.prompt_tokens > 0);
    const sent = proxy.sim.chatRequests().at(-1)!.body.conversationState;
    assert.equal(sent.currentMessage.userInputMessage.modelId, 'claude-sonnet-4');
  });

  test('streaming chat with include_usage', async () => {
    const text = 'Streaming works across many small deltas, 你好世界, and ends cleanly.';
    proxy.sim.enqueue({ text });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'stream please' }],
    });
    let received = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      received += choice.delta.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
    assert.equal(received, text);
    assert.equal(finish, 'stop');
    assert.ok(usage && usage.completion_tokens > 0 && usage.total_tokens === usage.prompt_tokens + usage.completion_tokens);
  });

  test('streamed tool loop with tool_calls and a tool message', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } },
    ];
    proxy.sim.enqueue({ toolCalls: [{ name: 'read_file', input: { path: 'a.txt' } }] });
    const stream = client.chat.completions.stream({ model: 'gpt-4o', tools, messages: [{ role: 'user', content: 'read a.txt' }] });
    const first = await stream.finalChatCompletion();
    const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.equal(call.function.name, 'read_file');
    assert.deepEqual(JSON.parse(call.function.arguments), { path: 'a.txt' });

    proxy.sim.enqueue({ text: 'The file says hello.' });
    const second = await client.chat.completions.create({
      model: 'gpt-4o',
      tools,
      messages: [
        { role: 'user', content: 'read a.txt' },
        first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: 'hello' },
      ],
    });
    assert.equal(second.choices[0].message.content, 'The file says hello.');
    const sent = proxy.sim.chatRequests().at(-1)!.body.conversationState;
    assert.equal(sent.currentMessage.userInputMessage.userInputMessageContext.toolResults[0].toolUseId, call.id);
  });

  test('thinking becomes reasoning_content', async () => {
    proxy.sim.enqueue({ thinking: 'Let me think.', text: 'Done.' });
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'think' }] });
    const message = completion.choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    assert.equal(message.reasoning_content, 'Let me think.');
    assert.equal(message.content, 'Done.');
  });

  test('a truncated tool call finishes with length, not a clean stop', async () => {
    proxy.sim.enqueue({ toolCalls: [{ name: 'read_file', input: { path: 'x'.repeat(200) } }], truncateToolInput: true });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      tools: [{ type: 'function', function: { name: 'read_file', parameters: { type: 'object' } } }],
      messages: [{ role: 'user', content: 'go' }],
    });
    assert.equal(completion.choices[0].finish_reason, 'length');
  });

  test('errors come back in OpenAI shape', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages: 'nope' as any }),
      (err: InstanceType<typeof OpenAI.APIError>) => {
        assert.equal(err.status, 400);
        assert.equal(err.type, 'invalid_request_error');
        assert.match(err.message, /messages/);
        return true;
      },
    );
    const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { message: string; type: string } };
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /not valid JSON/);
    // Kiro's "Input is too long": the code OpenAI clients compact the conversation on.
    proxy.sim.enqueue({ error: 'inputTooLong' });
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'long' }] }), (err: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(err.status, 400);
      assert.equal(err.code, 'context_length_exceeded');
      return true;
    });
  });
});

describe('model mapping from the command line', () => {
  test('--model-mapping and --default-model decide the Kiro model', async () => {
    const proxy = await startProxy({ args: ['--model-mapping', '{"my-model":"claude-opus-4.5"}', '--default-model', 'claude-haiku-4.5'] });
    try {
      const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      await client.chat.completions.create({ model: 'my-model', messages: [{ role: 'user', content: 'a' }] });
      assert.equal(proxy.sim.chatRequests().at(-1)!.body.conversationState.currentMessage.userInputMessage.modelId, 'claude-opus-4.5');
      await client.chat.completions.create({ model: 'gpt-5.1-codex', messages: [{ role: 'user', content: 'b' }] });
      assert.equal(proxy.sim.chatRequests().at(-1)!.body.conversationState.currentMessage.userInputMessage.modelId, 'claude-haiku-4.5');
      const models = (await client.models.list()).data.map((m) => m.id);
      assert.ok(models.includes('my-model'), models.join(','));
    } finally {
      await proxy.stop();
    }
  });
});
