// The client's prompt-cache breakpoints (`cache_control`) as Kiro cache points (docs/kiro-protocol.md
// §11.5): a `{"cachePoint":{"type":"default"}}` element after each marked tool, and a `cachePoint`
// on the user message that ends a marked prefix (the system pair's, or a marked user turn's).
// At most 4, as `ListAvailableModels` allows; none for models without prompt caching.
import type { CacheBreakpoints } from '../model';

export const MAX_CACHE_POINTS = 4;

export interface KiroCachePoint {
  cachePoint: { type: 'default' };
}

export const CACHE_POINT: KiroCachePoint['cachePoint'] = { type: 'default' };

/** Which breakpoints become cache points. */
export interface CachePlan {
  system: boolean;
  /** Indexes into the conversation's tools. */
  tools: Set<number>;
  /** Indexes into the conversation's messages. */
  messages: Set<number>;
}

/**
 * Kiro's Claude models cache prompts; the others it serves (GLM, Qwen, …) report
 * `supportsPromptCaching: false`, and a cache point sent to them is an error.
 */
export function supportsPromptCaching(kiroModel: string): boolean {
  return kiroModel === 'auto' || /^claude-/i.test(kiroModel) || /^CLAUDE_/.test(kiroModel);
}

/**
 * The breakpoints that fit in the limit: the system prompt and the tools first (they change
 * least, so their prefix hits most often), then messages, the latest first.
 */
export function planCachePoints(cache: CacheBreakpoints | undefined, kiroModel: string): CachePlan | undefined {
  if (!cache || !supportsPromptCaching(kiroModel)) return undefined;
  let left = MAX_CACHE_POINTS;
  const take = () => left > 0 && left-- > 0;
  const plan: CachePlan = { system: cache.system && take(), tools: new Set(), messages: new Set() };
  for (const index of cache.tools) if (take()) plan.tools.add(index);
  for (const index of [...cache.messages].reverse()) if (take()) plan.messages.add(index);
  return plan;
}

/** Tools with a cache point after each one whose wire name is marked. */
export function withToolCachePoints<T extends { toolSpecification: { name: string } }>(tools: T[], marked: ReadonlySet<string>): Array<T | KiroCachePoint> {
  if (marked.size === 0) return tools;
  return tools.flatMap((tool) => (marked.has(tool.toolSpecification.name) ? [tool, { cachePoint: CACHE_POINT }] : [tool]));
}
