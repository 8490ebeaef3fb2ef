// Turns a reply script into the event-stream frames Kiro would send (§4.3–4.6, §8.6 item 3).
// Pure: no I/O, all randomness from the seeded rng, so a script always yields the same bytes.
import { encodeFrame, encodeException, encodeInitialResponse, corruptMessageCrc } from './eventstream.mjs';

/**
 * @typedef {object} ToolCallScript
 * @property {string} name
 * @property {object|string} [input] object (JSON-encoded and streamed in fragments) or a raw string
 * @property {string} [id] default `tooluse_` + 22 URL-safe chars
 *
 * @typedef {object} ReplyScript
 * @property {string} [text] answer text; default `Echo: <current user content>` unless tools/errors given; `''` with no tools is an empty reply (§11.8)
 * @property {string} [thinking] reasoning, sent as a `<thinking>…</thinking>\n\n` text prefix
 * @property {boolean} [reasoningEvent] send `thinking` as reasoningContentEvent frames instead
 * @property {string} [reasoningSignature]
 * @property {ToolCallScript[]} [toolCalls]
 * @property {boolean} [truncateToolInput] cut the last tool's input mid-JSON; no stop, no final events
 * @property {boolean} [toolInputAsObject] send each tool input as one JSON object (not string fragments)
 * @property {boolean} [duplicateToolCall] repeat each tool call with empty input after its stop frame
 * @property {boolean} [bracketToolCall] emit tool calls as `[Called name with args: {…}]` text instead
 * @property {boolean} [duplicateDeltas] send every text delta twice in a row (the text really contains it twice)
 * @property {[number, number]} [deltaSize] min/max characters per text delta, default [1, 10]
 * @property {{type?: string, message?: string, reason?: string|null, afterFrames?: number}} [exception] in-stream exception; ends the stream
 * @property {Array<{type: string, payload: object}>} [extraEvents] arbitrary events before the final ones
 * @property {number} [credits] meteringEvent usage
 * @property {number} [contextUsagePercentage]
 * @property {boolean} [noFinalEvents] omit metering/context events
 * @property {boolean|object} [metadataEvent] add a metadataEvent (tokenUsage + stopReason) after the final events
 * @property {boolean} [contextUsageFirst] send contextUsageEvent before meteringEvent
 * @property {number} [badCrcAtFrame] corrupt the message CRC of this frame index
 * @property {boolean|number} [garbageBetweenFrames] junk bytes after frame N (true = 0)
 * @property {boolean} [truncateLastFrame] send only the first half of the last frame
 * @property {number} [stallAfterFrames] send N frames, then keep the connection open silently
 * @property {number} [resetAfterFrames] send N frames, then drop the connection
 * @property {boolean} [resetBeforeHeaders] drop the connection without any response
 * @property {number} [firstByteDelayMs] delay before the status line (also for error replies)
 * @property {number} [firstFrameDelayMs] delay after the headers, before the first frame
 * @property {number} [frameDelayMs] delay between network writes
 * @property {'random'|'frame'|'single'} [chunking] how bytes are cut into writes (default random)
 * @property {number} [status] non-200 → JSON error reply
 * @property {string} [error] named error preset (see errors.mjs ERROR_PRESETS)
 * @property {string} [errorType] x-amzn-errortype override
 * @property {string} [message]
 * @property {string|null} [reason]
 * @property {object|string} [body] full error body override
 * @property {Record<string,string>} [headers] extra response headers
 * @property {number} [retryAfter] sets `retry-after` (seconds)
 */

/** Is this script an HTTP error instead of a stream? */
export const isErrorReply = (s) => (s.status !== undefined && s.status !== 200) || s.error !== undefined;

/** Split text into deltas of min..max code points (never splitting a surrogate pair). */
export function splitDeltas(text, rng, [min, max] = [1, 10]) {
  const chars = Array.from(text);
  const out = [];
  for (let i = 0; i < chars.length;) {
    const n = rng.int(min, max);
    out.push(chars.slice(i, i + n).join(''));
    i += n;
  }
  return out;
}

/**
 * @param {ReplyScript} script
 * @param {{rng: import('./prng.mjs').Rng, defaultText: string, defaultCredits: number, contextUsagePercentage: number, cliFlavour?: boolean, modelId?: string, cacheUsage?: {uncachedInputTokens: number, cacheReadInputTokens: number, cacheWriteInputTokens: number}|null}} ctx
 * @returns {{segments: Array<{bytes: Buffer, frame: boolean}>, frameCount: number, summary: {text: string, thinking: string, toolCalls: Array<{id: string, name: string, input: string}>, credits: number|null, contextUsagePercentage: number|null, exception: string|null}}}
 */
export function buildStream(script, ctx) {
  const { rng } = ctx;
  /** @type {Buffer[]} */ const frames = [];
  const summary = { text: '', thinking: script.thinking ?? '', toolCalls: [], credits: null, contextUsagePercentage: null, exception: null };
  const toolCalls = (script.toolCalls ?? []).map((t) => ({ ...t, id: t.id ?? rng.toolUseId() }));
  const hasOther = toolCalls.length > 0 || script.exception;
  let text = script.text ?? (hasOther ? '' : ctx.defaultText);

  if (ctx.cliFlavour) frames.push(encodeInitialResponse());
  if (script.bracketToolCall) {
    text += toolCalls.map((t) => `\n[Called ${t.name} with args: ${typeof t.input === 'string' ? t.input : JSON.stringify(t.input ?? {})}]`).join('');
  }
  // Thinking: either inline tags in the text stream (the common case) or separate reasoning events.
  if (script.thinking !== undefined && script.reasoningEvent) {
    const deltas = splitDeltas(script.thinking, rng, script.deltaSize);
    deltas.forEach((d, i) => {
      const payload = { text: d };
      if (i === deltas.length - 1) payload.signature = script.reasoningSignature ?? 'sig_' + rng.str(40);
      frames.push(encodeFrame('reasoningContentEvent', payload));
    });
  } else if (script.thinking !== undefined) {
    text = `<thinking>${script.thinking}</thinking>\n\n${text}`;
  }
  for (const d of splitDeltas(text, rng, script.deltaSize)) {
    const payload = ctx.cliFlavour ? { content: d, modelId: ctx.modelId ?? 'auto' } : { content: d };
    const copies = script.duplicateDeltas ? 2 : 1;
    for (let c = 0; c < copies; c++) { frames.push(encodeFrame('assistantResponseEvent', payload)); summary.text += d; }
  }

  let truncated = false;
  if (!script.bracketToolCall) {
    toolCalls.forEach((t, i) => {
      const last = i === toolCalls.length - 1;
      const json = typeof t.input === 'string' ? t.input : JSON.stringify(t.input ?? {});
      const base = { name: t.name, toolUseId: t.id };
      frames.push(encodeFrame('toolUseEvent', base));
      if (script.toolInputAsObject && typeof t.input !== 'string') {
        frames.push(encodeFrame('toolUseEvent', { input: t.input ?? {}, ...base }));
        summary.toolCalls.push({ id: t.id, name: t.name, input: json });
      } else {
        // Large inputs get cut by Kiro mid-JSON (§4.5): no stop frame, no final events.
        const cut = last && script.truncateToolInput ? json.slice(0, Math.max(1, Math.floor(json.length / 2))) : json;
        for (const piece of splitDeltas(cut, rng, [5, 40])) frames.push(encodeFrame('toolUseEvent', { input: piece, ...base }));
        summary.toolCalls.push({ id: t.id, name: t.name, input: cut });
        if (cut !== json) { truncated = true; return; }
      }
      frames.push(encodeFrame('toolUseEvent', { name: t.name, stop: true, toolUseId: t.id }));
      if (script.duplicateToolCall) {
        frames.push(encodeFrame('toolUseEvent', base), encodeFrame('toolUseEvent', { input: '', ...base }),
          encodeFrame('toolUseEvent', { name: t.name, stop: true, toolUseId: t.id }));
      }
    });
  }
  for (const ev of script.extraEvents ?? []) frames.push(encodeFrame(ev.type, ev.payload));

  if (script.exception) {
    const ex = script.exception;
    const type = ex.type ?? 'InternalServerException';
    const at = Math.min(ex.afterFrames ?? frames.length, frames.length);
    frames.splice(at, frames.length - at, encodeException(type, { message: ex.message, reason: ex.reason ?? null }));
    summary.exception = type;
  } else if (!truncated && !script.noFinalEvents) {
    const credits = script.credits ?? ctx.defaultCredits;
    const pct = script.contextUsagePercentage ?? ctx.contextUsagePercentage;
    const metering = encodeFrame('meteringEvent', { unit: 'credit', unitPlural: 'credits', usage: credits });
    const context = encodeFrame('contextUsageEvent', { contextUsagePercentage: pct });
    frames.push(...(script.contextUsageFirst ? [context, metering] : [metering, context]));
    summary.credits = credits;
    summary.contextUsagePercentage = pct;
    // A request with cache points always gets tokenUsage with its cache split (§11.5).
    if (script.metadataEvent || ctx.cacheUsage) {
      const outputTokens = Math.ceil((summary.text.length + summary.toolCalls.reduce((n, t) => n + t.input.length, 0)) / 4);
      const input = ctx.cacheUsage ?? { uncachedInputTokens: Math.round((pct / 100) * 200000), cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };
      const inputTokens = input.uncachedInputTokens + input.cacheReadInputTokens + input.cacheWriteInputTokens;
      frames.push(encodeFrame('metadataEvent', typeof script.metadataEvent === 'object' ? script.metadataEvent : {
        tokenUsage: { ...input, outputTokens, totalTokens: inputTokens + outputTokens },
        stopReason: summary.toolCalls.length ? 'TOOL_USE' : 'END_TURN',
      }));
      summary.tokenUsage = { ...input, outputTokens };
    }
  }

  // Wire faults operate on the finished frame list.
  const frameCount = frames.length;
  if (script.badCrcAtFrame !== undefined && frames[script.badCrcAtFrame]) frames[script.badCrcAtFrame] = corruptMessageCrc(frames[script.badCrcAtFrame]);
  if (script.truncateLastFrame && frames.length) {
    const lastFrame = frames[frames.length - 1];
    frames[frames.length - 1] = lastFrame.subarray(0, Math.floor(lastFrame.length / 2));
  }
  /** @type {Array<{bytes: Buffer, frame: boolean}>} */ const segments = [];
  const garbageAt = script.garbageBetweenFrames === true ? 0 : script.garbageBetweenFrames;
  frames.forEach((f, i) => {
    segments.push({ bytes: f, frame: true });
    if (typeof garbageAt === 'number' && garbageAt === i) segments.push({ bytes: rng.bytes(rng.int(3, 12)), frame: false });
  });
  return { segments, frameCount, summary };
}
