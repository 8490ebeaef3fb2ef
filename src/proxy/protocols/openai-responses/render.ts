// The Response object and its output items, for the non-streaming body and the stream alike.
import { TOO_LONG_MESSAGE, type ProxyError } from '../../errors';
import type { Reply, Usage, WebSearchBlock } from '../../model';
import { randomHex } from '../../random-id';
import { promptTokens, reportedStopReason } from '../reply';
import type { ClientTool, ResponseHead } from './types';

export function newResponseId(): string {
  return `resp_${randomHex(32)}`;
}

export const itemId = (prefix: string) => `${prefix}_${randomHex(24)}`;

export type OutputItem = Record<string, unknown> & { type: string; id: string };

/** `input_tokens` includes cached tokens; `input_tokens_details.cached_tokens` says how many (§11.5). */
function usageOf(usage: Usage) {
  const input = promptTokens(usage);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.cacheReadTokens ?? 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + usage.outputTokens,
  };
}

type Status = 'in_progress' | 'completed' | 'incomplete' | 'failed';

/** The Response object; `output` and the outcome fill in as the reply arrives. */
export function responseObject(
  head: ResponseHead,
  status: Status,
  output: OutputItem[],
  extra: { usage?: Usage; error?: { code: string; message: string }; incompleteReason?: string } = {},
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
    usage: extra.usage ? usageOf(extra.usage) : null,
    user: e.user ?? null,
  };
}

export function reasoningItem(id: string, text: string): OutputItem {
  return { type: 'reasoning', id, summary: text ? [{ type: 'summary_text', text }] : [] };
}

export function outputText(text: string) {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

export function messageItem(id: string, text: string, status: Status): OutputItem {
  return { type: 'message', id, status, role: 'assistant', content: status === 'in_progress' ? [] : [outputText(text)] };
}

/** The finished output item of a tool call, in the shape of the tool the client declared. */
export function toolItem(block: { id: string; name: string; input: Record<string, unknown> }, tools: Map<string, ClientTool>, itemIdValue?: string): OutputItem {
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

/** OpenAI's `web_search_call` item: the search action with its query and the pages it found. */
export function webSearchItem(id: string, search: WebSearchBlock): OutputItem {
  const found = 'results' in search.outcome ? search.outcome.results : undefined;
  return {
    type: 'web_search_call',
    id,
    status: found ? 'completed' : 'failed',
    action: {
      type: 'search',
      query: search.query,
      sources: (found ?? []).map((r) => ({ type: 'url', url: r.url })),
    },
  };
}

export function outcomeOf(end: { stopReason: Reply['stopReason']; truncated?: boolean }): { status: Status; incompleteReason?: string; error?: { code: string; message: string } } {
  const reason = reportedStopReason(end);
  if (reason === 'max_tokens') return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
  if (reason === 'context_window_exceeded') return { status: 'failed', error: { code: 'context_length_exceeded', message: TOO_LONG_MESSAGE } };
  return { status: 'completed' };
}

/** The non-streaming Response body. */
export function renderResponse(reply: Reply, head: ResponseHead): Record<string, unknown> {
  const output: OutputItem[] = reply.content.map((block) => {
    switch (block.type) {
      case 'web_search':
        return webSearchItem(itemId('ws'), block);
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
export function failureCode(error: ProxyError): string {
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
