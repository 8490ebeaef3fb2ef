// Kiro's own web search: a JSON-RPC `tools/call` of `web_search` on the `/mcp` path next to the
// chat endpoint (docs/kiro-protocol.md §11.1). One call, one query; no MCP session.
import { randomBytes } from 'node:crypto';
import type { WebSearchResult } from '../model';
import { isRecord } from '../records';
import type { KiroCredentials } from './credentials';
import { kiroUrls, withEndpointFallback, type KiroFamily, type KiroHosts } from './endpoints';
import { KiroCallError, classifyKiroFailure, networkFailure, safeMessage, type KiroFailure } from './errors';
import { kiroHeaders } from './headers';
import type { KiroHttp } from './http';

export interface WebSearchAnswer {
  /** The query as Kiro ran it. */
  query: string;
  results: WebSearchResult[];
}

/** Where an account's search goes and where its profileArn travels (§11.1.1). */
export interface WebSearchTarget {
  url: string;
  /** Dialect headers of the host (content type; the real host name under redirection). */
  headers: Record<string, string>;
  /** `header`: `x-amzn-kiro-profile-arn` (q.*.amazonaws.com); `body`: at the body root (runtime.*.kiro.dev). */
  profileArnIn: 'header' | 'body';
}

/**
 * The search URL of an account on one host family, from `kiroUrls` like every other call, so it
 * follows wherever the account's calls go (kiro.dev or the legacy hosts, with their fallback).
 * The ARN rides where that host reads it (§11.1.1): in a header on q.*.amazonaws.com, the only
 * placement reported to work there for IdC accounts as well as social ones; at the body root on
 * runtime.*.kiro.dev, which ignores the header.
 */
export function webSearchTarget(hosts: KiroHosts, creds: KiroCredentials, family: KiroFamily = hosts.choice.current(creds.machineId, creds)): WebSearchTarget {
  const target = kiroUrls(hosts, creds, 'mcp', family);
  return { url: target.url, headers: target.headers, profileArnIn: family === 'kiro.dev' ? 'body' : 'header' };
}

/**
 * Runs one search as this account. Throws `KiroCallError` with a classified failure for HTTP
 * errors, network errors, JSON-RPC errors and answers it cannot read, so the exchange can fail
 * over exactly as it does for chat calls.
 */
export async function kiroWebSearch(
  http: KiroHttp,
  hosts: KiroHosts,
  creds: KiroCredentials,
  query: string,
  signal?: AbortSignal,
): Promise<WebSearchAnswer> {
  const id = webSearchRequestId();
  const attempt = (family: KiroFamily) => {
    const target = webSearchTarget(hosts, creds, family);
    const body: Record<string, unknown> = {
      id,
      jsonrpc: '2.0',
      method: 'tools/call',
      params: { name: 'web_search', arguments: { query } },
    };
    // The full chat header set: the bare three-header call is what IdC accounts saw refused (§11.1.1).
    const headers = { ...kiroHeaders(creds, family, { kiroVersion: hosts.kiroVersion() }), ...target.headers };
    if (creds.profileArn) {
      if (target.profileArnIn === 'body') body.profileArn = creds.profileArn;
      else headers['x-amzn-kiro-profile-arn'] = creds.profileArn;
    }
    return http.json(target.url, { method: 'POST', headers, body, signal });
  };
  let res: Awaited<ReturnType<KiroHttp['json']>>;
  try {
    res = await withEndpointFallback(hosts, creds.machineId, creds, attempt);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new KiroCallError(networkFailure(err));
  }
  if (res.status !== 200) throw new KiroCallError(classifyKiroFailure(res.status, res.text, res.headers));
  return parseWebSearchResponse(res.body, query);
}

/** `web_search_tooluse_<22 alnum>_<unix ms>_<8 lowercase alnum>`, as kiro.rs and kiro-gateway send it (§11.1.2). */
export function webSearchRequestId(now = Date.now()): string {
  return `web_search_tooluse_${randomChars(22, ALNUM)}_${now}_${randomChars(8, LOWER_ALNUM)}`;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomChars(length: number, alphabet: string): string {
  // 256 % 62 and 256 % 36 leave a slight bias; an id needs no more than that.
  return Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join('');
}

/**
 * The JSON-RPC envelope, then the JSON document inside `result.content[0].text` (§11.1.3).
 * `isError`, a JSON-RPC `error` or an `error` inside the document are failures, never an empty list.
 */
export function parseWebSearchResponse(body: unknown, query: string): WebSearchAnswer {
  if (!isRecord(body)) throw unreadable('the answer is not a JSON object');
  if (isRecord(body.error)) {
    const code = typeof body.error.code === 'number' ? body.error.code : 0;
    const message = typeof body.error.message === 'string' ? body.error.message : 'no message';
    throw rpcFailure(code, message);
  }
  const result = body.result;
  if (!isRecord(result) || !Array.isArray(result.content)) throw unreadable('no result.content');
  const text = result.content.find((c): c is { type: 'text'; text: string } => isRecord(c) && c.type === 'text' && typeof c.text === 'string')?.text;
  if (result.isError === true) throw searchFailed(text ?? 'the search tool reported an error');
  if (text === undefined) throw unreadable('no text content');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw unreadable('the result text is not JSON');
  }
  if (!isRecord(doc)) throw unreadable('the result document is not an object');
  if (doc.error !== null && doc.error !== undefined) throw searchFailed(typeof doc.error === 'string' ? doc.error : JSON.stringify(doc.error));
  const results = (Array.isArray(doc.results) ? doc.results : []).filter(isRecord).flatMap((r): WebSearchResult[] => {
    if (typeof r.url !== 'string' || r.url === '') return [];
    return [
      {
        title: typeof r.title === 'string' && r.title ? r.title : r.url,
        url: r.url,
        snippet: typeof r.snippet === 'string' ? r.snippet : '',
        ...(typeof r.publishedDate === 'number' && Number.isFinite(r.publishedDate) ? { publishedAt: r.publishedDate } : {}),
        ...(typeof r.domain === 'string' && r.domain ? { domain: r.domain } : {}),
      },
    ];
  });
  return { query: typeof doc.query === 'string' && doc.query ? doc.query : query, results };
}

/**
 * JSON-RPC's own client-side codes (parse error, invalid request, unknown method, bad params)
 * mean our call was wrong: returned, no other account would answer differently. Anything else is
 * the search service failing: retried like a 5xx.
 */
function rpcFailure(code: number, message: string): KiroCallError {
  const kind: KiroFailure['kind'] = (code >= -32602 && code <= -32600) || code === -32700 ? 'bad_request' : 'transient';
  return new KiroCallError({ kind, status: 200, message: safeMessage(`Kiro web search failed (JSON-RPC ${code}): ${message}`) });
}

function searchFailed(detail: string): KiroCallError {
  return new KiroCallError({ kind: 'transient', status: 200, message: safeMessage(`Kiro web search failed: ${detail}`) });
}

function unreadable(detail: string): KiroCallError {
  return new KiroCallError({ kind: 'transient', status: 200, message: `Kiro's web search answer could not be read: ${detail}` });
}
