// Kiro's prompt cache (docs/kiro-protocol.md §11.5), as the simulator plays it: every cache point
// ends a prefix of the request (tools, then history, then the current message); a prefix seen
// before is read from the cache, the longest new one is written. Counts are in the simulator's
// token unit (JSON characters / 4), the same unit as its contextUsagePercentage.
import { createHash } from 'node:crypto';

const isCachePoint = (v) => v !== null && typeof v === 'object' && 'cachePoint' in v;

/** Prefix lengths (characters) at each cache point of a request, in order. */
export function cachePrefixes(body) {
  const cs = body.conversationState;
  const current = cs.currentMessage.userInputMessage;
  const tools = current.userInputMessageContext?.tools ?? [];
  const { tools: _tools, ...currentContext } = current.userInputMessageContext ?? {};
  const segments = [];
  const points = [];
  for (const tool of tools) {
    if (isCachePoint(tool)) points.push(segments.length);
    else segments.push(JSON.stringify(tool));
  }
  for (const entry of cs.history ?? []) {
    segments.push(JSON.stringify(entry));
    if (entry.userInputMessage?.cachePoint) points.push(segments.length);
  }
  segments.push(JSON.stringify({ ...current, userInputMessageContext: currentContext }));
  if (current.cachePoint) points.push(segments.length);
  return points.map((n) => segments.slice(0, n).join(','));
}

export class PromptCache {
  #entries = new Set();

  clear() { this.#entries.clear(); }

  /**
   * Usage of one request: `null` without cache points (Kiro then sends no tokenUsage), else the
   * split of `totalTokens` into cache reads, writes and the rest.
   */
  usage(body, totalTokens) {
    const prefixes = cachePrefixes(body);
    if (prefixes.length === 0) return null;
    const keyed = prefixes.map((text) => ({ key: createHash('sha256').update(text).digest('hex'), tokens: Math.ceil(text.length / 4) }));
    const read = Math.max(0, ...keyed.filter((p) => this.#entries.has(p.key)).map((p) => p.tokens));
    const longest = Math.max(...keyed.map((p) => p.tokens));
    const write = Math.max(0, longest - read);
    for (const p of keyed) this.#entries.add(p.key);
    const cacheRead = Math.min(read, totalTokens);
    const cacheWrite = Math.min(write, totalTokens - cacheRead);
    return { uncachedInputTokens: totalTokens - cacheRead - cacheWrite, cacheReadInputTokens: cacheRead, cacheWriteInputTokens: cacheWrite };
  }
}
