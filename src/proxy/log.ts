// The bounded in-memory request log and its running stats. Memory stays flat however long the
// proxy runs: the log is a ring, the stats keep fixed-size per-minute buckets for one hour.
import { EventEmitter } from 'node:events';
import type { MinuteBucket, RequestLogEntry, RequestStats, SessionStats } from './log-entry';

export type { MinuteBucket, RequestLogEntry, RequestStats, SessionStats } from './log-entry';

const SESSIONS_SHOWN = 20;

const LATENCY_SAMPLES = 512;
/** The Kiro request kept with a failed entry, for its repro bundle. */
const REPRO_MAX_CHARS = 256 * 1024;
/** All kept Kiro requests together; past it the oldest entries lose theirs (a Kiro outage with big conversations). */
const REPRO_BUDGET_CHARS = 32 * 1024 * 1024;

export class RequestLog extends EventEmitter<{ entry: [RequestLogEntry]; cleared: [] }> {
  /**
   * The ring: `entries[head…]` are the live entries, oldest first. Evicted ones are left behind
   * `head` and cut off in one go once there are many: a shift per request copied the array.
   */
  private entries: Array<RequestLogEntry | undefined> = [];
  private head = 0;
  private nextId = 1;
  private totals = { requests: 0, errors: 0, totalMs: 0, ttfbMs: 0, ttfbCount: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheHits: 0, credits: 0, webSearches: 0 };
  /** The last LATENCY_SAMPLES durations, a ring written at `latencyNext`. */
  private latencies: number[] = [];
  private latencyNext = 0;
  private buckets = new Map<number, MinuteBucket>();
  /** The entries that keep a Kiro request, oldest first, and those requests' total length. */
  private withRequest: RequestLogEntry[] = [];
  private requestChars = 0;

  constructor(private capacity: number) {
    super();
  }

  setCapacity(capacity: number): void {
    this.capacity = Math.max(1, capacity);
    while (this.entries.length - this.head > this.capacity) this.evictOldest();
  }

  /** Takes the entry over: it gets its id and is kept as it is, not copied (one per request). */
  add(entry: Omit<RequestLogEntry, 'id'>): RequestLogEntry {
    const full = entry as RequestLogEntry;
    full.id = this.nextId++;
    if (full.kiroRequest) this.keepRequest(full, full.kiroRequest);
    this.entries.push(full);
    if (this.entries.length - this.head > this.capacity) this.evictOldest();
    this.count(full);
    this.emit('entry', full);
    return full;
  }

  /** Newest first. */
  recent(limit = 100): RequestLogEntry[] {
    const from = limit > 0 ? Math.max(this.head, this.entries.length - limit) : this.head;
    return (this.entries.slice(from) as RequestLogEntry[]).reverse();
  }

  get(id: number): RequestLogEntry | undefined {
    for (let i = this.head; i < this.entries.length; i++) if (this.entries[i]!.id === id) return this.entries[i];
    return undefined;
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.withRequest = [];
    this.requestChars = 0;
    this.emit('cleared');
  }

  /**
   * Keeps at most REPRO_MAX_CHARS of the request, as a string of its own: a slice would keep the
   * whole original (up to 600 KB) alive. Then drops the oldest kept requests over the budget.
   */
  private keepRequest(entry: RequestLogEntry, request: string): void {
    entry.kiroRequest = request.length > REPRO_MAX_CHARS ? Buffer.from(request.slice(0, REPRO_MAX_CHARS)).toString() : request;
    this.withRequest.push(entry);
    this.requestChars += entry.kiroRequest.length;
    while (this.requestChars > REPRO_BUDGET_CHARS) this.dropRequest(this.withRequest.shift()!);
  }

  private dropRequest(entry: RequestLogEntry): void {
    this.requestChars -= entry.kiroRequest?.length ?? 0;
    delete entry.kiroRequest;
  }

  /** Entries leave the ring oldest first, so one that kept a request is at the head of `withRequest`. */
  private evictOldest(): void {
    const entry = this.entries[this.head];
    this.entries[this.head++] = undefined;
    if (this.withRequest[0] === entry) this.dropRequest(this.withRequest.shift()!);
    if (this.head >= 256 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  stats(now = Date.now()): RequestStats {
    const t = this.totals;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const currentMinute = Math.floor(now / 60_000);
    const lastHour: MinuteBucket[] = [];
    for (let m = currentMinute - 59; m <= currentMinute; m++) {
      lastHour.push(this.buckets.get(m) ?? { minute: m, requests: 0, errors: 0, totalMs: 0 });
    }
    return {
      requests: t.requests,
      errors: t.errors,
      successRate: t.requests ? (t.requests - t.errors) / t.requests : 1,
      avgMs: t.requests ? t.totalMs / t.requests : 0,
      p95Ms: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] : 0,
      avgTtfbMs: t.ttfbCount ? t.ttfbMs / t.ttfbCount : 0,
      inputTokens: t.inputTokens,
      outputTokens: t.outputTokens,
      cacheReadTokens: t.cacheReadTokens,
      cacheHits: t.cacheHits,
      credits: t.credits,
      webSearches: t.webSearches,
      lastHour,
      sessions: this.sessionStats(),
    };
  }

  /** Derived from the ring itself, so it is bounded like the log and needs no bookkeeping. */
  private sessionStats(): SessionStats[] {
    const bySession = new Map<string, SessionStats>();
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (!e.sessionId) continue;
      const s = bySession.get(e.sessionId) ?? { sessionId: e.sessionId, requests: 0, credits: 0, lastTime: 0 };
      s.requests++;
      s.credits += e.credits ?? 0;
      s.lastTime = Math.max(s.lastTime, e.time);
      bySession.set(e.sessionId, s);
    }
    return [...bySession.values()].sort((a, b) => b.lastTime - a.lastTime).slice(0, SESSIONS_SHOWN);
  }

  private count(e: RequestLogEntry): void {
    const t = this.totals;
    const failed = e.status >= 400;
    t.requests++;
    if (failed) t.errors++;
    t.totalMs += e.durationMs;
    if (e.ttfbMs !== undefined) {
      t.ttfbMs += e.ttfbMs;
      t.ttfbCount++;
    }
    t.inputTokens += e.inputTokens ?? 0;
    t.outputTokens += e.outputTokens ?? 0;
    t.cacheReadTokens += e.cacheReadTokens ?? 0;
    if ((e.cacheReadTokens ?? 0) > 0) t.cacheHits++;
    t.credits += e.credits ?? 0;
    t.webSearches += e.webSearches ?? 0;
    this.latencies[this.latencyNext] = e.durationMs;
    this.latencyNext = (this.latencyNext + 1) % LATENCY_SAMPLES;

    const minute = Math.floor(e.time / 60_000);
    let bucket = this.buckets.get(minute);
    if (!bucket) {
      bucket = { minute, requests: 0, errors: 0, totalMs: 0 };
      this.buckets.set(minute, bucket);
      // Pruned when a minute begins, not per request: up to 60 keys to look at each time.
      for (const key of this.buckets.keys()) if (key < minute - 59) this.buckets.delete(key);
    }
    bucket.requests++;
    if (failed) bucket.errors++;
    bucket.totalMs += e.durationMs;
  }
}
