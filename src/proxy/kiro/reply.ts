// Turns Kiro's decoded event-stream frames into ReplyEvents (protocol doc §4.3–4.9, §3.4):
// text with its leading `<thinking>` block split off, reasoning events, tool calls (structured
// and bracket-style in text), usage, the stop reason, and in-stream exceptions.
import { createHash, type Hash } from 'node:crypto';
import { ProxyError } from '../errors';
import { isRecord } from '../records';
import { randomHex } from '../random-id';
import type { ReplyEvent, StopReason, Usage } from '../model';
import { tokenWeight } from '../tokens';
import { BracketCallExtractor } from './bracket-calls';
import { ContentRun } from './content-run';
import { EventStreamDecoder, type KiroFrame } from './eventstream';
import { ThinkingTagSplitter } from './thinking-tags';

export interface ReplyDecoderOptions {
  /** Context window of the Kiro model: turns `contextUsagePercentage` into input tokens. */
  contextWindowTokens: number;
  /** Local estimate of the prompt, used when Kiro reports no usage. */
  estimateInputTokens: () => number;
  /** Shortened tool name as sent to Kiro → the client's original name. */
  toolNameMap?: ReadonlyMap<string, string>;
  /** Told the prompt tokens Kiro counted (cache reads and writes included), when it reported them. */
  onPromptCounted?: (tokens: number) => void;
}

/**
 * Decodes a Kiro response body into reply events, ending with exactly one `end`.
 *
 * The events of one network chunk are yielded together, with adjacent text (and adjacent
 * thinking) deltas merged into one event: Kiro sends 1–10 characters per frame, so a 16 KB
 * chunk holds ~150 frames, and an event per frame made every later stage (async-generator
 * hops, the renderer's JSON and the socket writes) pay per frame. Runs of plain text frames
 * are joined from their bytes before they reach the ReplyDecoder (see ./content-run). The
 * body is read with whatever it has buffered each time, so while the client is slow to read,
 * what Kiro sent meanwhile becomes one larger event, not a queue of small ones. Merging keeps
 * every ReplyEvent invariant (it only joins deltas of the same run) and the concatenated text.
 */
export async function* decodeKiroStream(
  body: AsyncIterable<Uint8Array>,
  opts: ReplyDecoderOptions,
): AsyncGenerator<ReplyEvent> {
  const frames = new EventStreamDecoder();
  const reply = new ReplyDecoder(opts);
  const run = new ContentRun();
  for await (const chunk of body) {
    // The run takes the leading plain deltas straight from the bytes; the frames returned follow them.
    const decoded = frames.push(chunk, run);
    const batch: ReplyEvent[] = [];
    let failure: { error: unknown } | undefined;
    try {
      for (const frame of decoded) {
        if (run.add(frame)) continue;
        appendMerged(batch, reply.content(run.take()));
        appendMerged(batch, reply.push(frame));
      }
    } catch (error) {
      // An exception frame: what came before it in the chunk is still delivered first.
      failure = { error };
    }
    // Always emptied here, before the yield: the run's buffer is shared by every stream.
    appendMerged(batch, reply.content(run.take()));
    for (const event of batch) yield event;
    if (failure) throw failure.error;
  }
  const { leftoverBytes } = frames.finish();
  // Resync keeps the stream going, but an answer with a hole in it must not pass as complete.
  if (frames.lostFrames > 0) {
    throw new ProxyError(
      'upstream',
      `Kiro's answer was damaged in transit: ${frames.lostFrames} event frame(s) failed their checksum, so part of it is missing. Retry the request.`,
    );
  }
  yield* reply.finish({ cutOff: leftoverBytes > 0 });
}

/** Appends `events` to `batch`, joining a text or thinking delta onto one of the same kind before it. */
function appendMerged(batch: ReplyEvent[], events: ReplyEvent[]): void {
  for (const event of events) {
    const last = batch.length > 0 ? batch[batch.length - 1] : undefined;
    if (last !== undefined && (event.type === 'text' || event.type === 'thinking') && last.type === event.type) {
      batch[batch.length - 1] = { type: event.type, text: last.text + event.text };
    } else {
      batch.push(event);
    }
  }
}

interface OpenToolCall {
  id: string;
  json: string;
  /** Object-valued `input` fragments, merged (they cannot be concatenated as text). */
  objectInput?: Record<string, unknown>;
}

export class ReplyDecoder {
  private readonly blocks = new BlockWriter();
  private readonly thinkingTags = new ThinkingTagSplitter();
  private readonly bracketCalls = new BracketCallExtractor();

  private openCall?: OpenToolCall;
  private readonly finishedCallIds = new Set<string>();
  /** name + input of every emitted call, to drop a bracket call that repeats a structured one. */
  private readonly callKeys = new Set<string>();
  private toolCalls = 0;
  private truncated = false;

  private outputWeight = 0;
  private credits?: number;
  private contextPercent?: number;
  private exactUsage?: { uncached?: number; cacheRead?: number; cacheWrite?: number; outputTokens?: number };
  private kiroStopReason?: string;
  /** Saw any of the events Kiro sends when it finishes normally (metering, context, metadata). */
  private sawFinalEvents = false;
  private contentLengthExceeded = false;

  constructor(private readonly opts: ReplyDecoderOptions) {}

  /** Events for one frame. Throws ProxyError('upstream') for an exception frame. */
  push(frame: KiroFrame): ReplyEvent[] {
    if (this.contentLengthExceeded) return [];
    if (frame.messageType === 'exception' || frame.messageType === 'error') {
      this.onException(frame);
      return [];
    }
    const payload = parsePayload(frame);
    if (!payload) return [];
    switch (frame.eventType) {
      case 'assistantResponseEvent':
        this.onReasoning(reasoningOf(payload.reasoningContent));
        if (typeof payload.content === 'string') this.onText(payload.content);
        break;
      case 'reasoningContentEvent':
        this.onReasoning({ text: stringOr(payload.text), signature: stringOr(payload.signature) });
        break;
      case 'toolUseEvent':
        this.onToolUse(payload);
        break;
      case 'meteringEvent':
        this.sawFinalEvents = true;
        if (typeof payload.usage === 'number') this.credits = (this.credits ?? 0) + payload.usage;
        break;
      case 'contextUsageEvent':
        this.sawFinalEvents = true;
        if (typeof payload.contextUsagePercentage === 'number') this.contextPercent = payload.contextUsagePercentage;
        break;
      case 'metadataEvent':
        this.sawFinalEvents = true;
        this.onMetadata(payload);
        break;
      // Anything else (followupPromptEvent, initial-response, codeReferenceEvent, …) is UI-only.
    }
    return this.blocks.take();
  }

  /** Events for answer text taken from plain content frames by a ContentRun ('' gives none). */
  content(text: string): ReplyEvent[] {
    if (this.contentLengthExceeded || !text) return [];
    this.onText(text);
    return this.blocks.take();
  }

  /**
   * Flushes held-back text, closes what is open and emits `end`. `cutOff`: the body ended in
   * the middle of a frame, so the answer is known to be incomplete.
   */
  finish(stream: { cutOff?: boolean } = {}): ReplyEvent[] {
    for (const piece of this.thinkingTags.finish()) this.routeTagged(piece.kind, piece.text);
    for (const piece of this.bracketCalls.finish()) if (piece.kind === 'text') this.emitText(piece.text);
    if (this.openCall) this.closeCall(this.openCall, 'stream-end');
    this.blocks.closeThinking();
    if (stream.cutOff) this.truncated = true;
    const usage = this.usage();
    this.blocks.emit({ type: 'end', stopReason: this.stopReason(), usage, ...(this.truncated ? { truncated: true } : {}) });
    return this.blocks.take();
  }

  private onText(delta: string): void {
    for (const piece of this.thinkingTags.push(delta)) this.routeTagged(piece.kind, piece.text);
  }

  private routeTagged(kind: 'thinking' | 'text', text: string): void {
    if (kind === 'thinking') {
      this.outputWeight += tokenWeight(text);
      this.blocks.thinking(text);
      return;
    }
    for (const piece of this.bracketCalls.push(text)) {
      if (piece.kind === 'text') this.emitText(piece.text);
      else this.blocks.whenNoToolOpen(() => this.emitBracketCall(piece.name, piece.argumentsJson, piece.input));
    }
  }

  private emitText(text: string): void {
    this.outputWeight += tokenWeight(text);
    this.blocks.text(text);
  }

  private onReasoning(reasoning: { text?: string; signature?: string }): void {
    if (reasoning.text) {
      this.outputWeight += tokenWeight(reasoning.text);
      this.blocks.thinking(reasoning.text);
    }
    if (reasoning.signature) this.blocks.signThinking(reasoning.signature);
  }

  private onToolUse(payload: Record<string, unknown>): void {
    const id = stringOr(payload.toolUseId);
    if (!id) return;
    // Kiro sometimes repeats a finished call (usually with empty input). Ids must stay unique
    // for the client, and the first copy is already out, so every repeat is dropped.
    if (this.finishedCallIds.has(id)) return;
    if (this.openCall && this.openCall.id !== id) this.closeCall(this.openCall, 'superseded');
    if (!this.openCall) {
      this.openCall = { id, json: '' };
      this.blocks.startTool(id, this.clientToolName(stringOr(payload.name) ?? ''));
    }
    const call = this.openCall;
    const input = payload.input;
    if (typeof input === 'string' && input) {
      call.json += input;
      this.outputWeight += tokenWeight(input);
      this.blocks.toolInput(id, input);
    } else if (isRecord(input)) {
      call.objectInput = { ...call.objectInput, ...input };
    }
    if (payload.stop === true) this.closeCall(call, 'stop');
  }

  /**
   * Ends a structured call. Its input is incomplete when its JSON does not parse, or when the
   * stream ended without `stop` and without Kiro's final events (upstream cut the call short,
   * protocol doc §4.5). Then the reply ends with max_tokens + truncated, and the call's input is
   * `{}` rather than a repaired guess: a half file or command run by the client is worse than a
   * call that fails validation, and `truncated` lets the caller tell the model what happened.
   */
  private closeCall(call: OpenToolCall, how: 'stop' | 'superseded' | 'stream-end'): void {
    let input: Record<string, unknown> | undefined;
    if (call.json.trim() === '') {
      input = call.objectInput ?? {};
      // Object fragments were not streamed; send them now so the deltas add up to the input.
      if (call.objectInput) this.streamWholeInput(call.id, input);
    } else {
      const parsed = parseObject(call.json);
      input = parsed && call.objectInput ? { ...parsed, ...call.objectInput } : parsed;
    }
    const complete = input !== undefined && (how !== 'stream-end' || this.sawFinalEvents);
    if (!complete) this.truncated = true;
    this.endCall(call.id, input ?? {});
    this.openCall = undefined;
  }

  private emitBracketCall(name: string, argumentsJson: string, input: Record<string, unknown>): void {
    const clientName = this.clientToolName(name);
    if (this.callKeys.has(callKey(clientName, input))) return;
    const id = `toolu_${randomHex(24)}`;
    this.blocks.startTool(id, clientName);
    this.outputWeight += tokenWeight(argumentsJson);
    this.blocks.toolInput(id, argumentsJson);
    this.endCall(id, input);
  }

  private streamWholeInput(id: string, input: Record<string, unknown>): void {
    const json = JSON.stringify(input);
    this.outputWeight += tokenWeight(json);
    this.blocks.toolInput(id, json);
  }

  private endCall(id: string, input: Record<string, unknown>): void {
    this.finishedCallIds.add(id);
    this.toolCalls++;
    this.callKeys.add(callKey(this.blocks.openToolName ?? '', input));
    this.blocks.endTool(id, input);
  }

  private clientToolName(kiroName: string): string {
    return this.opts.toolNameMap?.get(kiroName) ?? kiroName;
  }

  private onMetadata(payload: Record<string, unknown>): void {
    if (typeof payload.stopReason === 'string') this.kiroStopReason = payload.stopReason;
    const tokens = payload.tokenUsage;
    if (!isRecord(tokens)) return;
    const count = (n: unknown) => (typeof n === 'number' && n >= 0 ? n : undefined);
    this.exactUsage = {
      uncached: count(tokens.uncachedInputTokens),
      cacheRead: count(tokens.cacheReadInputTokens),
      cacheWrite: count(tokens.cacheWriteInputTokens),
      outputTokens: count(tokens.outputTokens),
    };
  }

  private onException(frame: KiroFrame): void {
    const type = frame.exceptionType ?? 'unknown';
    if (type.includes('ContentLengthExceeded')) {
      this.contentLengthExceeded = true;
      return;
    }
    // Only the `message` member: the rest of the payload is not meant for the client.
    const payload = parsePayload(frame);
    const message = stringOr(payload?.message) ?? frame.errorMessage ?? 'no message';
    throw new ProxyError('upstream', `Kiro stream error (${type}): ${message.slice(0, 500)}`);
  }

  private usage(): Usage {
    const exact = this.exactUsage;
    const outputTokens = exact?.outputTokens ?? Math.ceil(this.outputWeight);
    const usage: Usage = { inputTokens: 0, outputTokens };
    if (exact && (exact.uncached !== undefined || exact.cacheRead !== undefined || exact.cacheWrite !== undefined)) {
      // Exact counts (§11.5): input excludes what the prompt cache served or stored.
      usage.inputTokens = exact.uncached ?? 0;
      if (exact.cacheRead) usage.cacheReadTokens = exact.cacheRead;
      if (exact.cacheWrite) usage.cacheWriteTokens = exact.cacheWrite;
      this.opts.onPromptCounted?.(usage.inputTokens + (exact.cacheRead ?? 0) + (exact.cacheWrite ?? 0));
    } else if (this.contextPercent !== undefined) {
      usage.inputTokens = this.inputFromPercent(outputTokens);
    } else {
      usage.inputTokens = this.opts.estimateInputTokens();
    }
    if (this.credits !== undefined) usage.credits = this.credits;
    return usage;
  }

  /**
   * The prompt's tokens from `contextUsagePercentage`, which Kiro rounds to 0.01 % of the window
   * (20 tokens of 200k). Whether it includes the answer is not settled (protocol doc §4.7), and a
   * long answer must not eat the prompt's count (it went to 0): an estimate inside what the
   * percentage allows either way is kept (small prompts stay consistent with count_tokens);
   * otherwise, of "used" and "used − output", the one nearer the estimate wins.
   */
  private inputFromPercent(outputTokens: number): number {
    const window = this.opts.contextWindowTokens;
    const used = Math.max(1, Math.round((this.contextPercent! / 100) * window));
    const halfStep = window / 20_000;
    const estimate = Math.max(1, this.opts.estimateInputTokens());
    const fits = (center: number) => Math.abs(estimate - center) <= halfStep;
    const withoutOutput = used - outputTokens;
    let input: number;
    if (fits(used) || (withoutOutput > 0 && fits(withoutOutput))) input = estimate;
    else if (withoutOutput <= 0) input = used;
    else {
      const distance = (n: number) => Math.abs(Math.log(n / estimate));
      input = distance(withoutOutput) <= distance(used) ? withoutOutput : used;
    }
    // A count that rounding leaves more than 2 % uncertain teaches the calibration nothing.
    if (halfStep <= 0.02 * input) this.opts.onPromptCounted?.(input);
    return input;
  }

  private stopReason(): StopReason {
    if (this.contentLengthExceeded || this.truncated || this.kiroStopReason === 'MAX_TOKENS') return 'max_tokens';
    if (this.toolCalls > 0) return 'tool_use';
    if (this.kiroStopReason === 'MODEL_CONTEXT_WINDOW_EXCEEDED' || (this.contextPercent ?? 0) >= 100) {
      return 'context_window_exceeded';
    }
    // The answer stopped inside `<thinking>`: the model ran out of room before answering.
    if (this.thinkingTags.endedInThinking) return 'max_tokens';
    return 'end_turn';
  }
}

/**
 * Keeps the ReplyEvent invariant that blocks never interleave: a thinking run is closed (with
 * its signature) before anything else starts, and text or thinking that arrives while a tool
 * call is open waits until the call ends.
 */
class BlockWriter {
  private events: ReplyEvent[] = [];
  private thinkingRun?: { hash: Hash; signature?: string };
  /** A signature that came before the thinking it signs. */
  private pendingSignature?: string;
  private openTool?: { id: string; name: string };
  private waiting: Array<() => void> = [];

  get openToolName(): string | undefined {
    return this.openTool?.name;
  }

  take(): ReplyEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  emit(event: ReplyEvent): void {
    this.events.push(event);
  }

  whenNoToolOpen(action: () => void): void {
    if (this.openTool) this.waiting.push(action);
    else action();
  }

  thinking(text: string): void {
    if (!text) return;
    if (this.openTool) {
      this.waiting.push(() => this.thinking(text));
      return;
    }
    if (!this.thinkingRun) {
      this.thinkingRun = { hash: createHash('sha256'), signature: this.pendingSignature };
      this.pendingSignature = undefined;
    }
    this.thinkingRun.hash.update(text);
    this.emit({ type: 'thinking', text });
  }

  signThinking(signature: string): void {
    if (this.thinkingRun) this.thinkingRun.signature = signature;
    else this.pendingSignature = signature;
  }

  text(text: string): void {
    if (!text) return;
    if (this.openTool) {
      this.waiting.push(() => this.text(text));
      return;
    }
    this.closeThinking();
    this.emit({ type: 'text', text });
  }

  startTool(id: string, name: string): void {
    this.closeThinking();
    this.openTool = { id, name };
    this.emit({ type: 'tool_start', id, name });
  }

  toolInput(id: string, partialJson: string): void {
    this.emit({ type: 'tool_input', id, partialJson });
  }

  endTool(id: string, input: Record<string, unknown>): void {
    this.emit({ type: 'tool_end', id, input });
    this.openTool = undefined;
    const waiting = this.waiting;
    this.waiting = [];
    for (const action of waiting) action();
  }

  /** Ends the thinking run with Kiro's signature, or a stable one derived from the text (clients require one). */
  closeThinking(): void {
    if (!this.thinkingRun) return;
    const signature = this.thinkingRun.signature ?? this.thinkingRun.hash.digest('base64');
    this.thinkingRun = undefined;
    this.emit({ type: 'thinking_signature', signature });
  }
}

function parsePayload(frame: KiroFrame): Record<string, unknown> | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(frame.payload);
  } catch {
    return undefined;
  }
  if (!isRecord(payload)) return undefined;
  // Tolerate the `{"<eventType>": {…}}` wrapping some gateways add (protocol doc §4.2).
  const wrapped = payload[frame.eventType];
  return isRecord(wrapped) && Object.keys(payload).length === 1 ? wrapped : payload;
}

/** `assistantResponseEvent.reasoningContent`: `reasoningText` is a string or `{text, signature}`. */
function reasoningOf(value: unknown): { text?: string; signature?: string } {
  if (!isRecord(value)) return {};
  const reasoningText = value.reasoningText;
  if (typeof reasoningText === 'string') return { text: reasoningText, signature: stringOr(value.signature) };
  if (isRecord(reasoningText)) return { text: stringOr(reasoningText.text), signature: stringOr(reasoningText.signature) };
  return {};
}

function parseObject(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}


function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function callKey(name: string, input: Record<string, unknown>): string {
  return `${name}\u0000${JSON.stringify(input)}`;
}
