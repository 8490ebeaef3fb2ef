// Server-sent events for every streaming protocol: framing, flow control, and a heartbeat
// that keeps clients from timing out while Kiro is silent (long thinking, slow tools).
import type { ServerResponse } from 'node:http';

/** Where a streaming renderer sends events; the socket in production, memory in tests. */
export interface SseSink {
  /**
   * Resolves once the event is accepted; a no-op after the client has gone. `data` may be a
   * function, called when the event takes its place in the stream (after a delta run before it
   * is rendered): for protocols that number their events.
   */
  send(data: string | (() => string), event?: string): Promise<void>;
  /**
   * Sends a text delta as the event `render(text)`. Deltas of one `key` that are still waiting
   * to be written (sent in the same tick, or while a slow client's socket is full) leave as ONE
   * event, rendered from their joined text: the client reads the same text in fewer events.
   * Anything sent in between ends the run, so events never change order.
   */
  sendDelta(key: string, text: string, render: (text: string) => string, event?: string): Promise<void>;
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
  'writeHead' | 'flushHeaders' | 'write' | 'end' | 'once' | 'writableEnded' | 'destroyed' | 'writableHighWaterMark' | 'writableLength'
>;

export interface Heartbeat {
  intervalMs: number;
  /** Raw bytes to send after `intervalMs` without a write, e.g. an Anthropic `ping` event. */
  frame: string;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** How far apart a slow client's writes are: what comes meanwhile leaves joined. */
export const SLOW_CLIENT_PACE_MS = 25;

/** A run of deltas of one key, rendered into one event when it is written. */
interface DeltaRun {
  key: string;
  text: string;
  render: (text: string) => string;
  event?: string;
}

/**
 * Writes events to the response. The events of one tick (a renderer turning one upstream
 * chunk into many events) are joined and leave in a single write at the end of the tick:
 * one chunk and one syscall instead of one per event. While the last write has not left for
 * the kernel (a client that reads slowly has filled its socket), nothing more is written:
 * `send` waits for it, so a slow client holds back the upstream read, while `sendDelta` keeps
 * taking deltas of the same run (up to `maxHeldDeltaChars`) so that what Kiro sent meanwhile
 * leaves as one larger event once the socket takes data again. A slow client gets fewer,
 * larger events, never a queue of small ones.
 *
 * Once a client has been seen slow, its writes stay at least `SLOW_CLIENT_PACE_MS` apart for the
 * rest of the stream, unless what waits has reached its bound (`maxHeldDeltaChars`): that is
 * written at once, or once a full socket has taken the last write, so the pace joins events and
 * never caps the rate. (It is not undone when a write leaves quickly: after each wait for a slow
 * client every write leaves quickly for a while; see below.) The kernel wakes a writer only
 * when a third of the socket's buffer is free, so after each wait there is room for a megabyte
 * at once: written tick by tick, it filled with the fast reader's small events again, and the
 * client read them just as slowly.
 */
export class SseWriter implements SseSink {
  private heartbeat?: NodeJS.Timeout;
  /** When something was last written (only kept while a heartbeat runs). */
  private lastWriteAt = 0;
  private clientGone = false;
  /** Events of the current tick, not yet written. */
  private pending = '';
  /** Deltas after `pending`, joined until something else is sent or they are written. */
  private run?: DeltaRun;
  private flushQueued = false;
  /** Something (the headers at least) went to the socket. */
  private started = false;
  /** Set while the socket is full: sends wait for it. */
  private draining?: Promise<void>;
  /** A write was still unsent a tick later: the client reads slower than we write. */
  private slowClient = false;
  /** Set for `SLOW_CLIENT_PACE_MS` after each write to a slow client; it flushes when it fires. */
  private paceTimer?: NodeJS.Timeout;
  private readonly paceEnded = () => {
    this.paceTimer = undefined;
    this.flush(true);
  };
  /** Writes made, and write callbacks come back (they come in order): the last is unsent while they differ. */
  private writes = 0;
  private writesLeft = 0;
  /** Ends the wait for the last write (it left, or the client went away); set only while waiting. */
  private release?: () => void;
  /** Above this many buffered characters the batch is written at once, not at the end of the tick. */
  private readonly flushAt: number;
  /** Delta text held for a full socket before sendDelta waits too: bounds a slow stream's memory. */
  private readonly maxHeldDeltaChars: number;
  private readonly flushTick = () => this.flush(true);

  constructor(private readonly res: SseResponse) {
    this.flushAt = Math.max(1, Math.min(64 * 1024, res.writableHighWaterMark || 16 * 1024));
    this.maxHeldDeltaChars = 4 * this.flushAt;
    // Writing to a response whose socket closed emits an 'error' nobody listens for.
    res.once('close', () => {
      this.clientGone = true;
      this.pending = '';
      this.run = undefined;
      clearTimeout(this.heartbeat);
      clearTimeout(this.paceTimer);
      this.release?.();
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
      this.lastWriteAt = Date.now();
      this.armHeartbeat(heartbeat, heartbeat.intervalMs);
    }
  }

  /**
   * One timer for the stream. Writes only note the time; when the timer fires early (there
   * was a write meanwhile) it waits out the rest of the interval, so a heartbeat leaves only
   * after a full interval of silence. (Not `Timeout.refresh()` per write: fake timers in
   * tests cannot drive it.)
   */
  private armHeartbeat(heartbeat: Heartbeat, delayMs: number): void {
    this.heartbeat = setTimeout(() => {
      const silentMs = Date.now() - this.lastWriteAt;
      if (silentMs < heartbeat.intervalMs) return this.armHeartbeat(heartbeat, heartbeat.intervalMs - silentMs);
      void this.writeRaw(heartbeat.frame);
      if (!this.closed) this.armHeartbeat(heartbeat, heartbeat.intervalMs);
    }, delayMs);
  }

  private noteWrite(): void {
    if (this.heartbeat) this.lastWriteAt = Date.now();
  }

  get closed(): boolean {
    return this.clientGone || this.res.writableEnded || this.res.destroyed;
  }

  send(data: string | (() => string), event?: string): Promise<void> {
    if (this.closed) return RESOLVED;
    // The run before this event is rendered first, so that `data()` runs after it (numbering).
    this.closeRun();
    return this.writeRaw(formatSseEvent(typeof data === 'string' ? data : data(), event));
  }

  sendDelta(key: string, text: string, render: (text: string) => string, event?: string): Promise<void> {
    if (this.closed) return RESOLVED;
    this.noteWrite();
    if (this.run?.key === key) this.run.text += text;
    else {
      this.closeRun();
      this.run = { key, text, render, event };
    }
    if (!this.draining) {
      if (this.pending.length + this.run.text.length >= this.flushAt) this.flush();
      else this.queueFlush();
    }
    // While the socket is full the run is held, not written, up to its bound; past it, wait for drain.
    return !this.draining || (this.run?.text.length ?? 0) < this.maxHeldDeltaChars ? RESOLVED : this.draining;
  }

  /** Writes what is buffered along with the end of the response. */
  end(): void {
    clearTimeout(this.heartbeat);
    clearTimeout(this.paceTimer);
    if (this.closed) return;
    this.closeRun();
    const rest = this.pending;
    this.pending = '';
    if (rest) this.res.end(rest);
    else this.res.end();
  }

  private writeRaw(chunk: string): Promise<void> {
    if (this.closed) return RESOLVED;
    this.noteWrite();
    this.closeRun();
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

  /** Renders the delta run into `pending`, where it keeps its place before what follows. */
  private closeRun(): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    this.pending += formatSseEvent(run.render(run.text), run.event);
  }

  /** `queued`: run from the tick the flush was queued for, not because the buffer grew past its size. */
  private flush(queued = false): void {
    this.flushQueued = false;
    if (this.closed || this.draining) return;
    // The last write is still in the socket a tick later: the client is not reading. Hold what
    // came since (the delta run keeps growing) until that write has left.
    // (Only then: within one tick the socket is corked, so a write always looks unsent.)
    if (queued && this.writesLeft < this.writes && this.res.writableLength > 0) {
      this.slowClient = true;
      this.waitForLastWrite();
      return;
    }
    // A slow client's next write waits for the pace, unless what waits has reached its bound.
    if (this.paceTimer && this.pending.length + (this.run?.text.length ?? 0) < this.maxHeldDeltaChars) return;
    this.closeRun();
    const chunk = this.pending;
    this.pending = '';
    if (!chunk) {
      // Nothing to carry the headers: send them alone so the client sees the stream open.
      if (!this.started) this.res.flushHeaders();
      this.started = true;
      return;
    }
    this.started = true;
    this.writes++;
    if (this.slowClient) {
      clearTimeout(this.paceTimer);
      this.paceTimer = setTimeout(this.paceEnded, SLOW_CLIENT_PACE_MS);
    }
    if (!this.res.write(chunk, this.written)) this.waitForLastWrite();
  }

  /** A write left for the kernel (callbacks come in the order of the writes; none is made while waiting). */
  private readonly written = (): void => {
    if (++this.writesLeft === this.writes) this.release?.();
  };

  /** Nothing is written until the last write has left (or the client went away); then what waits leaves, joined. */
  private waitForLastWrite(): void {
    this.draining = new Promise<void>((resolve) => (this.release = resolve)).then(() => {
      this.release = undefined;
      this.draining = undefined;
      this.flush(true);
    });
  }
}
