// The contract between the server (layer 6) and each client protocol adapter (layer 5).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Exchange } from '../exchange';
import type { ProxyConfig } from '../config';

export interface ProtocolContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The parsed JSON body (already size-checked); `unknown` because clients send anything. */
  body: unknown;
  /** The body's size in bytes, 0 without one. */
  bodyBytes: number;
  /** Path parameters, e.g. the Gemini model. */
  params: Record<string, string>;
  query: URLSearchParams;
  exchange: Exchange;
  config: ProxyConfig;
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
}
