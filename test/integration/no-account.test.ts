// With no Kiro account at all, every protocol answers at once with a status its clients do not
// retry (403), in its own shape, saying how to add one. The official SDKs' own retry logic decides:
// they retry 408, 409, 429 and 5xx, which is how Claude Code kept a 503 spinning for minutes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { postJson } from '../helpers/http';
import { startProxy, type RunningProxy } from '../helpers/proxy';

/** A fetch that counts the SDK's attempts. */
function countingFetch(): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  return { fetch: (input, init) => (calls++, fetch(input, init)), calls: () => calls };
}

describe('no Kiro account at all', () => {
  let proxy: RunningProxy;
  before(async () => {
    proxy = await startProxy({ accounts: 0 });
  });
  after(() => proxy.stop());

  test('the Anthropic SDK gets a permission_error once, not retried, saying how to add an account', async () => {
    const counter = countingFetch();
    const client = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 2, fetch: counter.fetch });
    await assert.rejects(
      client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      (err: unknown) => err instanceof Anthropic.PermissionDeniedError && (err.error as { error: { type: string } }).error.type === 'permission_error' && /kiro-proxy login --google/.test(err.message),
    );
    assert.equal(counter.calls(), 1);
  });

  test('the OpenAI SDK (Chat and Responses) gets a 403 once, not retried', async () => {
    const counter = countingFetch();
    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 2, fetch: counter.fetch });
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }), (err: unknown) =>
      err instanceof OpenAI.PermissionDeniedError && err.code === 'no_kiro_account' && /Kiro: Add Account/.test(err.message));
    await assert.rejects(client.responses.create({ model: 'gpt-4o', input: 'hi' }), OpenAI.PermissionDeniedError);
    assert.equal(counter.calls(), 2);
  });

  test('Gemini clients get PERMISSION_DENIED; no Retry-After anywhere', async () => {
    const res = await postJson(proxy.url, '/v1beta/models/gemini-2.5-pro:generateContent', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    assert.equal(res.status, 403);
    assert.equal(res.json().error.status, 'PERMISSION_DENIED');
    assert.equal(res.headers['retry-after'], undefined);
  });
});
