// Anthropic's non-streaming `message` body, and the pieces the stream renderer shares with it.
import type { Reply, StopReason, Usage } from '../../model';
import { randomHex } from '../../random-id';
import { reportedStopReason } from '../reply';
import { sealThinking } from '../thinking-seal';
import type { MessageHead } from './types';
import { serverToolUsage, serverToolUseBlock, webSearchResultBlock } from './web-search';

export const STOP_REASONS: Record<StopReason, string> = {
  end_turn: 'end_turn',
  tool_use: 'tool_use',
  max_tokens: 'max_tokens',
  stop_sequence: 'stop_sequence',
  context_window_exceeded: 'model_context_window_exceeded',
};

export function newMessageId(): string {
  return `msg_${randomHex(24)}`;
}

/** The non-streaming response body. */
export function renderMessage(reply: Reply, head: MessageHead, omitThinking = false): unknown {
  return {
    ...messageShell(head),
    content: reply.content.flatMap((block): object[] => {
      switch (block.type) {
        case 'text':
          return [{ type: 'text', text: block.text }];
        case 'thinking':
          return [
            omitThinking
              ? { type: 'thinking', thinking: '', signature: sealThinking(block.text) }
              : { type: 'thinking', thinking: block.text, signature: block.signature ?? '' },
          ];
        case 'tool_use':
          return [{ type: 'tool_use', id: block.id, name: block.name, input: block.input }];
        case 'web_search':
          return [serverToolUseBlock(block), webSearchResultBlock(block)];
      }
    }),
    stop_reason: STOP_REASONS[reportedStopReason(reply)],
    stop_sequence: reply.stopSequence ?? null,
    usage: { ...usageOf(reply.usage), ...serverToolUsage(reply.usage.webSearchRequests) },
  };
}

export function messageShell(head: MessageHead) {
  return {
    id: head.id,
    type: 'message',
    role: 'assistant',
    model: head.model,
    content: [] as unknown[],
    stop_reason: null as string | null,
    stop_sequence: null as string | null,
    usage: usageOf({ inputTokens: head.inputTokens, outputTokens: 0 }),
  };
}

/** Anthropic's usage: `input_tokens` excludes what the prompt cache served or stored (§11.5). */
function usageOf(usage: Usage) {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens ?? 0,
    cache_read_input_tokens: usage.cacheReadTokens ?? 0,
  };
}

/** The final usage of a stream (`message_delta`); cache counts only when Kiro reported some. */
export function deltaUsage(usage: Usage) {
  const cached = usage.cacheReadTokens !== undefined || usage.cacheWriteTokens !== undefined;
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    ...(cached && { cache_creation_input_tokens: usage.cacheWriteTokens ?? 0, cache_read_input_tokens: usage.cacheReadTokens ?? 0 }),
  };
}
