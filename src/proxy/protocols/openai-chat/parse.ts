// OpenAI Chat Completions requests (`POST /v1/chat/completions`) into a Conversation.
import { invalidRequest, ProxyError } from '../../errors';
import type { Block, CacheBreakpoints, ImageBlock, Message, ToolChoice, ToolSpec, ToolUseBlock } from '../../model';
import { hasCacheControl, optionalFields } from '../optional-fields';
import { elements, Fields, type Located } from '../fields';
import { fileText, functionToolSpec, imageFromUrl, parseToolArguments, thinkingFromEffort } from '../openai-shared';
import { responseFormatOf } from '../response-format';
import { sessionKey } from '../session';
import type { ChatRequest } from './types';

export function parseChatRequest(body: unknown): ChatRequest {
  const request = Fields.of({ value: body, path: '' });
  // Each choice would be a Kiro call of its own, billed in full: say so instead of answering one.
  const choices = request.optionalNumber('n');
  if (choices !== undefined && choices !== 1) {
    throw new ProxyError('invalid_request', `n: only 1 choice per request is supported (got ${choices}); send ${choices > 1 ? `${choices} requests` : 'n: 1'} instead.`, { param: 'n' });
  }
  const systemParts: string[] = [];
  const messages: Message[] = [];
  // Legacy `function_call`s have no ids; results are matched to the latest call of that name.
  const legacyCallIds = new Map<string, string>();
  // `cache_control` on content parts (as OpenRouter passes it to Claude): Kiro cache points.
  const cache: CacheBreakpoints = { system: false, tools: [], messages: [] };

  for (const item of request.list('messages')) {
    const message = Fields.of(item);
    const role = message.string('role');
    const count = messages.length;
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
    if (hasCacheControl(message.value.content)) {
      if (messages.length === count) cache.system = true;
      else cache.messages.push(messages.length - 1);
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
    // OpenAI's search models search when this is present; here the model decides, through Kiro's
    // web search. Chat Completions has no search item: the sources are written into the text.
    ...(request.optionalObject('web_search_options') ? { webSearch: {} } : {}),
    thinking: thinkingFromEffort(request.optionalString('reasoning_effort')),
    responseFormat: responseFormatOf(request.optionalObject('response_format')),
    maxTokens: request.optionalNumber('max_completion_tokens') ?? request.optionalNumber('max_tokens'),
    ...optionalFields(request.optionalStrings('stop'), cache),
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
