// The non-streaming GenerateContentResponse, and the chunk shape the stream renderer shares with it.
import type { Reply, StopReason, Usage, WebSearchBlock } from '../../model';
import { randomHex } from '../../random-id';
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
  return { model, responseId: Buffer.from(randomHex(24), 'hex').toString('base64url'), inputTokens };
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

export function chunkOf(head: GeminiHead, parts: Part[], finish?: { reason: string; usage: Usage }, searches: WebSearchBlock[] = []) {
  return {
    candidates: [
      {
        content: { role: 'model', parts },
        ...(finish ? { finishReason: finish.reason } : {}),
        ...(searches.length ? { groundingMetadata: groundingMetadata(searches) } : {}),
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

/** Gemini's record of the searches behind an answer: the queries and the pages found. */
function groundingMetadata(searches: WebSearchBlock[]) {
  return {
    webSearchQueries: searches.map((s) => s.query),
    groundingChunks: searches.flatMap((s) =>
      ('results' in s.outcome ? s.outcome.results : []).map((r) => ({ web: { uri: r.url, title: r.title, ...(r.domain ? { domain: r.domain } : {}) } })),
    ),
  };
}

/** The non-streaming GenerateContentResponse; searches are told in `groundingMetadata`, not as parts. */
export function renderGenerateContent(reply: Reply, head: GeminiHead): unknown {
  const parts = reply.content.flatMap((block): Part[] => {
    switch (block.type) {
      case 'thinking':
        return [{ text: block.text, thought: true }];
      case 'text':
        return [{ text: block.text }];
      case 'tool_use':
        return [callPart(block.id, block.name, block.input)];
      case 'web_search':
        return [];
    }
  });
  const searches = reply.content.filter((block) => block.type === 'web_search');
  return chunkOf(head, parts, { reason: FINISH_REASONS[reportedStopReason(reply)], usage: reply.usage }, searches);
}

