// The fuzzed endpoints, one entry each. A new protocol adds one line-ish entry here: its path,
// its pure request pipeline (everything the proxy does to a body before the network), real
// sample requests to mutate, and how its error bodies look.
import { parseAnthropicRequest } from '../../src/proxy/protocols/anthropic';
import { parseChatRequest } from '../../src/proxy/protocols/openai-chat';
import { parseResponsesRequest } from '../../src/proxy/protocols/openai-responses';
import { parseGeminiRequest } from '../../src/proxy/protocols/gemini';
import { kiroRequestTokens } from '../../src/proxy/kiro/token-calibration';
import { buildKiroRequest } from '../../src/proxy/kiro/request';
import { resolveKiroModel } from '../../src/proxy/kiro/models';
import { parseJsonText } from '../../src/proxy/server/body';
import type { Conversation } from '../../src/proxy/model';

export interface FuzzEndpoint {
  path: string;
  /** Body bytes → whatever the proxy does before calling Kiro. Throws ProxyError for bad input. */
  pure(bytes: Uint8Array): void;
  /** Real requests the mutations start from. */
  seeds: unknown[];
  /** Is this JSON an error in the endpoint's protocol shape? */
  isError(json: any): boolean;
}

const anthropicError = (j: any) => j?.type === 'error' && typeof j.error?.type === 'string' && typeof j.error?.message === 'string';
const geminiError = (j: any) => typeof j?.error?.code === 'number' && typeof j.error.message === 'string' && typeof j.error.status === 'string';
const openaiError = (j: any) =>
  typeof j?.error?.message === 'string' && typeof j.error.type === 'string' && 'code' in j.error && 'param' in j.error;

/** What the exchange does with a conversation before the network (images aside: tested separately). */
function toKiro(conv: Conversation): void {
  const kiroModel = resolveKiroModel(conv.model, {}, 'claude-sonnet-4.5');
  const built = buildKiroRequest(conv, { kiroModel, profileArn: 'arn:aws:codewhisperer:us-east-1:0:profile/X', conversationId: 'c' });
  kiroRequestTokens(built.textWeight, built.body);
  JSON.parse(built.bytes.toString());
}

const TOOL = { name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } };
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const ANTHROPIC_SEEDS: unknown[] = [
  { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] },
  {
    model: 'claude-opus-4-1-20250805',
    max_tokens: 1024,
    stream: true,
    system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
    tools: [TOOL],
    tool_choice: { type: 'auto' },
    thinking: { type: 'enabled', budget_tokens: 2048 },
    metadata: { user_id: 'user_abc_account__session_123e4567-e89b-12d3-a456-426614174000' },
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'read a' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'a' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'contents' }] }] },
    ],
  },
  {
    model: 'claude-haiku-4-5',
    max_tokens: 10,
    messages: [
      { role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc' }, title: 'T' }] },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'nope', content: 'orphan', is_error: true }] },
    ],
  },
  {
    model: 'claude-sonnet-4-5',
    max_tokens: 3,
    stop_sequences: ['simulator', '\n\nHuman:'],
    tools: [{ ...TOOL, cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'long context', cache_control: { type: 'ephemeral', ttl: '1h' } }] }],
  },
  {
    // Web search: the server tool with its limits, and an earlier search carried back in the history.
    model: 'claude-sonnet-4-5',
    max_tokens: 200,
    tools: [TOOL, { type: 'web_search_20250305', name: 'web_search', max_uses: 2, allowed_domains: ['example.com'] }],
    messages: [
      { role: 'user', content: 'Perform a web search for the query: tides' },
      {
        role: 'assistant',
        content: [
          { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'tides' } },
          { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [{ type: 'web_search_result', url: 'https://example.com/a', title: 'A', encrypted_content: 'x', page_age: null }] },
          { type: 'text', text: 'Found it.' },
        ],
      },
      { role: 'user', content: 'more' },
    ],
  },
  {
    model: 'claude-opus-4-5',
    max_tokens: 64,
    stream: true,
    tools: [{ type: 'web_search_20260209', name: 'web_search', blocked_domains: ['bad.example'] }],
    tool_choice: { type: 'tool', name: 'web_search' },
    messages: [{ role: 'user', content: 'Perform a web search for the query: moon phase' }],
  },
];

const CHAT_SEEDS: unknown[] = [
  { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
  {
    model: 'gpt-5.1-codex',
    stream: true,
    stream_options: { include_usage: true },
    max_completion_tokens: 500,
    reasoning_effort: 'high',
    tools: [{ type: 'function', function: { name: 'read_file', description: 'Read', parameters: TOOL.input_schema } }],
    tool_choice: 'auto',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'contents' },
    ],
  },
  { model: 'claude-sonnet-4.5', max_tokens: 5, temperature: 0.2, messages: [{ role: 'developer', content: [{ type: 'text', text: 'x' }] }, { role: 'user', content: 'q' }] },
  { model: 'gpt-4o', n: 1, stop: ['END', 'STOP'], max_tokens: 20, messages: [{ role: 'user', content: 'count' }] },
  { model: 'gpt-4o', n: 2, stop: 'END', messages: [{ role: 'user', content: 'twice' }] },
  { model: 'gpt-4o-search-preview', web_search_options: { search_context_size: 'low' }, messages: [{ role: 'user', content: 'news?' }] },
];

const RESPONSES_SEEDS: unknown[] = [
  { model: 'gpt-4o', input: 'hi' },
  {
    model: 'gpt-5.1-codex',
    stream: true,
    instructions: 'be brief',
    max_output_tokens: 300,
    reasoning: { effort: 'medium' },
    tools: [{ type: 'function', name: 'read_file', description: 'Read', parameters: TOOL.input_schema }],
    tool_choice: 'auto',
    previous_response_id: 'resp_unknown',
    input: [
      { role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: `data:image/png;base64,${PNG}` }] },
      { type: 'function_call', call_id: 'call_1', name: 'read_file', arguments: '{"path":"a"}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'contents' },
    ],
  },
  {
    model: 'gpt-5.1',
    tools: [{ type: 'web_search', filters: { allowed_domains: ['example.com'] } }, { type: 'web_search_preview' }],
    tool_choice: { type: 'web_search_preview' },
    input: [{ type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'q' } }, { role: 'user', content: 'news?' }],
  },
];

const GEMINI_SEEDS: unknown[] = [
  { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
  {
    systemInstruction: { parts: [{ text: 'be brief' }] },
    generationConfig: { maxOutputTokens: 100, stopSequences: ['END'], temperature: 0.1, thinkingConfig: { thinkingBudget: 1024 } },
    tools: [{ functionDeclarations: [{ name: 'read_file', description: 'Read', parameters: TOOL.input_schema }] }],
    toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
    contents: [
      { role: 'user', parts: [{ text: 'look' }, { inlineData: { mimeType: 'image/png', data: PNG } }] },
      { role: 'model', parts: [{ functionCall: { name: 'read_file', args: { path: 'a' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'read_file', response: { content: 'contents' } } }] },
    ],
  },
  { tools: [{ googleSearch: { excludeDomains: ['bad.example'] } }, { googleSearchRetrieval: {} }], contents: [{ role: 'user', parts: [{ text: 'news?' }] }] },
];

export const ENDPOINTS: FuzzEndpoint[] = [
  {
    path: '/v1/messages',
    pure: (bytes) => toKiro(parseAnthropicRequest(parseJsonText(bytes), {})),
    seeds: ANTHROPIC_SEEDS,
    isError: anthropicError,
  },
  {
    path: '/v1/messages/count_tokens',
    pure: (bytes) => toKiro(parseAnthropicRequest(parseJsonText(bytes), {})),
    seeds: ANTHROPIC_SEEDS,
    isError: anthropicError,
  },
  {
    path: '/v1/chat/completions',
    pure: (bytes) => toKiro(parseChatRequest(parseJsonText(bytes))),
    seeds: CHAT_SEEDS,
    isError: openaiError,
  },
  { path: '/v1/responses', pure: (bytes) => toKiro(parseResponsesRequest(parseJsonText(bytes))), seeds: RESPONSES_SEEDS, isError: openaiError },
  { path: '/v1beta/models/gemini-2.5-pro:generateContent', pure: (bytes) => toKiro(parseGeminiRequest(parseJsonText(bytes), 'gemini-2.5-pro')), seeds: GEMINI_SEEDS, isError: geminiError },
  { path: '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', pure: (bytes) => toKiro(parseGeminiRequest(parseJsonText(bytes), 'gemini-2.5-pro')), seeds: GEMINI_SEEDS, isError: geminiError },
];
