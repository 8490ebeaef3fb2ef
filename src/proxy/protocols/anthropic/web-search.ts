// Anthropic's blocks for a search the proxy ran through Kiro: `server_tool_use`, then its
// `web_search_tool_result` (or `web_search_tool_result_error`), and `usage.server_tool_use`.
import type { WebSearchBlock, WebSearchFailure } from '../../model';

const SEARCH_ERROR_CODES: Record<WebSearchFailure, string> = {
  invalid_input: 'invalid_tool_input',
  unavailable: 'unavailable',
  max_uses_exceeded: 'max_uses_exceeded',
  rate_limited: 'too_many_requests',
  query_too_long: 'query_too_long',
};

export function serverToolUseBlock(search: WebSearchBlock, input: Record<string, unknown> = { query: search.query }): object {
  return { type: 'server_tool_use', id: search.id, name: 'web_search', input };
}

export function webSearchResultBlock(search: WebSearchBlock): object {
  const content =
    'failure' in search.outcome
      ? { type: 'web_search_tool_result_error', error_code: SEARCH_ERROR_CODES[search.outcome.failure] }
      : search.outcome.results.map((r) => ({
          type: 'web_search_result',
          url: r.url,
          title: r.title,
          // Anthropic encrypts the page text here for its own later turns; ours is the snippet, so a
          // conversation that sends it back keeps what the model read.
          encrypted_content: r.snippet,
          page_age: r.publishedAt === undefined ? null : PAGE_AGE.format(r.publishedAt),
        }));
  return { type: 'web_search_tool_result', tool_use_id: search.id, content };
}

const PAGE_AGE = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });

/** `usage.server_tool_use`, present when the client offered web search. */
export function serverToolUsage(webSearchRequests: number | undefined) {
  return webSearchRequests === undefined ? {} : { server_tool_use: { web_search_requests: webSearchRequests } };
}
