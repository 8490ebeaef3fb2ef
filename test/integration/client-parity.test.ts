// What the real APIs do and Kiro does not, emulated by the proxy and checked through the official
// SDKs against the simulator: stop sequences and output limits, `n`, prompt-cache usage, token
// counts that agree with each other, empty replies, cancelled requests and unknown paths.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { startProxy, type RunningProxy } from '../helpers/proxy';
import { tokenWeight } from '../../src/proxy/tokens';

const TEXT = 'Hello from the simulator, which keeps on talking long after the stop sequence. '.repeat(30);
/** One or two characters per delta, so every stop sequence is split across deltas (and frames). */
const SPLIT = { deltaSize: [1, 2], chunking: 'frame', frameDelayMs: 2 };

async function waitFor(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const within = (a: number, b: number, share: number) => Math.abs(a - b) <= share * Math.max(a, b);

describe('client parity through the official SDKs', () => {
  let proxy: RunningProxy;
  let anthropic: Anthropic;
  let openai: OpenAI;
  let gemini: GoogleGenAI;
  before(async () => {
    proxy = await startProxy();
    anthropic = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
    openai = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    gemini = new GoogleGenAI({ apiKey: 'unused', httpOptions: { baseUrl: proxy.url, apiVersion: 'v1beta' } });
  });
  after(() => proxy.stop());

  const lastReply = () => proxy.sim.replies.at(-1);
  const logs = async () => ((await (await fetch(`${proxy.url}/admin/logs?limit=5`)).json()) as { entries: any[] }).entries;

  test('Anthropic stop_sequences split across deltas: text stops before it, stop_sequence says which, Kiro is let go', async () => {
    proxy.sim.enqueue({ text: TEXT, ...SPLIT });
    const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1000, stop_sequences: ['never', 'simulator'], messages: [{ role: 'user', content: 'talk' }] });
    const message = await stream.finalMessage();
    assert.deepEqual(message.content, [{ type: 'text', text: 'Hello from the ' }]);
    assert.equal(message.stop_reason, 'stop_sequence');
    assert.equal(message.stop_sequence, 'simulator');
    await waitFor(() => lastReply()?.outcome === 'aborted', 'the Kiro stream to be closed early');

    proxy.sim.enqueue({ text: TEXT, ...SPLIT });
    const whole = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1000, stop_sequences: ['keeps on'], messages: [{ role: 'user', content: 'talk' }] });
    assert.deepEqual(whole.content, [{ type: 'text', text: 'Hello from the simulator, which ' }]);
    assert.equal(whole.stop_reason, 'stop_sequence');
    assert.equal(whole.stop_sequence, 'keeps on');
  });

  test('Anthropic small max_tokens: the text holds that many tokens as usage counts them, stop_reason max_tokens', async () => {
    proxy.sim.enqueue({ text: TEXT, ...SPLIT });
    const message = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 3, messages: [{ role: 'user', content: 'talk' }] });
    assert.equal(message.stop_reason, 'max_tokens');
    const text = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    assert.equal(text, TEXT.slice(0, 12));
    assert.equal(Math.ceil(tokenWeight(text)), 3);
    assert.equal(message.usage.output_tokens, 3);
    await waitFor(() => lastReply()?.outcome === 'aborted', 'the Kiro stream to be closed early');
  });

  test('Chat stop (streamed, split) and max_tokens: finish_reason stop / length', async () => {
    proxy.sim.enqueue({ text: TEXT, ...SPLIT });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', stream: true, stop: ['simulator'], messages: [{ role: 'user', content: 'talk' }] });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, 'Hello from the ');
    assert.equal(finish, 'stop');

    proxy.sim.enqueue({ text: TEXT, ...SPLIT });
    const limited = await openai.chat.completions.create({ model: 'gpt-4o', max_completion_tokens: 2, messages: [{ role: 'user', content: 'talk' }] });
    assert.equal(limited.choices[0].finish_reason, 'length');
    assert.equal(limited.choices[0].message.content, TEXT.slice(0, 8));
    assert.equal(limited.usage!.completion_tokens, 2);
  });

  test('Chat n: 2 is a 400 in OpenAI\'s shape, naming the parameter; nothing reaches Kiro', async () => {
    const before = proxy.sim.chatRequests().length;
    await assert.rejects(
      openai.chat.completions.create({ model: 'gpt-4o', n: 2, messages: [{ role: 'user', content: 'twice' }] }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 400 && (err as { param?: string }).param === 'n' && /only 1 choice/.test(err.message),
    );
    assert.equal(proxy.sim.chatRequests().length, before);
  });

  test('Responses max_output_tokens: status incomplete, reason max_output_tokens', async () => {
    proxy.sim.enqueue({ text: TEXT, ...SPLIT });
    const response = await openai.responses.create({ model: 'gpt-4o', max_output_tokens: 4, input: 'talk' });
    assert.equal(response.status, 'incomplete');
    assert.equal(response.incomplete_details?.reason, 'max_output_tokens');
    assert.equal(response.output_text, TEXT.slice(0, 16));
  });

  test('Gemini stopSequences (streamed) and maxOutputTokens: finishReason STOP / MAX_TOKENS', async () => {
    proxy.sim.enqueue({ text: TEXT, ...SPLIT });
    let text = '';
    let finish: string | undefined;
    for await (const chunk of await gemini.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'talk', config: { stopSequences: ['simulator'] } })) {
      text += chunk.text ?? '';
      finish = chunk.candidates?.[0]?.finishReason ?? finish;
    }
    assert.equal(text, 'Hello from the ');
    assert.equal(finish, 'STOP');

    proxy.sim.enqueue({ text: TEXT, ...SPLIT });
    const limited = await gemini.models.generateContent({ model: 'gemini-2.5-pro', contents: 'talk', config: { maxOutputTokens: 5 } });
    assert.equal(limited.candidates?.[0]?.finishReason, 'MAX_TOKENS');
    assert.equal(limited.text, TEXT.slice(0, 20));
  });

  test('cache_control becomes Kiro cache points; the second request reads what the first wrote', async () => {
    const system = 'You are a careful assistant. '.repeat(200);
    const tools: Anthropic.Tool[] = [{ name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } } }, cache_control: { type: 'ephemeral' } }];
    const ask = (question: string) =>
      anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }],
        tools,
        messages: [{ role: 'user', content: question }],
      });
    const first = await ask('first question');
    const sent = proxy.sim.chatRequests().at(-1)!.body.conversationState;
    assert.deepEqual(sent.history[0].userInputMessage.cachePoint, { type: 'default' });
    assert.deepEqual(sent.currentMessage.userInputMessage.userInputMessageContext.tools[1], { cachePoint: { type: 'default' } });
    assert.ok(first.usage.cache_creation_input_tokens! > 1000, `written: ${JSON.stringify(first.usage)}`);
    assert.equal(first.usage.cache_read_input_tokens, 0);

    const second = await ask('second question');
    assert.ok(second.usage.cache_read_input_tokens! > 1000, `read: ${JSON.stringify(second.usage)}`);
    assert.ok(second.usage.input_tokens < second.usage.cache_read_input_tokens!, 'input_tokens excludes the cache read');
    const entry = (await logs())[0];
    assert.equal(entry.cacheReadTokens, second.usage.cache_read_input_tokens);
    const stats = (await (await fetch(`${proxy.url}/admin/stats`)).json()) as { cacheHits: number };
    assert.ok(stats.cacheHits >= 1);

    // Chat: cache_control on a content part (as OpenRouter passes it); cached tokens are inside prompt_tokens.
    const chat = () =>
      openai.chat.completions.create({
        model: 'claude-sonnet-4.5',
        messages: [{ role: 'system', content: [{ type: 'text', text: system + ' (chat)', cache_control: { type: 'ephemeral' } } as OpenAI.ChatCompletionContentPartText] }, { role: 'user', content: 'hi' }],
      });
    await chat();
    const cached = await chat();
    assert.ok(cached.usage!.prompt_tokens_details!.cached_tokens! > 1000);
    assert.ok(cached.usage!.prompt_tokens > cached.usage!.prompt_tokens_details!.cached_tokens!);
  });

  test('count_tokens, message_start, the final usage and the log agree within 10 %', async (t) => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Please summarise this. ' + 'The proxy translates every request. '.repeat(120) }];
    const params = { model: 'claude-opus-4-5', system: 'Be brief.', messages };
    const counted = (await anthropic.messages.countTokens(params)).input_tokens;
    const stream = anthropic.messages.stream({ ...params, max_tokens: 200 });
    let startTokens = 0;
    stream.on('streamEvent', (event) => {
      if (event.type === 'message_start') startTokens = event.message.usage.input_tokens;
    });
    const final = (await stream.finalMessage()).usage.input_tokens;
    const logged = (await logs())[0].inputTokens as number;
    t.diagnostic(`count_tokens ${counted}, message_start ${startTokens}, final ${final}, log ${logged}`);
    assert.ok(within(counted, final, 0.1), `count_tokens ${counted} vs final ${final}`);
    assert.ok(within(startTokens, final, 0.1), `message_start ${startTokens} vs final ${final}`);
    assert.equal(logged, final);

    // A short prompt is mostly what Kiro's request adds around it: the count says so too.
    const hello = { model: 'claude-opus-4-5', messages: [{ role: 'user' as const, content: 'hello' }] };
    const helloCount = (await anthropic.messages.countTokens(hello)).input_tokens;
    const helloBilled = (await anthropic.messages.create({ ...hello, max_tokens: 50 })).usage.input_tokens;
    t.diagnostic(`"hello": count_tokens ${helloCount}, billed ${helloBilled}`);
    assert.ok(within(helloCount, helloBilled, 0.1), `count_tokens ${helloCount} vs billed ${helloBilled}`);
  });

  test('empty reply then a good one: the client sees the good one, both asked of the same account', async () => {
    proxy.sim.enqueue({ text: '' });
    proxy.sim.enqueue({ text: 'Here it is.' });
    const before = proxy.sim.chatRequests().length;
    const message = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'go' }] });
    assert.deepEqual(message.content, [{ type: 'text', text: 'Here it is.' }]);
    const calls = proxy.sim.chatRequests().slice(before);
    assert.equal(calls.length, 2);
    assert.equal(calls[0].account?.id ?? calls[0].account, calls[1].account?.id ?? calls[1].account);
  });

  test('two empty replies: the client gets an error in its protocol, not a silent end_turn', async () => {
    proxy.sim.enqueue({ text: '' });
    proxy.sim.enqueue({ text: '' });
    await assert.rejects(
      anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'go' }] }),
      (err: unknown) => err instanceof Anthropic.APIError && err.status === 502 && /empty reply/.test(err.message),
    );
    proxy.sim.enqueue({ text: '' });
    proxy.sim.enqueue({ text: '' });
    await assert.rejects(
      openai.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'go' }] }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 502,
    );
  });

  test('a cancelled stream is logged as 499, not as a finished 200', async () => {
    proxy.sim.enqueue({ text: TEXT, deltaSize: [1, 2], chunking: 'frame', frameDelayMs: 5 });
    const controller = new AbortController();
    const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: 'talk' }] }, { signal: controller.signal });
    await new Promise<void>((resolve) => stream.on('text', () => resolve()));
    controller.abort();
    await stream.done().catch(() => undefined);
    let entry: any;
    const end = Date.now() + 3000;
    while (Date.now() < end) {
      entry = (await logs())[0];
      if (entry?.status === 499) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(entry.status, 499);
    assert.equal(entry.endpoint, '/v1/messages');
  });

  test('unknown paths answer in the shape of the protocol they look like', async () => {
    const post = (path: string) => fetch(`${proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const messages = await post('/messages');
    assert.equal(messages.status, 404);
    assert.equal(((await messages.json()) as any).type, 'error');
    const chat = await post('/chat/completions');
    assert.equal(chat.status, 404);
    assert.equal(typeof ((await chat.json()) as any).error.message, 'string');
    const generate = await post('/v1/models/x:generateText');
    assert.equal(((await generate.json()) as any).error.status, 'NOT_FOUND');
  });
});
