// Layer 4, beside the exchange: the client's hosted web search tool (Anthropic `web_search_*`,
// Responses `web_search`, Gemini `googleSearch`, Chat `web_search_options`) run through Kiro's own
// web search (docs/kiro-protocol.md §11.1). Adapters only parse the tool into
// `Conversation.webSearch` and render the `web_search` events this yields.
import { randomUUID } from 'node:crypto';
import type { ExchangeRequest, ExchangeResult, WebSearchRun } from './exchange-types';
import type {
  Block,
  Conversation,
  ReplyEvent,
  ToolResultBlock,
  ToolSpec,
  ToolUseBlock,
  Usage,
  WebSearchBlock,
  WebSearchOutcome,
  WebSearchResult,
  WebSearchTool,
} from './model';
import { estimateTokens } from './tokens';

/** What the search turns need from the exchange: a chat call and a search, both as the conversation's account. */
export interface SearchSteps {
  chat(conversation: Conversation): Promise<ExchangeResult>;
  search(query: string): Promise<WebSearchRun>;
}

/** Anthropic's default when the client sets no `max_uses`: enough for a real answer, bounded. */
const DEFAULT_MAX_USES = 5;

/** Claude Code's side request says "Perform a web search for the query: <query>" (§11.1.4). */
const CLAUDE_CODE_PREFIX = /^\s*Perform a web search for the query:\s*/i;

/**
 * Runs a conversation whose client offered hosted web search.
 *
 * Forced (the search is all the client asked for, as in Claude Code's WebSearch side request):
 * one search, then its results as text, with no model call. The caller hands that text and the
 * links to its own model, which writes the answer; a Kiro call here would spend credits and a
 * round trip rephrasing what that model reads anyway, and could drop sources on the way.
 *
 * Otherwise the model decides: Kiro is offered a `web_search` function tool; when the model calls
 * it the proxy runs the search, shows it to the client as a search (not a tool call), and continues
 * the conversation with the results, so the rest of the reply is the model's answer built on them.
 */
export async function startWithWebSearch(steps: SearchSteps, request: ExchangeRequest, tool: WebSearchTool): Promise<ExchangeResult> {
  const { conversation } = request;
  if (tool.forced || isSearchRequest(conversation)) return forcedSearch(steps, conversation, tool);
  const name = searchToolName(conversation.tools);
  const offered: Conversation = { ...conversation, webSearch: undefined, tools: [...conversation.tools, searchToolSpec(name)] };
  const first = await steps.chat(offered);
  return { ...first, events: searchTurns(steps, offered, first, name, tool) };
}

/**
 * Claude Code's WebSearch side request (§11.1.4): search is its only tool and it asks for exactly
 * one search. Since 2.1 it sends `tool_choice: auto` and asks for "a brief summary of the
 * results": the results themselves, titles, links and excerpts, serve its main model better.
 */
function isSearchRequest(conversation: Conversation): boolean {
  return conversation.tools.length === 0 && CLAUDE_CODE_PREFIX.test(lastUserText(conversation));
}

async function forcedSearch(steps: SearchSteps, conversation: Conversation, tool: WebSearchTool): Promise<ExchangeResult> {
  const query = lastUserText(conversation).replace(CLAUDE_CODE_PREFIX, '').trim();
  const run = await steps.search(withDomainOperators(query, tool));
  const outcome = filterByDomain(run.outcome, tool);
  const text = searchResultsText(query, outcome);
  const inputTokens = estimateTokens(conversation.system) + estimateTokens(query);
  async function* events(): AsyncGenerator<ReplyEvent> {
    yield { type: 'web_search', id: serverToolUseId(), query, outcome };
    yield { type: 'text', text };
    yield { type: 'end', stopReason: 'end_turn', usage: { inputTokens, outputTokens: estimateTokens(text), webSearchRequests: 1 } };
  }
  return { kiroModel: conversation.model, accountId: run.accountId ?? '', estimatedInputTokens: inputTokens, events: events() };
}

/**
 * Passes the model's events through, except its calls of the search tool: those become searches,
 * and when a turn called nothing but searches, the conversation continues with their results.
 * Usage adds up over the turns, as Anthropic bills a server-tool loop.
 */
async function* searchTurns(
  steps: SearchSteps,
  start: Conversation,
  first: ExchangeResult,
  name: string,
  tool: WebSearchTool,
): AsyncGenerator<ReplyEvent> {
  const maxUses = tool.maxUses ?? DEFAULT_MAX_USES;
  const usage: Usage = { inputTokens: 0, outputTokens: 0, webSearchRequests: 0 };
  let searches = 0;
  let conversation = start;
  let current = first;
  // Every turn but the last runs at least one search, so this bounds the Kiro calls too.
  for (let turn = 0; ; turn++) {
    const assistant: Block[] = [];
    const calls: ToolUseBlock[] = [];
    const inputs = new Map<string, ToolUseBlock>();
    let clientTools = false;
    let end: Extract<ReplyEvent, { type: 'end' }> | undefined;
    for await (const event of current.events) {
      if (event.type === 'tool_start' && event.name === name) {
        inputs.set(event.id, { type: 'tool_use', id: event.id, name, input: {} });
        continue;
      }
      if ((event.type === 'tool_input' || event.type === 'tool_end') && inputs.has(event.id)) {
        if (event.type === 'tool_end') calls.push({ ...inputs.get(event.id)!, input: event.input });
        continue;
      }
      if (event.type === 'end') {
        end = event;
        continue;
      }
      if (event.type === 'tool_start') clientTools = true;
      remember(assistant, event);
      yield event;
    }
    if (!end) return; // the exchange threw already if Kiro broke off; nothing more to add
    addUsage(usage, end.usage);
    if (calls.length === 0 || turn > maxUses) {
      yield { ...end, usage };
      return;
    }
    const results: ToolResultBlock[] = [];
    for (const call of calls) {
      const query = typeof call.input.query === 'string' ? call.input.query.trim() : '';
      let outcome: WebSearchOutcome;
      if (searches >= maxUses) {
        outcome = { failure: 'max_uses_exceeded', message: `At most ${maxUses} web searches per request.` };
      } else {
        usage.webSearchRequests = ++searches;
        outcome = filterByDomain((await steps.search(withDomainOperators(query, tool))).outcome, tool);
      }
      yield { type: 'web_search', id: serverToolUseId(), query, outcome } satisfies WebSearchBlock;
      results.push({ type: 'tool_result', toolUseId: call.id, content: searchResultsText(query, outcome), isError: 'failure' in outcome });
    }
    // The client's own tools run at the client: it gets them now, with the searches before them.
    if (clientTools) {
      yield { ...end, usage };
      return;
    }
    conversation = {
      ...conversation,
      messages: [...conversation.messages, { role: 'assistant', content: [...assistant, ...calls] }, { role: 'user', content: results }],
    };
    current = await steps.chat(conversation);
  }
}

/** Adds one turn's usage to the reply's: each turn is a Kiro call that reads the prompt again. */
function addUsage(total: Usage, turn: Usage): void {
  total.inputTokens += turn.inputTokens;
  total.outputTokens += turn.outputTokens;
  for (const key of ['cacheReadTokens', 'cacheWriteTokens', 'credits'] as const) {
    if (turn[key] !== undefined) total[key] = (total[key] ?? 0) + turn[key];
  }
}

/** Keeps what the model said in a turn (text, thinking, its calls of client tools), for the history of the next one. */
function remember(assistant: Block[], event: ReplyEvent): void {
  const last = assistant[assistant.length - 1];
  switch (event.type) {
    case 'text':
      if (last?.type === 'text') last.text += event.text;
      else assistant.push({ type: 'text', text: event.text });
      break;
    case 'thinking':
      if (last?.type === 'thinking' && last.signature === undefined) last.text += event.text;
      else assistant.push({ type: 'thinking', text: event.text });
      break;
    case 'thinking_signature':
      if (last?.type === 'thinking') last.signature = event.signature;
      break;
    case 'tool_start':
      assistant.push({ type: 'tool_use', id: event.id, name: event.name, input: {} });
      break;
    case 'tool_end':
      for (const block of assistant) if (block.type === 'tool_use' && block.id === event.id) block.input = event.input;
      break;
    default:
      break;
  }
}

/** `web_search`, unless the client has a tool of its own by that name. */
function searchToolName(tools: ToolSpec[]): string {
  const taken = new Set(tools.map((t) => t.name));
  let name = 'web_search';
  for (let i = 2; taken.has(name); i++) name = `web_search_${i}`;
  return name;
}

function searchToolSpec(name: string): ToolSpec {
  return {
    name,
    description:
      'Search the web for current information. Returns titles, URLs and excerpts of matching pages. ' +
      'Use it for anything recent or that you are not sure of, then answer from the results and cite their URLs.',
    inputSchema: {
      type: 'object',
      properties: { query: { type: 'string', description: 'The search query' } },
      required: ['query'],
    },
  };
}

function lastUserText(conversation: Conversation): string {
  for (let i = conversation.messages.length - 1; i >= 0; i--) {
    const message = conversation.messages[i];
    if (message.role !== 'user') continue;
    const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n');
    if (text.trim()) return text;
  }
  return '';
}

/**
 * `site:` operators for the allowed and blocked domains, so the search engine looks where the
 * client allows (Kiro's search takes a query and nothing else). The results are filtered as well
 * (`filterByDomain`): the operators only make it likelier that something is left.
 */
export function withDomainOperators(query: string, tool: WebSearchTool): string {
  if (!query) return query;
  const allowed = (tool.allowedDomains ?? []).map(hostOf).filter(Boolean);
  const blocked = (tool.blockedDomains ?? []).map(hostOf).filter(Boolean);
  const parts = [query];
  if (allowed.length) parts.push(allowed.map((d) => `site:${d}`).join(' OR '));
  for (const d of blocked) parts.push(`-site:${d}`);
  return parts.join(' ');
}

/** Only results on an allowed domain (or a subdomain of one), none on a blocked one. */
export function filterByDomain(outcome: WebSearchOutcome, tool: WebSearchTool): WebSearchOutcome {
  if (!('results' in outcome)) return outcome;
  const allowed = (tool.allowedDomains ?? []).map(hostOf).filter(Boolean);
  const blocked = (tool.blockedDomains ?? []).map(hostOf).filter(Boolean);
  if (!allowed.length && !blocked.length) return outcome;
  const matches = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);
  return {
    results: outcome.results.filter((r) => {
      const host = hostOf(r.url);
      if (!host) return false;
      if (blocked.some((d) => matches(host, d))) return false;
      return !allowed.length || allowed.some((d) => matches(host, d));
    }),
  };
}

/** `example.com` from `example.com`, `https://Example.com/path` or `*.example.com`. */
function hostOf(urlOrDomain: string): string {
  const bare = urlOrDomain.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/^\*\./, '');
  return bare.split(/[/?#]/)[0].replace(/:\d+$/, '').replace(/\.$/, '');
}

/** A search as text: what the model reads as the tool result, and what text-only protocols show. */
export function searchResultsText(query: string, outcome: WebSearchOutcome): string {
  if ('failure' in outcome) return `Web search for "${query}" failed: ${outcome.message}`;
  if (outcome.results.length === 0) return `Web search for "${query}" found no results.`;
  const lines = [`Web search results for "${query}":`, ''];
  outcome.results.forEach((r: WebSearchResult, i) => {
    lines.push(`${i + 1}. ${r.title}`, `   ${r.url}`);
    if (r.publishedAt !== undefined) lines.push(`   Published: ${new Date(r.publishedAt).toISOString().slice(0, 10)}`);
    if (r.snippet) lines.push(`   ${r.snippet}`);
    lines.push('');
  });
  return lines.join('\n').trimEnd();
}

/** A search as a paragraph of the answer, for protocols without search items (Chat Completions). */
export function searchSourcesText(search: WebSearchBlock): string {
  if ('failure' in search.outcome) return `[Web search for "${search.query}" failed: ${search.outcome.message}]\n\n`;
  const sources = search.outcome.results.map((r, i) => `${i + 1}. [${r.title}](${r.url})`);
  return `[Web search for "${search.query}": ${sources.length ? `\n${sources.join('\n')}` : 'no results'}]\n\n`;
}

/** Anthropic's id shape for server tool calls: `srvtoolu_` and 24 alphanumerics. */
function serverToolUseId(): string {
  return `srvtoolu_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}
