// Layer 4's contract: what an adapter asks the exchange for and what it gets back. Its own module
// so the web search turns (./web-search) can use it without importing the exchange itself.
import type { Conversation, ReplyEvent, WebSearchOutcome } from './model';

export interface ExchangeRequest {
  conversation: Conversation;
  /** The client endpoint, for the request log (`/v1/messages`). */
  endpoint: string;
  /** Whether the client asked for a stream, for the request log. */
  stream: boolean;
  /** Aborted when the client goes away; the upstream call is aborted with it. */
  signal: AbortSignal;
  /** Use only this account, with no failover (the speed test measures each account). */
  pinAccountId?: string;
}

export interface ExchangeResult {
  /** The Kiro model id the request was sent as. */
  kiroModel: string;
  accountId: string;
  /**
   * The prompt's tokens as Kiro will count them, estimated from the request sent and scaled by
   * what Kiro reported for this model before; for `message_start` before Kiro reports usage.
   */
  estimatedInputTokens: number;
  /**
   * The reply. Errors before the first event are thrown by `start`; an error after it is
   * thrown from the iterator as a ProxyError, for the adapter to render as a stream error.
   * Iterate it (to its end, or break out): that ends the Kiro call and releases the account.
   */
  events: AsyncIterable<ReplyEvent>;
  /** What the client should be told once, beside the reply (e.g. images left out for a text-only model). */
  warnings?: string[];
}

/** One web search the client's hosted search tool asked for. */
export interface WebSearchRequest {
  query: string;
  /** The conversation's session key: the search runs as the account that serves the conversation. */
  sessionId?: string;
  /** For the request log. */
  endpoint: string;
  clientModel: string;
  stream: boolean;
  signal: AbortSignal;
}

export interface WebSearchRun {
  outcome: WebSearchOutcome;
  /** The account that answered (or last tried). */
  accountId?: string;
}

export interface Exchange {
  start(request: ExchangeRequest): Promise<ExchangeResult>;
  /** The prompt's tokens as `start` would estimate them (count_tokens endpoints); nothing is sent. */
  countTokens(conversation: Conversation): number;
  /**
   * Runs one search through Kiro's web search, with the pool's failover. A search that fails is
   * an outcome with the reason, not an exception: the client gets it as a failed search result.
   * Only a client that left makes it throw.
   */
  search(request: WebSearchRequest): Promise<WebSearchRun>;
}
