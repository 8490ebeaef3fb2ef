// Anthropic's non-streaming `message` body, and the pieces the stream renderer shares with it.
import { randomUUID } from 'node:crypto';
import type { Reply, StopReason } from '../../model';
import { reportedStopReason } from '../reply';
import { sealThinking } from '../thinking-seal';
import type { MessageHead } from './types';

export const STOP_REASONS: Record<StopReason, string> = {
  end_turn: 'end_turn',
  tool_use: 'tool_use',
  max_tokens: 'max_tokens',
  context_window_exceeded: 'model_context_window_exceeded',
};

export function newMessageId(): string {
  // 24 hex digits from a v4 UUID (92 random bits): randomUUID draws on a cached entropy pool,
  // where randomBytes(12) made a synchronous randomFillSync call on every request.
  const uuid = randomUUID();
  return `msg_${uuid.slice(0, 8)}${uuid.slice(9, 13)}${uuid.slice(14, 18)}${uuid.slice(19, 23)}`;
}

/** The non-streaming response body. */
export function renderMessage(reply: Reply, head: MessageHead, omitThinking = false): unknown {
  return {
    ...messageShell(head),
    content: reply.content.map((block) => {
      switch (block.type) {
        case 'text':
          return { type: 'text', text: block.text };
        case 'thinking':
          return omitThinking
            ? { type: 'thinking', thinking: '', signature: sealThinking(block.text) }
            : { type: 'thinking', thinking: block.text, signature: block.signature ?? '' };
        case 'tool_use':
          return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
      }
    }),
    stop_reason: STOP_REASONS[reportedStopReason(reply)],
    usage: usageOf(reply.usage.inputTokens, reply.usage.outputTokens),
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
    stop_sequence: null,
    usage: usageOf(head.inputTokens, 0),
  };
}

function usageOf(inputTokens: number, outputTokens: number) {
  return { input_tokens: inputTokens, output_tokens: outputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
}
