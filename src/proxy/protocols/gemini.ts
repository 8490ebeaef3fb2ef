// The Gemini API (`/v1beta/models/{model}:generateContent`, `:streamGenerateContent`,
// `:countTokens`, `GET /v1beta/models`): parses requests into a Conversation and renders
// replies as GenerateContentResponse objects, streamed as SSE (`?alt=sse`) or a JSON array.
import { randomBytes } from 'node:crypto';
import { asProxyError, invalidRequest, ProxyError, type ProxyErrorKind } from '../errors';
import type { Block, Conversation, Message, Reply, ReplyEvent, ResponseFormat, StopReason, ThinkingConfig, ToolChoice, ToolSpec } from '../model';
import { estimateConversationTokens } from '../exchange';
import { Fields, type Located } from './fields';
import { collectReply, reportedStopReason, sendJson, unfinishedReply } from './reply';
import { sessionKey } from './session';
import { SseWriter } from './sse';
import type { ProtocolContext } from './types';

export interface GeminiRequest extends Conversation {}

// ---------------------------------------------------------------- request parsing

/** `models/gemini-2.5-pro` and `gemini-2.5-pro` name the same model. */
export function modelFromPath(model: string | undefined): string {
  const name = decodeURIComponent(model ?? '').replace(/^models\//, '');
  if (!name) throw invalidRequest('model: is required in the path (/v1beta/models/{model}:generateContent)');
  return name;
}

export function parseGeminiRequest(body: unknown, model: string): GeminiRequest {
  let request = Fields.of({ value: body, path: '' });
  // countTokens may wrap a whole request.
  const wrapped = request.optionalObject('generateContentRequest');
  if (wrapped) request = wrapped;

  const systemParts: string[] = [];
  const instruction = request.has('systemInstruction') ? request.field('systemInstruction') : request.has('system_instruction') ? request.field('system_instruction') : undefined;
  if (instruction) systemParts.push(instructionText(instruction));

  const messages: Message[] = [];
  const calls = new CallIds();
  for (const item of request.optionalList('contents')) {
    const content = Fields.of(item);
    const role = content.optionalString('role') ?? 'user';
    const speaker = role === 'model' ? 'assistant' : role === 'user' || role === 'function' || role === 'tool' ? 'user' : undefined;
    if (!speaker) throw invalidRequest(`${content.at('role')}: unknown role "${role}"; use "user" or "model"`);
    const blocks = content.optionalList('parts').flatMap((part) => parsePart(Fields.of(part), speaker, calls));
    if (blocks.length === 0) continue;
    const last = messages[messages.length - 1];
    if (last?.role === speaker) last.content.push(...blocks);
    else messages.push({ role: speaker, content: blocks });
  }

  const generation = request.optionalObject('generationConfig') ?? request.optionalObject('generation_config');
  const system = systemParts.filter((p) => p).join('\n\n');
  return {
    model,
    system,
    messages,
    tools: request.optionalList('tools').flatMap(parseTool),
    toolChoice: parseToolConfig(request.optionalObject('toolConfig') ?? request.optionalObject('tool_config')),
    thinking: parseThinking(generation?.optionalObject('thinkingConfig') ?? generation?.optionalObject('thinking_config')),
    responseFormat: parseResponseFormat(generation),
    maxTokens: generation?.optionalNumber('maxOutputTokens') ?? generation?.optionalNumber('max_output_tokens'),
    sessionId: sessionKey(undefined, { system, messages }),
  };
}

/** `systemInstruction` is a Content (`{parts}`), or a bare string from lenient clients. */
function instructionText(located: Located): string {
  if (typeof located.value === 'string') return located.value;
  const content = Fields.of(located);
  return content
    .optionalList('parts')
    .map((part) => Fields.of(part).optionalString('text') ?? '')
    .filter((t) => t)
    .join('\n');
}

/**
 * Gemini function calls often carry no id; a response answers the earliest unanswered call
 * of its name, which is how Gemini itself pairs them.
 */
class CallIds {
  private readonly pending = new Map<string, string[]>();
  private counter = 0;

  call(name: string, id: string | undefined): string {
    const callId = id || `call_${++this.counter}_${name}`;
    const queue = this.pending.get(name) ?? [];
    queue.push(callId);
    this.pending.set(name, queue);
    return callId;
  }

  response(name: string, id: string | undefined): string {
    const queue = this.pending.get(name) ?? [];
    if (id) {
      const at = queue.indexOf(id);
      if (at >= 0) queue.splice(at, 1);
      return id;
    }
    return queue.shift() ?? `call_orphan_${name}`;
  }
}

function parsePart(part: Fields, speaker: Message['role'], calls: CallIds): Block[] {
  if (part.has('text')) {
    const text = part.string('text');
    if (part.optionalBoolean('thought')) return speaker === 'assistant' && text ? [{ type: 'thinking', text }] : [];
    return text ? [{ type: 'text', text }] : [];
  }
  const inline = part.optionalObject('inlineData') ?? part.optionalObject('inline_data');
  if (inline) {
    const mediaType = inline.optionalString('mimeType') ?? inline.optionalString('mime_type') ?? '';
    const data = inline.string('data');
    if (mediaType.startsWith('image/')) return [{ type: 'image', source: { kind: 'base64', mediaType, data } }];
    if (mediaType.startsWith('text/') || mediaType === 'application/json') return [{ type: 'text', text: Buffer.from(data, 'base64').toString('utf8') }];
    return [{ type: 'text', text: `[Inline ${mediaType || 'data'} omitted: this model cannot read it.]` }];
  }
  const file = part.optionalObject('fileData') ?? part.optionalObject('file_data');
  if (file) {
    const mediaType = file.optionalString('mimeType') ?? file.optionalString('mime_type') ?? '';
    const uri = file.string(file.has('fileUri') ? 'fileUri' : 'file_uri');
    if (mediaType.startsWith('image/') && /^https?:\/\//.test(uri)) return [{ type: 'image', source: { kind: 'url', url: uri } }];
    return [{ type: 'text', text: `[File ${uri} omitted: this model cannot read it through the proxy.]` }];
  }
  const call = part.optionalObject('functionCall') ?? part.optionalObject('function_call');
  if (call) {
    const name = call.string('name');
    const input = call.optionalObject('args')?.value ?? {};
    return [{ type: 'tool_use', id: calls.call(name, call.optionalString('id')), name, input }];
  }
  const response = part.optionalObject('functionResponse') ?? part.optionalObject('function_response');
  if (response) return parseFunctionResponse(response, speaker, calls);
  const code = part.optionalObject('executableCode');
  if (code) return [{ type: 'text', text: '```' + (code.optionalString('language') ?? '').toLowerCase() + '\n' + (code.optionalString('code') ?? '') + '\n```' }];
  const result = part.optionalObject('codeExecutionResult');
  if (result) return [{ type: 'text', text: result.optionalString('output') ?? '' }];
  return []; // thoughtSignature-only parts, videoMetadata…
}

/**
 * Gemini 3 carries a tool's media (Gemini CLI's read_file of an image or PDF) in `parts`
 * next to `response`. They are parsed like any part: images travel as separate blocks right
 * after the result, anything else (a note for media Kiro cannot read) joins its text.
 */
function parseFunctionResponse(response: Fields, speaker: Message['role'], calls: CallIds): Block[] {
  const name = response.string('name');
  const value = response.value.response;
  const error = typeof value === 'object' && value !== null && 'error' in value && !('output' in value);
  const media = response.optionalList('parts').flatMap((part) => parsePart(Fields.of(part), speaker, calls));
  const notes = media.flatMap((block) => (block.type === 'text' ? [block.text] : []));
  return [
    {
      type: 'tool_result',
      toolUseId: calls.response(name, response.optionalString('id')),
      content: [resultText(value), ...notes].join('\n'),
      isError: error,
    },
    ...media.filter((block) => block.type === 'image'),
  ];
}

/** `{output: "…"}` (Gemini CLI's shape) passes as its text; anything else as JSON. */
function resultText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    const only = keys.length === 1 ? (value as Record<string, unknown>)[keys[0]] : undefined;
    if (typeof only === 'string' && (keys[0] === 'output' || keys[0] === 'content' || keys[0] === 'result')) return only;
  }
  return JSON.stringify(value ?? null);
}

/** Function declarations only; Google Search, code execution and URL context are Google's own. */
function parseTool(located: Located): ToolSpec[] {
  const tool = Fields.of(located);
  const declarations = tool.has('functionDeclarations') ? tool.list('functionDeclarations') : tool.optionalList('function_declarations');
  return declarations.map((item) => {
    const fn = Fields.of(item);
    const jsonSchema = fn.optionalObject('parametersJsonSchema') ?? fn.optionalObject('parameters_json_schema');
    const openApi = fn.optionalObject('parameters');
    return {
      name: fn.string('name'),
      description: fn.optionalString('description') ?? '',
      inputSchema: jsonSchema?.value ?? (openApi ? (toJsonSchema(openApi.value) as Record<string, unknown>) : { type: 'object', properties: {} }),
    };
  });
}

/** Gemini's OpenAPI subset spells types in capitals (`OBJECT`, `STRING`) and has `nullable`. */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'type' && typeof value === 'string') out.type = value.toLowerCase() === 'type_unspecified' ? undefined : value.toLowerCase();
    else if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, toJsonSchema(schema)]));
    } else if (key === 'nullable' || key === 'propertyOrdering') continue;
    else out[key] = toJsonSchema(value);
  }
  if (out.type === undefined) delete out.type;
  return (node as Record<string, unknown>).nullable === true ? orNull(out) : out;
}

/** JSON Schema has no `nullable`: null joins the types (and the enum, which would refuse it). */
function orNull(schema: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(schema.anyOf)) return { ...schema, anyOf: [...schema.anyOf, { type: 'null' }] };
  if (typeof schema.type !== 'string') return schema; // no type: null is allowed already
  return { ...schema, type: [schema.type, 'null'], ...(Array.isArray(schema.enum) ? { enum: [...schema.enum, null] } : {}) };
}

/** JSON output: `responseMimeType` says JSON, the schema comes as JSON Schema or in Gemini's OpenAPI form. */
function parseResponseFormat(generation: Fields | undefined): ResponseFormat | undefined {
  const mimeType = generation?.optionalString('responseMimeType') ?? generation?.optionalString('response_mime_type');
  if (!generation || mimeType?.toLowerCase() !== 'application/json') return undefined;
  const jsonSchema = generation.optionalObject('responseJsonSchema') ?? generation.optionalObject('response_json_schema');
  if (jsonSchema) return { type: 'json_schema', schema: jsonSchema.value };
  const openApi = generation.optionalObject('responseSchema') ?? generation.optionalObject('response_schema');
  if (openApi) return { type: 'json_schema', schema: toJsonSchema(openApi.value) };
  return { type: 'json_object' };
}

function parseToolConfig(config: Fields | undefined): ToolChoice | undefined {
  const calling = config?.optionalObject('functionCallingConfig') ?? config?.optionalObject('function_calling_config');
  if (!calling) return undefined;
  const mode = (calling.optionalString('mode') ?? 'AUTO').toUpperCase();
  const allowed = calling.has('allowedFunctionNames') ? calling.list('allowedFunctionNames') : calling.optionalList('allowed_function_names');
  switch (mode) {
    case 'NONE':
      return { type: 'none' };
    case 'ANY':
    case 'VALIDATED':
      if (allowed.length === 1 && typeof allowed[0].value === 'string') return { type: 'tool', name: allowed[0].value };
      return mode === 'ANY' ? { type: 'any' } : { type: 'auto' };
    default:
      return { type: 'auto' };
  }
}

function parseThinking(config: Fields | undefined): ThinkingConfig | undefined {
  if (!config) return undefined;
  const level = (config.optionalString('thinkingLevel') ?? config.optionalString('thinking_level'))?.toLowerCase();
  if (level === 'low' || level === 'minimal') return { type: 'adaptive', effort: 'low' };
  if (level === 'medium') return { type: 'adaptive', effort: 'medium' };
  if (level === 'high') return { type: 'adaptive', effort: 'high' };
  const budget = config.optionalNumber('thinkingBudget') ?? config.optionalNumber('thinking_budget');
  if (budget === 0) return undefined;
  if (budget !== undefined && budget > 0) return { type: 'enabled', budgetTokens: budget };
  // -1 is "dynamic"; includeThoughts alone asks to see the thinking.
  if (budget === -1 || config.optionalBoolean('includeThoughts') || config.optionalBoolean('include_thoughts')) return { type: 'adaptive', effort: 'medium' };
  return undefined;
}

// ---------------------------------------------------------------- rendering

const FINISH_REASONS: Record<StopReason, string> = {
  end_turn: 'STOP',
  tool_use: 'STOP',
  max_tokens: 'MAX_TOKENS',
  context_window_exceeded: 'MAX_TOKENS',
};

export interface GeminiHead {
  model: string;
  responseId: string;
  inputTokens: number;
}

export function newGeminiHead(model: string, inputTokens: number): GeminiHead {
  return { model, responseId: randomBytes(12).toString('base64url'), inputTokens };
}

type Part = Record<string, unknown>;

function usageMetadata(inputTokens: number, outputTokens: number) {
  return { promptTokenCount: inputTokens, candidatesTokenCount: outputTokens, totalTokenCount: inputTokens + outputTokens };
}

function chunkOf(head: GeminiHead, parts: Part[], finish?: { reason: string; usage: { inputTokens: number; outputTokens: number } }) {
  return {
    candidates: [
      {
        content: { role: 'model', parts },
        ...(finish ? { finishReason: finish.reason } : {}),
        index: 0,
      },
    ],
    usageMetadata: finish ? usageMetadata(finish.usage.inputTokens, finish.usage.outputTokens) : usageMetadata(head.inputTokens, 0),
    modelVersion: head.model,
    responseId: head.responseId,
  };
}

function callPart(id: string, name: string, args: Record<string, unknown>): Part {
  return { functionCall: { id, name, args } };
}

/** The non-streaming GenerateContentResponse. */
export function renderGenerateContent(reply: Reply, head: GeminiHead): unknown {
  const parts = reply.content.map((block): Part => {
    switch (block.type) {
      case 'thinking':
        return { text: block.text, thought: true };
      case 'text':
        return { text: block.text };
      case 'tool_use':
        return callPart(block.id, block.name, block.input);
    }
  });
  return chunkOf(head, parts, { reason: FINISH_REASONS[reportedStopReason(reply)], usage: reply.usage });
}

/** Where stream chunks go: SSE events, or elements of one JSON array. */
export interface ChunkSink {
  chunk(value: unknown): Promise<void>;
}

/**
 * Renders reply events as GenerateContentResponse chunks: text and thoughts as they come,
 * each function call whole (Gemini never splits one), finishReason and usage on the last.
 * A failure after the start becomes an `{error}` chunk, which the Google SDKs raise.
 */
export async function renderGenerateContentStream(events: AsyncIterable<ReplyEvent>, sink: ChunkSink, head: GeminiHead): Promise<void> {
  const names = new Map<string, string>();
  try {
    for await (const event of events) {
      switch (event.type) {
        case 'thinking':
          await sink.chunk(chunkOf(head, [{ text: event.text, thought: true }]));
          break;
        case 'text':
          await sink.chunk(chunkOf(head, [{ text: event.text }]));
          break;
        case 'tool_end':
          await sink.chunk(chunkOf(head, [callPart(event.id, names.get(event.id) ?? 'unknown', event.input)]));
          break;
        case 'tool_start':
          names.set(event.id, event.name);
          break;
        case 'thinking_signature':
        case 'tool_input':
          break;
        case 'end':
          await sink.chunk(chunkOf(head, [], { reason: FINISH_REASONS[reportedStopReason(event)], usage: event.usage }));
          return;
      }
    }
    throw unfinishedReply();
  } catch (err) {
    await sink.chunk(errorBody(asProxyError(err)));
  }
}

// ---------------------------------------------------------------- errors

const STATUS: Record<ProxyErrorKind, string> = {
  invalid_request: 'INVALID_ARGUMENT',
  authentication: 'UNAUTHENTICATED',
  permission: 'PERMISSION_DENIED',
  not_found: 'NOT_FOUND',
  request_too_large: 'INVALID_ARGUMENT',
  unsupported_media_type: 'INVALID_ARGUMENT',
  rate_limit: 'RESOURCE_EXHAUSTED',
  overloaded: 'UNAVAILABLE',
  upstream: 'INTERNAL',
  timeout: 'DEADLINE_EXCEEDED',
  internal: 'INTERNAL',
};

export function errorBody(error: ProxyError): unknown {
  return { error: { code: error.status, message: error.message, status: STATUS[error.kind] } };
}

// ---------------------------------------------------------------- handlers

export async function handleGenerateContent(ctx: ProtocolContext): Promise<void> {
  const request = parseGeminiRequest(ctx.body, modelFromPath(ctx.params.model));
  const { events, estimatedInputTokens } = await ctx.exchange.start({
    conversation: request,
    endpoint: '/v1beta/models:generateContent',
    stream: false,
    signal: ctx.signal,
  });
  const head = newGeminiHead(request.model, estimatedInputTokens);
  sendJson(ctx.res, 200, renderGenerateContent(await collectReply(events), head));
}

export async function handleStreamGenerateContent(ctx: ProtocolContext): Promise<void> {
  const request = parseGeminiRequest(ctx.body, modelFromPath(ctx.params.model));
  const { events, estimatedInputTokens } = await ctx.exchange.start({
    conversation: request,
    endpoint: '/v1beta/models:streamGenerateContent',
    stream: true,
    signal: ctx.signal,
  });
  const head = newGeminiHead(request.model, estimatedInputTokens);
  const writer = new SseWriter(ctx.res);
  if (ctx.query.get('alt') === 'sse') {
    writer.open({ intervalMs: ctx.config.pingIntervalMs, frame: ': keep-alive\n\n' });
    try {
      await renderGenerateContentStream(events, { chunk: (value) => writer.send(JSON.stringify(value)) }, head);
    } finally {
      writer.end();
    }
    return;
  }
  // Without alt=sse Gemini streams one JSON array, element by element.
  ctx.res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
  ctx.res.flushHeaders();
  let first = true;
  const sink: ChunkSink = {
    chunk: async (value) => {
      const text = (first ? '[' : ',\r\n') + JSON.stringify(value);
      first = false;
      if (!ctx.res.writableEnded && !ctx.res.destroyed && !ctx.res.write(text)) {
        await new Promise<void>((resolve) => {
          ctx.res.once('drain', resolve);
          ctx.res.once('close', resolve);
        });
      }
    },
  };
  try {
    await renderGenerateContentStream(events, sink, head);
  } finally {
    if (!ctx.res.writableEnded && !ctx.res.destroyed) ctx.res.end(first ? '[]' : ']');
  }
}

export async function handleCountTokens(ctx: ProtocolContext): Promise<void> {
  const request = parseGeminiRequest(ctx.body, modelFromPath(ctx.params.model));
  sendJson(ctx.res, 200, { totalTokens: estimateConversationTokens(request) });
}

export interface GeminiModel {
  id: string;
  displayName: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
}

/** `GET /v1beta/models`: the Gemini list shape over the proxy's model ids. */
export function modelsListBody(models: GeminiModel[]): unknown {
  return { models: models.map(modelBody) };
}

export function modelBody(model: GeminiModel): unknown {
  return {
    name: `models/${model.id}`,
    baseModelId: model.id,
    version: '001',
    displayName: model.displayName,
    description: `${model.displayName} through Kiro`,
    inputTokenLimit: model.inputTokenLimit,
    outputTokenLimit: model.outputTokenLimit,
    supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'],
    thinking: true,
  };
}

/** `GET /v1beta/models/{model}`: one entry of the list, or NOT_FOUND. */
export function modelInfoBody(models: GeminiModel[], requested: string | undefined): unknown {
  const id = modelFromPath(requested);
  const model = models.find((m) => m.id === id);
  if (!model) throw new ProxyError('not_found', `models/${id} is not found.`);
  return modelBody(model);
}

/** `GET /v1/models/{id}` serves both OpenAI's retrieve (`{id, object, owned_by}`) and Gemini's v1 get. */
export function hybridModelBody(models: GeminiModel[], requested: string | undefined): unknown {
  const id = modelFromPath(requested);
  return { id, object: 'model', type: 'model', display_name: id, created: 1_735_689_600, owned_by: 'kiro-proxy', ...(modelInfoBody(models, id) as object) };
}
