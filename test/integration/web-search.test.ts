// Hosted web search in every protocol, through the official SDKs, the real CLI and the simulator's
// `/mcp` (canned results containing CANNED_SEARCH_PHRASE): Anthropic's web_search server tool,
// OpenAI Responses' web_search tool, Chat Completions' web_search_options, Gemini's googleSearch.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { startProxy, type RunningProxy } from '../helpers/proxy';
// @ts-expect-error The simulator is plain JavaScript without type declarations.
import { CANNED_SEARCH_PHRASE } from '../sim/web-search.mjs';

const SEARCH_TOOL = { type: 'web_search_20250305', name: 'web_search' } as const;

/** The simulated model calls `web_search` for `query`, then answers quoting the first snippet it was given. */
function modelThatSearches(proxy: RunningProxy, query: string, searchTool = 'web_search'): void {
  proxy.sim.setBehavior(proxy.sim.accounts.list()[0].id, (req: { body: any }) => {
    const current = req.body.conversationState.currentMessage.userInputMessage;
    const results = current.userInputMessageContext?.toolResults ?? [];
    if (results.length === 0) return { text: 'Searching. ', toolCalls: [{ name: searchTool, input: { query } }] };
    const text = JSON.stringify(results);
    return { text: `Answer: ${/amber-lighthouse-\d/.exec(text)?.[0] ?? /failed: [^"\\]*/.exec(text)?.[0] ?? 'nothing found'}` };
  });
}

describe('web search through the proxy', () => {
  let proxy: RunningProxy;
  let anthropic: Anthropic;
  let openai: OpenAI;
  before(async () => {
    proxy = await startProxy();
    anthropic = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
    openai = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => proxy.stop());
  beforeEach(() => proxy.sim.reset());

  const logs = async () =>
    ((await (await fetch(`${proxy.url}/admin/logs?limit=20`)).json()) as { entries: Array<{ webSearches?: number; status: number; endpoint: string }> }).entries;

  describe('Anthropic web_search server tool', () => {
    test('forced by tool_choice, not streamed: server_tool_use, web_search_tool_result, the results as text, usage', async () => {
      const message = await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'Perform a web search for the query: harbour tides' }],
        tools: [{ ...SEARCH_TOOL, max_uses: 3 }],
        tool_choice: { type: 'tool', name: 'web_search' },
      });
      assert.deepEqual(message.content.map((b) => b.type), ['server_tool_use', 'web_search_tool_result', 'text']);
      const [call, result, text] = message.content as [Anthropic.ServerToolUseBlock, Anthropic.WebSearchToolResultBlock, Anthropic.TextBlock];
      assert.match(call.id, /^srvtoolu_/);
      assert.deepEqual(call.input, { query: 'harbour tides' });
      assert.equal(result.tool_use_id, call.id);
      assert.ok(Array.isArray(result.content));
      const results = result.content as Anthropic.WebSearchResultBlock[];
      assert.deepEqual(results.map((r) => [r.type, new URL(r.url).hostname]), [
        ['web_search_result', 'docs.example.com'],
        ['web_search_result', 'news.example.org'],
        ['web_search_result', 'blog.example.net'],
      ]);
      assert.equal(results[0].page_age, 'January 1, 2026');
      assert.match(results[0].encrypted_content, new RegExp(`${CANNED_SEARCH_PHRASE}-1`));
      assert.match(text.text, new RegExp(`${CANNED_SEARCH_PHRASE}-3`));
      assert.equal(message.stop_reason, 'end_turn');
      assert.equal(message.usage.server_tool_use?.web_search_requests, 1);
      assert.equal(proxy.sim.chatRequests().length, 0, 'a forced search makes no chat call');
      assert.equal(proxy.sim.searchRequests()[0].body.params.arguments.query, 'harbour tides');
      assert.deepEqual((await logs()).filter((e) => e.webSearches).map((e) => [e.endpoint, e.status]), [['/v1/messages', 200]]);
    });

    test('the model decides, streamed: its text, the search blocks in event order, then its answer built on the results', async () => {
      modelThatSearches(proxy, 'harbour tides 2026');
      const stream = anthropic.messages.stream({
        model: 'claude-sonnet-4-5',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'When is high tide?' }],
        tools: [SEARCH_TOOL],
      });
      const starts: string[] = [];
      stream.on('streamEvent', (event) => {
        if (event.type === 'content_block_start') starts.push(event.content_block.type);
      });
      const message = await stream.finalMessage();
      assert.deepEqual(starts, ['text', 'server_tool_use', 'web_search_tool_result', 'text']);
      assert.deepEqual(message.content.map((b) => b.type), ['text', 'server_tool_use', 'web_search_tool_result', 'text']);
      assert.deepEqual((message.content[1] as Anthropic.ServerToolUseBlock).input, { query: 'harbour tides 2026' });
      assert.equal((message.content[3] as Anthropic.TextBlock).text, `Answer: ${CANNED_SEARCH_PHRASE}-1`);
      assert.equal(message.usage.server_tool_use?.web_search_requests, 1);
      const [first, second] = proxy.sim.chatRequests();
      const offered = first.body.conversationState.currentMessage.userInputMessage.userInputMessageContext.tools.map((t: any) => t.toolSpecification.name);
      assert.deepEqual(offered, ['web_search']);
      assert.match(JSON.stringify(second.body.conversationState.currentMessage), new RegExp(`${CANNED_SEARCH_PHRASE}-1`));
    });

    test('a failed search is a web_search_tool_result_error, never a 400 or an empty list, and the model still answers', async () => {
      proxy.sim.setSearchBehavior(proxy.sim.accounts.list()[0].id, { error: 'internal' });
      const forced = await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'Perform a web search for the query: harbour tides' }],
        tools: [SEARCH_TOOL],
      });
      const result = forced.content.find((b) => b.type === 'web_search_tool_result') as Anthropic.WebSearchToolResultBlock;
      assert.deepEqual(result.content, { type: 'web_search_tool_result_error', error_code: 'unavailable' });
      assert.match((forced.content.at(-1) as Anthropic.TextBlock).text, /failed/);
      assert.ok((await logs()).some((e) => e.webSearches && e.status === 502));

      modelThatSearches(proxy, 'harbour tides');
      const streamed = await anthropic.messages
        .stream({ model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: 'tides?' }], tools: [SEARCH_TOOL] })
        .finalMessage();
      const error = streamed.content.find((b) => b.type === 'web_search_tool_result') as Anthropic.WebSearchToolResultBlock;
      assert.deepEqual(error.content, { type: 'web_search_tool_result_error', error_code: 'unavailable' });
      assert.match((streamed.content.at(-1) as Anthropic.TextBlock).text, /^Answer: failed: /);
    });

    test('allowed_domains: the search looks there and only those results come back', async () => {
      const message = await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'Perform a web search for the query: harbour tides' }],
        tools: [{ ...SEARCH_TOOL, allowed_domains: ['news.example.org'] }],
      });
      assert.equal(proxy.sim.searchRequests()[0].body.params.arguments.query, 'harbour tides site:news.example.org');
      const results = (message.content.find((b) => b.type === 'web_search_tool_result') as Anthropic.WebSearchToolResultBlock).content as Anthropic.WebSearchResultBlock[];
      assert.ok(results.length > 0);
      for (const r of results) assert.equal(new URL(r.url).hostname, 'news.example.org');
    });

    test('allowed and blocked domains together are a 400 in Anthropic shape', async () => {
      await assert.rejects(
        anthropic.messages.create({
          model: 'claude-sonnet-4-5',
          max_tokens: 100,
          messages: [{ role: 'user', content: 'x' }],
          tools: [{ ...SEARCH_TOOL, allowed_domains: ['a.com'], blocked_domains: ['b.com'] }],
        }),
        (err: unknown) => err instanceof Anthropic.BadRequestError && /allowed_domains/.test(err.message),
      );
    });

    test('a client tool merely named web_search (with an input_schema) stays a client tool', async () => {
      proxy.sim.enqueue({ toolCalls: [{ name: 'web_search', input: { query: 'x' } }] });
      const message = await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'search' }],
        tools: [{ name: 'web_search', description: 'my own search', input_schema: { type: 'object', properties: { query: { type: 'string' } } } }],
      });
      assert.deepEqual(message.content.map((b) => b.type), ['tool_use']);
      assert.equal(message.stop_reason, 'tool_use');
      assert.equal(proxy.sim.searchRequests().length, 0);
    });

    test('the next turn carries the search back: the model still sees what it read', async () => {
      const first = await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'Perform a web search for the query: harbour tides' }],
        tools: [SEARCH_TOOL],
      });
      await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        messages: [
          { role: 'user', content: 'Perform a web search for the query: harbour tides' },
          { role: 'assistant', content: first.content as Anthropic.ContentBlockParam[] },
          { role: 'user', content: 'Thanks. Summarise.' },
        ],
      });
      const history = JSON.stringify(proxy.sim.chatRequests().at(-1)!.body.conversationState.history);
      assert.match(history, new RegExp(`${CANNED_SEARCH_PHRASE}-2`));
    });
  });

  test('OpenAI Responses: web_search gives web_search_call items, streamed with their events', async () => {
    modelThatSearches(proxy, 'harbour tides');
    const stream = openai.responses.stream({ model: 'gpt-4o', input: 'When is high tide?', tools: [{ type: 'web_search' }] });
    const types: string[] = [];
    stream.on('event', (event) => types.push(event.type));
    const response = await stream.finalResponse();
    const search = response.output.find((item) => item.type === 'web_search_call') as OpenAI.Responses.ResponseFunctionWebSearch;
    assert.equal(search.status, 'completed');
    assert.deepEqual((search.action as { query: string }).query, 'harbour tides');
    assert.equal((search.action as { sources: unknown[] }).sources.length, 3);
    assert.equal(response.output_text, `Searching. Answer: ${CANNED_SEARCH_PHRASE}-1`);
    const searching = types.indexOf('response.web_search_call.searching');
    assert.ok(searching > types.indexOf('response.web_search_call.in_progress') && types.indexOf('response.web_search_call.completed') > searching, types.join(' '));

    const plain = await openai.responses.create({
      model: 'gpt-4o',
      input: 'search',
      tools: [{ type: 'web_search_preview' }],
      tool_choice: { type: 'web_search_preview' },
    });
    assert.deepEqual(plain.output.map((i) => i.type), ['web_search_call', 'message']);
    assert.match(plain.output_text, new RegExp(`${CANNED_SEARCH_PHRASE}-1`));
  });

  test('OpenAI Chat Completions: web_search_options searches and the sources are in the text', async () => {
    modelThatSearches(proxy, 'harbour tides');
    const completion = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'When is high tide?' }],
      web_search_options: {},
    });
    const text = completion.choices[0].message.content ?? '';
    assert.match(text, /\[harbour tides — simulated source 1\]\(https:\/\/docs\.example\.com\/harbour-tides\/1\)/);
    assert.match(text, new RegExp(`Answer: ${CANNED_SEARCH_PHRASE}-1$`));
    assert.equal(completion.choices[0].finish_reason, 'stop');

    modelThatSearches(proxy, 'harbour tides');
    let streamed = '';
    for await (const chunk of await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'tides?' }], web_search_options: {}, stream: true })) {
      streamed += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.equal(streamed, text);
  });

  test('Gemini googleSearch: groundingMetadata with the queries and the pages', async () => {
    const ai = new GoogleGenAI({ apiKey: 'unused', httpOptions: { baseUrl: proxy.url, apiVersion: 'v1beta' } });
    modelThatSearches(proxy, 'harbour tides');
    const response = await ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'When is high tide?', config: { tools: [{ googleSearch: {} }] } });
    assert.equal(response.text, `Searching. Answer: ${CANNED_SEARCH_PHRASE}-1`);
    const grounding = response.candidates?.[0].groundingMetadata;
    assert.deepEqual(grounding?.webSearchQueries, ['harbour tides']);
    assert.deepEqual(grounding?.groundingChunks?.map((c) => c.web?.uri), [
      'https://docs.example.com/harbour-tides/1',
      'https://news.example.org/harbour-tides/2',
      'https://blog.example.net/harbour-tides/3',
    ]);

    modelThatSearches(proxy, 'harbour tides');
    let last: Awaited<ReturnType<typeof ai.models.generateContent>> | undefined;
    for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'tides?', config: { tools: [{ googleSearch: {} }] } })) last = chunk;
    assert.deepEqual(last?.candidates?.[0].groundingMetadata?.webSearchQueries, ['harbour tides']);
  });
});
