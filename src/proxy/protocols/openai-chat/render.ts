// The non-streaming `chat.completion` body, and the pieces the chunk renderer shares with it.
import type { Reply, StopReason, Usage } from '../../model';
import { randomHex } from '../../random-id';
import { searchSourcesText } from '../../web-search';
import { promptTokens, reportedStopReason } from '../reply';
import type { CompletionHead } from './types';

export const FINISH_REASONS: Record<StopReason, string> = {
  end_turn: 'stop',
  tool_use: 'tool_calls',
  max_tokens: 'length',
  stop_sequence: 'stop',
  context_window_exceeded: 'length',
};

export function newCompletionHead(model: string): CompletionHead {
  return { id: `chatcmpl-${randomHex(24)}`, model, created: Math.floor(Date.now() / 1000) };
}

/** OpenAI's usage: `prompt_tokens` includes cached tokens, `prompt_tokens_details.cached_tokens` says how many (§11.5). */
export function usageOf(usage: Usage) {
  const prompt = promptTokens(usage);
  const cached = usage.cacheReadTokens !== undefined || usage.cacheWriteTokens !== undefined;
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.outputTokens,
    total_tokens: prompt + usage.outputTokens,
    ...(cached && { prompt_tokens_details: { cached_tokens: usage.cacheReadTokens ?? 0 } }),
  };
}

/** The non-streaming `chat.completion` body. */
export function renderCompletion(reply: Reply, head: CompletionHead): unknown {
  const text = reply.content.flatMap((b) => (b.type === 'text' ? [b.text] : b.type === 'web_search' ? [searchSourcesText(b)] : [])).join('');
  const reasoning = reply.content.flatMap((b) => (b.type === 'thinking' ? [b.text] : [])).join('');
  const toolCalls = reply.content.flatMap((b) =>
    b.type === 'tool_use' ? [{ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } }] : [],
  );
  return {
    id: head.id,
    object: 'chat.completion',
    created: head.created,
    model: head.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // OpenAI sends null, not '', when the answer is only tool calls.
          content: text || toolCalls.length === 0 ? text : null,
          refusal: null,
          ...(reasoning && { reasoning_content: reasoning }),
          ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
        },
        logprobs: null,
        finish_reason: FINISH_REASONS[reportedStopReason(reply)],
      },
    ],
    usage: usageOf(reply.usage),
  };
}
