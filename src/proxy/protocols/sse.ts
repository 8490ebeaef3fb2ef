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
  const dataLines = data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');
  return `${event === undefined ? '' : `event: ${event}\n`}${dataLines}\n`;
}

/** The parts of a ServerResponse the writer uses. */
export type SseResponse = Pick<
  ServerResponse,
  'writeHead' | 'flushHeaders' | 'write' | 'end' | 'once' | 'off' | 'writableEnded' | 'destroyed'
>;

export interface Heartbeat {
  intervalMs: number;
  /** Raw bytes to send after `intervalMs` without a write, e.g. an Anthropic `ping` event. */
  frame: string;
}

export class SseWriter implements SseSink {
  private heartbeat?: NodeJS.Timeout;
  private clientGone = false;

  constructor(private readonly res: SseResponse) {
    // Writing to a response whose socket closed emits an 'error' nobody listens for.
    res.once('close', () => {
      this.clientGone = true;
      clearTimeout(this.heartbeat);
    });
  }

  /** Sends the 200 status and SSE headers right away, so clients see the stream open. */
  open(heartbeat?: Heartbeat): void {
    this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    this.res.flushHeaders();
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

  end(): void {
    clearTimeout(this.heartbeat);
    if (!this.closed) this.res.end();
  }

  private async writeRaw(chunk: string): Promise<void> {
    if (this.closed) return;
    this.heartbeat?.refresh();
    if (this.res.write(chunk)) return;
    await this.drained();
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
