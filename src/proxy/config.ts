// Engine settings. The CLI fills them from flags, the extension from `kiroProxy.*` settings;
// the engine itself only ever sees this plain object.
import * as os from 'node:os';
import * as path from 'node:path';

export type SelectionStrategy = 'least-used' | 'round-robin' | 'priority';

/**
 * Which Kiro hosts to use (docs/kiro-protocol.md §11.4): `auto` tries runtime./management.kiro.dev
 * and falls back per account to the legacy q.{region}.amazonaws.com; the others force one family.
 */
export type KiroEndpointMode = 'auto' | 'kiro.dev' | 'legacy';
export const KIRO_ENDPOINT_MODES: readonly KiroEndpointMode[] = ['auto', 'kiro.dev', 'legacy'];

export interface ProxyConfig {
  host: string;
  port: number;
  /** When set, clients must send it as `x-api-key` or `Authorization: Bearer`. */
  apiKey?: string;
  /** Folder scanned for Kiro IDE token files. */
  tokenDir: string;
  /** Folder for our own state (accounts.json in the CLI). */
  dataDir: string;
  /** Base URL that replaces every Kiro host (tests point it at the simulator). */
  kiroEndpoint?: string;
  /** Which Kiro host family to use; read per call. */
  kiroEndpoints: KiroEndpointMode;
  /** The Kiro IDE version our user agent names; undefined = the built-in current release. */
  kiroVersion?: string;
  /** Outbound HTTP proxy for Kiro calls. */
  outboundProxy?: string;
  /** Image URLs may name loopback, private and link-local addresses (off: only public ones are fetched). */
  allowPrivateImageUrls: boolean;
  cooldownSeconds: number;
  stickinessSeconds: number;
  strategy: SelectionStrategy;
  /** How long a request may wait for a cooling account before it gets a 429. */
  maxWaitSeconds: number;
  /** Client model name → Kiro model id, on top of the built-in table. */
  modelMapping: Record<string, string>;
  /** Where names that no mapping knows go (e.g. `gpt-5.1-codex`). */
  defaultModel: string;
  /** Tokens are refreshed this long before they expire, but at most half their lifetime ahead. */
  refreshAheadMinutes: number;
  /** Entries kept in the in-memory request log. */
  logRetention: number;
  /** Largest request body accepted; larger gets 413. */
  maxBodyBytes: number;
  /** Requests handled at once; more get 429 with Retry-After. */
  maxConcurrentRequests: number;
  /** A client must finish sending its headers within this time (slowloris; idle sockets). */
  headersTimeoutMs: number;
  /** A client must finish sending its whole request (headers + body) within this time. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** Kiro must send its first byte within this time, or the next account is tried. */
  firstByteTimeoutMs: number;
  /** A stream that stays silent this long is abandoned. */
  idleTimeoutMs: number;
  /** Bounded retries of transient upstream failures (5xx, network). */
  maxRetries: number;
  /** Send Anthropic `ping` events after this much silence. */
  pingIntervalMs: number;
  /** Times an empty reply (no text, no tool call, no error) is asked again before the client gets an error. */
  emptyReplyRetries: number;
}

/**
 * The `KIRO_PROXY_ENDPOINT` base URL as shown to the user (CLI warning, output channel, status bar,
 * `/health`): it receives every token, so it must be visible, but never with credentials or a query.
 */
export function shownKiroEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '(an invalid URL)';
  }
}

export function defaultTokenDir(): string {
  return path.join(os.homedir(), '.aws', 'sso', 'cache');
}

export function defaultConfig(overrides: Partial<ProxyConfig> = {}): ProxyConfig {
  return {
    host: '127.0.0.1',
    port: 8080,
    tokenDir: defaultTokenDir(),
    dataDir: path.join(os.homedir(), '.kiro-proxy'),
    kiroEndpoint: process.env.KIRO_PROXY_ENDPOINT || undefined,
    allowPrivateImageUrls: false,
    kiroEndpoints: 'auto',
    cooldownSeconds: 300,
    stickinessSeconds: 60,
    strategy: 'least-used',
    maxWaitSeconds: 30,
    modelMapping: {},
    defaultModel: 'claude-sonnet-4.5',
    refreshAheadMinutes: 10,
    logRetention: 1000,
    maxBodyBytes: 10 * 1024 * 1024,
    maxConcurrentRequests: 1000,
    headersTimeoutMs: 30_000,
    requestTimeoutMs: 120_000,
    keepAliveTimeoutMs: 65_000,
    firstByteTimeoutMs: 60_000,
    idleTimeoutMs: 300_000,
    maxRetries: 3,
    pingIntervalMs: 10_000,
    emptyReplyRetries: 1,
    ...overrides,
  };
}
