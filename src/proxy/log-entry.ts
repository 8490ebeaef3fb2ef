// One request log entry. Kept free of Node imports so the webview page can derive its row type
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
  inputTokens?: number;
  outputTokens?: number;
  credits?: number;
  /** Accounts tried before this one answered (failover). */
  attempts?: number;
  error?: string;
  /** For failed requests only: the translated Kiro request, secrets removed, for repro bundles. */
  kiroRequest?: string;
  /** The client's conversation (stickiness key), so credits can be summed per session. */
  sessionId?: string;
}
