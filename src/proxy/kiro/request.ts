// Conversation → Kiro `generateAssistantResponse` body (docs/kiro-protocol.md §3). Kiro is strict:
// it wants user/assistant alternation, every tool call answered in the next user turn, every
// history tool declared, and < ~600 KB of JSON, and answers any violation with a bare
// `400 Improperly formed request.` So this module repairs the history instead of passing it on.
// Over 500 lines because it is one pipeline (turns → repair → wire entries → size fit) sharing the
// Turn type; the tool declarations (ToolNames … withoutNulls) are the piece to move out next.
import { createHash, randomUUID } from 'node:crypto';
import { invalidRequest, ProxyError, tooLongError } from '../errors';
import { isRecord } from '../records';
import { CACHE_POINT, planCachePoints, withToolCachePoints, type KiroCachePoint } from './cache-points';
import { encodeKiroRequest, type KiroRequestBytes } from './request-bytes';
import type { Conversation, ImageBlock, Message, ResponseFormat, Role, ThinkingConfig, ToolChoice, ToolSpec } from '../model';

// ---- Wire types (§3.1, camelCase exactly as Kiro wants them) ----

export type KiroImageFormat = 'jpeg' | 'png' | 'gif' | 'webp';

export interface KiroImage {
  format: KiroImageFormat;
  source: { bytes: string };
}

export interface KiroTool {
  toolSpecification: { name: string; description: string; inputSchema: { json: Record<string, unknown> } };
}

export interface KiroToolResult {
  toolUseId: string;
  status: 'success' | 'error';
  content: Array<{ text: string }>;
}

export interface KiroToolUse {
  toolUseId: string;
  name: string;
  input: Record<string, unknown>;
}

export interface KiroUserInputMessage {
  content: string;
  modelId: string;
  origin: 'AI_EDITOR';
  images?: KiroImage[];
  userInputMessageContext?: { tools?: Array<KiroTool | KiroCachePoint>; toolResults?: KiroToolResult[] };
  /** The prompt up to and including this message is cached (§11.5). */
  cachePoint?: KiroCachePoint['cachePoint'];
}

export interface KiroAssistantResponseMessage {
  content: string;
  toolUses?: KiroToolUse[];
}

export type KiroHistoryEntry =
  | { userInputMessage: KiroUserInputMessage }
  | { assistantResponseMessage: KiroAssistantResponseMessage };

export interface KiroRequestBody {
  conversationState: {
    chatTriggerType: 'MANUAL';
    conversationId: string;
    agentContinuationId: string;
    agentTaskType: 'vibe';
    currentMessage: { userInputMessage: KiroUserInputMessage };
    history?: KiroHistoryEntry[];
  };
  profileArn?: string;
}

export interface KiroRequestOptions {
  kiroModel: string;
  profileArn?: string;
  conversationId: string;
  /** Serialized size above which the oldest history is trimmed (§3.2 item 9). */
  maxPayloadBytes?: number;
}

export interface BuiltKiroRequest extends KiroRequestBytes {
  body: KiroRequestBody;
  /** Shortened tool name → the client's original name, to map tool calls back. */
  toolNameMap: Map<string, string>;
  /** Oldest history user/assistant pairs dropped to fit `maxPayloadBytes`. */
  trimmedPairs: number;
}

// ---- Limits and fixed texts ----

const DEFAULT_MAX_PAYLOAD_BYTES = 600_000;
const MAX_TOOL_NAME_LENGTH = 64;
const TOOL_NAME_HASH_LENGTH = 8;
const MAX_DESCRIPTION_LENGTH = 9_216;
const MIN_THINKING_BUDGET = 1_024;
const MAX_THINKING_BUDGET = 24_576;

/** Kiro rejects empty user content except in pure tool-result turns. */
const CONTINUE = 'Continue';
/** Content of an assistant turn that only calls tools (§11.7). */
const TOOL_ONLY_CONTENT = ' ';
/** The real IDE's reply to its own system prompt (kiro2api captures). */
const SYSTEM_ACK = 'I will follow these instructions.';
const HISTORY_TOOL_DESCRIPTION = 'Tool used in conversation history';
const MISSING_RESULT_TEXT = 'No result was returned for this tool call: it was interrupted or cancelled.';
const EMPTY_RESULT_TEXT = '(no output)';
const TRIMMED_NOTE = '[Earlier messages of this conversation were removed to fit the request size limit.]';
const IMAGES_REMOVED_NOTE = '[An image of this message was removed to fit the request size limit.]';

const IMAGE_FORMATS: Record<string, KiroImageFormat> = {
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** One side of the exchange, in the shape Kiro needs, before its content text is decided. */
interface Turn {
  role: Role;
  texts: string[];
  images: KiroImage[];
  toolUses: KiroToolUse[];
  toolResults: KiroToolResult[];
  /** A cache breakpoint ends at this turn. */
  cache?: boolean;
}

export function buildKiroRequest(conv: Conversation, opts: KiroRequestOptions): BuiltKiroRequest {
  const toolNames = new ToolNames();
  const cachePlan = planCachePoints(conv.cache, opts.kiroModel);
  const turns = repairTurns(conv.messages.map((message, index) => toTurn(message, toolNames, cachePlan?.messages.has(index) ?? false)));
  const current = turns[turns.length - 1];
  const bodyTurns = turns.slice(0, -1);

  const tools = declareTools(conv, bodyTurns, toolNames);
  const hints = [toolChoiceHint(conv.toolChoice, tools, toolNames), responseFormatHint(conv.responseFormat)];
  const systemText = composeSystem(conv.system, conv.thinking, hints.filter(Boolean).join('\n\n'));
  const systemPair: Turn[] = systemText ? [{ ...newTurn('user', [systemText]), cache: cachePlan?.system }, newTurn('assistant', [SYSTEM_ACK])] : [];
  const cachedTools = new Set((cachePlan ? conv.tools.filter((_, index) => cachePlan.tools.has(index)) : []).map((spec) => toolNames.wire(spec.name)));
  const toolEntries = withToolCachePoints(tools, cachedTools);

  const assemble = (kept: Turn[], currentTurn: Turn): KiroRequestBody => {
    const history = [...systemPair, ...kept].map((turn) => historyEntry(turn, opts.kiroModel));
    const userInputMessage = userMessage(currentTurn, opts.kiroModel);
    userInputMessage.userInputMessageContext = { ...userInputMessage.userInputMessageContext, ...(tools.length ? { tools: toolEntries } : {}) };
    return {
      conversationState: {
        chatTriggerType: 'MANUAL',
        conversationId: opts.conversationId,
        agentContinuationId: randomUUID(),
        agentTaskType: 'vibe',
        currentMessage: { userInputMessage },
        ...(history.length ? { history } : {}),
      },
      ...(opts.profileArn ? { profileArn: opts.profileArn } : {}),
    };
  };

  const { body, encoded, trimmedPairs } = fitPayload(bodyTurns, current, assemble, {
    maxBytes: opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    entryBytes: (turn) => Buffer.byteLength(JSON.stringify(historyEntry(turn, opts.kiroModel))),
  });
  return { body, ...encoded, toolNameMap: toolNames.shortToOriginal, trimmedPairs };
}

// ---- Messages → turns ----

function newTurn(role: Role, texts: string[] = []): Turn {
  return { role, texts, images: [], toolUses: [], toolResults: [] };
}

function toTurn(message: Message, toolNames: ToolNames, cache: boolean): Turn {
  const turn = newTurn(message.role);
  if (cache) turn.cache = true;
  const thinking: string[] = [];
  for (const block of message.content) {
    switch (block.type) {
      case 'text':
        if (block.text) turn.texts.push(block.text);
        break;
      case 'thinking':
        if (block.text && message.role === 'assistant') thinking.push(block.text);
        break;
      case 'image':
        turn.images.push(toKiroImage(block));
        break;
      case 'tool_use':
        turn.toolUses.push({ toolUseId: block.id, name: toolNames.wire(block.name), input: block.input });
        break;
      case 'tool_result':
        turn.toolResults.push({
          toolUseId: block.toolUseId,
          status: block.isError ? 'error' : 'success',
          content: [{ text: block.content || EMPTY_RESULT_TEXT }],
        });
        break;
    }
  }
  // Kiro has no thinking field in history: earlier reasoning goes back inline (§3.4).
  if (thinking.length) turn.texts = [`<thinking>${thinking.join('\n')}</thinking>\n\n${turn.texts.join('\n')}`];
  // Only Kiro user turns carry images and results, only assistant turns carry calls.
  if (turn.role === 'assistant') {
    turn.texts.push(...turn.toolResults.map(resultAsText));
    turn.toolResults = [];
    if (turn.images.length) turn.texts.push(`[${turn.images.length} image(s) omitted]`);
    turn.images = [];
  } else {
    turn.texts.push(...turn.toolUses.map((use) => `[Tool call ${use.name} (${use.toolUseId})]\n${JSON.stringify(use.input)}`));
    turn.toolUses = [];
  }
  return turn;
}

function toKiroImage(block: ImageBlock): KiroImage {
  if (block.source.kind !== 'base64') throw invalidRequest('Image URLs must be fetched before the Kiro request is built.');
  const format = IMAGE_FORMATS[block.source.mediaType.toLowerCase()];
  if (!format) {
    throw invalidRequest(`Image type "${block.source.mediaType}" is not supported by Kiro; use JPEG, PNG, GIF or WebP.`);
  }
  return { format, source: { bytes: block.source.data } };
}

function resultAsText(result: KiroToolResult): string {
  return `[Tool result for ${result.toolUseId}]\n${result.content.map((part) => part.text).join('\n')}`;
}

function isEmpty(turn: Turn): boolean {
  return !turn.texts.length && !turn.images.length && !turn.toolUses.length && !turn.toolResults.length;
}

// ---- History repair (§3.2 items 1–3) ----

/** Alternating turns that start and end with a user turn, with every tool call answered. */
function repairTurns(input: Turn[]): Turn[] {
  const turns: Turn[] = [];
  for (const turn of dropBracePrefill(input.filter((t) => !isEmpty(t)))) {
    const previous = turns[turns.length - 1];
    if (previous?.role === turn.role) mergeInto(previous, turn);
    else turns.push(turn);
  }
  if (turns[0]?.role !== 'user') turns.unshift(newTurn('user'));
  // A trailing assistant prefill stays in history; Kiro needs a user turn to answer.
  if (turns[turns.length - 1].role !== 'user') turns.push(newTurn('user'));
  pairToolCalls(turns);
  return turns;
}

/** A trailing `{` prefill (JSON-forcing trick) means nothing to Kiro: drop it (§3.2 item 1). */
function dropBracePrefill(turns: Turn[]): Turn[] {
  const last = turns[turns.length - 1];
  const isBrace = last?.role === 'assistant' && !last.toolUses.length && last.texts.join('').trim() === '{';
  return isBrace ? turns.slice(0, -1) : turns;
}

/** Consecutive same-role turns (client retries, split messages) become one (§3.2 item 2). */
function mergeInto(target: Turn, next: Turn): void {
  target.texts.push(...next.texts);
  target.images.push(...next.images);
  target.toolUses.push(...next.toolUses);
  target.toolResults.push(...next.toolResults);
  if (next.cache) target.cache = true;
}

/**
 * Gives each user turn exactly the results of the calls in the assistant turn before it, in
 * call order. Results for calls made elsewhere become text (the model still sees the output);
 * calls without a result get an error result rather than being dropped, so the model keeps
 * knowing what it did and may retry. Duplicate ids keep their first occurrence.
 */
function pairToolCalls(turns: Turn[]): void {
  turns.forEach((turn, index) => {
    if (turn.role === 'assistant') {
      turn.toolUses = uniqueBy(turn.toolUses, (use) => use.toolUseId);
      return;
    }
    const calls = index > 0 ? turns[index - 1].toolUses : [];
    const callIds = new Set(calls.map((use) => use.toolUseId));
    const answers = new Map<string, KiroToolResult>();
    const orphans: string[] = [];
    for (const result of turn.toolResults) {
      if (!callIds.has(result.toolUseId)) orphans.push(resultAsText(result));
      else if (!answers.has(result.toolUseId)) answers.set(result.toolUseId, result);
    }
    turn.toolResults = calls.map((use) => answers.get(use.toolUseId) ?? missingResult(use.toolUseId));
    turn.texts.unshift(...orphans);
  });
}

function missingResult(toolUseId: string): KiroToolResult {
  return { toolUseId, status: 'error', content: [{ text: MISSING_RESULT_TEXT }] };
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const id = key(item);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

// ---- Turns → wire entries (§3.2 item 5) ----

function userMessage(turn: Turn, modelId: string): KiroUserInputMessage {
  const text = turn.texts.join('\n');
  // Pure tool-result turns send "" like the real IDE: filler text made agents stop early.
  const content = text.trim() ? text : turn.toolResults.length ? '' : CONTINUE;
  return {
    content,
    modelId,
    origin: 'AI_EDITOR',
    ...(turn.images.length ? { images: turn.images } : {}),
    ...(turn.toolResults.length ? { userInputMessageContext: { toolResults: turn.toolResults } } : {}),
    ...(turn.cache ? { cachePoint: CACHE_POINT } : {}),
  };
}

function historyEntry(turn: Turn, modelId: string): KiroHistoryEntry {
  if (turn.role === 'user') return { userInputMessage: userMessage(turn, modelId) };
  const text = turn.texts.join('\n');
  return {
    assistantResponseMessage: {
      // Tool-only turns send one space (§11.7): the 2025 IDE captures sent "", but kiro.rs met a
      // 422 for it in 2026 and has sent " " since, with no report of " " failing; the newer
      // evidence wins, and a space adds nothing to the context. Tool-result-only user turns keep "".
      content: text.trim() || !turn.toolUses.length ? text : TOOL_ONLY_CONTENT,
      ...(turn.toolUses.length ? { toolUses: turn.toolUses } : {}),
    },
  };
}

// ---- Tools (§3.2 items 4 and 7) ----

/**
 * Client tool names → names Kiro's Claude accepts (`[a-zA-Z0-9_-]`, ≤ 64 chars), remembering the
 * ones that changed. Gemini allows dots and colons (`github.search`), MCP clients may use more.
 */
class ToolNames {
  readonly shortToOriginal = new Map<string, string>();

  wire(name: string): string {
    if (name.length <= MAX_TOOL_NAME_LENGTH && VALID_TOOL_NAME.test(name)) return name;
    // A hash of the full name keeps changed names stable across requests and distinct.
    const hash = createHash('sha256').update(name).digest('hex').slice(0, TOOL_NAME_HASH_LENGTH);
    const safe = name.replace(/[^a-zA-Z0-9_-]/g, '_');
    const short = `${safe.slice(0, MAX_TOOL_NAME_LENGTH - TOOL_NAME_HASH_LENGTH - 1)}_${hash}`;
    this.shortToOriginal.set(short, name);
    return short;
  }
}

const VALID_TOOL_NAME = /^[a-zA-Z0-9_-]+$/;

/**
 * The client's tools (none for `tool_choice: none`), plus a stub for every tool the history
 * calls that is not declared: Kiro rejects history calls to undeclared tools.
 */
function declareTools(conv: Conversation, history: Turn[], toolNames: ToolNames): KiroTool[] {
  const clientTools = uniqueBy(
    conv.tools.map((spec) => kiroTool(spec, toolNames)),
    (tool) => tool.toolSpecification.name.toLowerCase(),
  );
  const usedNames = new Map<string, string>();
  for (const turn of history) for (const use of turn.toolUses) usedNames.set(use.name.toLowerCase(), use.name);

  const offered = conv.toolChoice?.type === 'none'
    ? clientTools.filter((tool) => usedNames.has(tool.toolSpecification.name.toLowerCase()))
    : clientTools;
  const declared = new Set(offered.map((tool) => tool.toolSpecification.name.toLowerCase()));
  const stubs = [...usedNames].filter(([lower]) => !declared.has(lower)).map(([, name]) => historyStub(name));
  return [...offered, ...stubs];
}

function kiroTool(spec: ToolSpec, toolNames: ToolNames): KiroTool {
  const name = toolNames.wire(spec.name);
  const description = spec.description?.trim()
    ? spec.description.length > MAX_DESCRIPTION_LENGTH
      ? `${spec.description.slice(0, MAX_DESCRIPTION_LENGTH)}...`
      : spec.description
    : `Tool: ${name}`;
  return { toolSpecification: { name, description, inputSchema: { json: objectSchema(spec.inputSchema) } } };
}

function historyStub(name: string): KiroTool {
  return {
    toolSpecification: {
      name,
      description: HISTORY_TOOL_DESCRIPTION,
      inputSchema: { json: { type: 'object', properties: {}, additionalProperties: true } },
    },
  };
}

/** Tool input is always an object: anything else becomes a permissive object schema. */
function objectSchema(schema: unknown): Record<string, unknown> {
  const cleaned = withoutNulls(schema);
  if (!isRecord(cleaned) || (cleaned.type !== undefined && cleaned.type !== 'object')) {
    return { type: 'object', properties: {}, additionalProperties: true };
  }
  return { ...cleaned, type: 'object', properties: isRecord(cleaned.properties) ? cleaned.properties : {} };
}

/** Keywords whose value is data, where `null` is meaningful. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);

/**
 * MCP servers send `null` where a schema or list is expected, which Kiro rejects: a null
 * property schema becomes `{}` (anything), any other null keyword is dropped.
 */
function withoutNulls(node: unknown, inPropertyMap = false): unknown {
  if (Array.isArray(node)) return node.filter((item) => item !== null).map((item) => withoutNulls(item));
  if (!isRecord(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (value === null) {
      if (inPropertyMap) out[key] = {};
    } else {
      out[key] = DATA_KEYWORDS.has(key) && !inPropertyMap ? value : withoutNulls(value, isSchemaMap(key) && !inPropertyMap);
    }
  }
  return out;
}

/** Keywords whose value maps names to schemas (not a schema itself). */
function isSchemaMap(key: string): boolean {
  return key === 'properties' || key === 'patternProperties' || key === '$defs' || key === 'definitions';
}


// ---- System text: thinking tags and tool_choice (§3.2 items 6–7, §3.4) ----

/**
 * The system text goes into Kiro as a leading history pair (user = system text, assistant =
 * "I will follow these instructions."), as the real Kiro IDE does. It leaves the client's
 * first message untouched (so Claude Code's `x-anthropic-billing-header:` line needs no care),
 * and payload trimming can always keep it while dropping the oldest real turns.
 */
function composeSystem(system: string, thinking: ThinkingConfig | undefined, hint: string): string {
  // Kiro reads the thinking tags at the very start of the first user turn.
  const tags = thinking && !system.includes('<thinking_mode>') ? thinkingTags(thinking) : '';
  const instructions = [tags, system].filter((part) => part.trim()).join('\n');
  return [instructions, hint].filter(Boolean).join('\n\n');
}

function thinkingTags(thinking: ThinkingConfig): string {
  if (thinking.type === 'adaptive') {
    return `<thinking_mode>adaptive</thinking_mode><thinking_effort>${thinking.effort}</thinking_effort>`;
  }
  const budget = Math.min(MAX_THINKING_BUDGET, Math.max(MIN_THINKING_BUDGET, Math.round(thinking.budgetTokens)));
  return `<thinking_mode>enabled</thinking_mode><max_thinking_length>${budget}</max_thinking_length>`;
}

/** Kiro has no tool_choice field; the model gets a sentence instead. */
function toolChoiceHint(choice: ToolChoice | undefined, tools: KiroTool[], toolNames: ToolNames): string {
  if (!choice || choice.type === 'auto' || !tools.length) return '';
  if (choice.type === 'none') return 'Do not call any tools in your next reply; answer with text only.';
  if (choice.type === 'any') return 'You MUST call one of the provided tools in your next reply.';
  return `You MUST call the tool "${toolNames.wire(choice.name)}" in your next reply.`;
}

/** Kiro has no structured output either: a JSON answer is asked for in words. */
function responseFormatHint(format: ResponseFormat | undefined): string {
  if (!format) return '';
  if (format.type === 'json_object') return 'Respond with a single JSON object and nothing else.';
  return `Respond with a single JSON value matching this JSON Schema, and nothing else:\n${JSON.stringify(format.schema ?? {})}`;
}

// ---- Payload size (§3.2 item 9) ----

/**
 * Serializes once; when the JSON is too large, drops the oldest history pairs (never the
 * system pair, nor the pair whose calls the current message answers) using per-entry sizes,
 * so only the final candidate is serialized again.
 */
function fitPayload(
  history: Turn[],
  current: Turn,
  assemble: (kept: Turn[], current: Turn) => KiroRequestBody,
  { maxBytes, entryBytes }: { maxBytes: number; entryBytes: (turn: Turn) => number },
): { body: KiroRequestBody; encoded: KiroRequestBytes; trimmedPairs: number } {
  let body = assemble(history, current);
  let encoded = encodeKiroRequest(body);
  let excess = encoded.bytes.length - maxBytes;
  if (excess <= 0) return { body, encoded, trimmedPairs: 0 };

  // Old images go before any text, oldest first: the model has answered them already, and one
  // screenshot can weigh more than the whole written conversation.
  const lighter = withoutOldImages(history, excess, entryBytes);
  if (lighter !== history) {
    history = lighter;
    body = assemble(history, current);
    encoded = encodeKiroRequest(body);
    excess = encoded.bytes.length - maxBytes;
    if (excess <= 0) return { body, encoded, trimmedPairs: 0 };
  }

  const pairCount = history.length / 2;
  const maxTrim = current.toolResults.length ? pairCount - 1 : pairCount;
  // +1 per entry for the separating comma; the note added to the new first turn is reserved.
  const pairBytes = (pair: number) => entryBytes(history[2 * pair]) + entryBytes(history[2 * pair + 1]) + 2;
  excess += Buffer.byteLength(TRIMMED_NOTE) + 1;

  let trimmed = 0;
  while (trimmed < maxTrim && excess > 0) excess -= pairBytes(trimmed++);
  for (; trimmed <= maxTrim && trimmed > 0; trimmed++) {
    const kept = history.slice(2 * trimmed);
    if (kept.length) kept[0] = afterTrim(kept[0]);
    body = assemble(kept, kept.length ? current : afterTrim(current));
    encoded = encodeKiroRequest(body);
    if (encoded.bytes.length <= maxBytes) return { body, encoded, trimmedPairs: trimmed };
  }
  const imageBytes = current.images.reduce((sum, image) => sum + image.source.bytes.length, 0);
  if (imageBytes > maxBytes / 2) {
    throw new ProxyError(
      'invalid_request',
      `The images of this message take ${Math.round(imageBytes / 1000)} KB; Kiro takes about ${Math.round(maxBytes / 1000)} KB per request in all. Send fewer or smaller images.`,
    );
  }
  throw tooLongError();
}

/** History with its oldest images replaced by a note until `excess` bytes are saved (or none are left). */
function withoutOldImages(history: Turn[], excess: number, entryBytes: (turn: Turn) => number): Turn[] {
  if (!history.some((turn) => turn.images.length)) return history;
  const lighter = [...history];
  for (let i = 0; i < lighter.length && excess > 0; i++) {
    const turn = lighter[i];
    if (!turn.images.length) continue;
    lighter[i] = { ...turn, images: [], texts: [...turn.texts, IMAGES_REMOVED_NOTE] };
    excess -= entryBytes(turn) - entryBytes(lighter[i]);
  }
  return lighter;
}

/** The first user turn after a cut: its calls are gone, so its results become text. */
function afterTrim(turn: Turn): Turn {
  return { ...turn, toolResults: [], texts: [TRIMMED_NOTE, ...turn.toolResults.map(resultAsText), ...turn.texts] };
}
