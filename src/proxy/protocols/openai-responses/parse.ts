// OpenAI Responses requests (`POST /v1/responses`) into a Conversation: string or item input,
// `previous_response_id` chains rebuilt from the store.
import { invalidRequest, ProxyError } from '../../errors';
import type { Block, Message, ToolUseBlock } from '../../model';
import { elements, Fields, type Located } from '../fields';
import { flatMapped } from '../../lists';
import { fileText, imageFromUrl, parseToolArguments, thinkingFromEffort } from '../openai-shared';
import { responseFormatOf } from '../response-format';
import { sessionKey } from '../session';
import type { ResponseStore } from './store';
import { flatName, parseSearchTool, parseTool, parseToolChoice } from './tools';
import type { ClientTool, ResponsesRequest } from './types';

export function parseResponsesRequest(body: unknown, store?: ResponseStore): ResponsesRequest {
  const request = Fields.of({ value: body, path: '' });
  const model = request.string('model');
  const clientTools = new Map<string, ClientTool>();
  const tools = request.optionalList('tools').flatMap((item) => parseTool(item, clientTools));
  const webSearch = parseSearchTool(request.optionalList('tools'), request.has('tool_choice') ? request.field('tool_choice').value : undefined);

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
    ...(webSearch ? { webSearch } : {}),
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
  return flatMapped(elements(located), (part): Block[] => {
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

/** A tool output: a string, or parts whose images travel as separate blocks. */
function outputContent(located: Located): { text: string; images: Block[] } {
  if (located.value === undefined || located.value === null) return { text: '', images: [] };
  if (typeof located.value === 'string') return { text: located.value, images: [] };
  if (!Array.isArray(located.value)) return { text: JSON.stringify(located.value), images: [] };
  const blocks = userContent(located);
  return {
    text: flatMapped(blocks, (b) => (b.type === 'text' ? [b.text] : [])).join('\n'),
    images: blocks.filter((b) => b.type === 'image'),
  };
}

