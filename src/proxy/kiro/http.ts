// The one undici dispatcher every Kiro call shares: keep-alive connection reuse instead of a
// client per request, and an optional outbound proxy (plus one client per account proxy, `via`).
// Calls go to the dispatcher itself, never the global fetch that VS Code patches.
import type { Dispatcher } from './undici';
import { proxiedDispatcher } from './outbound-proxy';
import { dispatchRequest, type HttpResponse, type ResponseHeaders } from './response-body';

export interface KiroRequestOptions {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
}

export interface KiroHttpOptions {
  outboundProxy?: string;
  /** Time allowed for the response headers (Kiro's first byte). */
  headersTimeoutMs?: number;
  /** Silence allowed between body chunks. */
  bodyTimeoutMs?: number;
}

export class KiroHttp {
  readonly dispatcher: Dispatcher;
  /** One client per account proxy, made on first use. */
  private readonly proxied = new Map<string, KiroHttp>();

  constructor(private readonly options: KiroHttpOptions = {}) {
    const common = {
      keepAliveTimeout: 30_000,
      // Per origin, above the proxy's default limit of 1,000 concurrent requests: with 256, three
      // of four streams at that load queued behind others before Kiro even saw them.
      connections: 1024,
      headersTimeout: options.headersTimeoutMs ?? 60_000,
      bodyTimeout: options.bodyTimeoutMs ?? 300_000,
    };
    this.dispatcher = proxiedDispatcher(options.outboundProxy, common);
  }

  /** The client for an account with its own outbound proxy (this one without). */
  via(proxy: string | undefined): KiroHttp {
    if (!proxy || proxy === this.options.outboundProxy) return this;
    let http = this.proxied.get(proxy);
    if (!http) {
      http = new KiroHttp({ ...this.options, outboundProxy: proxy });
      this.proxied.set(proxy, http);
    }
    return http;
  }

  request(url: string, options: KiroRequestOptions): Promise<HttpResponse> {
    // The URL is split once per URL rather than parsed on every call: the chat URL is the same
    // for every request.
    const { origin, path } = originAndPath(url);
    return dispatchRequest(this.dispatcher, { origin, path, method: options.method, headers: options.headers, body: options.body }, options.signal);
  }

  /** JSON round trip for the small control-plane calls (refresh, usage, models, OIDC). */
  async json(
    url: string,
    init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: unknown; signal?: AbortSignal },
  ): Promise<{ status: number; headers: ResponseHeaders; body: unknown; text: string }> {
    const res = await this.request(url, {
      method: init.method,
      headers: { accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
    const text = await res.body.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body, text };
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxied.values()].map((http) => http.close()));
    await this.dispatcher.close();
  }
}

const splitUrls = new Map<string, { origin: string; path: string }>();

function originAndPath(url: string): { origin: string; path: string } {
  let split = splitUrls.get(url);
  if (!split) {
    const parsed = new URL(url);
    split = { origin: parsed.origin, path: parsed.pathname + parsed.search };
    if (splitUrls.size >= 64) splitUrls.clear(); // bounded: a handful of Kiro and auth URLs
    splitUrls.set(url, split);
  }
  return split;
}
