// One request log entry and the stats over them. Kept free of Node imports so the webview page can derive its row type
// from it without pulling Node's types into the browser bundle's type check.

export interface RequestLogEntry {
  id: number;
  /** Epoch ms when the request arrived. */
  time: number;
  endpoint: string;
  clientModel: string;
  kiroModel?: string;
  accountId?: string;
  accountLabel?: string;
  stream: boolean;
  status: number;
  durationMs: number;
  /** Time to the first byte from Kiro. */
  ttfbMs?: number;
  /** Prompt tokens read fresh; cache reads and writes are counted apart. */
  inputTokens?: number;
  outputTokens?: number;
  /** Prompt tokens served from Kiro's prompt cache (a cache hit) and written to it. */
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  credits?: number;
  /** Accounts tried before this one answered (failover). */
  attempts?: number;
  error?: string;
  /** For failed requests only: the translated Kiro request, secrets removed, for repro bundles. */
  kiroRequest?: string;
  /** The client's conversation (stickiness key), so credits can be summed per session. */
  sessionId?: string;
  /** A call to Kiro's web search (1), not a chat call. */
  webSearches?: number;
}

export interface MinuteBucket {
  minute: number;
  requests: number;
  errors: number;
  totalMs: number;
}

export interface RequestStats {
  requests: number;
  errors: number;
  successRate: number;
  avgMs: number;
  p95Ms: number;
  avgTtfbMs: number;
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens served from Kiro's prompt cache, and the requests that had such a hit. */
  cacheReadTokens: number;
  cacheHits: number;
  credits: number;
  /** Web searches run through Kiro (successful or not). */
  webSearches: number;
  lastHour: MinuteBucket[];
  /** The most recent sessions still in the log, with their requests and credits. */
  sessions: SessionStats[];
}

export interface SessionStats {
  sessionId: string;
  requests: number;
  credits: number;
  lastTime: number;
}
