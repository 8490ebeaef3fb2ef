// Gemini `generateContent` requests (and `countTokens`, which may wrap one) into a Conversation.
import { invalidRequest } from '../../errors';
import type { Block, Message, ResponseFormat, ThinkingConfig, ToolChoice, ToolSpec, WebSearchTool } from '../../model';
import { isRecord } from '../../records';
import { flatMapped } from '../../lists';
import { optionalFields } from '../optional-fields';
import { Fields, type Located } from '../fields';
import { sessionKey } from '../session';
import { toJsonSchema } from './schema';
import type { GeminiRequest } from './types';

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
    const blocks = flatMapped(content.optionalList('parts'), (part) => parsePart(Fields.of(part), speaker, calls));
    if (blocks.length === 0) continue;
    const last = messages[messages.length - 1];
    if (last?.role === speaker) last.content.push(...blocks);
    else messages.push({ role: speaker, content: blocks });
  }

  const generation = request.optionalObject('generationConfig') ?? request.optionalObject('generation_config');
  const system = systemParts.filter((p) => p).join('\n\n');
  const webSearch = parseSearchTool(request.optionalList('tools'));
  return {
    model,
    system,
    messages,
    tools: request.optionalList('tools').flatMap(parseTool),
    ...(webSearch ? { webSearch } : {}),
    toolChoice: parseToolConfig(request.optionalObject('toolConfig') ?? request.optionalObject('tool_config')),
    thinking: parseThinking(generation?.optionalObject('thinkingConfig') ?? generation?.optionalObject('thinking_config')),
    responseFormat: parseResponseFormat(generation),
    maxTokens: generation?.optionalNumber('maxOutputTokens') ?? generation?.optionalNumber('max_output_tokens'),
    ...optionalFields(generation?.optionalStrings('stopSequences') ?? generation?.optionalStrings('stop_sequences')),
    sessionId: sessionKey(undefined, { system, messages }),
  };
}

/** Grounding with Google Search (`googleSearch`, or the older `googleSearchRetrieval`) runs as Kiro's web search. */
function parseSearchTool(tools: Located[]): WebSearchTool | undefined {
  for (const item of tools) {
    const tool = Fields.of(item);
    const search = tool.optionalObject('googleSearch') ?? tool.optionalObject('google_search');
    if (search) {
      const excluded = search.has('excludeDomains') ? search.list('excludeDomains') : search.optionalList('exclude_domains');
      const blockedDomains = excluded.flatMap((d) => (typeof d.value === 'string' ? [d.value] : []));
      return blockedDomains.length ? { blockedDomains } : {};
    }
    if (tool.has('googleSearchRetrieval') || tool.has('google_search_retrieval')) return {};
  }
  return undefined;
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
  const error = isRecord(value) && 'error' in value && !('output' in value);
  const media = flatMapped(response.optionalList('parts'), (part) => parsePart(Fields.of(part), speaker, calls));
  const notes = flatMapped(media, (block) => (block.type === 'text' ? [block.text] : []));
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
  if (isRecord(value)) {
    const keys = Object.keys(value);
    const only = keys.length === 1 ? value[keys[0]] : undefined;
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
