// The Responses API's `previous_response_id`: a bounded, in-memory record of recent responses,
// so a chained conversation can be rebuilt into one Conversation (and stay on its account).
// Nothing here outlives the process; a restart ends every chain, as `store: false` does.
import type { Message } from '../../model';

export interface StoredResponse {
  id: string;
  /** The first response of the chain; equal to `id` for a chain's first response. */
  rootId: string;
  /** The stickiness key the chain started with; every later link reuses it. */
  sessionId: string;
  /** The whole dialogue up to and including this response's output. */
  messages: Message[];
  /** The rendered Response object, for `GET /v1/responses/{id}`. */
  body: unknown;
  /** What it holds that no other entry shares: its request's body and its reply, in bytes. */
  bytes: number;
}

export interface ResponseStoreLimits {
  /** Responses kept; the least recently used goes first. */
  maxEntries: number;
  /** How long a response stays retrievable, milliseconds. */
  ttlMs: number;
  /**
   * The entries' `bytes` together. Clients that resend the whole conversation with `store` on
   * (OpenAI's default) would otherwise keep up to maxEntries copies of it: 500 of 200 KB each.
   * The newest entry stays whatever its size: its chain must go on.
   */
  maxBytes: number;
}

export const DEFAULT_RESPONSE_STORE_LIMITS: ResponseStoreLimits = { maxEntries: 500, ttlMs: 6 * 60 * 60 * 1000, maxBytes: 32 * 1024 * 1024 };

export class ResponseStore {
  private readonly entries = new Map<string, { response: StoredResponse; expiresAt: number }>();
  private bytes = 0;

  constructor(
    private readonly limits: ResponseStoreLimits = DEFAULT_RESPONSE_STORE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: string): StoredResponse | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.delete(id);
      return undefined;
    }
    // Re-insert: Map order is the eviction order, so a used response lives longer.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.response;
  }

  put(response: StoredResponse): void {
    this.delete(response.id);
    this.entries.set(response.id, { response, expiresAt: this.now() + this.limits.ttlMs });
    this.bytes += response.bytes;
    while (this.entries.size > this.limits.maxEntries || (this.bytes > this.limits.maxBytes && this.entries.size > 1)) {
      this.delete(this.entries.keys().next().value as string);
    }
  }

  delete(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    this.bytes -= entry.response.bytes;
    return true;
  }
}
