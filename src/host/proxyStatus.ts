// What the proxy is doing from this window's point of view. The engine only knows its own
// server; this adds the multi-window cases: the port is served by our proxy in another window,
// or held by some other program.

export type ProxyStatus =
  | { kind: 'stopped' }
  | { kind: 'starting'; port: number }
  | { kind: 'running'; url: string; host: string; port: number }
  /** Our proxy in another VS Code window owns the port; we use it and take over when it goes. */
  | { kind: 'remote'; url: string; port: number; version?: string; accounts?: number }
  /**
   * Some other program listens on the port. `unconfirmed`: it did not answer, so it may be our proxy
   * in a busy or closing window; the controller keeps checking.
   */
  | { kind: 'foreign'; port: number; host: string; detail: string; unconfirmed?: boolean }
  | { kind: 'failed'; error: string };

/** The base URL clients should use, when some proxy of ours serves this port. */
export function baseUrlOf(status: ProxyStatus): string | undefined {
  return status.kind === 'running' || status.kind === 'remote' ? status.url : undefined;
}
