// Anthropic's `thinking.display: "omitted"` returns thinking blocks with empty text; the full
// reasoning rides in the signature and comes back with the history. Kiro has no such signature,
// so ours carries the text itself: the next request puts it back where it was.

const PREFIX = 'kiro-proxy.thinking.v1.';

/** The signature of an omitted thinking block: its text, recoverable by `unsealThinking`. */
export function sealThinking(text: string): string {
  return PREFIX + Buffer.from(text, 'utf8').toString('base64');
}

/** The text sealed into one of our signatures; undefined for any other signature. */
export function unsealThinking(signature: string | undefined): string | undefined {
  if (!signature?.startsWith(PREFIX)) return undefined;
  return Buffer.from(signature.slice(PREFIX.length), 'base64').toString('utf8');
}
