// Anthropic Messages requests (`POST /v1/messages`, `/v1/messages/count_tokens`) into a Conversation.
import type { IncomingHttpHeaders } from 'node:http';
import { invalidRequest } from '../../errors';
import { isRecord } from '../../records';
import { flatMapped } from '../../lists';
import type { Block, CacheBreakpoints, Message, ThinkingConfig, ThinkingEffort, ToolChoice, ToolSpec, WebSearchTool } from '../../model';
import { hasCacheControl, optionalFields } from '../optional-fields';
import { elements, Fields, type Located } from '../fields';
import { claudeCodeSessionId, sessionKey } from '../session';
import { responseFormatOf } from '../response-format';
import { unsealThinking } from '../thinking-seal';
import type { AnthropicRequest } from './types';

export function parseAnthropicRequest(body: unknown, headers: IncomingHttpHeaders): AnthropicRequest {
  const request = Fields.of({ value: body, path: '' });
  const systemParts = request.has('system') ? [textOf(request.field('system'))] : [];
  const cache: CacheBreakpoints = { system: hasCacheControl(request.value.system), tools: [], messages: [] };
  const messages: Message[] = [];
  for (const item of request.list('messages')) {
    const message = Fields.of(item);
    const role = message.string('role');
    const marked = hasCacheControl(message.value.content);
    if (role === 'system') {
      if (marked && messages.length === 0) cache.system = true;
      // Claude Code puts system-role messages into `messages`: before the dialogue they extend
      // the system prompt, later ones are passed on as user text where they were.
      const text = textOf(message.field('content'));
      if (messages.length === 0) systemParts.push(text);
      else messages.push({ role: 'user', content: [{ type: 'text', text }] });
    } else if (role === 'user' || role === 'assistant') {
      messages.push({ role, content: parseContent(message.field('content')) });
    } else {
      throw invalidRequest(`${message.at('role')}: unknown role "${role}"`);
    }
    if (marked && role !== 'system') cache.messages.push(messages.length - 1);
  }
  const system = systemParts.filter((part) => part).join('\n\n');
  const metadata = request.optionalObject('metadata');
  const tools: ToolSpec[] = [];
  for (const item of request.optionalList('tools')) {
    const parsed = parseTool(item);
    tools.push(...parsed);
    if (parsed.length > 0 && isRecord(item.value) && isRecord(item.value.cache_control)) cache.tools.push(tools.length - 1);
  }
  const toolChoice = parseToolChoice(request.optionalObject('tool_choice'));
  const webSearch = parseWebSearchTool(request.optionalList('tools'), tools, toolChoice);
  return {
    model: request.string('model'),
    system,
    messages,
    tools,
    // A choice that names the search tool is the search itself, which Kiro never sees as a tool.
    toolChoice: webSearch?.forced ? undefined : toolChoice,
    ...(webSearch ? { webSearch } : {}),
    thinking: parseThinking(request.optionalObject('thinking'), request.optionalObject('output_config')),
    omitThinking: request.optionalObject('thinking')?.optionalString('display') === 'omitted',
    // Structured outputs: `output_config.format` (GA) or the beta's top-level `output_format`.
    responseFormat: responseFormatOf(request.optionalObject('output_config')?.optionalObject('format') ?? request.optionalObject('output_format')),
    maxTokens: request.optionalNumber('max_tokens'),
    ...optionalFields(request.optionalStrings('stop_sequences'), cache),
    sessionId: sessionKey(claudeCodeSessionId(headers, metadata?.value.user_id), { system, messages }),
    stream: request.optionalBoolean('stream') ?? false,
  };
}

/** A string, or text blocks joined (the `system` field and system-role messages). */
function textOf(located: Located): string {
  if (typeof located.value === 'string') return located.value;
  return elements(located)
    .map((item) => {
      const block = Fields.of(item);
      const type = block.string('type');
      if (type !== 'text') throw invalidRequest(`${block.at('type')}: expected a text block, got "${type}"`);
      return block.string('text');
    })
    .join('\n\n');
}

/** Blocks that only Anthropic's own server tools produce; Kiro has nothing to do with them. */
const SERVER_TOOL_BLOCKS = new Set([
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'tool_search_tool_result',
  'mcp_tool_use',
  'mcp_tool_result',
  'container_upload',
]);

function parseContent(located: Located): Block[] {
  if (typeof located.value === 'string') return [{ type: 'text', text: located.value }];
  if (!Array.isArray(located.value)) throw invalidRequest(`${located.path}: must be a string or an array of blocks`);
  return flatMapped(elements(located), parseBlock);
}

function parseBlock(located: Located): Block[] {
  const block = Fields.of(located);
  const type = block.string('type');
  switch (type) {
    case 'text':
      return [{ type: 'text', text: block.string('text') }];
    case 'image':
      return [parseImage(block)];
    case 'document':
      return [{ type: 'text', text: documentText(block) }];
    case 'search_result':
      return [{ type: 'text', text: searchResultText(block) }];
    case 'tool_use': {
      const input = block.has('input') ? block.object('input').value : {};
      return [{ type: 'tool_use', id: block.string('id'), name: block.string('name'), input }];
    }
    case 'tool_result':
      return parseToolResult(block);
    case 'thinking': {
      const signature = block.optionalString('signature');
      // An omitted block (empty text) of ours gets its reasoning back from the signature.
      const text = block.string('thinking') || (unsealThinking(signature) ?? '');
      return [{ type: 'thinking', text, signature }];
    }
    case 'redacted_thinking':
      return []; // encrypted by Anthropic; meaningless to Kiro
    case 'web_search_tool_result':
      // Our own earlier search, sent back: the model keeps what it read (the snippet travels in
      // `encrypted_content`, which we fill with it).
      return searchHistoryText(block);
    case 'tool_reference':
      // A tool search result (Claude Code's ToolSearch) loading a deferred tool. Kiro was sent
      // every tool already, so the model only needs to know it may now call it.
      return [{ type: 'text', text: `Tool "${block.string('tool_name')}" is loaded and can be called.` }];
    default:
      if (SERVER_TOOL_BLOCKS.has(type)) return [];
      throw invalidRequest(`${block.at('type')}: unknown block type "${type}"`);
  }
}

function parseImage(block: Fields): Block {
  const source = block.object('source');
  const kind = source.string('type');
  if (kind === 'base64') {
    return { type: 'image', source: { kind: 'base64', mediaType: source.string('media_type'), data: source.string('data') } };
  }
  if (kind === 'url') return { type: 'image', source: { kind: 'url', url: source.string('url') } };
  throw invalidRequest(`${source.at('type')}: unsupported image source "${kind}"`);
}

/** Text documents pass as text; Kiro cannot read PDFs, so those become a note the model can act on. */
function documentText(block: Fields): string {
  const source = block.object('source');
  const kind = source.string('type');
  if (kind === 'text') return source.string('data');
  if (kind === 'content') return parseContent(source.field('content')).map(blockText).join('\n');
  const title = block.optionalString('title');
  return `[Document${title ? ` "${title}"` : ''} omitted: this model cannot read ${kind} documents.]`;
}

/** Search results (usually inside tool results) are passed as their title, source and text. */
function searchResultText(block: Fields): string {
  const content = parseContent(block.field('content')).map(blockText);
  return [block.optionalString('title'), block.optionalString('source'), ...content].filter((part) => part).join('\n');
}

/** Tool results carry flattened text; their images travel as separate blocks right after them. */
function parseToolResult(block: Fields): Block[] {
  const nested = block.has('content') ? parseContent(block.field('content')) : [];
  const images = nested.filter((b) => b.type === 'image');
  const text = nested
    .filter((b) => b.type !== 'image')
    .map(blockText)
    .join('\n');
  return [
    { type: 'tool_result', toolUseId: block.string('tool_use_id'), content: text, isError: block.optionalBoolean('is_error') ?? false },
    ...images,
  ];
}

function blockText(block: Block): string {
  switch (block.type) {
    case 'text':
    case 'thinking':
      return block.text;
    case 'tool_result':
      return block.content;
    case 'tool_use':
      return JSON.stringify(block.input);
    case 'image':
      return '';
  }
}

function searchHistoryText(block: Fields): Block[] {
  if (!block.has('content') || !Array.isArray(block.field('content').value)) return [];
  const content = block.field('content');
  const lines = flatMapped(elements(content), (item) => {
    const result = Fields.of(item);
    if (result.optionalString('type') !== 'web_search_result') return [];
    return [`- ${result.optionalString('title') ?? ''} ${result.optionalString('url') ?? ''}\n  ${result.optionalString('encrypted_content') ?? ''}`.trimEnd()];
  });
  return lines.length ? [{ type: 'text', text: `Web search results:\n${lines.join('\n')}` }] : [];
}

/** Anthropic's web search server tool: `name` "web_search" and a `type` of any version (`web_search_20250305`, `web_search_20260209`…). */
function isWebSearchTool(tool: Fields): boolean {
  return tool.optionalString('name') === 'web_search' && (tool.optionalString('type') ?? '').startsWith('web_search_');
}

/**
 * The web search server tool, run through Kiro's web search. Forced when it is all the client
 * asked for: `tool_choice` names it, or demands some tool and it is the only one (Claude Code's
 * WebSearch side request).
 */
function parseWebSearchTool(items: Located[], clientTools: ToolSpec[], choice: ToolChoice | undefined): WebSearchTool | undefined {
  const tool = items.map((item) => Fields.of(item)).find(isWebSearchTool);
  if (!tool) return undefined;
  const domains = (key: string) => {
    if (!tool.has(key) || tool.field(key).value === null) return undefined;
    return tool.list(key).map((item) => {
      if (typeof item.value !== 'string') throw invalidRequest(`${item.path}: must be a string`);
      return item.value;
    });
  };
  const allowedDomains = domains('allowed_domains');
  const blockedDomains = domains('blocked_domains');
  if (allowedDomains?.length && blockedDomains?.length) {
    throw invalidRequest(`${tool.at('allowed_domains')}: use either allowed_domains or blocked_domains, not both`);
  }
  const maxUses = tool.optionalNumber('max_uses');
  if (maxUses !== undefined && (!Number.isInteger(maxUses) || maxUses < 1)) throw invalidRequest(`${tool.at('max_uses')}: must be a positive integer`);
  const forced = (choice?.type === 'tool' && choice.name === 'web_search') || (choice?.type === 'any' && clientTools.length === 0);
  return {
    ...(maxUses !== undefined ? { maxUses } : {}),
    ...(allowedDomains?.length ? { allowedDomains } : {}),
    ...(blockedDomains?.length ? { blockedDomains } : {}),
    ...(forced ? { forced } : {}),
  };
}

/** Custom tools only: the other server tools (bash, text editor, web fetch…) have no Kiro equivalent. */
function parseTool(item: Located): ToolSpec[] {
  const tool = Fields.of(item);
  const type = tool.optionalString('type');
  if (type !== undefined && type !== 'custom') return [];
  return [
    {
      name: tool.string('name'),
      description: tool.optionalString('description') ?? '',
      inputSchema: tool.optionalObject('input_schema')?.value ?? { type: 'object', properties: {} },
    },
  ];
}

function parseToolChoice(choice: Fields | undefined): ToolChoice | undefined {
  if (!choice) return undefined;
  const type = choice.string('type');
  switch (type) {
    case 'auto':
    case 'any':
    case 'none':
      return { type };
    case 'tool':
      return { type: 'tool', name: choice.string('name') };
    default:
      throw invalidRequest(`${choice.at('type')}: unknown tool_choice type "${type}"`);
  }
}

function parseThinking(thinking: Fields | undefined, outputConfig: Fields | undefined): ThinkingConfig | undefined {
  if (!thinking) return undefined;
  const type = thinking.string('type');
  switch (type) {
    case 'enabled':
      return { type: 'enabled', budgetTokens: thinking.optionalNumber('budget_tokens') ?? 0 };
    case 'adaptive':
      return { type: 'adaptive', effort: parseEffort(outputConfig) };
    case 'disabled':
      return undefined;
    default:
      throw invalidRequest(`${thinking.at('type')}: unknown thinking type "${type}"`);
  }
}

/** Anthropic's default effort is high; `max` is beyond what Kiro distinguishes. */
function parseEffort(outputConfig: Fields | undefined): ThinkingEffort {
  if (!outputConfig?.has('effort')) return 'high';
  const effort = outputConfig.string('effort');
  if (effort === 'low' || effort === 'medium' || effort === 'high') return effort;
  if (effort === 'xhigh' || effort === 'max') return 'high';
  throw invalidRequest(`${outputConfig.at('effort')}: unknown effort "${effort}"`);
}
