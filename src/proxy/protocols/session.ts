// The stickiness key of a request: the client's own session id when it sends one, else a
// fingerprint of how the conversation began, which stays the same on every later turn.
import { hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Conversation } from '../model';

const CLAUDE_CODE_SESSION_HEADER = 'x-claude-code-session-id';

/**
 * The session id Claude Code sends: the `x-claude-code-session-id` header, or inside
 * `metadata.user_id` as `user_<hash>_account_<uuid>_session_<uuid>` or as JSON with a
 * `session_id`. Any other non-empty user id is returned whole.
 */
export function claudeCodeSessionId(headers: IncomingHttpHeaders, metadataUserId: unknown): string | undefined {
  const header = headers[CLAUDE_CODE_SESSION_HEADER];
  if (typeof header === 'string' && header) return header;
  if (typeof metadataUserId !== 'string' || !metadataUserId) return undefined;
  if (metadataUserId.startsWith('{')) {
    const sessionId = jsonSessionId(metadataUserId);
    if (sessionId) return sessionId;
  }
  return /_session_([^_]+)$/.exec(metadataUserId)?.[1] ?? metadataUserId;
}

function jsonSessionId(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    const sessionId = (value as { session_id?: unknown } | null)?.session_id;
    return typeof sessionId === 'string' && sessionId ? sessionId : undefined;
  } catch {
    return undefined;
  }
}

/** The client's id when given; otherwise 16 hex digits of sha256 over the system prompt and first user message. */
export function sessionKey(clientId: string | undefined, conversation: Pick<Conversation, 'system' | 'messages'>): string {
  if (clientId) return clientId;
  const firstUser = conversation.messages.find((m) => m.role === 'user');
  // The one-shot `hash` skips the Hash object `createHash` builds: this runs on every request. The
  // system prompt goes in as it is: through JSON.stringify, escaping it cost more than the hash.
  return hash('sha256', `${conversation.system}\u0000${JSON.stringify(firstUser?.content ?? [])}`, 'hex').slice(0, 16);
}
