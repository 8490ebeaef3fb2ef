// Layer 6: the HTTP server. Routing, guards and limits; each model endpoint is handed to its
// protocol adapter, and every error leaves in the shape of the protocol the client speaks.
import * as http from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProxyConfig } from '../config';
import { ProxyError, asProxyError, invalidRequest } from '../errors';
import { redact } from '../logger';
import * as anthropic from '../protocols/anthropic';
import * as openaiChat from '../protocols/openai-chat';
import * as gemini from '../protocols/gemini';
import { sendJson } from '../protocols/reply';
import { allowedHosts, checkApiKey, checkHost, checkJsonContentType, checkOrigin, keyMatches, presentedKey } from './guards';
import { readJsonBody, type JsonBody } from './body';
import { closeAfterDraining, isLingering } from './linger';
import { LightAbortController } from '../abort';
import { healthBody } from './admin';
import { routeTable } from './routes';
import type { Protocol, Route, ServerDeps } from './types';
import type { Exchange } from '../exchange';

export { routeTable } from './routes';

/** What a route without a JSON body gets. */
const NO_BODY: JsonBody = { value: undefined, bytes: 0 };

/** A route with what dispatch needs precomputed. */
interface CompiledRoute extends Route {
  /** The pattern has named groups (path parameters). */
  hasParams: boolean;
}

export class ProxyServer {
  private server?: http.Server;
  private active = 0;
  private hosts = new Set<string>();
  private readonly routes: CompiledRoute[];

  constructor(private readonly deps: ServerDeps) {
    this.routes = routeTable(deps).map((route) => ({ ...route, hasParams: /\(\?<[A-Za-z_$]/.test(route.pattern.source) }));
  }

  /** Starts listening; rejects with the raw listen error (EADDRINUSE…) for the caller to explain. */
  async listen(): Promise<{ host: string; port: number }> {
    const { config } = this.deps;
    const server = http.createServer(serverOptions(config), (req, res) => {
      if (isLingering(req.socket)) {
        req.socket.destroy();
        return;
      }
      // dispatch answers every error itself; this catch is the last line against a crash.
      this.dispatch(req, res).catch(() => res.destroy());
    });
    // Malformed HTTP, oversized headers, header/request timeouts: Node's own 400/408/431 reply
    // when the socket can still take it, then the socket goes.
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (socket.writable && !(socket as { _httpMessage?: unknown })._httpMessage) {
        const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
        // end() flushes then closes; a client that never reads cannot keep the socket.
        setTimeout(() => socket.destroy(), 1000).unref();
      } else {
        socket.destroy();
      }
    });
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
    let protocol: Protocol = 'plain';
    // Not Node's AbortController: its signal costs several µs per request (see ../abort).
    const abort = new LightAbortController();
    // 'close' on the response fires when the client goes away before we finished.
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    this.active++;
    try {
      // Inside the try: an absolute-form target such as `GET http://[ HTTP/1.1` makes URL throw,
      // and a throw out of here used to be an unhandled rejection that killed the process.
      const url = parseRequestUrl(req.url);
      const route = this.routes.find((r) => r.pattern.test(url.pathname) && r.method === req.method);
      protocol = route?.protocol ?? protocolOfPath(url.pathname);
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
          ? new ProxyError('not_found', `Method ${req.method} is not allowed on ${url.pathname.slice(0, 200)}.`, { status: 405 })
          : new ProxyError('not_found', `No route for ${req.method} ${url.pathname.slice(0, 200)}.`);
      }
      if (route.guarded) checkApiKey(req, url, this.deps.config.apiKey);
      if (this.active > this.deps.config.maxConcurrentRequests) {
        throw new ProxyError('rate_limit', 'Too many concurrent requests to the proxy.', { retryAfterSeconds: 1 });
      }
      // Every POST that carries a body must say it is JSON: forms and text/plain are what a web
      // page can send cross-site without a preflight.
      if (route.json || (req.method === 'POST' && hasBody(req))) checkJsonContentType(req);
      const { value: body, bytes: bodyBytes } = route.json ? await readJsonBody(req, this.deps.config.maxBodyBytes) : NO_BODY;
      const params: Record<string, string> = route.hasParams ? { ...url.pathname.match(route.pattern)?.groups } : {};
      await route.handle({
        req,
        res,
        body,
        bodyBytes,
        params,
        query: url.searchParams,
        exchange: warningsAsHeader(this.deps.exchange, res),
        config: this.deps.config,
        signal: abort.signal,
      });
    } catch (err) {
      sendError(req, res, protocol, asProxyError(err));
    } finally {
      this.active--;
      // The request is over, answered or not: whatever still hangs on its signal ends too.
      abort.abort();
    }
  }
}

/** Node's server limits from the config: slow or silent clients are cut off. */
function serverOptions(config: ProxyConfig): http.ServerOptions {
  const requestTimeout = config.requestTimeoutMs;
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = Math.min(config.headersTimeoutMs, requestTimeout);
  return {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // How often Node checks the two timeouts above; a quarter of the shorter one, at most 30 s.
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersTimeout / 4))),
  };
}

/** The parts of the request target dispatch uses. */
export interface RequestTarget {
  pathname: string;
  searchParams: URLSearchParams;
}

/**
 * Origin-form targets of plain path characters only (no `.`, `%`, `\\`, `?`, `#`, nor a leading
 * `//`) are their own pathname: `new URL` would return them unchanged, so they skip it.
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9_:/-]*$/;

function parseRequestUrl(raw: string | undefined): RequestTarget {
  if (raw !== undefined && PLAIN_PATH.test(raw)) return { pathname: raw, searchParams: new URLSearchParams() };
  try {
    return new URL(raw ?? '/', 'http://localhost');
  } catch {
    throw invalidRequest('The request target is not a valid URL.');
  }
}

function hasBody(req: http.IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * The protocol an unknown path looks like, so its 404 comes in a shape the client can read:
 * `…/messages` (with or without `/v1`) is Anthropic, `:generateContent`-style and `/v1beta/` paths
 * are Gemini, `…/chat/completions`, `…/responses` and the rest of `/v1/` are OpenAI.
 */
function protocolOfPath(path: string): Protocol {
  if (/(?:^|\/)messages(?:\/|$)/.test(path)) return 'anthropic';
  if (/^\/v1(?:beta|alpha)\//.test(path) || /\/models\/[^/]+:[A-Za-z]+$/.test(path)) return 'gemini';
  if (path.startsWith('/v1/') || /(?:^|\/)(?:chat\/completions|completions|responses|embeddings|models)(?:\/|$)/.test(path)) return 'openai';
  return 'plain';
}

/** Errors before the response started get a status and a body; after that only the socket can tell. */
function sendError(req: http.IncomingMessage, res: http.ServerResponse, protocol: Protocol, error: ProxyError): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  // Messages can quote upstream or library errors: scrub anything shaped like a secret.
  const safe = error.withMessage(redact(error.message));
  const body =
    protocol === 'anthropic' ? anthropic.errorBody(safe) : protocol === 'openai' ? openaiChat.errorBody(safe) : protocol === 'gemini' ? gemini.errorBody(safe) : { error: { message: safe.message, type: safe.kind } };
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  // A request body we did not read (413, 415, 401 before the upload ended) must not be drained
  // at the client's pace: answer, then close the connection once the client stops sending.
  if (hasBody(req) && !req.complete) {
    headers.connection = 'close';
    closeAfterDraining(req, res);
  }
  sendJson(res, error.status, body, headers);
}

/** The header that tells a client what the proxy changed in its request (once per reply). */
export const WARNING_HEADER = 'x-kiro-proxy-warning';

/**
 * The exchange as an adapter sees it: the warnings of a started reply become a header, set
 * before the adapter writes its status line, so every protocol tells its client the same way.
 */
function warningsAsHeader(exchange: Exchange, res: ServerResponse): Exchange {
  return {
    countTokens: (conversation) => exchange.countTokens(conversation),
    search: (request) => exchange.search(request),
    start: async (request) => {
      const result = await exchange.start(request);
      if (result.warnings?.length && !res.headersSent) res.setHeader(WARNING_HEADER, result.warnings.join(' '));
      return result;
    },
  };
}
