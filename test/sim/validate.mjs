// Kiro's request strictness (docs/kiro-protocol.md §3.2, §5, §8.6 item 2). Kiro answers nearly every
// structural problem with the same generic 400, so the point of this module is to be at least as
// strict as the real service: anything accepted here must also be accepted by Kiro.
import { ERROR_PRESETS } from './errors.mjs';

/** Wire ids seen in real IDE captures plus the dotted ids used since late 2025 (§3.3). */
export const DEFAULT_KNOWN_MODELS = Object.freeze([
  'auto', 'claude-sonnet-4', 'claude-sonnet-4.5', 'claude-haiku-4.5', 'claude-opus-4.5',
  'claude-sonnet-4.6', 'claude-opus-4.6', 'claude-3.7-sonnet',
  // 2026 (§11.6)
  'claude-opus-4.7', 'claude-opus-4.8', 'claude-sonnet-5', 'claude-opus-5', 'deepseek-3.2', 'glm-5', 'MiniMax-M2.5',
  'qwen3-coder-next', 'gpt-5.6',
  'CLAUDE_SONNET_4_20250514_V1_0', 'CLAUDE_3_7_SONNET_20250219_V1_0', 'CLAUDE_3_5_HAIKU_20241022_V1_0',
  'CLAUDE_SONNET_4_5_20250929_V1_0',
]);

export const MAX_PAYLOAD_BYTES = 600_000;
const IMAGE_FORMATS = new Set(['jpeg', 'png', 'gif', 'webp']);
// JSON-Schema keywords whose value must be an object/array; `null` there breaks Kiro (§3.2 item 7).
const SCHEMA_CONTAINER_KEYS = ['properties', 'items', 'required', 'anyOf', 'oneOf', 'allOf', 'not',
  'enum', 'definitions', '$defs', 'patternProperties', 'dependencies', 'additionalItems'];

/** @typedef {{status: number, errorType: string, message: string, reason: string|null, detail?: string}} ValidationError */

class Invalid extends Error {}
/** @param {string} detail why (for debugging only; Kiro itself never says) */
const fail = (detail) => { throw new Invalid(detail); };

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const optionalArray = (v, what) => { if (v !== undefined && !Array.isArray(v)) fail(`${what} must be an array`); return v ?? []; };

/**
 * @param {unknown} body parsed JSON, or a string/Buffer of raw JSON
 * @param {{knownModels?: readonly string[], maxBytes?: number, rawBytes?: number, contextLimitTokens?: number|null}} [opts]
 * @returns {ValidationError|null}
 */
export function validateKiroRequest(body, { knownModels = DEFAULT_KNOWN_MODELS, maxBytes = MAX_PAYLOAD_BYTES, rawBytes, contextLimitTokens = null } = {}) {
  let raw = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : undefined;
  const size = rawBytes ?? (raw !== undefined ? Buffer.byteLength(raw) : Buffer.byteLength(JSON.stringify(body) ?? ''));
  const improper = (detail) => ({ ...ERROR_PRESETS.improperlyFormed({}), detail });
  if (size > maxBytes) return improper(`payload ${size} bytes > ${maxBytes}`);
  let req = body;
  if (raw !== undefined) {
    try { req = JSON.parse(raw); } catch { return improper('body is not JSON'); }
  }
  let modelId;
  try {
    modelId = checkStructure(req);
  } catch (e) {
    if (e instanceof Invalid) return improper(e.message);
    throw e;
  }
  if (modelId !== undefined && !knownModels.includes(modelId)) return { ...ERROR_PRESETS.invalidModel({}), detail: `unknown modelId ${modelId}` };
  if (contextLimitTokens != null) {
    const tokens = Math.ceil((raw ?? JSON.stringify(req)).length / 4);
    if (tokens > contextLimitTokens) return { ...ERROR_PRESETS.inputTooLong({}), detail: `~${tokens} tokens > ${contextLimitTokens}` };
  }
  return null;
}

/** Throws Invalid on the first problem; returns the current modelId. */
function checkStructure(req) {
  if (!isObject(req)) fail('body is not an object');
  const cs = req.conversationState;
  if (!isObject(cs)) fail('conversationState missing');
  if (req.profileArn !== undefined && typeof req.profileArn !== 'string') fail('profileArn must be a string');
  if (!isObject(cs.currentMessage) || !isObject(cs.currentMessage.userInputMessage)) fail('currentMessage.userInputMessage missing');
  const current = cs.currentMessage.userInputMessage;
  checkUserMessage(current, 'currentMessage');

  const history = optionalArray(cs.history, 'history');
  /** @type {Array<{role: 'user'|'assistant', msg: any}>} */
  const turns = history.map((entry, i) => {
    if (!isObject(entry)) fail(`history[${i}] not an object`);
    const hasUser = 'userInputMessage' in entry, hasAssistant = 'assistantResponseMessage' in entry;
    if (hasUser === hasAssistant) fail(`history[${i}] must hold exactly one of userInputMessage/assistantResponseMessage`);
    if (hasUser) { checkUserMessage(entry.userInputMessage, `history[${i}]`); return { role: 'user', msg: entry.userInputMessage }; }
    checkAssistantMessage(entry.assistantResponseMessage, `history[${i}]`);
    return { role: 'assistant', msg: entry.assistantResponseMessage };
  });
  turns.forEach((t, i) => { if (t.role !== (i % 2 === 0 ? 'user' : 'assistant')) fail(`history[${i}] breaks user/assistant alternation`); });
  if (turns.length && turns[turns.length - 1].role !== 'assistant') fail('history must end with an assistant turn');

  // Tool pairing: walk user turns (history + current) against the assistant turn before each.
  const userTurns = [...turns.filter((t) => t.role === 'user').map((t) => t.msg), current];
  userTurns.forEach((user, k) => {
    const prevAssistant = k > 0 ? turns[2 * k - 1].msg : null;
    const useIds = (prevAssistant?.toolUses ?? []).map((u) => u.toolUseId);
    const resultIds = (user.userInputMessageContext?.toolResults ?? []).map((r) => r.toolUseId);
    if (new Set(resultIds).size !== resultIds.length) fail('duplicate toolUseId in toolResults');
    for (const id of resultIds) if (!useIds.includes(id)) fail(`toolResult ${id} has no toolUse in the preceding assistant turn`);
    for (const id of useIds) if (!resultIds.includes(id)) fail(`toolUse ${id} is not answered by the next user turn`);
  });

  checkCachePoints(current, turns, req.conversationState.currentMessage.userInputMessage.modelId);
  // Tools referenced in history must be declared on the current message (case-insensitive).
  const tools = checkTools(current.userInputMessageContext?.tools);
  const declared = new Set(tools.map((n) => n.toLowerCase()));
  for (const t of turns) {
    for (const use of t.role === 'assistant' ? t.msg.toolUses ?? [] : []) {
      if (!declared.has(use.name.toLowerCase())) fail(`tool ${use.name} used in history but not declared`);
    }
  }
  return current.modelId;
}

function checkUserMessage(m, where) {
  if (!isObject(m)) fail(`${where}: userInputMessage not an object`);
  if (typeof m.content !== 'string') fail(`${where}: content must be a string`);
  if (m.modelId !== undefined && typeof m.modelId !== 'string') fail(`${where}: modelId must be a string`);
  for (const img of optionalArray(m.images, `${where}.images`)) {
    if (!isObject(img) || !IMAGE_FORMATS.has(img.format)) fail(`${where}: image format must be jpeg|png|gif|webp`);
    if (!isObject(img.source) || typeof img.source.bytes !== 'string') fail(`${where}: image source.bytes must be base64 text`);
  }
  const ctx = m.userInputMessageContext;
  if (ctx === undefined) return;
  if (!isObject(ctx)) fail(`${where}: userInputMessageContext must be an object`);
  for (const r of optionalArray(ctx.toolResults, `${where}.toolResults`)) {
    if (!isObject(r) || typeof r.toolUseId !== 'string') fail(`${where}: toolResult without toolUseId`);
    if (r.status !== undefined && r.status !== 'success' && r.status !== 'error') fail(`${where}: toolResult status`);
    if (!Array.isArray(r.content)) fail(`${where}: toolResult content must be an array`);
    for (const block of r.content) {
      if (!isObject(block) || !(typeof block.text === 'string' || isObject(block.json) || Array.isArray(block.json))) fail(`${where}: toolResult content block must be {text} or {json}`);
    }
  }
}

function checkAssistantMessage(m, where) {
  if (!isObject(m)) fail(`${where}: assistantResponseMessage not an object`);
  if (typeof m.content !== 'string') fail(`${where}: assistant content must be a string`);
  const ids = new Set();
  for (const u of optionalArray(m.toolUses, `${where}.toolUses`)) {
    if (!isObject(u) || typeof u.toolUseId !== 'string' || typeof u.name !== 'string') fail(`${where}: toolUse needs toolUseId and name`);
    if (!isObject(u.input)) fail(`${where}: toolUse input must be a JSON object`);
    if (ids.has(u.toolUseId)) fail(`${where}: duplicate toolUseId`);
    ids.add(u.toolUseId);
  }
}

const MAX_CACHE_POINTS = 4;
const isCachePointEntry = (t) => isObject(t) && 'cachePoint' in t;

/** `{type: "default"}` and nothing else, as ListAvailableModels' promptCaching allows (§11.5). */
function checkCachePoint(point, where) {
  if (!isObject(point) || point.type !== 'default' || Object.keys(point).length !== 1) fail(`${where}: cachePoint must be {"type":"default"}`);
}

/** Cache points: well formed, at most 4, and only for models that cache prompts (§11.5). */
function checkCachePoints(current, turns, modelId) {
  let count = 0;
  for (const t of current.userInputMessageContext?.tools ?? []) {
    if (!isCachePointEntry(t)) continue;
    if (Object.keys(t).length !== 1) fail('tools: a cachePoint element must hold nothing else');
    checkCachePoint(t.cachePoint, 'tools');
    count++;
  }
  for (const [where, m] of [...turns.filter((t) => t.role === 'user').map((t) => ['history', t.msg]), ['currentMessage', current]]) {
    if (m.cachePoint === undefined) continue;
    checkCachePoint(m.cachePoint, where);
    count++;
  }
  for (const t of turns) if (t.role === 'assistant' && t.msg.cachePoint !== undefined) fail('assistantResponseMessage has no cachePoint');
  if (count > MAX_CACHE_POINTS) fail(`${count} cache points > ${MAX_CACHE_POINTS}`);
  if (count > 0 && modelId !== undefined && !/^(auto|claude-|CLAUDE_)/.test(modelId)) fail(`model ${modelId} does not support prompt caching`);
}

/** @returns {string[]} declared tool names */
function checkTools(entries) {
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) fail('tools must be an array');
  const tools = entries.filter((t) => !isCachePointEntry(t));
  return tools.map((t, i) => {
    const spec = isObject(t) ? t.toolSpecification : undefined;
    if (!isObject(spec)) fail(`tools[${i}]: toolSpecification must be an object`);
    // Kiro runs Claude, whose tool names are [a-zA-Z0-9_-]{1,64} (Bedrock ToolSpecification; Anthropic allows 128).
    if (typeof spec.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(spec.name)) fail(`tools[${i}]: name must be 1..64 chars of [a-zA-Z0-9_-]`);
    if (spec.description !== undefined && typeof spec.description !== 'string') fail(`tools[${i}]: description must be a string`);
    if (!isObject(spec.inputSchema) || !isObject(spec.inputSchema.json)) fail(`tools[${i}]: inputSchema.json must be an object`);
    checkSchemaNulls(spec.inputSchema.json, `tools[${i}]`);
    return spec.name;
  });
}

function checkSchemaNulls(node, where) {
  if (Array.isArray(node)) { node.forEach((n) => checkSchemaNulls(n, where)); return; }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (value === null && SCHEMA_CONTAINER_KEYS.includes(key)) fail(`${where}: schema ${key} is null`);
    checkSchemaNulls(value, where);
  }
}
