// Server-sent events for every streaming protocol: framing, flow control, and a heartbeat
// that keeps clients from timing out while Kiro is silent (long thinking, slow tools).
import type { ServerResponse } from 'node:http';

/** Where a streaming renderer sends events; the socket in production, memory in tests. */
export interface SseSink {
  /** Resolves once the event is accepted; a no-op after the client has gone. */
  send(data: string, event?: string): Promise<void>;
}

/** One event in SSE wire format. Multi-line data becomes one `data:` line per line. */
export function formatSseEvent(data: string, event?: string): string {
  const head = event === undefined ? '' : `event: ${event}\n`;
  // The common case (JSON.stringify output never holds a raw line break) skips the split.
  if (data.indexOf('\n') < 0 && data.indexOf('\r') < 0) return `${head}data: ${data}\n\n`;
  const dataLines = data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');
  return `${head}${dataLines}\n`;
}

/** The parts of a ServerResponse the writer uses. */
export type SseResponse = Pick<
  ServerResponse,
  'writeHead' | 'flushHeaders' | 'write' | 'end' | 'once' | 'off' | 'writableEnded' | 'destroyed' | 'writableHighWaterMark'
>;

export interface Heartbeat {
  intervalMs: number;
  /** Raw bytes to send after `intervalMs` without a write, e.g. an Anthropic `ping` event. */
  frame: string;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Writes events to the response. The events of one tick (a renderer turning one upstream
 * chunk into many events) are joined and leave in a single write at the end of the tick:
 * one chunk and one syscall instead of one per event. `send` resolves when the event is
 * buffered; once a write finds the socket full, sends wait for 'drain', so a client that
 * reads slowly holds back the upstream read as before (at most one tick of events is held).
 */
export class SseWriter implements SseSink {
  private heartbeat?: NodeJS.Timeout;
  private clientGone = false;
  /** Events of the current tick, not yet written. */
  private pending = '';
  private flushQueued = false;
  /** Something (the headers at least) went to the socket. */
  private started = false;
  /** Set while the socket is full: sends wait for it. */
  private draining?: Promise<void>;
  /** Above this many buffered characters the batch is written at once, not at the end of the tick. */
  private readonly flushAt: number;
  private readonly flushTick = () => this.flush();

  constructor(private readonly res: SseResponse) {
    this.flushAt = Math.max(1, Math.min(64 * 1024, res.writableHighWaterMark || 16 * 1024));
    // Writing to a response whose socket closed emits an 'error' nobody listens for.
    res.once('close', () => {
      this.clientGone = true;
      this.pending = '';
      clearTimeout(this.heartbeat);
    });
  }

  /**
   * Sends the 200 status and SSE headers. They leave with the first events when those come in
   * the same tick (the usual case: the renderer starts at once), else alone at the end of it,
   * so clients see the stream open either way.
   */
  open(heartbeat?: Heartbeat): void {
    this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    this.queueFlush();
    if (heartbeat && heartbeat.intervalMs > 0 && !this.closed) {
      // One timer, re-armed on every write: it only fires after a full interval of silence.
      this.heartbeat = setTimeout(() => {
        this.heartbeat?.refresh();
        void this.writeRaw(heartbeat.frame);
      }, heartbeat.intervalMs);
    }
  }

  get closed(): boolean {
    return this.clientGone || this.res.writableEnded || this.res.destroyed;
  }

  send(data: string, event?: string): Promise<void> {
    return this.writeRaw(formatSseEvent(data, event));
  }

  /** Writes what is buffered along with the end of the response. */
  end(): void {
    clearTimeout(this.heartbeat);
    if (this.closed) return;
    const rest = this.pending;
    this.pending = '';
    if (rest) this.res.end(rest);
    else this.res.end();
  }

  private writeRaw(chunk: string): Promise<void> {
    if (this.closed) return RESOLVED;
    this.heartbeat?.refresh();
    this.pending += chunk;
    if (this.pending.length >= this.flushAt) this.flush();
    else this.queueFlush();
    return this.draining ?? RESOLVED;
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    process.nextTick(this.flushTick);
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.closed) return;
    const chunk = this.pending;
    this.pending = '';
    if (!chunk) {
      // Nothing to carry the headers: send them alone so the client sees the stream open.
      if (!this.started) this.res.flushHeaders();
      this.started = true;
      return;
    }
    this.started = true;
    if (this.res.write(chunk) || this.draining) return;
    this.draining = this.drained().then(() => {
      this.draining = undefined;
    });
  }

  /** Waits for the socket buffer to empty, or for the client to go away. */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.once('drain', done);
      this.res.once('close', done);
      // The socket may have died between the failed write and here, so 'close' already fired.
      if (this.closed) done();
    });
  }
}
