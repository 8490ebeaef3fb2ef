// The non-streaming GenerateContentResponse, and the chunk shape the stream renderer shares with it.
import { randomBytes } from 'node:crypto';
import type { Reply, StopReason } from '../../model';
import { reportedStopReason } from '../reply';
import type { GeminiHead } from './types';

export const FINISH_REASONS: Record<StopReason, string> = {
  end_turn: 'STOP',
  tool_use: 'STOP',
  max_tokens: 'MAX_TOKENS',
  context_window_exceeded: 'MAX_TOKENS',
};

export function newGeminiHead(model: string, inputTokens: number): GeminiHead {
  return { model, responseId: randomBytes(12).toString('base64url'), inputTokens };
}

type Part = Record<string, unknown>;

function usageMetadata(inputTokens: number, outputTokens: number) {
  return { promptTokenCount: inputTokens, candidatesTokenCount: outputTokens, totalTokenCount: inputTokens + outputTokens };
}

export function chunkOf(head: GeminiHead, parts: Part[], finish?: { reason: string; usage: { inputTokens: number; outputTokens: number } }) {
  return {
    candidates: [
      {
        content: { role: 'model', parts },
        ...(finish ? { finishReason: finish.reason } : {}),
        index: 0,
      },
    ],
    usageMetadata: finish ? usageMetadata(finish.usage.inputTokens, finish.usage.outputTokens) : usageMetadata(head.inputTokens, 0),
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

