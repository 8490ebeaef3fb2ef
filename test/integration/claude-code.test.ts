// The real Claude Code CLI (npm `@anthropic-ai/claude-code`, pinned devDependency, native
// binary) runs `claude -p … --allowedTools Bash` with ANTHROPIC_BASE_URL pointing at the proxy.
// The simulator scripts a Bash tool call, Claude Code really runs it and sends the result back,
// and the simulator's final answer is what Claude Code prints. Claude Code's own requests use
// model names newer than any Kiro model, `system` role messages inside `messages`, adaptive
// thinking and `context_management`; every one of them must succeed.
//
// Never skipped: when Claude Code is missing or does not start, the tests fail and say why.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, type RunningProxy } from '../helpers/proxy';
import { assertAllSucceeded, describeCliRun } from '../helpers/cli-run';
import { startHttpTap, type HttpTap } from '../helpers/http-tap';
import { findClaudeCode, runClaudeCode, type ClaudeCodeRun } from '../helpers/claude-code';
import { unsealThinking } from '../../src/proxy/protocols/thinking-seal';

const PROMPT_TAG = 'KIRO-E2E-PROMPT';
const FINAL_ANSWER = 'The marker file now says kiro-proxy-42. All done.';
// `$((6*7))` makes the output differ from the command text: "kiro-proxy-42" in the tool result
// can only come from a shell that really ran the command.
const COMMAND = 'echo kiro-proxy-$((6*7)) > marker.txt && cat marker.txt';
const EXPECTED_OUTPUT = 'kiro-proxy-42';

interface Scripted {
  toolCalls: number;
  finals: number;
  side: number;
}

/**
 * Behaviour for every chat request: the user's prompt (no tool results yet) → a Bash call with
 * some thinking; a request carrying tool results → the final answer; anything else Claude Code
 * may send on the side (titles, summaries, probes) → a short plain text.
 */
function scriptToolLoop(proxy: RunningProxy): Scripted {
  const counts: Scripted = { toolCalls: 0, finals: 0, side: 0 };
  const account = proxy.sim.accounts.list()[0].id;
  proxy.sim.setBehavior(account, (req: { body: any }) => {
    const current = req.body.conversationState.currentMessage.userInputMessage;
    const results = current.userInputMessageContext?.toolResults ?? [];
    if (results.length > 0) {
      counts.finals++;
      return { thinking: 'The command ran; report the result.', text: FINAL_ANSWER };
    }
    if (String(current.content).includes(PROMPT_TAG)) {
      counts.toolCalls++;
      return {
        thinking: 'I will write the marker file with Bash.',
        toolCalls: [{ name: 'Bash', input: { command: COMMAND, description: 'Write the marker file' } }],
      };
    }
    counts.side++;
    return { text: 'ok' };
  });
  return counts;
}

const describeRun = (run: ClaudeCodeRun, proxy: RunningProxy, tap: HttpTap) => describeCliRun('claude', run, proxy, tap);

/** A fresh proxy, an HTTP tap in front of it and a working folder for one Claude Code run. */
async function withProxy(fn: (proxy: RunningProxy, tap: HttpTap, cwd: string) => Promise<void>): Promise<void> {
  const proxy = await startProxy();
  const tap = await startHttpTap(proxy.url);
  const cwd = mkdtempSync(join(tmpdir(), 'claude-cwd-'));
  try {
    await fn(proxy, tap, cwd);
  } finally {
    await tap.close();
    await proxy.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

const messageRequests = (tap: HttpTap) => tap.requests.filter((r) => r.method === 'POST' && /^\/v1\/messages(\?|$)/.test(r.url));

const textOf = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((b) => (b?.type === 'text' ? b.text : '')).join('\n') : '';

describe('Claude Code through the proxy', () => {
  // findClaudeCode throws with the reason when Claude Code is not runnable, failing this test and
  // every later one (their setup calls it too).
  test('Claude Code is installed and runs', () => {
    assert.match(findClaudeCode().version, /^\d+\.\d+\.\d+$/);
  });

  describe('claude -p with a Bash tool loop', () => {
    let proxy: RunningProxy;
    let tap: HttpTap;
    let cwd: string;
    let counts: Scripted;
    let run: ClaudeCodeRun;

    before(async () => {
      findClaudeCode();
      proxy = await startProxy();
      tap = await startHttpTap(proxy.url);
      cwd = mkdtempSync(join(tmpdir(), 'claude-cwd-'));
      counts = scriptToolLoop(proxy);
      run = await runClaudeCode({
        baseUrl: tap.url,
        cwd,
        args: ['-p', `${PROMPT_TAG}: write kiro-proxy-42 into marker.txt using Bash`, '--allowedTools', 'Bash'],
      });
    });
    after(async () => {
      await tap?.close();
      await proxy?.stop();
      if (cwd) rmSync(cwd, { recursive: true, force: true });
    });

    test('Claude Code prints the final answer and really ran the command', () => {
      const context = describeRun(run, proxy, tap);
      assert.equal(run.code, 0, context);
      assert.equal(run.stdout.trim(), FINAL_ANSWER, context);
      assert.equal(counts.toolCalls, 1, `one Bash call scripted\n${context}`);
      assert.equal(counts.finals, 1, `one final answer scripted\n${context}`);
      const marker = join(cwd, 'marker.txt');
      assert.ok(existsSync(marker), `Bash wrote ${marker}\n${context}`);
      assert.equal(readFileSync(marker, 'utf8').trim(), EXPECTED_OUTPUT);
    });

    test('every request Claude Code made succeeded, also in the proxy request log', async () => {
      assert.ok(messageRequests(tap).length >= 2, describeRun(run, proxy, tap));
      assertAllSucceeded(tap.requests, 'Claude Code');
      const logs = (await (await fetch(`${proxy.url}/admin/logs`)).json()) as { entries: Array<{ endpoint: string; status: number; clientModel: string; kiroModel: string }> };
      const messages = logs.entries.filter((e) => e.endpoint === '/v1/messages');
      assert.equal(messages.length, messageRequests(tap).length, 'each /v1/messages request is in the log');
      assert.deepEqual(logs.entries.filter((e) => !(e.status < 400)), [], 'no logged request failed');
      // Claude Code asks for a model newer than any Kiro model; the proxy maps it to a Kiro one.
      for (const entry of messages) assert.match(entry.kiroModel, /^claude-/);
    });

    test(`Claude Code's requests carry the new request features`, () => {
      const bodies = messageRequests(tap).map((r) => r.body);
      const context = JSON.stringify(bodies.map(({ messages, system, tools, ...rest }) => ({ ...rest, roles: messages?.map((m: any) => m.role) })));
      assert.ok(bodies.every((b) => typeof b.model === 'string' && b.model.startsWith('claude-')), context);
      assert.ok(bodies.some((b) => b.messages.some((m: any) => m.role === 'system')), `a system role message inside messages: ${context}`);
      assert.ok(bodies.some((b) => b.thinking?.type === 'adaptive'), `adaptive thinking: ${context}`);
      assert.ok(bodies.some((b) => b.context_management !== undefined), `context_management: ${context}`);
      assert.ok(bodies.every((b) => b.stream === true), `streamed: ${context}`);
    });

    test('the simulator saw the system prompt, the system messages and the tool declarations', () => {
      const main = messageRequests(tap).find((r) => textOf(r.body.messages.find((m: any) => m.role === 'user')?.content).includes(PROMPT_TAG));
      assert.ok(main, 'the prompt request was recorded');
      const sent = proxy.sim.chatRequests().map((r) => r.body);
      const first = sent.find((b) => JSON.stringify(b.conversationState.currentMessage).includes(PROMPT_TAG));
      assert.ok(first, 'the prompt reached the simulator');
      const kiroText = JSON.stringify(first.conversationState);

      // The top-level system prompt: its longest block reaches Kiro.
      const systemBlocks = (Array.isArray(main.body.system) ? main.body.system : [{ type: 'text', text: main.body.system }]) as Array<{ text: string }>;
      const longest = systemBlocks.map((b) => b.text).sort((a, b) => b.length - a.length)[0];
      assert.ok(longest.length > 100);
      assert.ok(kiroText.includes(JSON.stringify(longest.slice(0, 300)).slice(1, -1)), 'the system prompt reached Kiro');

      // The `system` role messages inside `messages` reach Kiro too (their start, at least).
      for (const message of main.body.messages.filter((m: any) => m.role === 'system')) {
        const text = textOf(message.content).trim();
        if (text) assert.ok(kiroText.includes(JSON.stringify(text.slice(0, 200)).slice(1, -1)), `system message reached Kiro: ${text.slice(0, 80)}`);
      }
      assert.ok(kiroText.includes(cwd), 'the environment system message (with the working directory) reached Kiro');

      // Tool declarations: every tool Claude Code declared, Bash with its command parameter.
      const declared = (main.body.tools as Array<{ name: string }>).map((t) => t.name).sort();
      const tools = first.conversationState.currentMessage.userInputMessage.userInputMessageContext.tools as Array<{ toolSpecification: any }>;
      assert.deepEqual(tools.map((t) => t.toolSpecification.name).sort(), declared);
      const bash = tools.find((t) => t.toolSpecification.name === 'Bash')!.toolSpecification;
      assert.equal(bash.inputSchema.json.properties.command.type, 'string');
      assert.ok(bash.description.length > 0);
    });

    test('the real command output reached the simulator as the tool result', () => {
      const sent = proxy.sim.chatRequests().map((r) => r.body);
      const withResults = sent.filter((b) => (b.conversationState.currentMessage.userInputMessage.userInputMessageContext?.toolResults ?? []).length > 0);
      assert.equal(withResults.length, 1);
      const conversation = withResults[0].conversationState;
      const [result] = conversation.currentMessage.userInputMessage.userInputMessageContext.toolResults;
      const toolCall = proxy.sim.replies.flatMap((r: any) => r.toolCalls).find((t: any) => t.name === 'Bash');
      assert.equal(result.toolUseId, toolCall.id);
      assert.equal(result.status, 'success');
      assert.match(JSON.stringify(result.content), new RegExp(EXPECTED_OUTPUT));
      // The assistant turn with the call (and its thinking) is in the history, then the result.
      const lastAssistant = conversation.history.at(-1).assistantResponseMessage;
      assert.deepEqual(lastAssistant.toolUses.map((t: any) => [t.toolUseId, t.name, t.input.command]), [[toolCall.id, 'Bash', COMMAND]]);
      assert.match(lastAssistant.content, /I will write the marker file with Bash\./);
    });

    test('thinking display "omitted": Claude Code got the thinking empty and sent it back sealed', () => {
      const bodies = messageRequests(tap).map((r) => r.body);
      assert.ok(bodies.every((b) => b.thinking?.display === 'omitted'), JSON.stringify(bodies.map((b) => b.thinking)));
      const returned = bodies.flatMap((b) => b.messages).filter((m: any) => m.role === 'assistant').flatMap((m: any) => m.content).filter((c: any) => c.type === 'thinking');
      assert.ok(returned.length > 0, 'the tool loop sent its thinking block back');
      for (const block of returned) {
        assert.equal(block.thinking, '', 'no reasoning text was shown to Claude Code');
        assert.equal(unsealThinking(block.signature), 'I will write the marker file with Bash.');
      }
    });
  });

  // Claude Code defers many of its tools (WebFetch, NotebookEdit…) and loads them with ToolSearch,
  // whose result holds `tool_reference` blocks; the next request carries them back.
  test('a deferred tool loaded with ToolSearch: the next request is accepted', async () => {
    await withProxy(async (proxy, tap, cwd) => {
      const account = proxy.sim.accounts.list()[0].id;
      proxy.sim.setBehavior(account, (req: { body: any }) => {
        const current = req.body.conversationState.currentMessage.userInputMessage;
        if ((current.userInputMessageContext?.toolResults ?? []).length > 0) return { text: FINAL_ANSWER };
        if (String(current.content).includes(PROMPT_TAG)) return { toolCalls: [{ name: 'ToolSearch', input: { query: 'select:WebFetch', max_results: 1 } }] };
        return { text: 'ok' };
      });
      const run = await runClaudeCode({ baseUrl: tap.url, cwd, args: ['-p', `${PROMPT_TAG}: load the WebFetch tool`] });
      const context = describeRun(run, proxy, tap);
      const declared = messageRequests(tap).flatMap((r) => (r.body.tools ?? []).map((t: { name: string }) => t.name));
      assert.ok(declared.includes('ToolSearch'), `Claude Code offers ToolSearch: ${[...new Set(declared)].join(', ')}`);
      assertAllSucceeded(tap.requests, 'Claude Code');
      assert.equal(run.code, 0, context);
      assert.equal(run.stdout.trim(), FINAL_ANSWER, context);
      const sentBack = messageRequests(tap).flatMap((r) => r.body.messages).flatMap((m: any) => (Array.isArray(m.content) ? m.content : []));
      const results = sentBack.filter((b: any) => b.type === 'tool_result');
      assert.ok(JSON.stringify(results).includes('"tool_reference"'), `Claude Code sent a tool_reference back: ${JSON.stringify(results)}`);
      const kiro = proxy.sim.chatRequests().map((r) => JSON.stringify(r.body.conversationState.currentMessage));
      assert.ok(kiro.some((m) => m.includes('Tool \\"WebFetch\\" is loaded')), 'Kiro was told the tool is loaded');
    });
  });

  // Claude Code's WebSearch runs as a side request carrying Anthropic's web search server tool. The
  // proxy runs it through Kiro's web search (the simulator's /mcp with canned results) and answers
  // with server_tool_use + web_search_tool_result; Claude Code hands the results to its main model.
  test('WebSearch: one real search through Kiro, its canned result text in the answer, in the request log', async () => {
    await withProxy(async (proxy, tap, cwd) => {
      const account = proxy.sim.accounts.list()[0].id;
      proxy.sim.setBehavior(account, (req: { body: any }) => {
        const current = req.body.conversationState.currentMessage.userInputMessage;
        const results = current.userInputMessageContext?.toolResults ?? [];
        if (results.length > 0) {
          // The main model answers from what the WebSearch tool gave it: the canned snippet, verbatim.
          const snippet = /Canned result 1 from the Kiro simulator[^\n]*?amber-lighthouse-1\./.exec(JSON.stringify(results))?.[0] ?? 'no search results reached the model';
          return { text: `According to the search: ${snippet.replace(/\\"/g, '"')}` };
        }
        if (String(current.content).includes(PROMPT_TAG)) return { toolCalls: [{ name: 'WebSearch', input: { query: 'lighthouse keepers of 2026' } }] };
        return { text: 'ok' };
      });
      const run = await runClaudeCode({
        baseUrl: tap.url,
        cwd,
        args: ['-p', `${PROMPT_TAG}: search the web for lighthouse keepers of 2026`, '--allowedTools', 'WebSearch', '--output-format', 'stream-json', '--verbose'],
      });
      const context = describeRun(run, proxy, tap);
      assert.equal(run.code, 0, context);
      const lines = run.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
      const result = lines.find((l) => l.type === 'result');
      assert.equal(
        result?.result,
        'According to the search: Canned result 1 from the Kiro simulator about "lighthouse keepers of 2026": amber-lighthouse-1.',
        context,
      );
      // What Claude Code itself counted: one search, three links from it.
      const toolResult = lines.find((l) => l.type === 'user' && l.tool_use_result?.query)?.tool_use_result;
      assert.equal(toolResult?.searchCount, 1, JSON.stringify(toolResult));
      const links = toolResult.results.find((r: any) => typeof r === 'object')?.content ?? [];
      assert.deepEqual(links.map((l: any) => new URL(l.url).hostname), ['docs.example.com', 'news.example.org', 'blog.example.net']);
      assert.equal(Object.values(result.modelUsage as Record<string, { webSearchRequests: number }>)[0].webSearchRequests, 1, context);

      // The side request was Anthropic's server tool, answered by one Kiro search and no chat call.
      const side = messageRequests(tap).filter((r) => (r.body.tools ?? []).some((t: any) => String(t.type).startsWith('web_search_')));
      assert.equal(side.length, 1, context);
      assert.equal(proxy.sim.searchRequests().length, 1);
      assert.equal(proxy.sim.searchRequests()[0].body.params.arguments.query, 'lighthouse keepers of 2026');
      assert.ok(proxy.sim.chatRequests().every((r) => !JSON.stringify(r.body).includes('Perform a web search')), 'no chat call for the search');
      assertAllSucceeded(tap.requests, 'Claude Code');

      const logs = (await (await fetch(`${proxy.url}/admin/logs`)).json()) as { entries: Array<{ status: number; webSearches?: number; endpoint: string }> };
      const searches = logs.entries.filter((e) => e.webSearches);
      assert.deepEqual(searches.map((e) => [e.endpoint, e.status, e.webSearches]), [['/v1/messages', 200, 1]]);
      const stats = (await (await fetch(`${proxy.url}/admin/stats`)).json()) as { webSearches: number };
      assert.equal(stats.webSearches, 1);
    });
  });

  // Kiro's "Input is too long" must read to Claude Code as a context overflow (which it compacts),
  // not as an unknown API error. A single exchange cannot be compacted, and Claude Code says so.
  test("Kiro's too-long error is Claude Code's own context overflow", async () => {
    await withProxy(async (proxy, tap, cwd) => {
      proxy.sim.setBehavior(proxy.sim.accounts.list()[0].id, (req: { body: any }) =>
        String(req.body.conversationState.currentMessage.userInputMessage.content).includes(PROMPT_TAG) ? { error: 'inputTooLong' } : { text: 'ok' });
      const run = await runClaudeCode({ baseUrl: tap.url, cwd, args: ['-p', `${PROMPT_TAG}: say hi`] });
      const context = describeRun(run, proxy, tap);
      assert.equal(run.code, 1, context);
      assert.match(run.stdout, /^Prompt is too long · this conversation is a single exchange and cannot be compacted/, context);
    });
  });

  // As a user runs it after pointing Claude Code at the proxy (only ANTHROPIC_BASE_URL set):
  // Claude Code then also probes the base URL before its first request.
  test('without the offline switches, every request Claude Code sends succeeds too', async () => {
    await withProxy(async (proxy, tap, cwd) => {
      scriptToolLoop(proxy);
      const run = await runClaudeCode({
        baseUrl: tap.url,
        cwd,
        offline: false,
        args: ['-p', `${PROMPT_TAG}: write kiro-proxy-42 into marker.txt using Bash`, '--allowedTools', 'Bash', '--output-format', 'json'],
      });
      const context = describeRun(run, proxy, tap);
      assert.equal(run.code, 0, context);
      const result = JSON.parse(run.stdout) as { is_error: boolean; result: string; num_turns: number };
      assert.equal(result.is_error, false, context);
      assert.equal(result.result, FINAL_ANSWER, context);
      assert.equal(readFileSync(join(cwd, 'marker.txt'), 'utf8').trim(), EXPECTED_OUTPUT);
      assertAllSucceeded(tap.requests, 'Claude Code');
    });
  });
});
