// Stop sequences and output limits. Kiro has neither, so the exchange runs every reply through
// this one transformer: text stops before the first stop sequence (wherever deltas split it) and
// the reply ends once it holds `maxTokens` output tokens, counted as usage counts them (tokens.ts).
// The caller sees `cut` and closes the Kiro call: the client has what it asked for.
import type { ReplyEvent, StopReason, Usage } from './model';
import { tokenWeight } from './tokens';

export interface ReplyLimits {
  maxTokens?: number;
  stopSequences?: string[];
}

/** True when the limits can change a reply; the exchange skips the transformer otherwise. */
export function hasLimits(limits: ReplyLimits): boolean {
  return limits.maxTokens !== undefined || (limits.stopSequences?.some((s) => s.length > 0) ?? false);
}

export class ReplyLimiter {
  private readonly stops: string[];
  private readonly maxTokens: number;
  /** Output weight so far, in the units of `tokenWeight`. */
  private weight = 0;
  /** Text held back because it could be the start of a stop sequence. */
  private held = '';
  private openTool?: string;
  /** The limiter ended the reply before Kiro did. */
  cut = false;

  constructor(
    limits: ReplyLimits,
    /** Usage for a reply ended here, before Kiro reported its own. */
    private readonly usageSoFar: (outputTokens: number) => Usage,
  ) {
    this.stops = (limits.stopSequences ?? []).filter((s) => s.length > 0);
    this.maxTokens = limits.maxTokens === undefined ? Infinity : Math.max(1, Math.floor(limits.maxTokens));
  }

  /** The events to pass on for one event; after `cut` nothing more passes. */
  push(event: ReplyEvent): ReplyEvent[] {
    if (this.cut) return [];
    if (event.type === 'text') return this.text(event.text);
    // Held-back text belongs before whatever comes next.
    const out = this.flush();
    if (this.cut) return out;
    switch (event.type) {
      case 'thinking': {
        const kept = this.spend(event.text);
        if (kept) out.push({ type: 'thinking', text: kept });
        if (this.cut) out.push(this.end('max_tokens'));
        return out;
      }
      case 'tool_input': {
        const kept = this.spend(event.partialJson);
        if (kept) out.push({ ...event, partialJson: kept });
        // A call cut short has no usable input: it ends empty and the reply says truncated.
        if (this.cut) out.push({ type: 'tool_end', id: event.id, input: {} }, this.end('max_tokens', true));
        return out;
      }
      case 'tool_start':
        this.openTool = event.id;
        break;
      case 'tool_end':
        this.openTool = undefined;
        break;
    }
    out.push(event);
    return out;
  }

  private text(delta: string): ReplyEvent[] {
    let text = this.held + delta;
    this.held = '';
    let stopSequence: string | undefined;
    if (this.stops.length > 0) {
      const found = firstStop(text, this.stops);
      if (found) {
        text = text.slice(0, found.at);
        stopSequence = found.stop;
      } else {
        const keep = heldTail(text, this.stops);
        this.held = text.slice(text.length - keep);
        text = text.slice(0, text.length - keep);
      }
    }
    const out: ReplyEvent[] = [];
    const kept = this.spend(text);
    if (kept) out.push({ type: 'text', text: kept });
    if (this.cut) out.push(this.end('max_tokens'));
    else if (stopSequence !== undefined) {
      this.cut = true;
      out.push(this.end('stop_sequence', false, stopSequence));
    }
    return out;
  }

  /** Held-back text that turned out not to be a stop sequence, before anything else passes. */
  private flush(): ReplyEvent[] {
    if (!this.held) return [];
    const held = this.held;
    this.held = '';
    const kept = this.spend(held);
    const out: ReplyEvent[] = kept ? [{ type: 'text', text: kept }] : [];
    if (this.cut) out.push(this.end('max_tokens'));
    return out;
  }

  /** The part of `text` that fits in the output limit; sets `cut` when the limit is reached. */
  private spend(text: string): string {
    if (this.maxTokens === Infinity) {
      this.weight += tokenWeight(text);
      return text;
    }
    const total = this.weight + tokenWeight(text);
    if (total <= this.maxTokens) {
      this.weight = total;
      // Exactly full: nothing more can come, so the reply ends now rather than at the next delta.
      if (total === this.maxTokens) this.cut = true;
      return text;
    }
    // The limit falls inside this piece: keep characters while the count stays within it.
    let end = 0;
    for (const char of text) {
      const next = this.weight + tokenWeight(char);
      if (next > this.maxTokens) break;
      this.weight = next;
      end += char.length;
    }
    this.cut = true;
    return text.slice(0, end);
  }

  private end(stopReason: StopReason, truncated = false, stopSequence?: string): ReplyEvent {
    this.cut = true;
    const usage = this.usageSoFar(Math.max(1, Math.ceil(this.weight)));
    return {
      type: 'end',
      stopReason,
      usage,
      ...(truncated || this.openTool ? { truncated: true } : {}),
      ...(stopSequence !== undefined ? { stopSequence } : {}),
    };
  }
}

/** The earliest stop sequence in `text` (the longest one when two start at the same place). */
function firstStop(text: string, stops: string[]): { at: number; stop: string } | undefined {
  let best: { at: number; stop: string } | undefined;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at >= 0 && (!best || at < best.at || (at === best.at && stop.length > best.stop.length))) best = { at, stop };
  }
  return best;
}

/** How many characters at the end of `text` could begin a stop sequence the next delta completes. */
function heldTail(text: string, stops: string[]): number {
  let keep = 0;
  for (const stop of stops) {
    for (let n = Math.min(stop.length - 1, text.length); n > keep; n--) {
      if (text.endsWith(stop.slice(0, n))) {
        keep = n;
        break;
      }
    }
  }
  return keep;
}

/** Runs reply events through a limiter. */
export async function* limitReply(events: AsyncIterable<ReplyEvent>, limiter: ReplyLimiter): AsyncGenerator<ReplyEvent> {
  for await (const event of events) {
    for (const out of limiter.push(event)) yield out;
    if (limiter.cut) return;
  }
}
