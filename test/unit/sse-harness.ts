// Test doubles for the protocol adapters: an in-memory SSE sink, a ServerResponse stand-in
// whose bytes become a fetch `Response`, and a `fetch` that runs an adapter's handler
// against a scripted exchange, so the official SDKs can talk to the adapter without a socket.
import { PassThrough, Readable } from 'node:stream';
import { defaultConfig } from '../../src/proxy/config';
import { asProxyError, type ProxyError } from '../../src/proxy/errors';
import type { ExchangeRequest } from '../../src/proxy/exchange';
import type { ReplyEvent } from '../../src/proxy/model';
import { formatSseEvent, type SseSink } from '../../src/proxy/protocols/sse';
import type { ProtocolContext } from '../../src/proxy/protocols/types';

/** Collects what a renderer sends, as the exact SSE bytes. */
export class MemorySink implements SseSink {
  text = '';
  async send(data: string | (() => string), event?: string): Promise<void> {
    this.text += formatSseEvent(typeof data === 'string' ? data : data(), event);
  }
  /** Every delta its own event, as the renderer made it (the writer's joining is tested on its own). */
  async sendDelta(_key: string, text: string, render: (text: string) => string, event?: string): Promise<void> {
    this.text += formatSseEvent(render(text), event);
  }
  /** The events as [event name, parsed data] pairs. */
  events(): Array<[string | undefined, unknown]> {
    return this.text
      .split('\n\n')
      .filter((frame) => frame)
      .map((frame) => {
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)![1];
        return [event, data === '[DONE]' ? data : JSON.parse(data)];
      });
  }
}

export async function* script(events: ReplyEvent[], failWith?: Error): AsyncIterable<ReplyEvent> {
  for (const event of events) yield event;
  if (failWith) throw failWith;
}

/** The parts of ServerResponse the adapters use, over a PassThrough that a Response can read. */
export class FakeResponse extends PassThrough {
  statusCode = 0;
  headers: Record<string, string> = {};
  headersSent = false;
  readonly head: Promise<void>;
  private headWritten!: () => void;

  /** A number is both sides' high-water mark; options set each side (a socket that takes writes but is not read). */
  constructor(highWaterMark?: number | { readableHighWaterMark: number; writableHighWaterMark: number }) {
    super(highWaterMark === undefined ? {} : typeof highWaterMark === 'number' ? { highWaterMark } : highWaterMark);
    this.head = new Promise((resolve) => (this.headWritten = resolve));
  }

  writeHead(status: number, headers: Record<string, string | number> = {}): this {
    this.statusCode = status;
    for (const [name, value] of Object.entries(headers)) this.headers[name] = String(value);
    this.headersSent = true;
    this.headWritten();
    return this;
  }

  flushHeaders(): void {}
}

export interface ScriptedExchange {
  /** What the adapter passed to `exchange.start`, once it did. */
  request?: ExchangeRequest;
}

/**
 * A fetch for an SDK client: the request body goes through `handle` with an exchange that
 * replays `events` (or throws `startError`), and the handler's bytes become the Response.
 * Errors the handler throws are rendered as the server would, with `errorBody`.
 */
export function adapterFetch(
  handle: (ctx: ProtocolContext) => Promise<void>,
  errorBody: (error: ProxyError) => unknown,
  reply: { events?: ReplyEvent[] | (() => AsyncIterable<ReplyEvent>); failWith?: Error; startError?: Error; pingIntervalMs?: number; params?: Record<string, string> },
  seen: ScriptedExchange = {},
): typeof fetch {
  return async (_input, init) => {
    const res = new FakeResponse();
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
    const ctx = {
      req: { headers },
      res,
      body: JSON.parse(String(init?.body)),
      bodyBytes: Buffer.byteLength(String(init?.body)),
      params: reply.params ?? {},
      query: new URL(String(_input), 'http://proxy.test').searchParams,
      exchange: {
        async start(request: ExchangeRequest) {
          seen.request = request;
          if (reply.startError) throw reply.startError;
          const events = typeof reply.events === 'function' ? reply.events() : script(reply.events ?? [], reply.failWith);
          return { kiroModel: 'claude-sonnet-4.5', accountId: 'a1', estimatedInputTokens: 42, events };
        },
        countTokens: () => 42,
      },
      config: defaultConfig({ pingIntervalMs: reply.pingIntervalMs ?? 0 }),
      signal: new AbortController().signal,
    } as unknown as ProtocolContext;
    handle(ctx).catch((err: unknown) => {
      const error = asProxyError(err);
      res.writeHead(error.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(errorBody(error)));
    });
    await res.head;
    return new Response(Readable.toWeb(res) as ReadableStream, { status: res.statusCode, headers: res.headers });
  };
}
