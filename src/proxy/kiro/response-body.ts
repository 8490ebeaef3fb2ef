// One HTTP exchange through undici's `dispatch`, with the body handed over as the parser gives
// it. undici's own `request()` wraps each response in a Readable stream, an AsyncResource and
// a promise-per-chunk async iterator over the stream: measured, that machinery cost more than
// the decoding of a short reply, and every chunk of a long one paid it again. Here each chunk
// goes from the parser's callback into a small queue the consumer pulls from, with the same
// backpressure (the socket is paused while 64 KiB wait unread).
import { parseHeaders, type Dispatcher } from './undici';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface HttpResponse {
  statusCode: number;
  headers: ResponseHeaders;
  body: ResponseBody;
}

/** Bytes held unread before the socket is paused (undici's own body stream uses the same). */
const HIGH_WATER_BYTES = 64 * 1024;
/** What `dump` reads to keep a connection before it cuts it instead (undici's figure too). */
const DUMP_LIMIT_BYTES = 128 * 1024;

/**
 * A response body: an async iterable of chunks, read once. Leaving the iteration early, or
 * reading it with `dump`, ends the exchange; `text` reads it whole.
 */
export class ResponseBody implements AsyncIterableIterator<Buffer> {
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private waiting: { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: unknown) => void } | undefined;
  /** Set while the parser is paused for the consumer to catch up. */
  private paused = false;

  constructor(
    /** Cuts the exchange. */
    private readonly cancel: (reason: Error) => void,
    /** Lets the paused parser go on. */
    private readonly resumeParser: () => void,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.queue.length > 0) {
      // Everything that waits leaves as one chunk: a consumer that fell behind catches up in one
      // step (one decoding pass, one batch of events) instead of one per network chunk.
      const value = this.queue.length === 1 ? this.queue[0] : Buffer.concat(this.queue, this.queuedBytes);
      this.queue.length = 0;
      this.queuedBytes = 0;
      if (this.paused) {
        this.paused = false;
        this.resumeParser();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** The consumer left before the end: the exchange is cut (its socket is not reused). */
  return(): Promise<IteratorResult<Buffer>> {
    const running = !this.ended && !this.failure;
    // Finished first: the cut's own error, reported back at once, must not fail a later `next`.
    this.finish();
    if (running) this.cancel(new Error('the response body was not read to its end'));
    return Promise.resolve({ value: undefined, done: true });
  }

  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  }

  /**
   * Reads and drops the rest, so that the connection can be reused; a body longer than
   * `limitBytes` (an error page of any size, an endless one) is cut instead, as undici's own
   * `dump` does.
   */
  async dump(limitBytes = DUMP_LIMIT_BYTES): Promise<void> {
    let read = 0;
    for await (const chunk of this) {
      read += chunk.length;
      if (read > limitBytes) break;
    }
  }

  /** @internal From the parser: false asks it to pause until `resume` is called. */
  push(chunk: Buffer): boolean {
    if (this.ended || this.failure) return true;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.resolve({ value: chunk, done: false });
      return true;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (this.queuedBytes < HIGH_WATER_BYTES) return true;
    this.paused = true;
    return false;
  }

  /** @internal */
  end(): void {
    if (this.ended || this.failure) return;
    this.ended = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve({ value: undefined, done: true });
  }

  /** @internal */
  fail(error: unknown): void {
    if (this.ended || this.failure) return;
    this.failure = { error };
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }

  private finish(): void {
    this.ended = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.paused = false;
  }
}

/**
 * Sends one request and resolves with the response once its headers arrive. An abort of
 * `signal` fails the request (before the headers) or the body (after them) with its reason.
 */
export function dispatchRequest(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal | undefined,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let abortExchange: ((reason: Error) => void) | undefined;
    /** Made when the headers arrive: until then a failure rejects the request itself. */
    let body: ResponseBody | undefined;
    const abortReason = (): Error => {
      const reason: unknown = signal?.reason;
      return reason instanceof Error ? reason : new Error('This operation was aborted');
    };
    const cancel = (reason: Error) => abortExchange?.(reason);
    const onAbort = () => cancel(abortReason());
    const unlink = () => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });

    dispatcher.dispatch(options, {
      onConnect(abort) {
        abortExchange = abort;
        if (signal?.aborted) abort(abortReason());
      },
      onHeaders(statusCode, rawHeaders, resume) {
        // 1xx answers are interim: the real one follows.
        if (statusCode < 200) return true;
        body = new ResponseBody(cancel, resume);
        // Parsed now, not when read: the raw headers are views into the socket's read buffer,
        // and keeping them would hold that buffer for the whole answer.
        resolve({ statusCode, headers: parseHeaders(rawHeaders) as ResponseHeaders, body });
        return true;
      },
      onData(chunk) {
        return body ? body.push(chunk) : true;
      },
      onComplete() {
        unlink();
        body?.end();
      },
      onError(error) {
        unlink();
        // undici reports at most one error per request.
        if (body) body.fail(error);
        else reject(error);
      },
    });
  });
}
