// Layer 4: ties an account to a Kiro call. Takes a conversation, picks an account from the
// pool, calls Kiro, classifies failures and fails over before the client sees a byte, then
// yields decoded reply events and records the request log entry.
import type { Conversation, ReplyEvent } from './model';

export interface ExchangeRequest {
  conversation: Conversation;
  /** The client endpoint, for the request log (`/v1/messages`). */
  endpoint: string;
  /** Aborted when the client goes away; the upstream call is aborted with it. */
  signal: AbortSignal;
}

export interface ExchangeResult {
  /** The Kiro model id the request was sent as. */
  kiroModel: string;
  accountId: string;
  /**
   * The reply. Errors before the first event are thrown by `start`; an error after it is
   * thrown from the iterator as a ProxyError, for the adapter to render as a stream error.
   */
  events: AsyncIterable<ReplyEvent>;
}

export interface Exchange {
  start(request: ExchangeRequest): Promise<ExchangeResult>;
}
