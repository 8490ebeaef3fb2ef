// The official Anthropic SDK, unchanged, through the real CLI against the simulator.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startProxy, type RunningProxy } from '../helpers/proxy';

describe('Anthropic SDK through the proxy', () => {
  let proxy: RunningProxy;
  let client: Anthropic;
  before(async () => {
    proxy = await startProxy();
    client = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => proxy.stop());

  test('non-streaming text', async () => {
    const message = await client.messages.create({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hello there' }],
    });
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.equal(message.model, 'claude-sonnet-4-5-20250929');
    assert.equal(message.stop_reason, 'end_turn');
    assert.deepEqual(message.content, [{ type: 'text', text: 'Echo: hello there' }]);
    assert.ok(message.usage.input_tokens > 0);
    assert.ok(message.usage.output_tokens > 0);
    const sent = proxy.sim.chatRequests().at(-1)!.body;
    assert.equal(sent.conversationState.currentMessage.userInputMessage.modelId, 'claude-sonnet-4.5');
  });

  test('streaming text arrives whole, in Anthropic event order', async () => {
    const long = 'The quick brown fox jumps over the lazy dog. '.repeat(20).trim();
    proxy.sim.enqueue({ text: long });
    const stream = client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 500, messages: [{ role: 'user', content: 'go' }] });
    const order: string[] = [];
    stream.on('streamEvent', (event) => order.push(event.type));
    const message = await stream.finalMessage();
    assert.deepEqual(message.content, [{ type: 'text', text: long }]);
    assert.equal(order[0], 'message_start');
    assert.equal(order[1], 'content_block_start');
    assert.equal(order.at(-3), 'content_block_stop');
    assert.equal(order.at(-2), 'message_delta');
    assert.equal(order.at(-1), 'message_stop');
    // Deltas that arrive in one network chunk are merged, so only "more than one" is certain.
    assert.ok(order.filter((t) => t === 'content_block_delta').length > 1, 'text is streamed, not sent whole');
  });

  test('streamed tool loop: request → tool call → tool result → answer', async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: 'get_weather',
        description: 'Weather for a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ];
    proxy.sim.enqueue({ text: 'Let me check.', toolCalls: [{ name: 'get_weather', input: { city: 'Paris' } }] });
    const first = await client.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 500,
      tools,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    }).finalMessage();
    assert.equal(first.stop_reason, 'tool_use');
    const toolUse = first.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    assert.equal(toolUse.name, 'get_weather');
    assert.deepEqual(toolUse.input, { city: 'Paris' });
    assert.match(toolUse.id, /^tooluse_/);

    proxy.sim.enqueue({ text: 'It is sunny in Paris.' });
    const second = await client.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 500,
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '22°C, sunny' }] },
      ],
    }).finalMessage();
    assert.equal(second.stop_reason, 'end_turn');
    assert.deepEqual(second.content, [{ type: 'text', text: 'It is sunny in Paris.' }]);
    const sent = proxy.sim.chatRequests().at(-1)!.body.conversationState;
    const results = sent.currentMessage.userInputMessage.userInputMessageContext.toolResults;
    assert.deepEqual(results, [{ toolUseId: toolUse.id, status: 'success', content: [{ text: '22°C, sunny' }] }]);
  });

  test('thinking becomes a thinking block with a signature', async () => {
    proxy.sim.enqueue({ thinking: 'Two plus two is four.', text: 'The answer is 4.' });
    const message = await client.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 2000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'What is 2+2?' }],
    }).finalMessage();
    assert.equal(message.content[0].type, 'thinking');
    const thinking = message.content[0] as Anthropic.ThinkingBlock;
    assert.equal(thinking.thinking, 'Two plus two is four.');
    assert.ok(thinking.signature.length > 0);
    assert.deepEqual(message.content[1], { type: 'text', text: 'The answer is 4.' });
    const sent = proxy.sim.chatRequests().at(-1)!.body.conversationState;
    const firstUser = sent.history[0].userInputMessage.content as string;
    assert.match(firstUser, /^<thinking_mode>enabled<\/thinking_mode><max_thinking_length>1024<\/max_thinking_length>/);
  });

  test('thinking.display "omitted": empty thinking blocks whose reasoning comes back with the history', async () => {
    proxy.sim.enqueue({ thinking: 'Two plus two is four.', text: 'The answer is 4.' });
    proxy.sim.enqueue({ thinking: 'Double it.', text: 'Eight.' });
    const thinking = { type: 'enabled', budget_tokens: 1024, display: 'omitted' } as const;
    const question = { role: 'user', content: 'What is 2+2?' } as const;
    const streamed = await client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 2000, thinking, messages: [question] }).finalMessage();
    const block = streamed.content[0] as Anthropic.ThinkingBlock;
    assert.equal(block.type, 'thinking');
    assert.equal(block.thinking, '', 'no thinking text is shown');
    assert.ok(block.signature.length > 0);
    assert.deepEqual(streamed.content[1], { type: 'text', text: 'The answer is 4.' });

    // The next turn sends the block back as it came; Kiro sees the reasoning in the history.
    const next = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 2000,
      thinking,
      messages: [question, { role: 'assistant', content: streamed.content }, { role: 'user', content: 'And doubled?' }],
    });
    assert.deepEqual(next.content.map((b) => b.type === 'thinking' ? b.thinking : b.type), ['', 'text'], 'not shown without streaming either');
    const history = proxy.sim.chatRequests().at(-1)!.body.conversationState.history;
    assert.match(history.at(-1).assistantResponseMessage.content, /^<thinking>Two plus two is four\.<\/thinking>\s+The answer is 4\.$/);
  });

  test('images are sent to Kiro as bytes with a format', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }, { type: 'text', text: 'what is this' }] }],
    });
    const sent = proxy.sim.chatRequests().at(-1)!.body.conversationState.currentMessage.userInputMessage;
    assert.deepEqual(sent.images, [{ format: 'png', source: { bytes: png } }]);
  });

  test('count_tokens and models', async () => {
    const params = { model: 'claude-sonnet-4-5', messages: [{ role: 'user' as const, content: 'hello world, this is a token counting test' }] };
    const count = await client.messages.countTokens(params);
    // The count is what Kiro will bill for this request (its request JSON), not the message text alone.
    const billed = (await client.messages.create({ ...params, max_tokens: 50 })).usage.input_tokens;
    assert.ok(count.input_tokens >= 5 && Math.abs(count.input_tokens - billed) <= 0.1 * billed, `got ${count.input_tokens}, billed ${billed}`);
    const models = await client.models.list();
    const ids = models.data.map((m) => m.id);
    assert.ok(ids.includes('claude-sonnet-4-5') && ids.includes('gpt-4o'), ids.join(','));
  });

  test('errors come back in Anthropic shape', async () => {
    await assert.rejects(
      client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'robot' as 'user', content: 'x' }] }),
      (err: InstanceType<typeof Anthropic.APIError>) => {
        assert.equal(err.status, 400);
        assert.equal((err.error as any).type, 'error');
        assert.equal((err.error as any).error.type, 'invalid_request_error');
        assert.match((err.error as any).error.message, /role/);
        return true;
      },
    );
    proxy.sim.enqueue({ error: 'inputTooLong' });
    await assert.rejects(
      client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (err: InstanceType<typeof Anthropic.APIError>) => {
        assert.equal(err.status, 400);
        assert.match((err.error as any).error.message, /too long/i);
        assert.match((err.error as any).error.message, /\/clear/);
        return true;
      },
    );
  });
});
