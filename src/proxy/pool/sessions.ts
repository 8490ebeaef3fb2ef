// Session stickiness: a client session keeps its account, and one Kiro conversationId, while a
// request of it runs and for a sliding window after its last request ended, like the Kiro IDE
// does for a chat (§8.1, §8.2). The window counts from the end: a reply that streams longer than
// the window must not move the next turn to another account.
import { randomUUID } from 'node:crypto';

export interface StickySession {
  accountId: string;
  conversationId: string;
  /** When the session was last bound or released; its window runs from here once nothing runs. */
  lastSeen: number;
  /** Requests of the session running now: while one runs, the session is live whatever the window. */
  inFlight: number;
}

// Expired sessions are swept once the table grows past this, so it never grows without bound.
const SWEEP_AT = 1000;

export class SessionTable {
  /**
   * Ordered by last use, oldest first: `bind` and `release` re-insert the key they touch. A sweep
   * therefore only walks the expired head and stops at the first live session, so a bind costs
   * amortised O(1) however many sessions are live (a full scan cost 36 µs per bind at 1k sessions,
   * 244 µs at 20k).
   */
  private readonly sessions = new Map<string, StickySession>();
  /** `lastSeen` of the oldest session at the last sweep: no session is older (lower bound). */
  private oldestSeen = -Infinity;

  constructor(private readonly windowMs: () => number) {}

  get size(): number {
    return this.sessions.size;
  }

  /** The live session for `key`: one with a request running, or whose window has not ended. */
  find(key: string, now: number): StickySession | undefined {
    const session = this.sessions.get(key);
    if (session && (session.inFlight > 0 || now - session.lastSeen < this.windowMs())) return session;
    return undefined;
  }

  /**
   * Records that a request of `key` starts on `accountId` now; `release` it when it ends. A move
   * to another account starts a new conversation.
   */
  bind(key: string, accountId: string, now: number): StickySession {
    const live = this.find(key, now);
    const session = live?.accountId === accountId ? live : { accountId, conversationId: randomUUID(), lastSeen: now, inFlight: 0 };
    session.inFlight++;
    this.touch(key, session, now);
    // Nothing can have expired before the oldest session has: most binds skip the sweep.
    if (this.sessions.size > SWEEP_AT && now - this.oldestSeen >= this.windowMs()) this.sweep(now);
    return session;
  }

  /** A request of `session` (bound to `key`) ended now: the window starts over from here. */
  release(key: string, session: StickySession, now: number): void {
    session.inFlight--;
    // A session replaced meanwhile (moved to another account, or its account removed) stays gone.
    if (this.sessions.get(key) === session) this.touch(key, session, now);
  }

  forgetAccount(accountId: string): void {
    for (const [key, session] of this.sessions) if (session.accountId === accountId) this.sessions.delete(key);
  }

  /** Marks the session used now and moves it to the young end. */
  private touch(key: string, session: StickySession, now: number): void {
    session.lastSeen = now;
    this.sessions.delete(key);
    this.sessions.set(key, session);
  }

  /**
   * Drops expired sessions from the old end and stops at the first live one: every session after
   * it was used later. A session with a request running is live: it moves to the young end, so it
   * is walked at most once per window however long its request runs. Each session is visited at
   * most once per sweep. (Should the wall clock step back, an expired session can sit behind a
   * live one for a while; it goes once the sweep reaches it, and `find` never returns it.)
   */
  private sweep(now: number): void {
    const windowMs = this.windowMs();
    let unvisited = this.sessions.size;
    for (const [key, session] of this.sessions) {
      if (unvisited-- === 0) break;
      if (now - session.lastSeen < windowMs) {
        this.oldestSeen = session.lastSeen;
        return;
      }
      if (session.inFlight > 0) this.touch(key, session, now);
      else this.sessions.delete(key);
    }
    this.oldestSeen = now;
  }
}
