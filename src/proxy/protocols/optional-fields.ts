// Conversation fields that only some requests carry, added only when present: a request without
// stop sequences or cache breakpoints parses to the same Conversation as before they existed.
import type { CacheBreakpoints, Conversation } from '../model';
import { isRecord } from '../records';

/** Whether a list of content blocks or parts carries a `cache_control` breakpoint (a plain string cannot). */
export function hasCacheControl(content: unknown): boolean {
  return Array.isArray(content) && content.some((block) => isRecord(block) && isRecord(block.cache_control));
}

export function optionalFields(stopSequences: string[] | undefined, cache?: CacheBreakpoints): Pick<Conversation, 'stopSequences' | 'cache'> {
  const fields: Pick<Conversation, 'stopSequences' | 'cache'> = {};
  if (stopSequences?.length) fields.stopSequences = stopSequences;
  if (cache && (cache.system || cache.tools.length > 0 || cache.messages.length > 0)) fields.cache = cache;
  return fields;
}
