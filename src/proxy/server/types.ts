// What the server's parts share: a route and what its handlers may use. Its own module so the
// route table and the admin routes can name these without importing the server.
import type { ProxyConfig } from '../config';
import type { Exchange } from '../exchange';
import type { RequestLog } from '../log';
import type { AccountPool } from '../pool/pool';
import type { ProtocolContext } from '../protocols/types';

/** Whose error shape a path's errors take. */
export type Protocol = 'anthropic' | 'openai' | 'gemini' | 'plain';

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  pattern: RegExp;
  protocol: Protocol;
  /** JSON body expected (POST, PUT). */
  json?: boolean;
  /** Needs the API key when one is set. */
  guarded: boolean;
  handle(ctx: ProtocolContext): Promise<void> | void;
}

export interface ServerDeps {
  config: ProxyConfig;
  exchange: Exchange;
  pool: AccountPool;
  log: RequestLog;
  version: string;
}
