// Session stickiness: a client session keeps its account, and one Kiro conversationId, for a
// sliding window after its last request, like the Kiro IDE does for a chat (§8.1, §8.2).
import { randomUUID } from 'node:crypto';

export interface StickySession {
  accountId: string;
  conversationId: string;
  lastSeen: number;
}

// Expired sessions are swept once the table grows past this, so it never grows without bound.
const SWEEP_AT = 1000;

export class SessionTable {
  private readonly sessions = new Map<string, StickySession>();

  constructor(private readonly windowMs: () => number) {}

  /** The live session for `key`, if its window has not ended. */
  find(key: string, now: number): StickySession | undefined {
    const session = this.sessions.get(key);
    if (session && now - session.lastSeen < this.windowMs()) return session;
    return undefined;
  }

  /** Records that `key` was served by `accountId` now; a move to another account starts a new conversation. */
  bind(key: string, accountId: string, now: number): StickySession {
    const live = this.find(key, now);
    const session =
      live && live.accountId === accountId
        ? { ...live, lastSeen: now }
        : { accountId, conversationId: randomUUID(), lastSeen: now };
    this.sessions.set(key, session);
    if (this.sessions.size > SWEEP_AT) this.sweep(now);
    return session;
  }

  forgetAccount(accountId: string): void {
    for (const [key, session] of this.sessions) if (session.accountId === accountId) this.sessions.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, session] of this.sessions) if (now - session.lastSeen >= this.windowMs()) this.sessions.delete(key);
  }
}
