// The non-streaming GenerateContentResponse, and the chunk shape the stream renderer shares with it.
import { randomBytes } from 'node:crypto';
import type { Reply, StopReason, Usage } from '../../model';
import { promptTokens, reportedStopReason } from '../reply';
import type { GeminiHead } from './types';

export const FINISH_REASONS: Record<StopReason, string> = {
  end_turn: 'STOP',
  tool_use: 'STOP',
  max_tokens: 'MAX_TOKENS',
  stop_sequence: 'STOP',
  context_window_exceeded: 'MAX_TOKENS',
};

export function newGeminiHead(model: string, inputTokens: number): GeminiHead {
  return { model, responseId: randomBytes(12).toString('base64url'), inputTokens };
}

type Part = Record<string, unknown>;

/** `promptTokenCount` includes cached tokens; `cachedContentTokenCount` says how many (§11.5). */
function usageMetadata(usage: Usage) {
  const prompt = promptTokens(usage);
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: usage.outputTokens,
    totalTokenCount: prompt + usage.outputTokens,
    ...(usage.cacheReadTokens !== undefined && { cachedContentTokenCount: usage.cacheReadTokens }),
  };
}

export function chunkOf(head: GeminiHead, parts: Part[], finish?: { reason: string; usage: Usage }) {
  return {
    candidates: [
      {
        content: { role: 'model', parts },
        ...(finish ? { finishReason: finish.reason } : {}),
        index: 0,
      },
    ],
    usageMetadata: usageMetadata(finish ? finish.usage : { inputTokens: head.inputTokens, outputTokens: 0 }),
    modelVersion: head.model,
    responseId: head.responseId,
  };
}

export function callPart(id: string, name: string, args: Record<string, unknown>): Part {
  return { functionCall: { id, name, args } };
}

/** The non-streaming GenerateContentResponse. */
export function renderGenerateContent(reply: Reply, head: GeminiHead): unknown {
  const parts = reply.content.map((block): Part => {
    switch (block.type) {
      case 'thinking':
        return { text: block.text, thought: true };
      case 'text':
        return { text: block.text };
      case 'tool_use':
        return callPart(block.id, block.name, block.input);
    }
  });
  return chunkOf(head, parts, { reason: FINISH_REASONS[reportedStopReason(reply)], usage: reply.usage });
}

