// Every model the accounts have (issue 13 §4), through the real CLI and the official SDKs against
// the simulator's 2026 catalog (docs/kiro-protocol.md §11.6): the listings, name resolution
// against the live lists, a 404 for a model no account has, routing to the accounts that list a
// model, and images left out for a text-only one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startProxy, type RunningProxy } from '../helpers/proxy';

const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
// Account A has most of the 2026 catalog but not deepseek-3.2; account B also has gpt-5.6.
const A_MODELS = ['auto', 'claude-haiku-4.5', 'claude-sonnet-4.5', 'claude-opus-4.6', 'claude-opus-5', 'claude-sonnet-5', 'glm-5', 'MiniMax-M2.5'];
const B_MODELS = ['claude-haiku-4.5', 'gpt-5.6'];

interface ListedModel {
  id: string;
  display_name: string;
  kiro?: { context_window?: number; input_types: string[]; credit_multiplier?: number; credit_unit?: string; prompt_caching?: { supported: boolean } };
}

describe('every model the accounts have', () => {
  let proxy: RunningProxy;
  let anthropic: Anthropic;
  let openai: OpenAI;
  let list: { data: ListedModel[]; models: Array<{ name: string; inputTokenLimit: number; outputTokenLimit: number; description: string }> };

  before(async () => {
    proxy = await startProxy({ accountSpecs: [{ models: A_MODELS }, { models: B_MODELS }] });
    anthropic = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
    openai = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    // The pool asks each account for its models shortly after start.
    const deadline = Date.now() + 15_000;
    do {
      list = (await (await fetch(`${proxy.url}/v1/models`)).json()) as typeof list;
      if (list.data.some((m) => m.id === 'gpt-5.6') && list.data.some((m) => m.id === 'glm-5')) break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < deadline);
  });
  after(() => proxy.stop());

  test('/v1/models and the Gemini list show every listed model with what Kiro says of it', async () => {
    const ids = list.data.map((m) => m.id);
    for (const id of [...A_MODELS, ...B_MODELS]) assert.ok(ids.includes(id), `${id} missing from ${ids.join()}`);
    assert.ok(!ids.includes('deepseek-3.2'), 'no account lists it');
    const glm = list.data.find((m) => m.id === 'glm-5')!;
    assert.equal(glm.display_name, 'GLM-5');
    assert.deepEqual(glm.kiro?.input_types, ['text']);
    assert.equal(glm.kiro?.context_window, 200_000);
    assert.equal(glm.kiro?.credit_multiplier, 0.5);
    assert.equal(glm.kiro?.credit_unit, 'Credit');
    assert.equal(glm.kiro?.prompt_caching?.supported, false);
    assert.deepEqual(list.data.find((m) => m.id === 'claude-opus-5')?.kiro?.input_types, ['text', 'image']);
    // The SDKs read it: OpenAI's list and Gemini's own fields.
    const viaSdk = [];
    for await (const model of openai.models.list()) viaSdk.push(model.id);
    assert.ok(viaSdk.includes('MiniMax-M2.5'));
    const gemini = (await (await fetch(`${proxy.url}/v1beta/models`)).json()) as typeof list;
    const opus = gemini.models.find((m) => m.name === 'models/claude-opus-5')!;
    assert.equal(opus.inputTokenLimit, 1_000_000);
    assert.equal(opus.outputTokenLimit, 128_000);
    assert.equal(opus.description, 'The latest Claude Opus model');
  });

  test('client names resolve against the live lists: claude-opus-5-5 is the newest listed Opus', async () => {
    for (const [asked, sent] of [
      ['claude-opus-5-5', 'claude-opus-5'],
      ['claude-opus-5-20260701', 'claude-opus-5'],
      ['minimax-m2.5', 'MiniMax-M2.5'],
    ]) {
      await anthropic.messages.create({ model: asked, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(proxy.sim.chatRequests().at(-1)!.body.conversationState.currentMessage.userInputMessage.modelId, sent, asked);
    }
  });

  test('a model no account lists is a 404 in the client\'s shape, and Kiro is not asked', async () => {
    const before = proxy.sim.chatRequests().length;
    await assert.rejects(
      openai.chat.completions.create({ model: 'deepseek-3.2', messages: [{ role: 'user', content: 'hi' }] }),
      (err: unknown) => err instanceof OpenAI.NotFoundError && /deepseek-3\.2/.test(err.message),
    );
    await assert.rejects(
      anthropic.messages.create({ model: 'deepseek-3.2', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }),
      (err: unknown) => err instanceof Anthropic.NotFoundError && (err.error as any)?.error?.type === 'not_found_error',
    );
    assert.equal(proxy.sim.chatRequests().length, before);
  });

  test('a request goes only to the accounts that list its model', async () => {
    const b = proxy.sim.accounts.list()[1].id;
    for (let i = 0; i < 3; i++) {
      const reply = await openai.chat.completions.create({ model: 'gpt-5.6', messages: [{ role: 'user', content: `q${i}` }] });
      assert.equal(reply.choices[0].message.content, `Echo: q${i}`);
      const call = proxy.sim.chatRequests().at(-1)!;
      assert.equal(call.account, b);
      assert.equal(call.body.conversationState.currentMessage.userInputMessage.modelId, 'gpt-5.6');
    }
  });

  test('a text-only model gets a note for each image, and the client is told in a header', async () => {
    const { data, response } = await anthropic.messages
      .create({
        model: 'glm-5',
        max_tokens: 50,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1PX } }, { type: 'text', text: 'what is this?' }] }],
      })
      .withResponse();
    assert.equal(data.type, 'message');
    assert.match(response.headers.get('x-kiro-proxy-warning') ?? '', /glm-5 does not accept images: 1 image\(s\) were replaced by a note/);
    const sent = proxy.sim.chatRequests().at(-1)!.body.conversationState.currentMessage.userInputMessage;
    assert.equal(sent.images, undefined);
    assert.match(sent.content, /An image was left out here: glm-5 does not accept images/);
    // A model that takes images still gets them, and no warning.
    const { response: plain } = await anthropic.messages
      .create({
        model: 'claude-opus-5',
        max_tokens: 50,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1PX } }, { type: 'text', text: 'and this?' }] }],
      })
      .withResponse();
    assert.equal(plain.headers.get('x-kiro-proxy-warning'), null);
    assert.equal(proxy.sim.chatRequests().at(-1)!.body.conversationState.currentMessage.userInputMessage.images.length, 1);
  });
});
