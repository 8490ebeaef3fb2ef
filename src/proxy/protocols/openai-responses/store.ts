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
}

export interface ResponseStoreLimits {
  /** Responses kept; the least recently used goes first. */
  maxEntries: number;
  /** How long a response stays retrievable, milliseconds. */
  ttlMs: number;
}

export const DEFAULT_RESPONSE_STORE_LIMITS: ResponseStoreLimits = { maxEntries: 500, ttlMs: 6 * 60 * 60 * 1000 };

export class ResponseStore {
  private readonly entries = new Map<string, { response: StoredResponse; expiresAt: number }>();

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
      this.entries.delete(id);
      return undefined;
    }
    // Re-insert: Map order is the eviction order, so a used response lives longer.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.response;
  }

  put(response: StoredResponse): void {
    this.entries.delete(response.id);
    this.entries.set(response.id, { response, expiresAt: this.now() + this.limits.ttlMs });
    while (this.entries.size > this.limits.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(id: string): boolean {
    return this.entries.delete(id);
  }
}
