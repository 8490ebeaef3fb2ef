// The engine facade: builds the layers, starts and stops the whole. Its two shells, the CLI
// and the VS Code extension, create one of these and observe it; nothing here knows either.
import { EventEmitter } from 'node:events';
import type { ProxyConfig } from './config';
import { RequestLog } from './log';
import { redactingLogger, registerSecret, silentLogger, type Logger } from './logger';
import { KiroHttp } from './kiro/http';
import { kiroHosts, type KiroHosts } from './kiro/endpoints';
import { KiroExchange } from './exchange';
import { AccountPool } from './pool/pool';
import type { CatalogModel } from './pool/catalog';
import type { AccountStore } from './pool/store';
import { ProxyServer } from './server/server';
import { urlHost } from './local-host';

export type EngineState =
  | { status: 'stopped' }
  | { status: 'starting' }
  | { status: 'running'; host: string; port: number; url: string }
  | { status: 'failed'; error: string; code?: string };

export interface SpeedTestResult {
  accountId: string;
  label: string;
  ok: boolean;
  ms?: number;
  error?: string;
}

export interface EngineOptions {
  config: ProxyConfig;
  store: AccountStore;
  version: string;
  logger?: Logger;
  /** Import the token cache silently when there is no account yet (the CLI); the extension asks first. */
  scanTokenDirWhenEmpty?: boolean;
}

export type { CatalogModel } from './pool/catalog';

/** `state`: the server started, stopped or failed. */
interface EngineEvents {
  state: [EngineState];
}

export class Engine extends EventEmitter<EngineEvents> {
  readonly log: RequestLog;
  readonly pool: AccountPool;
  readonly logger: Logger;
  /**
   * Ties accounts to Kiro calls. It exists as long as the engine, not only while the HTTP server
   * runs: in-process clients (VS Code's own chat) use it with the proxy stopped.
   */
  readonly exchange: KiroExchange;
  private readonly http: KiroHttp;
  private readonly hosts: KiroHosts;
  private server?: ProxyServer;
  private current: EngineState = { status: 'stopped' };

  constructor(private readonly options: EngineOptions) {
    super();
    const { config } = options;
    registerSecret(config.apiKey);
    this.logger = redactingLogger(options.logger ?? silentLogger);
    this.log = new RequestLog(config.logRetention);
    this.http = new KiroHttp({
      outboundProxy: config.outboundProxy,
      headersTimeoutMs: config.firstByteTimeoutMs,
      bodyTimeoutMs: config.idleTimeoutMs,
    });
    // One instance: the per-account endpoint memory is shared by every call of the account.
    this.hosts = kiroHosts(config.kiroEndpoint, { mode: () => config.kiroEndpoints, kiroVersion: () => config.kiroVersion });
    this.pool = new AccountPool({
      config,
      http: this.http,
      hosts: this.hosts,
      store: options.store,
      logger: this.logger,
      scanWhenEmpty: options.scanTokenDirWhenEmpty ?? true,
    });
    this.exchange = new KiroExchange({ config, http: this.http, hosts: this.hosts, pool: this.pool, log: this.log });
  }

  /** Every model any enabled account lists, with what Kiro says of it; see `CatalogModel`. */
  models(): CatalogModel[] {
    return this.pool.catalog();
  }

  get config(): ProxyConfig {
    return this.options.config;
  }

  get state(): EngineState {
    return this.current;
  }

  /** Loads the accounts; separate from `start` so views can show them while the proxy is stopped. */
  async init(): Promise<void> {
    await this.pool.init();
  }

  async start(): Promise<EngineState> {
    if (this.current.status === 'running' || this.current.status === 'starting') return this.current;
    this.setState({ status: 'starting' });
    const { config } = this.options;
    const server = new ProxyServer({ config, exchange: this.exchange, pool: this.pool, log: this.log, version: this.options.version });
    try {
      const { host, port } = await server.listen();
      this.server = server;
      this.pool.start();
      // Each shell announces the address its own way (the CLI's stdout line is a contract).
      return this.setState({ status: 'running', host, port, url: `http://${urlHost(host)}:${port}` });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const error =
        code === 'EADDRINUSE'
          ? `Port ${config.port} on ${config.host} is already in use.`
          : `Could not start the proxy: ${(err as Error).message}`;
      return this.setState({ status: 'failed', error, code });
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await server.close();
    await this.pool.flush();
    this.setState({ status: 'stopped' });
  }

  /** Stops everything and releases the upstream connections; the engine is unusable afterwards. */
  async dispose(): Promise<void> {
    await this.stop();
    await this.http.close();
  }

  /**
   * Sends a tiny request through every enabled account at once and measures each round trip.
   * `onResult` hears each account as it finishes; the results come back in account order.
   */
  async speedTest(onResult?: (result: SpeedTestResult) => void): Promise<SpeedTestResult[]> {
    const exchange = this.exchange;
    if (!this.server) throw new Error('The proxy is not running.');
    return Promise.all(
      this.pool
        .list()
        .filter((a) => a.enabled)
        .map(async (account) => {
          const result = await measureAccount(exchange, account);
          onResult?.(result);
          return result;
        }),
    );
  }

  private setState(state: EngineState): EngineState {
    this.current = state;
    this.emit('state', state);
    return state;
  }
}

async function measureAccount(exchange: KiroExchange, account: { id: string; label: string }): Promise<SpeedTestResult> {
  const started = Date.now();
  try {
    const { events } = await exchange.start({
      conversation: {
        model: 'claude-haiku-4.5',
        system: '',
        tools: [],
        maxTokens: 16,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Reply with the single word: pong' }] }],
      },
      endpoint: 'speed-test',
      stream: true,
      signal: AbortSignal.timeout(60_000),
      pinAccountId: account.id,
    });
    for await (const _event of events) {
      // Drained to completion so the latency covers the whole (tiny) answer.
    }
    return { accountId: account.id, label: account.label, ok: true, ms: Date.now() - started };
  } catch (err) {
    return { accountId: account.id, label: account.label, ok: false, error: (err as Error).message };
  }
}
