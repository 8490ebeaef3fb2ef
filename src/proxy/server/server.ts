// Layer 6: the HTTP server. Routing, guards and limits; each model endpoint is handed to its
// protocol adapter, and every error leaves in the shape of the protocol the client speaks.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProxyConfig } from '../config';
import { ProxyError, asProxyError } from '../errors';
import type { Exchange } from '../exchange';
import type { RequestLog } from '../log';
import type { AccountPool } from '../pool/pool';
import type { ProtocolContext } from '../protocols/types';
import * as anthropic from '../protocols/anthropic';
import * as openaiChat from '../protocols/openai-chat';
import { allowedHosts, checkApiKey, checkHost, checkJsonContentType, checkOrigin, keyMatches, presentedKey } from './guards';
import { readJsonBody } from './body';
import { adminRoutes, healthBody, modelsBody } from './admin';

type Protocol = 'anthropic' | 'openai' | 'plain';

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  protocol: Protocol;
  /** JSON body expected (POST). */
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

export class ProxyServer {
  private server?: http.Server;
  private active = 0;
  private hosts = new Set<string>();
  private readonly routes: Route[];

  constructor(private readonly deps: ServerDeps) {
    this.routes = [
      { method: 'POST', pattern: /^\/v1\/messages$/, protocol: 'anthropic', json: true, guarded: true, handle: anthropic.handleMessages },
      { method: 'POST', pattern: /^\/v1\/messages\/count_tokens$/, protocol: 'anthropic', json: true, guarded: true, handle: anthropic.handleCountTokens },
      { method: 'POST', pattern: /^\/v1\/chat\/completions$/, protocol: 'openai', json: true, guarded: true, handle: openaiChat.handleChatCompletions },
      { method: 'GET', pattern: /^\/v1\/models$/, protocol: 'openai', guarded: true, handle: (ctx) => sendJson(ctx.res, 200, modelsBody(this.deps)) },
      // Claude Code posts telemetry here; accept and drop it.
      { method: 'POST', pattern: /^\/api\/event_logging\/batch$/, protocol: 'plain', guarded: false, handle: (ctx) => sendJson(ctx.res, 200, {}) },
      ...adminRoutes(this.deps),
    ];
  }

  /** Starts listening; rejects with the raw listen error (EADDRINUSE…) for the caller to explain. */
  async listen(): Promise<{ host: string; port: number }> {
    const { config } = this.deps;
    const server = http.createServer({ headersTimeout: 30_000, requestTimeout: 0, keepAliveTimeout: 65_000 }, (req, res) => {
      void this.dispatch(req, res);
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    this.hosts = allowedHosts(config.host, port);
    return { host: config.host, port };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = this.routes.find((r) => r.pattern.test(url.pathname) && r.method === req.method);
    const protocol = route?.protocol ?? protocolOfPath(url.pathname);
    const abort = new AbortController();
    // 'close' on the response fires when the client goes away before we finished.
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    this.active++;
    try {
      const listeningOnAll = this.deps.config.host === '0.0.0.0' || this.deps.config.host === '::';
      checkHost(req, this.hosts, listeningOnAll);
      checkOrigin(req, this.hosts);
      if (url.pathname === '/health' && req.method === 'GET') {
        const full = !this.deps.config.apiKey || keyMatches(presentedKey(req, url), this.deps.config.apiKey);
        sendJson(res, 200, healthBody(this.deps, full));
        return;
      }
      if (!route) {
        const known = this.routes.some((r) => r.pattern.test(url.pathname));
        throw known
          ? new ProxyError('not_found', `Method ${req.method} is not allowed on ${url.pathname}.`, { status: 405 })
          : new ProxyError('not_found', `No route for ${req.method} ${url.pathname}.`);
      }
      if (route.guarded) checkApiKey(req, url, this.deps.config.apiKey);
      if (this.active > this.deps.config.maxConcurrentRequests) {
        throw new ProxyError('rate_limit', 'Too many concurrent requests to the proxy.', { retryAfterSeconds: 1 });
      }
      let body: unknown = undefined;
      if (route.json) {
        checkJsonContentType(req);
        body = await readJsonBody(req, this.deps.config.maxBodyBytes);
      }
      const params = Object.fromEntries(Object.entries(url.pathname.match(route.pattern)?.groups ?? {}));
      await route.handle({
        req,
        res,
        body,
        params,
        query: url.searchParams,
        exchange: this.deps.exchange,
        config: this.deps.config,
        signal: abort.signal,
      });
    } catch (err) {
      sendError(res, protocol, asProxyError(err));
    } finally {
      this.active--;
    }
  }
}

function protocolOfPath(path: string): Protocol {
  if (path.startsWith('/v1/messages')) return 'anthropic';
  if (path.startsWith('/v1/')) return 'openai';
  return 'plain';
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Errors before the response started get a status and a body; after that only the socket can tell. */
function sendError(res: http.ServerResponse, protocol: Protocol, error: ProxyError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body =
    protocol === 'anthropic' ? anthropic.errorBody(error) : protocol === 'openai' ? openaiChat.errorBody(error) : { error: { message: error.message, type: error.kind } };
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  sendJson(res, error.status, body, headers);
}
