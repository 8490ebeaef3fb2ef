// Kiro's web search (`POST /mcp`, JSON-RPC `tools/call` of `web_search`, docs/kiro-protocol.md §11.1).
// Validates what the proxy sends at least as strictly as Kiro, answers with canned results that
// depend only on the query, and can be told to fail.
import { resolveError } from './errors.mjs';

/** Every canned snippet contains this phrase (with the result's number), so tests can find it downstream. */
export const CANNED_SEARCH_PHRASE = 'amber-lighthouse';

/** The domains canned results come from, unless the query narrows them with `site:`. */
export const CANNED_DOMAINS = Object.freeze(['docs.example.com', 'news.example.org', 'blog.example.net']);

/** `web_search_tooluse_<22 alnum>_<unix ms>_<8 lowercase alnum>` (§11.1.2). */
export const SEARCH_ID_PATTERN = /^web_search_tooluse_[A-Za-z0-9]{22}_\d{13}_[a-z0-9]{8}$/;

/** 2026-01-01T00:00:00Z in epoch ms; result i was "published" i days later. */
const PUBLISHED_BASE_MS = 1767225600000;

/**
 * A search script (queued with `enqueueSearch`, per account with `setSearchBehavior`):
 * - `{error: '<preset>'}` / `{status, message?, reason?}`: an HTTP error as Kiro sends it (errors.mjs presets);
 * - `{rpcError: {code, message}}`: HTTP 200 carrying a JSON-RPC error;
 * - `{isError: true, text?}`: a tool result flagged as an error;
 * - `{results: [...]}`: these results instead of the canned ones;
 * - `{searchError: '…'}`: a result document whose `error` is set.
 * @typedef {{error?: string, status?: number, message?: string, reason?: string|null, rpcError?: {code: number, message: string},
 *            isError?: boolean, text?: string, results?: object[], searchError?: string}} SearchScript
 */

/**
 * The canned result document for a query: three results, each from its own domain, or all from the
 * domains named by `site:` operators (a search engine narrows to them, and Kiro's is one).
 * @param {string} query
 */
export function cannedSearch(query) {
  const sites = [...query.matchAll(/(?:^|\s)site:([^\s()]+)/gi)].map((m) => m[1].toLowerCase());
  const text = query.replace(/(?:^|\s)(?:OR\s+)?-?site:[^\s()]+/gi, ' ').replace(/\s+/g, ' ').trim();
  const blocked = [...query.matchAll(/(?:^|\s)-site:([^\s()]+)/gi)].map((m) => m[1].toLowerCase());
  const domains = (sites.filter((s) => !blocked.includes(s)).length ? sites.filter((s) => !blocked.includes(s)) : CANNED_DOMAINS.filter((d) => !blocked.includes(d)));
  const results = [1, 2, 3].map((i) => {
    const domain = domains[(i - 1) % domains.length];
    const slug = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'query';
    return {
      title: `${text} — simulated source ${i}`,
      url: `https://${domain}/${slug}/${i}`,
      snippet: `Canned result ${i} from the Kiro simulator about "${text}": ${CANNED_SEARCH_PHRASE}-${i}.`,
      publishedDate: PUBLISHED_BASE_MS + (i - 1) * 86_400_000,
      id: `sim-result-${i}`,
      domain,
      maxVerbatimWordLimit: 0,
      publicDomain: false,
    };
  });
  return { results, totalResults: results.length, query, error: null };
}

/**
 * What is wrong with a `/mcp` call, or null. `kind` says how Kiro answers: `http` = a 4xx with its
 * `{message, reason}` envelope, `rpc` = HTTP 200 with a JSON-RPC error.
 * @param {import('node:http').IncomingHttpHeaders} headers
 * @param {any} body
 * @param {{profileArn?: string|null}} account
 * @returns {null | {kind: 'http', preset: string, detail: string} | {kind: 'rpc', code: number, message: string, detail: string}}
 */
export function validateSearchCall(headers, body, account) {
  const http = (preset, detail) => ({ kind: /** @type {const} */ ('http'), preset, detail });
  const rpc = (code, message, detail) => ({ kind: /** @type {const} */ ('rpc'), code, message, detail });
  if (!String(headers['content-type'] ?? '').startsWith('application/json')) return http('improperlyFormed', 'content-type is not application/json');
  if (!/KiroIDE-/.test(String(headers['user-agent'] ?? '')) || !/KiroIDE-/.test(String(headers['x-amz-user-agent'] ?? ''))) {
    return http('improperlyFormed', 'no KiroIDE user agent');
  }
  if (!headers['amz-sdk-invocation-id']) return http('improperlyFormed', 'no amz-sdk-invocation-id');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return http('improperlyFormed', 'body is not a JSON object');
  // profileArn: required (kiro-gateway #254, opencode-kiro-auth PR #110), in the header or at the body root (§11.1.1).
  const inHeader = headers['x-amzn-kiro-profile-arn'];
  const inBody = body.profileArn;
  if (inHeader === undefined && inBody === undefined) return http('profileArnRequired', 'profileArn missing');
  for (const arn of [inHeader, inBody]) {
    if (arn !== undefined && arn !== account.profileArn) return http('notAuthorized', `profileArn ${arn} is not this account's`);
  }
  if (body.jsonrpc !== '2.0') return rpc(-32600, 'Invalid Request', 'jsonrpc is not "2.0"');
  if (typeof body.id !== 'string' || !SEARCH_ID_PATTERN.test(body.id)) return rpc(-32600, 'Invalid Request', `id ${JSON.stringify(body.id)} has the wrong format`);
  const extra = Object.keys(body).filter((k) => !['id', 'jsonrpc', 'method', 'params', 'profileArn'].includes(k));
  if (extra.length) return rpc(-32600, 'Invalid Request', `unknown fields ${extra.join(', ')}`);
  if (body.method !== 'tools/call') return rpc(-32601, 'Method not found', `method ${JSON.stringify(body.method)}`);
  const params = body.params;
  if (!params || typeof params !== 'object' || params.name !== 'web_search') return rpc(-32602, 'Invalid params', 'params.name is not web_search');
  const args = params.arguments;
  if (!args || typeof args !== 'object' || Array.isArray(args)) return rpc(-32602, 'Invalid params', 'params.arguments is not an object');
  if (Object.keys(args).some((k) => k !== 'query')) return rpc(-32602, 'Invalid params', 'arguments other than query');
  if (typeof args.query !== 'string' || !args.query.trim()) return rpc(-32602, 'Invalid params', 'query is not a non-empty string');
  return null;
}

/** The JSON-RPC answer for a script (or the canned results). */
export function searchAnswer(id, query, script = {}) {
  if (script.rpcError) return { id, jsonrpc: '2.0', error: script.rpcError };
  if (script.isError) return { id, jsonrpc: '2.0', result: { content: [{ type: 'text', text: script.text ?? 'Search backend unavailable' }], isError: true } };
  const doc = script.results
    ? { results: script.results, totalResults: script.results.length, query, error: null }
    : script.searchError ? { results: [], totalResults: 0, query, error: script.searchError } : cannedSearch(query);
  return { id, jsonrpc: '2.0', result: { content: [{ type: 'text', text: JSON.stringify(doc) }], isError: false } };
}

/**
 * The `/mcp` route: auth → strict validation → script (per-account behaviour, then the queue) or
 * the canned results. Every call is recorded in `sim.searches`.
 * @param {import('./kiro-sim.mjs').KiroSimulator} sim
 * @param {(ctx: import('./kiro-sim.mjs').RouteContext) => any} authenticate the account, or null once it answered 403
 */
export function webSearchRoutes(sim, authenticate) {
  const search = (ctx) => {
    const account = authenticate(ctx);
    if (!account) return;
    const { body, res, record } = ctx;
    const done = (outcome, results = 0) => {
      record.outcome = outcome;
      sim.searches.push({ seq: record.seq, account: account.id, query: body?.params?.arguments?.query, outcome, results });
    };
    const invalid = validateSearchCall(ctx.req.headers, body, account);
    if (invalid) {
      record.validation = invalid.detail;
      done('invalid');
      if (invalid.kind === 'http') return sim.sendError(res, resolveError({ error: invalid.preset }));
      return sim.sendJson(res, 200, { id: body?.id ?? null, jsonrpc: '2.0', error: { code: invalid.code, message: invalid.message } });
    }
    const script = nextScript(sim, account.id);
    if (script.error || script.status) {
      done('error');
      return sim.sendError(res, resolveError(script, { userId: account.userId }));
    }
    const answer = searchAnswer(body.id, body.params.arguments.query, script);
    const failed = answer.error || answer.result.isError || script.searchError;
    done(failed ? 'failed' : 'ok', failed ? 0 : JSON.parse(answer.result.content[0].text).results.length);
    sim.sendJson(res, 200, answer);
  };
  return { 'POST /mcp': search };
}

/** @returns {SearchScript} the account's behaviour, else the next queued script, else none */
function nextScript(sim, accountId) {
  const behavior = sim.searchBehaviors.get(accountId);
  if (behavior) {
    if (--behavior.remaining <= 0) sim.searchBehaviors.delete(accountId);
    return behavior.script;
  }
  return sim.searchQueue.shift() ?? {};
}
