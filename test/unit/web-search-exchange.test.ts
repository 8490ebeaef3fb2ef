// Web search through the exchange and the pool, against the simulator's `/mcp`: a forced search
// (Claude Code's side request), the model calling search mid-conversation, the conversation's own
// account, failover, failures as outcomes, domain filters, max_uses and the request log.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, type ProxyConfig } from '../../src/proxy/config';
import { KiroExchange, type ExchangeResult } from '../../src/proxy/exchange';
import { kiroHosts } from '../../src/proxy/kiro/endpoints';
import { RequestLog } from '../../src/proxy/log';
import { ManualClock } from '../../src/proxy/pool/clock';
import { AccountPool } from '../../src/proxy/pool/pool';
import { MemoryAccountStore } from '../../src/proxy/pool/store';
import type { Conversation, ReplyEvent, WebSearchTool } from '../../src/proxy/model';
import { importSimAccount, useSimulator } from '../helpers/pool';
// @ts-expect-error The simulator is plain JavaScript without type declarations.
import { CANNED_SEARCH_PHRASE } from '../sim/web-search.mjs';

describe('web search through the exchange', () => {
  const kiro = useSimulator({ chunking: 'single' });
  let config: ProxyConfig;
  let pool: AccountPool;
  let log: RequestLog;
  let exchange: KiroExchange;

  beforeEach(() => {
    config = defaultConfig({ kiroEndpoint: kiro.sim.url, tokenDir: '/nonexistent' });
    pool = new AccountPool({ config, http: kiro.http, store: new MemoryAccountStore(), clock: new ManualClock(Date.now()), scanWhenEmpty: false, watchTokenDir: false });
    log = new RequestLog(100);
    exchange = new KiroExchange({ config, http: kiro.http, hosts: kiroHosts(kiro.sim.url), pool, log });
  });
  afterEach(() => pool.stop());

  const conversation = (text: string, extra: Partial<Conversation> = {}): Conversation => ({
    model: 'claude-sonnet-4.5',
    system: '',
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    tools: [],
    ...extra,
  });
  const start = (conv: Conversation): Promise<ExchangeResult> =>
    exchange.start({ conversation: conv, endpoint: '/v1/messages', stream: true, signal: new AbortController().signal });
  const events = async (result: ExchangeResult): Promise<ReplyEvent[]> => {
    const all: ReplyEvent[] = [];
    for await (const event of result.events) all.push(event);
    return all;
  };
  const forced = (query: string, tool: Omit<WebSearchTool, 'forced'> = {}, sessionId?: string) =>
    conversation(`Perform a web search for the query: ${query}`, { webSearch: { ...tool, forced: true }, sessionId });
  const searchesOf = (all: ReplyEvent[]) => all.filter((e) => e.type === 'web_search');
  const textOf = (all: ReplyEvent[]) => all.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('');

  it("a forced search (Claude Code's side request) runs one Kiro search and answers with its results, no chat call", async () => {
    await importSimAccount(pool, kiro.sim);
    const all = await events(await start(forced('lighthouse keepers')));
    const [search] = searchesOf(all);
    assert.ok(search && search.type === 'web_search');
    assert.equal(search.query, 'lighthouse keepers');
    assert.ok('results' in search.outcome && search.outcome.results.length === 3);
    assert.match(search.id, /^srvtoolu_[A-Za-z0-9]{24}$/);
    assert.match(textOf(all), new RegExp(`${CANNED_SEARCH_PHRASE}-1`));
    const end = all.at(-1)!;
    assert.ok(end.type === 'end' && end.usage.webSearchRequests === 1 && end.stopReason === 'end_turn');
    assert.equal(kiro.sim.chatRequests().length, 0);
    assert.equal(kiro.sim.searchRequests()[0].body.params.arguments.query, 'lighthouse keepers');
    const [entry] = log.recent();
    assert.equal(entry.webSearches, 1);
    assert.equal(entry.status, 200);
    assert.ok(entry.accountId);
    assert.equal(log.stats().webSearches, 1);
  });

  it("runs as the conversation's account", async () => {
    await importSimAccount(pool, kiro.sim);
    await importSimAccount(pool, kiro.sim);
    for (const session of ['s1', 's2', 's3', 's4']) {
      await events(await start(conversation('hello', { sessionId: session })));
      const chatAccount = kiro.sim.chatRequests().at(-1)!.account;
      await events(await start(forced('tides', {}, session)));
      assert.equal(kiro.sim.searchRequests().at(-1)!.account, chatAccount, session);
    }
  });

  it("an account-level failure moves the search to the next account, and the conversation's account rests", async () => {
    const a = await importSimAccount(pool, kiro.sim);
    const b = await importSimAccount(pool, kiro.sim);
    await events(await start(conversation('hello', { sessionId: 'fo' })));
    const own = kiro.sim.chatRequests().at(-1)!.account;
    const other = own === a.sim.id ? b.sim.id : a.sim.id;
    kiro.sim.setSearchBehavior(own, { error: 'throttled' });
    const all = await events(await start(forced('tides', {}, 'fo')));
    const [search] = searchesOf(all);
    assert.ok(search.type === 'web_search' && 'results' in search.outcome && search.outcome.results.length === 3);
    assert.deepEqual(kiro.sim.searches.map((s: { account: string; outcome: string }) => [s.account, s.outcome]), [
      [own, 'error'],
      [other, 'ok'],
    ]);
    assert.equal(log.recent()[0].attempts, 2);
    assert.equal(pool.list().find((v) => v.id === (own === a.sim.id ? a.id : b.id))?.state, 'cooldown');
  });

  it('a search that fails on every account is a failed search result, never an exception or an empty list', async () => {
    const a = await importSimAccount(pool, kiro.sim);
    kiro.sim.setSearchBehavior(a.sim.id, { rpcError: { code: -32603, message: 'Internal error' } });
    const all = await events(await start(forced('tides')));
    const [search] = searchesOf(all);
    assert.ok(search.type === 'web_search' && 'failure' in search.outcome);
    assert.equal(search.outcome.failure, 'unavailable');
    assert.match(textOf(all), /failed/);
    assert.equal(log.recent()[0].status, 502);
    assert.equal(log.recent()[0].webSearches, 1);
  });

  it('allowed_domains narrow the query with site: and filter the results; blocked_domains remove theirs', async () => {
    await importSimAccount(pool, kiro.sim);
    const allowed = searchesOf(await events(await start(forced('tides', { allowedDomains: ['news.example.org'] }))))[0];
    assert.equal(kiro.sim.searchRequests().at(-1)!.body.params.arguments.query, 'tides site:news.example.org');
    assert.ok(allowed.type === 'web_search' && 'results' in allowed.outcome);
    assert.ok(allowed.outcome.results.length > 0);
    assert.ok(allowed.outcome.results.every((r) => new URL(r.url).hostname === 'news.example.org'));

    // Results the engine returns anyway from elsewhere are dropped.
    kiro.sim.enqueueSearch({ results: [
      { title: 'in', url: 'https://sub.docs.example.com/a', snippet: 'x' },
      { title: 'out', url: 'https://evil.example/a', snippet: 'y' },
    ] });
    const filtered = searchesOf(await events(await start(forced('tides', { allowedDomains: ['https://docs.example.com/'] }))))[0];
    assert.ok(filtered.type === 'web_search' && 'results' in filtered.outcome);
    assert.deepEqual(filtered.outcome.results.map((r) => r.title), ['in']);

    const blocked = searchesOf(await events(await start(forced('tides', { blockedDomains: ['docs.example.com'] }))))[0];
    assert.match(kiro.sim.searchRequests().at(-1)!.body.params.arguments.query, /-site:docs\.example\.com/);
    assert.ok(blocked.type === 'web_search' && 'results' in blocked.outcome);
    assert.ok(blocked.outcome.results.every((r) => !r.url.includes('docs.example.com')));
  });

  it('the model calls search: the proxy runs it, shows it as a search and continues with the results', async () => {
    const a = await importSimAccount(pool, kiro.sim);
    kiro.sim.setBehavior(a.sim.id, (req: { body: any }) => {
      const current = req.body.conversationState.currentMessage.userInputMessage;
      const results = current.userInputMessageContext?.toolResults ?? [];
      if (results.length === 0) return { text: 'Let me look.', toolCalls: [{ name: 'web_search', input: { query: 'moon phase' } }] };
      return { text: `From the results: ${results[0].content[0].text.match(/amber-lighthouse-\d/)[0]}` };
    });
    const all = await events(await start(conversation('what is the moon phase?', { webSearch: {} })));
    assert.deepEqual(all.filter((e) => e.type !== 'text').map((e) => e.type), ['web_search', 'end']);
    assert.equal(textOf(all), 'Let me look.From the results: amber-lighthouse-1');
    const end = all.at(-1)!;
    assert.ok(end.type === 'end');
    assert.equal(end.usage.webSearchRequests, 1);
    assert.equal(end.stopReason, 'end_turn');
    const [first, second] = kiro.sim.chatRequests();
    const offered = first.body.conversationState.currentMessage.userInputMessage.userInputMessageContext.tools;
    assert.ok(offered.some((t: any) => t.toolSpecification.name === 'web_search'));
    const history = second.body.conversationState.history;
    assert.equal(history.at(-1).assistantResponseMessage.toolUses[0].name, 'web_search');
    assert.deepEqual(log.recent().map((e) => e.webSearches ?? 0), [0, 1, 0]);
  });

  it('max_uses: searches past it are failed results, and the model answers anyway', async () => {
    const a = await importSimAccount(pool, kiro.sim);
    kiro.sim.setBehavior(a.sim.id, (req: { body: any }) => {
      const results = req.body.conversationState.currentMessage.userInputMessage.userInputMessageContext?.toolResults ?? [];
      if (results.length === 0) return { toolCalls: [{ name: 'web_search', input: { query: 'one' } }, { name: 'web_search', input: { query: 'two' } }] };
      return { text: 'done' };
    });
    const all = await events(await start(conversation('search twice', { webSearch: { maxUses: 1 } })));
    const outcomes = searchesOf(all).map((e) => (e.type === 'web_search' && 'failure' in e.outcome ? e.outcome.failure : 'ok'));
    assert.deepEqual(outcomes, ['ok', 'max_uses_exceeded']);
    assert.equal(kiro.sim.searchRequests().length, 1);
    const end = all.at(-1)!;
    assert.ok(end.type === 'end' && end.usage.webSearchRequests === 1);
  });
});
