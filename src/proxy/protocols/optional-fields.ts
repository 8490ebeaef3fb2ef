// Conversation fields that only some requests carry, added only when present: a request without
// stop sequences or cache breakpoints parses to the same Conversation as before they existed.
import type { CacheBreakpoints, Conversation } from '../model';

export function optionalFields(stopSequences: string[] | undefined, cache?: CacheBreakpoints): Pick<Conversation, 'stopSequences' | 'cache'> {
  const fields: Pick<Conversation, 'stopSequences' | 'cache'> = {};
  if (stopSequences?.length) fields.stopSequences = stopSequences;
  if (cache && (cache.system || cache.tools.length > 0 || cache.messages.length > 0)) fields.cache = cache;
  return fields;
}
