// Kiro's usage, cache reads and writes included (§11.5), in each protocol's own usage fields.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Reply } from '../../src/proxy/model';
import { renderMessage } from '../../src/proxy/protocols/anthropic';
import { newCompletionHead, renderCompletion } from '../../src/proxy/protocols/openai-chat';
import { newResponseId, renderResponse } from '../../src/proxy/protocols/openai-responses';
import { newGeminiHead, renderGenerateContent } from '../../src/proxy/protocols/gemini';

const reply = (usage: Reply['usage'], extra: Partial<Reply> = {}): Reply => ({ content: [{ type: 'text', text: 'hi' }], stopReason: 'end_turn', usage, truncated: false, ...extra });
const CACHED = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 900, cacheWriteTokens: 90 };

describe('usage in every protocol', () => {
  test('Anthropic: input_tokens excludes the cache; reads and writes have their own fields; stop_sequence names the sequence', () => {
    const body = renderMessage(reply(CACHED, { stopReason: 'stop_sequence', stopSequence: 'END' }), { id: 'msg_1', model: 'm', inputTokens: 1 }) as any;
    assert.deepEqual(body.usage, { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 90, cache_read_input_tokens: 900 });
    assert.equal(body.stop_reason, 'stop_sequence');
    assert.equal(body.stop_sequence, 'END');
  });

  test('Chat: prompt_tokens includes the cache, prompt_tokens_details.cached_tokens is the read; no details without cache counts', () => {
    const head = newCompletionHead('m');
    assert.deepEqual((renderCompletion(reply(CACHED), head) as any).usage, { prompt_tokens: 1000, completion_tokens: 5, total_tokens: 1005, prompt_tokens_details: { cached_tokens: 900 } });
    assert.deepEqual((renderCompletion(reply({ inputTokens: 10, outputTokens: 5 }), head) as any).usage, { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
  });

  test('Responses: input_tokens includes the cache, input_tokens_details.cached_tokens is the read', () => {
    const head = { id: newResponseId(), model: 'm', createdAt: 1, store: false, echo: {}, clientTools: new Map() };
    const usage = renderResponse(reply(CACHED), head).usage as any;
    assert.equal(usage.input_tokens, 1000);
    assert.deepEqual(usage.input_tokens_details, { cached_tokens: 900 });
    assert.equal(usage.total_tokens, 1005);
  });

  test('Gemini: promptTokenCount includes the cache, cachedContentTokenCount is the read', () => {
    const body = renderGenerateContent(reply(CACHED), newGeminiHead('m', 1)) as any;
    assert.deepEqual(body.usageMetadata, { promptTokenCount: 1000, candidatesTokenCount: 5, totalTokenCount: 1005, cachedContentTokenCount: 900 });
  });
});
