// The OpenAI Responses API (`POST /v1/responses`), as Codex CLI and the `openai` SDK speak it:
// parses requests (string or item input, `previous_response_id` chains) into a Conversation
// and renders replies as Response objects or their typed event stream.
import { randomBytes } from 'node:crypto';
import { asProxyError, invalidRequest, ProxyError, TOO_LONG_MESSAGE } from '../errors';
import type { Block, Conversation, Message, Reply, ReplyEvent, ToolChoice, ToolSpec, ToolUseBlock } from '../model';
import { elements, Fields, type Located } from './fields';
import { errorBody as openaiErrorBody } from './openai-chat';
import { fileText, functionToolSpec, imageFromUrl, parseToolArguments, thinkingFromEffort } from './openai-shared';
import { collectReply, reportedStopReason, sendJson, unfinishedReply } from './reply';
import { responseFormatOf } from './response-format';
import { ResponseStore } from './response-store';
import { sessionKey } from './session';
import { SseWriter, type SseSink } from './sse';
import type { ProtocolContext } from './types';

// ---------------------------------------------------------------- tools

/** How a Kiro tool name maps back to the client's tool: plain, inside a namespace, freeform or local shell. */
export interface ClientTool {
  kind: 'function' | 'custom' | 'local_shell';
  name: string;
  namespace?: string;
}

/** Kiro has no namespaces: `crm` + `lookup` travels as `crm__lookup`. */
export function flatName(name: string, namespace?: string): string {
  return namespace ? `${namespace}__${name}` : name;
}

const LOCAL_SHELL_SCHEMA = {
  type: 'object',
  properties: {
    command: { type: 'array', items: { type: 'string' }, description: 'The command and its arguments, e.g. ["bash", "-lc", "ls"].' },
    workdir: { type: 'string', description: 'Working directory.' },
    timeout_ms: { type: 'number', description: 'Timeout in milliseconds.' },
  },
  required: ['command'],
};

// ---------------------------------------------------------------- request parsing

export interface ResponsesRequest extends Conversation {
  stream: boolean;
  store: boolean;
  previousResponseId?: string;
  /** The chain's first response (for chained requests). */
  rootId?: string;
  /** Kiro tool name → the tool the client declared. */
  clientTools: Map<string, ClientTool>;
  /** Request fields echoed back in the Response object. */
  echo: Record<string, unknown>;
}

export function parseResponsesRequest(body: unknown, store?: ResponseStore): ResponsesRequest {
  const request = Fields.of({ value: body, path: '' });
  const model = request.string('model');
  const clientTools = new Map<string, ClientTool>();
  const tools = request.optionalList('tools').flatMap((item) => parseTool(item, clientTools));

  const previousResponseId = request.optionalString('previous_response_id');
  const previous = previousResponseId !== undefined ? store?.get(previousResponseId) : undefined;
  if (previousResponseId !== undefined && !previous) {
    throw new ProxyError('invalid_request', `previous_response_id: Previous response with id '${previousResponseId}' not found.`, {
      code: 'previous_response_not_found',
      param: 'previous_response_id',
    });
  }

  const systemParts: string[] = [];
  const instructions = request.field('instructions');
  if (typeof instructions.value === 'string') systemParts.push(instructions.value);
  else if (Array.isArray(instructions.value)) systemParts.push(contentText(instructions));

  const messages: Message[] = previous ? [...previous.messages] : [];
  const input = request.field('input');
  if (typeof input.value === 'string') push(messages, 'user', [{ type: 'text', text: input.value }]);
  else if (input.value !== undefined && input.value !== null) {
    for (const item of elements(input)) parseItem(item, messages, systemParts);
  }

  const system = systemParts.filter((part) => part).join('\n\n');
  const clientSession = request.optionalString('prompt_cache_key') ?? request.optionalString('safety_identifier') ?? request.optionalString('user');
  const echo: Record<string, unknown> = {};
  for (const key of ['instructions', 'max_output_tokens', 'metadata', 'parallel_tool_calls', 'reasoning', 'temperature', 'text', 'tool_choice', 'tools', 'top_p', 'truncation', 'user', 'prompt_cache_key']) {
    if (request.has(key)) echo[key] = request.value[key];
  }
  return {
    model,
    system,
    messages,
    tools,
    toolChoice: request.has('tool_choice') ? parseToolChoice(request.field('tool_choice')) : undefined,
    thinking: thinkingFromEffort(request.optionalObject('reasoning')?.value.effort),
    responseFormat: responseFormatOf(request.optionalObject('text')?.optionalObject('format')),
    maxTokens: request.optionalNumber('max_output_tokens'),
    sessionId: previous?.sessionId ?? sessionKey(clientSession, { system, messages }),
    stream: request.optionalBoolean('stream') ?? false,
    store: request.optionalBoolean('store') ?? true,
    previousResponseId,
    rootId: previous?.rootId,
    clientTools,
    echo,
  };
}

/** Appends blocks, merging into the last message when it has the same role. */
function push(messages: Message[], role: Message['role'], blocks: Block[]): void {
  if (blocks.length === 0) return;
  const last = messages[messages.length - 1];
  if (last?.role === role) {
    // Never mutate a message that may be shared with a stored response.
    messages[messages.length - 1] = { role, content: [...last.content, ...blocks] };
  } else {
    messages.push({ role, content: blocks });
  }
}

function parseItem(located: Located, messages: Message[], systemParts: string[]): void {
  const item = Fields.of(located);
  // EasyInputMessage has no `type`; `{role, content}` is a message.
  const type = item.optionalString('type') ?? (item.has('role') ? 'message' : '');
  switch (type) {
    case 'message': {
      const role = item.string('role');
      if (role === 'system' || role === 'developer') {
        const text = contentText(item.field('content'));
        if (messages.length === 0) systemParts.push(text);
        else push(messages, 'user', text ? [{ type: 'text', text }] : []);
      } else if (role === 'user') {
        push(messages, 'user', userContent(item.field('content')));
      } else if (role === 'assistant') {
        const text = contentText(item.field('content'));
        push(messages, 'assistant', text ? [{ type: 'text', text }] : []);
      } else {
        throw invalidRequest(`${item.at('role')}: unknown role "${role}"`);
      }
      return;
    }
    case 'function_call':
      push(messages, 'assistant', [
        toolUse(item.optionalString('call_id') ?? item.string('id'), flatName(item.string('name'), item.optionalString('namespace')), parseToolArguments(item.optionalString('arguments') ?? '')),
      ]);
      return;
    case 'custom_tool_call':
      push(messages, 'assistant', [
        toolUse(item.optionalString('call_id') ?? item.string('id'), flatName(item.string('name'), item.optionalString('namespace')), { input: item.optionalString('input') ?? '' }),
      ]);
      return;
    case 'local_shell_call': {
      const action = item.optionalObject('action');
      const input: Record<string, unknown> = { command: action?.value.command ?? [] };
      if (action?.has('working_directory')) input.workdir = action.value.working_directory;
      if (action?.has('timeout_ms')) input.timeout_ms = action.value.timeout_ms;
      push(messages, 'assistant', [toolUse(item.optionalString('call_id') ?? item.string('id'), 'local_shell', input)]);
      return;
    }
    case 'function_call_output':
    case 'custom_tool_call_output':
    case 'local_shell_call_output': {
      const id = item.optionalString('call_id') ?? item.string('id');
      const { text, images } = outputContent(item.field('output'));
      push(messages, 'user', [{ type: 'tool_result', toolUseId: id, content: text, isError: false }, ...images]);
      return;
    }
    case 'reasoning': {
      const summary = item.optionalList('summary').map((part) => Fields.of(part).optionalString('text') ?? '');
      const content = item.optionalList('content').map((part) => Fields.of(part).optionalString('text') ?? '');
      const text = (content.some((t) => t) ? content : summary).filter((t) => t).join('\n');
      if (text) push(messages, 'assistant', [{ type: 'thinking', text }]);
      return;
    }
    default:
      // Hosted tool calls (web search, file search, computer…), item references, compaction
      // summaries: nothing Kiro could use, and never a reason to refuse the request.
      return;
  }
}

function toolUse(id: string, name: string, input: Record<string, unknown>): ToolUseBlock {
  return { type: 'tool_use', id, name, input };
}

/** A string or content parts, as text (instructions, system/developer and assistant messages). */
function contentText(located: Located): string {
  if (located.value === undefined || located.value === null) return '';
  if (typeof located.value === 'string') return located.value;
  return elements(located)
    .map((part) => {
      const fields = Fields.of(part);
      const type = fields.optionalString('type');
      if (type === 'refusal') return fields.optionalString('refusal') ?? '';
      return fields.optionalString('text') ?? '';
    })
    .filter((text) => text)
    .join('\n');
}

function userContent(located: Located): Block[] {
  if (typeof located.value === 'string') return [{ type: 'text', text: located.value }];
  return elements(located).flatMap((part): Block[] => {
    const fields = Fields.of(part);
    const type = fields.string('type');
    switch (type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        return [{ type: 'text', text: fields.string('text') }];
      case 'input_image':
        return [imagePart(fields)];
      case 'input_file':
        return [{ type: 'text', text: fileText(fields) }];
      default:
        return [];
    }
  });
}

function imagePart(part: Fields): Block {
  const imageUrl = part.field('image_url');
  const url = typeof imageUrl.value === 'string' ? imageUrl.value : undefined;
  if (!url) return { type: 'text', text: '[Image omitted: uploaded files (file_id) are not available through this proxy.]' };
  return imageFromUrl(url, imageUrl.path);
}

/** Text files pass as text; anything else becomes a note the model can act on. */
/** A tool output: a string, or parts whose images travel as separate blocks. */
function outputContent(located: Located): { text: string; images: Block[] } {
  if (located.value === undefined || located.value === null) return { text: '', images: [] };
  if (typeof located.value === 'string') return { text: located.value, images: [] };
  if (!Array.isArray(located.value)) return { text: JSON.stringify(located.value), images: [] };
  const blocks = userContent(located);
  return {
    text: blocks.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n'),
    images: blocks.filter((b) => b.type === 'image'),
  };
}

/** Function tools (also inside namespaces), freeform custom tools and local_shell; hosted tools are dropped. */
function parseTool(located: Located, clientTools: Map<string, ClientTool>, namespace?: string): ToolSpec[] {
  const tool = Fields.of(located);
  const type = tool.optionalString('type') ?? 'function';
  switch (type) {
    case 'function': {
      const name = tool.string('name');
      clientTools.set(flatName(name, namespace), { kind: 'function', name, namespace });
      return [functionToolSpec(tool, flatName(name, namespace))];
    }
    case 'custom': {
      const name = tool.string('name');
      clientTools.set(flatName(name, namespace), { kind: 'custom', name, namespace });
      const format = tool.optionalObject('format');
      const grammar = format?.optionalString('definition');
      const description = [tool.optionalString('description') ?? '', grammar ? `The input must follow this ${format?.optionalString('syntax') ?? ''} grammar:\n${grammar}` : '']
        .filter((s) => s)
        .join('\n\n');
      return [
        {
          name: flatName(name, namespace),
          description,
          inputSchema: { type: 'object', properties: { input: { type: 'string', description: 'The raw tool input.' } }, required: ['input'] },
        },
      ];
    }
    case 'namespace': {
      const ns = tool.string('name');
      return tool.optionalList('tools').flatMap((inner) => parseTool(inner, clientTools, ns));
    }
    case 'local_shell':
      clientTools.set('local_shell', { kind: 'local_shell', name: 'local_shell' });
      return [{ name: 'local_shell', description: 'Runs a shell command on the user\'s machine and returns its output.', inputSchema: LOCAL_SHELL_SCHEMA }];
    default:
      return []; // web_search, file_search, computer_use, mcp, image_generation…: hosted by OpenAI
  }
}

function parseToolChoice(located: Located): ToolChoice | undefined {
  const value = located.value;
  if (value === 'none' || value === 'auto') return { type: value };
  if (value === 'required') return { type: 'any' };
  if (typeof value === 'string') return undefined;
  const choice = Fields.of(located);
  const type = choice.optionalString('type');
  if (type === 'function' || type === 'custom') return { type: 'tool', name: flatName(choice.string('name'), choice.optionalString('namespace')) };
  if (type === 'allowed_tools') return choice.optionalString('mode') === 'required' ? { type: 'any' } : { type: 'auto' };
  return undefined; // a hosted tool: nothing to force
}


// ---------------------------------------------------------------- rendering

export interface ResponseHead {
  id: string;
  model: string;
  /** Unix seconds. */
  createdAt: number;
  previousResponseId?: string;
  store: boolean;
  echo: Record<string, unknown>;
  clientTools: Map<string, ClientTool>;
  inputTokens: number;
}

export function newResponseId(): string {
  return `resp_${randomBytes(16).toString('hex')}`;
}

const itemId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

type OutputItem = Record<string, unknown> & { type: string; id: string };

function usageOf(inputTokens: number, outputTokens: number) {
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
}

type Status = 'in_progress' | 'completed' | 'incomplete' | 'failed';

/** The Response object; `output` and the outcome fill in as the reply arrives. */
export function responseObject(
  head: ResponseHead,
  status: Status,
  output: OutputItem[],
  extra: { usage?: { inputTokens: number; outputTokens: number }; error?: { code: string; message: string }; incompleteReason?: string } = {},
): Record<string, unknown> {
  const e = head.echo;
  return {
    id: head.id,
    object: 'response',
    created_at: head.createdAt,
    status,
    background: false,
    error: extra.error ?? null,
    incomplete_details: extra.incompleteReason ? { reason: extra.incompleteReason } : null,
    instructions: e.instructions ?? null,
    max_output_tokens: e.max_output_tokens ?? null,
    metadata: e.metadata ?? {},
    model: head.model,
    output,
    parallel_tool_calls: e.parallel_tool_calls ?? true,
    previous_response_id: head.previousResponseId ?? null,
    prompt_cache_key: e.prompt_cache_key ?? null,
    reasoning: e.reasoning ?? { effort: null, summary: null },
    service_tier: 'default',
    store: head.store,
    temperature: e.temperature ?? 1,
    text: e.text ?? { format: { type: 'text' } },
    tool_choice: e.tool_choice ?? 'auto',
    tools: e.tools ?? [],
    top_p: e.top_p ?? 1,
    truncation: e.truncation ?? 'disabled',
    usage: extra.usage ? usageOf(extra.usage.inputTokens, extra.usage.outputTokens) : null,
    user: e.user ?? null,
  };
}

function reasoningItem(id: string, text: string): OutputItem {
  return { type: 'reasoning', id, summary: text ? [{ type: 'summary_text', text }] : [] };
}

function outputText(text: string) {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

function messageItem(id: string, text: string, status: Status): OutputItem {
  return { type: 'message', id, status, role: 'assistant', content: status === 'in_progress' ? [] : [outputText(text)] };
}

/** The finished output item of a tool call, in the shape of the tool the client declared. */
function toolItem(block: { id: string; name: string; input: Record<string, unknown> }, tools: Map<string, ClientTool>, itemIdValue?: string): OutputItem {
  const tool = tools.get(block.name) ?? { kind: 'function', name: block.name };
  const ns = tool.namespace ? { namespace: tool.namespace } : {};
  if (tool.kind === 'custom') {
    const input = typeof block.input.input === 'string' ? block.input.input : JSON.stringify(block.input);
    return { type: 'custom_tool_call', id: itemIdValue ?? itemId('ctc'), call_id: block.id, name: tool.name, input, status: 'completed', ...ns };
  }
  if (tool.kind === 'local_shell') {
    const command = Array.isArray(block.input.command) ? block.input.command.map(String) : [String(block.input.command ?? '')];
    return {
      type: 'local_shell_call',
      id: itemIdValue ?? itemId('lsh'),
      call_id: block.id,
      status: 'completed',
      action: {
        type: 'exec',
        command,
        env: {},
        ...(typeof block.input.workdir === 'string' ? { working_directory: block.input.workdir } : {}),
        ...(typeof block.input.timeout_ms === 'number' ? { timeout_ms: block.input.timeout_ms } : {}),
      },
    };
  }
  return { type: 'function_call', id: itemIdValue ?? itemId('fc'), call_id: block.id, name: tool.name, arguments: JSON.stringify(block.input), status: 'completed', ...ns };
}

function outcomeOf(end: { stopReason: Reply['stopReason']; truncated?: boolean }): { status: Status; incompleteReason?: string; error?: { code: string; message: string } } {
  const reason = reportedStopReason(end);
  if (reason === 'max_tokens') return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
  if (reason === 'context_window_exceeded') return { status: 'failed', error: { code: 'context_length_exceeded', message: TOO_LONG_MESSAGE } };
  return { status: 'completed' };
}

/** The non-streaming Response body. */
export function renderResponse(reply: Reply, head: ResponseHead): Record<string, unknown> {
  const output: OutputItem[] = reply.content.map((block) => {
    switch (block.type) {
      case 'thinking':
        return reasoningItem(itemId('rs'), block.text);
      case 'text':
        return messageItem(itemId('msg'), block.text, 'completed');
      case 'tool_use':
        return toolItem(block, head.clientTools);
    }
  });
  const outcome = outcomeOf(reply);
  return responseObject(head, outcome.status, output, { usage: reply.usage, ...outcome });
}

/** Error codes of `response.failed` that clients act on (Codex compacts on context_length_exceeded). */
function failureCode(error: ProxyError): string {
  if (error.code) return error.code;
  switch (error.kind) {
    case 'rate_limit':
      return 'rate_limit_exceeded';
    case 'overloaded':
      return 'server_is_overloaded';
    case 'invalid_request':
      return 'invalid_prompt';
    default:
      return 'server_error';
  }
}

export interface StreamResult {
  /** The finished reply, to store for `previous_response_id`; undefined when the stream failed. */
  reply?: Reply;
  body?: Record<string, unknown>;
}

/**
 * Renders reply events as Responses stream events, each with `type` and `sequence_number`.
 * A failure after the start becomes `response.failed` carrying the error.
 */
export async function renderResponseStream(events: AsyncIterable<ReplyEvent>, sink: SseSink, head: ResponseHead): Promise<StreamResult> {
  let sequence = 0;
  const emit = (type: string, payload: object) => sink.send(JSON.stringify({ type, sequence_number: sequence++, ...payload }), type);
  const output: OutputItem[] = [];
  const content: Reply['content'] = [];
  let open:
    | { kind: 'text' | 'thinking'; index: number; id: string; text: string }
    | { kind: 'tool'; index: number; id: string; callId: string; name: string; args: string; streamed: boolean }
    | undefined;

  const close = async () => {
    const current = open;
    if (!current) return;
    open = undefined;
    if (current.kind === 'text') {
      const base = { item_id: current.id, output_index: current.index, content_index: 0 };
      await emit('response.output_text.done', { ...base, text: current.text, logprobs: [] });
      await emit('response.content_part.done', { ...base, part: outputText(current.text) });
      output[current.index] = messageItem(current.id, current.text, 'completed');
      content.push({ type: 'text', text: current.text });
    } else if (current.kind === 'thinking') {
      const base = { item_id: current.id, output_index: current.index, summary_index: 0 };
      await emit('response.reasoning_summary_text.done', { ...base, text: current.text });
      await emit('response.reasoning_summary_part.done', { ...base, part: { type: 'summary_text', text: current.text } });
      output[current.index] = reasoningItem(current.id, current.text);
      content.push({ type: 'thinking', text: current.text });
    } else {
      return; // tool calls are closed by tool_end
    }
    await emit('response.output_item.done', { output_index: current.index, item: output[current.index] });
  };

  try {
    await emit('response.created', { response: responseObject(head, 'in_progress', []) });
    await emit('response.in_progress', { response: responseObject(head, 'in_progress', []) });
    for await (const event of events) {
      switch (event.type) {
        case 'thinking': {
          if (open?.kind !== 'thinking') {
            await close();
            open = { kind: 'thinking', index: output.length, id: itemId('rs'), text: '' };
            output.push(reasoningItem(open.id, ''));
            await emit('response.output_item.added', { output_index: open.index, item: reasoningItem(open.id, '') });
            await emit('response.reasoning_summary_part.added', {
              item_id: open.id,
              output_index: open.index,
              summary_index: 0,
              part: { type: 'summary_text', text: '' },
            });
          }
          open.text += event.text;
          await emit('response.reasoning_summary_text.delta', { item_id: open.id, output_index: open.index, summary_index: 0, delta: event.text });
          break;
        }
        case 'thinking_signature':
          break; // the Responses API has no place for Anthropic signatures
        case 'text': {
          if (open?.kind !== 'text') {
            await close();
            open = { kind: 'text', index: output.length, id: itemId('msg'), text: '' };
            output.push(messageItem(open.id, '', 'in_progress'));
            await emit('response.output_item.added', { output_index: open.index, item: messageItem(open.id, '', 'in_progress') });
            await emit('response.content_part.added', { item_id: open.id, output_index: open.index, content_index: 0, part: outputText('') });
          }
          open.text += event.text;
          await emit('response.output_text.delta', { item_id: open.id, output_index: open.index, content_index: 0, delta: event.text, logprobs: [] });
          break;
        }
        case 'tool_start': {
          await close();
          const tool = head.clientTools.get(event.name);
          const streamed = !tool || tool.kind === 'function';
          open = { kind: 'tool', index: output.length, id: itemId('fc'), callId: event.id, name: event.name, args: '', streamed };
          if (streamed) {
            const item = {
              type: 'function_call',
              id: open.id,
              call_id: event.id,
              name: tool?.name ?? event.name,
              arguments: '',
              status: 'in_progress',
              ...(tool?.namespace ? { namespace: tool.namespace } : {}),
            };
            output.push(item);
            await emit('response.output_item.added', { output_index: open.index, item });
          }
          break;
        }
        case 'tool_input':
          if (open?.kind !== 'tool' || open.callId !== event.id || !open.streamed) break;
          open.args += event.partialJson;
          await emit('response.function_call_arguments.delta', { item_id: open.id, output_index: open.index, delta: event.partialJson });
          break;
        case 'tool_end': {
          if (open?.kind !== 'tool' || open.callId !== event.id) break;
          const current = open;
          open = undefined;
          const block: ToolUseBlock = { type: 'tool_use', id: current.callId, name: current.name, input: event.input };
          content.push(block);
          const item = toolItem(block, head.clientTools, current.streamed ? current.id : undefined);
          if (current.streamed) {
            const args = item.arguments as string;
            // Kiro may deliver the whole input at once; the client still needs it as a delta.
            if (!current.args) await emit('response.function_call_arguments.delta', { item_id: current.id, output_index: current.index, delta: args });
            await emit('response.function_call_arguments.done', { item_id: current.id, output_index: current.index, name: item.name, arguments: args });
          } else {
            output.push(item);
            await emit('response.output_item.added', { output_index: current.index, item: { ...item, ...(item.type === 'custom_tool_call' ? { input: '' } : {}), status: 'in_progress' } });
            if (item.type === 'custom_tool_call') {
              await emit('response.custom_tool_call_input.delta', { item_id: item.id, output_index: current.index, delta: item.input });
              await emit('response.custom_tool_call_input.done', { item_id: item.id, output_index: current.index, input: item.input });
            }
          }
          output[current.index] = item;
          await emit('response.output_item.done', { output_index: current.index, item });
          break;
        }
        case 'end': {
          await close();
          const outcome = outcomeOf(event);
          const body = responseObject(head, outcome.status, output, { usage: event.usage, ...outcome });
          const type = outcome.status === 'completed' ? 'response.completed' : outcome.status === 'failed' ? 'response.failed' : 'response.incomplete';
          await emit(type, { response: body });
          const reply: Reply = { content, stopReason: event.stopReason, usage: event.usage, truncated: event.truncated ?? false };
          return { reply, body };
        }
      }
    }
    throw unfinishedReply();
  } catch (err) {
    const error = asProxyError(err);
    await emit('response.failed', {
      response: responseObject(head, 'failed', output.filter((item) => item), { error: { code: failureCode(error), message: error.message } }),
    });
    return {};
  }
}

// ---------------------------------------------------------------- errors

/** Same shape as Chat Completions: `{error: {message, type, code, param}}`. */
export function errorBody(error: ProxyError): unknown {
  return openaiErrorBody(error);
}

// ---------------------------------------------------------------- handlers

export interface ResponsesEndpoints {
  create(ctx: ProtocolContext): Promise<void>;
  retrieve(ctx: ProtocolContext): void;
  remove(ctx: ProtocolContext): void;
  store: ResponseStore;
}

/** The handlers share one store, which lives as long as the server. */
export function responsesEndpoints(store = new ResponseStore()): ResponsesEndpoints {
  const remember = (request: ResponsesRequest, head: ResponseHead, reply: Reply, body: unknown) => {
    if (!request.store) return;
    const assistant: Message = { role: 'assistant', content: reply.content };
    store.put({
      id: head.id,
      rootId: request.rootId ?? head.id,
      sessionId: request.sessionId ?? head.id,
      messages: reply.content.length ? [...request.messages, assistant] : request.messages,
      body,
    });
  };

  return {
    store,
    async create(ctx) {
      const request = parseResponsesRequest(ctx.body, store);
      const { events, estimatedInputTokens } = await ctx.exchange.start({
        conversation: request,
        endpoint: '/v1/responses',
        stream: request.stream,
        signal: ctx.signal,
      });
      const head: ResponseHead = {
        id: newResponseId(),
        model: request.model,
        createdAt: Math.floor(Date.now() / 1000),
        previousResponseId: request.previousResponseId,
        store: request.store,
        echo: request.echo,
        clientTools: request.clientTools,
        inputTokens: estimatedInputTokens,
      };
      if (!request.stream) {
        const reply = await collectReply(events);
        const body = renderResponse(reply, head);
        remember(request, head, reply, body);
        sendJson(ctx.res, 200, body);
        return;
      }
      const writer = new SseWriter(ctx.res);
      writer.open({ intervalMs: ctx.config.pingIntervalMs, frame: ': keep-alive\n\n' });
      try {
        const result = await renderResponseStream(events, writer, head);
        if (result.reply) remember(request, head, result.reply, result.body);
      } finally {
        writer.end();
      }
    },
    retrieve(ctx) {
      const found = store.get(ctx.params.id ?? '');
      if (!found) throw new ProxyError('not_found', `Response with id '${ctx.params.id ?? ''}' not found.`);
      sendJson(ctx.res, 200, found.body);
    },
    remove(ctx) {
      const id = ctx.params.id ?? '';
      if (!store.delete(id)) throw new ProxyError('not_found', `Response with id '${id}' not found.`);
      sendJson(ctx.res, 200, { id, object: 'response', deleted: true });
    },
  };
}
