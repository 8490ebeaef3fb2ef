// The pool's public types: what it announces, what an import reports, how it is built.
import type { ProxyConfig } from '../config';
import type { Logger } from '../logger';
import type { KiroHttp } from '../kiro/http';
import type { KiroHosts } from '../kiro/endpoints';
import type { AccountState, AccountView } from './account';
import type { Clock } from './clock';
import type { AccountStore } from './store';
import type { SkippedSource } from './token-files';

export type PoolChange =
  | { type: 'added'; account: AccountView }
  | { type: 'removed'; accountId: string }
  /** State, tokens' expiry, quota, counters or settings changed; `countersOnly`: nothing but the request counters. */
  | { type: 'updated'; account: AccountView; previousState: AccountState; countersOnly?: true };

export interface ImportResult {
  added: AccountView[];
  updated: AccountView[];
  skipped: SkippedSource[];
  notes: string[];
}

export interface AccountPoolOptions {
  config: ProxyConfig;
  http: KiroHttp;
  store: AccountStore;
  clock?: Clock;
  logger?: Logger;
  /** Import the token folder's Kiro files when the store holds no account (default true). */
  scanWhenEmpty?: boolean;
  /** Watch the token folder while started (default true). */
  watchTokenDir?: boolean;
  /** Background quota refresh interval (default 30 min). */
  quotaIntervalMs?: number;
  /** The engine's Kiro hosts, shared with the chat calls (one endpoint memory per account). */
  hosts?: KiroHosts;
}
