// The OpenAI Chat Completions API (`POST /v1/chat/completions`): parses requests into a
// Conversation and renders replies as `chat.completion` objects or chunk streams.
import { randomBytes } from 'node:crypto';
import { asProxyError, invalidRequest, type ProxyError, type ProxyErrorKind } from '../errors';
import type {
  Block,
  Conversation,
  ImageBlock,
  Message,
  Reply,
  ReplyEvent,
  StopReason,
  ToolChoice,
  ToolSpec,
  ToolUseBlock,
} from '../model';
import { elements, Fields, type Located } from './fields';
import { fileText, functionToolSpec, imageFromUrl, parseToolArguments, thinkingFromEffort } from './openai-shared';
import { responseFormatOf } from './response-format';
import { collectReply, reportedStopReason, sendJson, unfinishedReply } from './reply';
import { sessionKey } from './session';
import { SseWriter, type SseSink } from './sse';
import type { ProtocolContext } from './types';

export interface ChatRequest extends Conversation {
  stream: boolean;
  /** `stream_options.include_usage`: end the stream with a usage-only chunk. */
  includeUsage: boolean;
}

// ---------------------------------------------------------------- request parsing

export function parseChatRequest(body: unknown): ChatRequest {
  const request = Fields.of({ value: body, path: '' });
  const systemParts: string[] = [];
  const messages: Message[] = [];
  // Legacy `function_call`s have no ids; results are matched to the latest call of that name.
  const legacyCallIds = new Map<string, string>();

  for (const item of request.list('messages')) {
    const message = Fields.of(item);
    const role = message.string('role');
    switch (role) {
      case 'system':
      case 'developer': {
        // Instructions before the dialogue form the system prompt; later ones stay in place as user text.
        const text = textOf(message.field('content'));
        if (messages.length === 0) systemParts.push(text);
        else messages.push({ role: 'user', content: [{ type: 'text', text }] });
        break;
      }
      case 'user':
        messages.push({ role: 'user', content: userContent(message.field('content')) });
        break;
      case 'assistant':
        messages.push({ role: 'assistant', content: assistantContent(message, legacyCallIds) });
        break;
      case 'tool':
        messages.push(toolResult(message.string('tool_call_id'), message));
        break;
      case 'function': {
        const name = message.string('name');
        messages.push(toolResult(legacyCallIds.get(name) ?? name, message));
        break;
      }
      default:
        throw invalidRequest(`${message.at('role')}: unknown role "${role}"`);
    }
  }

  const system = systemParts.filter((part) => part).join('\n\n');
  const streamOptions = request.optionalObject('stream_options');
  const clientSession = request.optionalString('prompt_cache_key') ?? request.optionalString('user');
  return {
    model: request.string('model'),
    system,
    messages,
    tools: request.has('tools') ? request.list('tools').flatMap(parseTool) : request.optionalList('functions').map(parseFunction),
    toolChoice: request.has('tool_choice') ? parseToolChoice(request.field('tool_choice')) : parseLegacyFunctionCall(request),
    thinking: thinkingFromEffort(request.optionalString('reasoning_effort')),
    responseFormat: responseFormatOf(request.optionalObject('response_format')),
    maxTokens: request.optionalNumber('max_completion_tokens') ?? request.optionalNumber('max_tokens'),
    sessionId: sessionKey(clientSession, { system, messages }),
    stream: request.optionalBoolean('stream') ?? false,
    includeUsage: streamOptions?.optionalBoolean('include_usage') ?? false,
  };
}

/** A string or content parts, as text (system, developer and tool messages). */
function textOf(located: Located): string {
  if (located.value === undefined || located.value === null) return '';
  if (typeof located.value === 'string') return located.value;
  return elements(located)
    .map((item) => {
      const part = Fields.of(item);
      const type = part.string('type');
      if (type === 'text') return part.string('text');
      if (type === 'refusal') return part.string('refusal');
      throw invalidRequest(`${part.at('type')}: expected a text part, got "${type}"`);
    })
    .filter((text) => text)
    .join('\n');
}

function userContent(located: Located): Block[] {
  if (typeof located.value === 'string') return [{ type: 'text', text: located.value }];
  return elements(located).map((item): Block => {
    const part = Fields.of(item);
    const type = part.string('type');
    if (type === 'text') return { type: 'text', text: part.string('text') };
    if (type === 'image_url') return imagePart(part);
    if (type === 'file') return { type: 'text', text: fileText(part.object('file')) };
    if (type === 'input_audio') return { type: 'text', text: '[Audio omitted: this model cannot hear audio.]' };
    throw invalidRequest(`${part.at('type')}: unsupported content part type "${type}"`);
  });
}

/** `image_url` is `{url}` (or a bare string from lenient clients): a `data:` URL or a web URL. */
function imagePart(part: Fields): ImageBlock {
  const imageUrl = part.field('image_url');
  const url = typeof imageUrl.value === 'string' ? imageUrl.value : Fields.of(imageUrl).string('url');
  return imageFromUrl(url, imageUrl.path);
}

function assistantContent(message: Fields, legacyCallIds: Map<string, string>): Block[] {
  const blocks: Block[] = [];
  // Some clients send back the reasoning we streamed as `reasoning_content`.
  const reasoning = message.optionalString('reasoning_content');
  if (reasoning) blocks.push({ type: 'thinking', text: reasoning });
  const text = textOf(message.field('content'));
  if (text) blocks.push({ type: 'text', text });
  for (const item of message.optionalList('tool_calls')) {
    const call = Fields.of(item);
    const fn = call.object('function');
    blocks.push(toolUse(call.string('id'), fn));
  }
  const legacyCall = message.optionalObject('function_call');
  if (legacyCall) {
    const id = `call_${message.path.replace(/\D/g, '')}`;
    legacyCallIds.set(legacyCall.string('name'), id);
    blocks.push(toolUse(id, legacyCall));
  }
  return blocks;
}

function toolUse(id: string, fn: Fields): ToolUseBlock {
  return { type: 'tool_use', id, name: fn.string('name'), input: parseToolArguments(fn.optionalString('arguments') ?? '') };
}

function toolResult(toolUseId: string, message: Fields): Message {
  return { role: 'user', content: [{ type: 'tool_result', toolUseId, content: textOf(message.field('content')), isError: false }] };
}

/** Function tools only; other tool types (custom grammars, hosted tools) have no Kiro equivalent. */
function parseTool(item: Located): ToolSpec[] {
  const tool = Fields.of(item);
  if (tool.string('type') !== 'function') return [];
  return [parseFunction(tool.field('function'))];
}

function parseFunction(item: Located): ToolSpec {
  return functionToolSpec(Fields.of(item));
}

function parseToolChoice(located: Located): ToolChoice {
  if (located.value === 'none' || located.value === 'auto') return { type: located.value };
  if (located.value === 'required') return { type: 'any' };
  if (typeof located.value === 'string') throw invalidRequest(`${located.path}: unknown tool_choice "${located.value}"`);
  const choice = Fields.of(located);
  const type = choice.string('type');
  if (type === 'allowed_tools') {
    // The subset is a hint Kiro cannot take; the mode still says whether a call is required.
    return choice.object('allowed_tools').optionalString('mode') === 'required' ? { type: 'any' } : { type: 'auto' };
  }
  if (type !== 'function') throw invalidRequest(`${choice.at('type')}: unsupported tool_choice type "${type}"`);
  return { type: 'tool', name: choice.object('function').string('name') };
}

function parseLegacyFunctionCall(request: Fields): ToolChoice | undefined {
  if (!request.has('function_call')) return undefined;
  const choice = request.field('function_call');
  if (choice.value === 'none' || choice.value === 'auto') return { type: choice.value };
  return { type: 'tool', name: Fields.of(choice).string('name') };
}

// ---------------------------------------------------------------- rendering

const FINISH_REASONS: Record<StopReason, string> = {
  end_turn: 'stop',
  tool_use: 'tool_calls',
  max_tokens: 'length',
  context_window_exceeded: 'length',
};

export interface CompletionHead {
  id: string;
  /** The model name the client asked for. */
  model: string;
  /** Unix seconds. */
  created: number;
}

export function newCompletionHead(model: string): CompletionHead {
  return { id: `chatcmpl-${randomBytes(12).toString('hex')}`, model, created: Math.floor(Date.now() / 1000) };
}

function usageOf(usage: { inputTokens: number; outputTokens: number }) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** The non-streaming `chat.completion` body. */
export function renderCompletion(reply: Reply, head: CompletionHead): unknown {
  const text = reply.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
  const reasoning = reply.content.flatMap((b) => (b.type === 'thinking' ? [b.text] : [])).join('');
  const toolCalls = reply.content.flatMap((b) =>
    b.type === 'tool_use' ? [{ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } }] : [],
  );
  return {
    id: head.id,
    object: 'chat.completion',
    created: head.created,
    model: head.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // OpenAI sends null, not '', when the answer is only tool calls.
          content: text || toolCalls.length === 0 ? text : null,
          refusal: null,
          ...(reasoning && { reasoning_content: reasoning }),
          ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
        },
        logprobs: null,
        finish_reason: FINISH_REASONS[reportedStopReason(reply)],
      },
    ],
    usage: usageOf(reply.usage),
  };
}

/**
 * Renders reply events as `chat.completion.chunk`s. A failure after the first chunk becomes
 * an `{error}` chunk, which the OpenAI SDKs raise as an APIError; `[DONE]` then stays away,
 * so clients that ignore the error still see an unfinished stream.
 */
export async function renderCompletionStream(
  events: AsyncIterable<ReplyEvent>,
  sink: SseSink,
  head: CompletionHead,
  includeUsage: boolean,
): Promise<void> {
  const chunk = (choices: object[], usage?: object) =>
    sink.send(
      JSON.stringify({
        id: head.id,
        object: 'chat.completion.chunk',
        created: head.created,
        model: head.model,
        choices,
        // With include_usage every chunk carries `usage`, null until the last one.
        ...(includeUsage && { usage: usage ?? null }),
      }),
    );
  const choice = (delta: object, finishReason: string | null = null) =>
    chunk([{ index: 0, delta, logprobs: null, finish_reason: finishReason }]);
  const toolIndexes = new Map<string, { index: number; argumentsSent: boolean }>();
  const toolDelta = (index: number, fields: object) => choice({ tool_calls: [{ index, ...fields }] });

  try {
    await choice({ role: 'assistant', content: '' });
    for await (const event of events) {
      switch (event.type) {
        case 'thinking':
          await choice({ reasoning_content: event.text });
          break;
        case 'thinking_signature':
          break; // chat completions have no place for it
        case 'text':
          await choice({ content: event.text });
          break;
        case 'tool_start': {
          const index = toolIndexes.size;
          toolIndexes.set(event.id, { index, argumentsSent: false });
          await toolDelta(index, { id: event.id, type: 'function', function: { name: event.name, arguments: '' } });
          break;
        }
        case 'tool_input': {
          const tool = toolIndexes.get(event.id);
          if (!tool) break;
          tool.argumentsSent = true;
          await toolDelta(tool.index, { function: { arguments: event.partialJson } });
          break;
        }
        case 'tool_end': {
          // Kiro may deliver the whole input at once; the client still needs it as a fragment.
          const tool = toolIndexes.get(event.id);
          if (tool && !tool.argumentsSent) await toolDelta(tool.index, { function: { arguments: JSON.stringify(event.input) } });
          break;
        }
        case 'end':
          await choice({}, FINISH_REASONS[reportedStopReason(event)]);
          if (includeUsage) await chunk([], usageOf(event.usage));
          await sink.send('[DONE]');
          return;
      }
    }
    throw unfinishedReply();
  } catch (err) {
    await sink.send(JSON.stringify(errorBody(asProxyError(err))));
  }
}

// ---------------------------------------------------------------- errors

/** OpenAI's own `type`/`code` values, so clients' special cases (context length, rate limits) apply. */
const ERRORS: Record<ProxyErrorKind, { type: string; code: string | null }> = {
  invalid_request: { type: 'invalid_request_error', code: null },
  authentication: { type: 'invalid_request_error', code: 'invalid_api_key' },
  permission: { type: 'invalid_request_error', code: 'permission_denied' },
  not_found: { type: 'invalid_request_error', code: 'not_found' },
  request_too_large: { type: 'invalid_request_error', code: 'request_too_large' },
  unsupported_media_type: { type: 'invalid_request_error', code: 'unsupported_media_type' },
  rate_limit: { type: 'requests', code: 'rate_limit_exceeded' },
  overloaded: { type: 'server_error', code: 'server_overloaded' },
  upstream: { type: 'server_error', code: null },
  timeout: { type: 'server_error', code: 'timeout' },
  internal: { type: 'server_error', code: null },
};

export function errorBody(error: ProxyError): unknown {
  const { type, code } = ERRORS[error.kind];
  // An error's own code first: Codex and others compact the conversation on context_length_exceeded.
  return { error: { message: error.message, type, code: error.code ?? code, param: error.param ?? null } };
}

// ---------------------------------------------------------------- handler

export async function handleChatCompletions(ctx: ProtocolContext): Promise<void> {
  const request = parseChatRequest(ctx.body);
  const { events } = await ctx.exchange.start({
    conversation: request,
    endpoint: '/v1/chat/completions',
    stream: request.stream,
    signal: ctx.signal,
  });
  const head = newCompletionHead(request.model);
  if (!request.stream) {
    sendJson(ctx.res, 200, renderCompletion(await collectReply(events), head));
    return;
  }
  const writer = new SseWriter(ctx.res);
  // SSE comments keep idle-timeout proxies and clients patient; OpenAI parsers skip them.
  writer.open({ intervalMs: ctx.config.pingIntervalMs, frame: ': keep-alive\n\n' });
  try {
    await renderCompletionStream(events, writer, head, request.includeUsage);
  } finally {
    writer.end();
  }
}
