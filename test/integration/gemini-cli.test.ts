// The real Gemini CLI (npm `@google/gemini-cli`, pinned devDependency, plain Node bundle) runs
// `gemini -p … --yolo` offline with GOOGLE_GEMINI_BASE_URL pointing at the proxy and API-key auth.
// The simulator scripts a `run_shell_command` call, Gemini CLI really runs it and sends the
// output back as a functionResponse, and the simulator's final answer is what Gemini CLI prints.
// Gemini CLI also asks a small model to rate the prompt's complexity (a JSON-mode
// `generateContent` call, for its model router) before each turn; that must succeed as well.
//
// Needed to run headless and offline (Gemini CLI 0.61.0, checked in its bundle):
// - `security.auth.selectedType: "gemini-api-key"` in ~/.gemini/settings.json. Without it the CLI
//   derives the auth type "gateway" from GOOGLE_GEMINI_BASE_URL, which its own non-interactive
//   check (`validateAuthMethod`) rejects: "Invalid auth method selected.", exit 41.
// - A trusted folder (GEMINI_CLI_TRUST_WORKSPACE=true or --skip-trust), otherwise --yolo is
//   overridden to "default" approvals and the headless run stops (exit 55).
// - `privacy.usageStatisticsEnabled: false`, otherwise it posts usage statistics to
//   play.googleapis.com (harmless when that fails, but it is a call home).
//
// Never skipped: when Gemini CLI is missing or does not start, the tests fail and say why.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, type RunningProxy } from '../helpers/proxy';
import { assertAllSucceeded, describeCliRun, type CliRun } from '../helpers/cli-run';
import { startHttpTap, type HttpTap, type TappedRequest } from '../helpers/http-tap';

const GEMINI = join(__dirname, '..', '..', 'node_modules', '@google', 'gemini-cli', 'bundle', 'gemini.js');
const KEY = 'gemini-cli-test-key';
const PROMPT_TAG = 'KIRO-GEMINI-PROMPT';
const FINAL_ANSWER = 'The marker file now says gemini-42. All done.';
// The shell computes 42, so "gemini-42" in the tool result can only come from a shell that really
// ran the command. Not `$((6*7))`: Gemini CLI refuses anything starting with `$(` as "command
// injection" and returns that refusal as the tool output instead of running the command.
const COMMAND = 'let "n = 6 * 7"; echo gemini-$n > marker.txt && cat marker.txt';
const EXPECTED_OUTPUT = 'gemini-42';

/** Runs Gemini CLI's bundle with this Node (it needs Node >= 20), throwing with the reason when it does not start. */
function geminiVersion(): string {
  assert.ok(existsSync(GEMINI), `Gemini CLI is not installed at ${GEMINI}; run npm install (devDependency @google/gemini-cli)`);
  const home = mkdtempSync(join(tmpdir(), 'gemini-home-'));
  try {
    const run = spawnSync(process.execPath, [GEMINI, '--version'], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: home } });
    const version = run.stdout?.trim() ?? '';
    assert.match(version, /^\d+\.\d+\.\d+$/, `gemini --version gave status ${run.status}${run.error ? ` (${run.error.message})` : ''}: ${(run.stdout + run.stderr).slice(0, 500)}`);
    return version;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * `gemini <args>` with stdin closed and only the environment it needs: a fresh home with a
 * settings.json selecting API-key auth and turning off everything that calls home, its own temp
 * folder (Gemini CLI writes error reports there), no GEMINI_* / GOOGLE_* variables of the developer.
 */
async function runGemini(baseUrl: string, cwd: string, args: string[]): Promise<CliRun> {
  const home = mkdtempSync(join(tmpdir(), 'gemini-home-'));
  const temp = join(home, 'tmp');
  mkdirSync(temp);
  mkdirSync(join(home, '.gemini'));
  writeFileSync(
    join(home, '.gemini', 'settings.json'),
    JSON.stringify({
      security: { auth: { selectedType: 'gemini-api-key' } },
      general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      ide: { enabled: false },
    }),
  );
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    USERPROFILE: home,
    TMPDIR: temp,
    GEMINI_API_KEY: KEY,
    GOOGLE_GEMINI_BASE_URL: baseUrl,
    GEMINI_CLI_TRUST_WORKSPACE: 'true',
    ...(process.env.SYSTEMROOT ? { SYSTEMROOT: process.env.SYSTEMROOT } : {}),
  };
  try {
    const child = spawn(process.execPath, [GEMINI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, 120_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    }).finally(() => clearTimeout(timer));
    // An error report in its temp folder means a request failed and was retried or given up.
    const reports = readdirSync(temp).filter((name) => name.startsWith('gemini-client-error'));
    if (reports.length) stderr += `\nerror reports: ${reports.map((name) => readFileSync(join(temp, name), 'utf8').slice(0, 1000)).join('\n')}`;
    return { code, signal, stdout, stderr, timedOut };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

interface Scripted {
  router: number;
  toolCalls: number;
  finals: number;
  side: number;
}

/**
 * Behaviour for every chat request: the router's complexity question → its JSON answer; the
 * prompt (no tool results yet) → a run_shell_command call with some thinking; a request with
 * tool results → the final answer; anything else → a short plain text.
 */
function scriptToolLoop(proxy: RunningProxy): Scripted {
  const counts: Scripted = { router: 0, toolCalls: 0, finals: 0, side: 0 };
  const account = proxy.sim.accounts.list()[0].id;
  proxy.sim.setBehavior(account, (req: { body: any }) => {
    const current = req.body.conversationState.currentMessage.userInputMessage;
    const results = current.userInputMessageContext?.toolResults ?? [];
    const tools: string[] = (current.userInputMessageContext?.tools ?? []).map((t: any) => t.toolSpecification.name);
    if (results.length > 0) {
      counts.finals++;
      return { text: FINAL_ANSWER };
    }
    if (JSON.stringify(req.body.conversationState).includes('complexity_score')) {
      counts.router++;
      return { text: '{"complexity_reasoning": "One explicit shell command.", "complexity_score": 10}' };
    }
    if (String(current.content).includes(PROMPT_TAG) && tools.includes('run_shell_command')) {
      counts.toolCalls++;
      return {
        thinking: 'I will write the marker file with the shell.',
        toolCalls: [{ name: 'run_shell_command', input: { command: COMMAND, description: 'Write the marker file' } }],
      };
    }
    counts.side++;
    return { text: 'ok' };
  });
  return counts;
}

const describeRun = (run: CliRun, proxy: RunningProxy, tap: HttpTap) => describeCliRun('gemini', run, proxy, tap, 3000);

const isGenerate = (r: TappedRequest) => r.method === 'POST' && /^\/v1beta\/models\/[^/:]+:generateContent$/.test(r.url);
const isStream = (r: TappedRequest) => r.method === 'POST' && /^\/v1beta\/models\/[^/:]+:streamGenerateContent\?alt=sse$/.test(r.url);
const kiroTurn = (body: any) => body.conversationState.currentMessage.userInputMessage;

describe('Gemini CLI through the proxy', () => {
  test('Gemini CLI is installed and runs', () => {
    assert.match(geminiVersion(), /^\d+\.\d+\.\d+$/);
  });

  describe('gemini -p --yolo with a run_shell_command tool loop', () => {
    let proxy: RunningProxy;
    let tap: HttpTap;
    let cwd: string;
    let counts: Scripted;
    let run: CliRun;

    before(async () => {
      geminiVersion();
      proxy = await startProxy({ args: ['--api-key', KEY] });
      tap = await startHttpTap(proxy.url);
      cwd = mkdtempSync(join(tmpdir(), 'gemini-cwd-'));
      counts = scriptToolLoop(proxy);
      run = await runGemini(tap.url, cwd, ['-p', `${PROMPT_TAG}: write gemini-42 into marker.txt using the shell`, '--yolo']);
    });
    after(async () => {
      await tap?.close();
      await proxy?.stop();
      if (cwd) rmSync(cwd, { recursive: true, force: true });
    });

    test('Gemini CLI prints the final answer and really ran the command', () => {
      const context = describeRun(run, proxy, tap);
      assert.equal(run.code, 0, context);
      // Only the answer: the thinking of the tool-call turn is not printed.
      assert.equal(run.stdout.trim(), FINAL_ANSWER, context);
      assert.doesNotMatch(run.stderr, /error reports:/, context);
      assert.equal(counts.toolCalls, 1, `one shell call scripted\n${context}`);
      assert.equal(counts.finals, 1, `one final answer scripted\n${context}`);
      assert.equal(counts.router, 1, `the router asked once, and accepted the answer\n${context}`);
      const marker = join(cwd, 'marker.txt');
      assert.ok(existsSync(marker), `the shell wrote ${marker}\n${context}`);
      assert.equal(readFileSync(marker, 'utf8').trim(), EXPECTED_OUTPUT);
    });

    test('every request Gemini CLI made succeeded, also in the proxy request log', async () => {
      const context = describeRun(run, proxy, tap);
      assertAllSucceeded(tap.requests, 'Gemini CLI');
      // Nothing but Gemini API calls: one JSON-mode generateContent for the router, then one
      // streamed turn per model reply (the tool call, the final answer).
      assert.deepEqual(tap.requests.filter((r) => !isGenerate(r) && !isStream(r)).map((r) => `${r.method} ${r.url}`), [], context);
      assert.equal(tap.requests.filter(isGenerate).length, 1, context);
      assert.equal(tap.requests.filter(isStream).length, 2, context);
      for (const r of tap.requests) {
        assert.equal(r.headers['x-goog-api-key'], KEY, 'the API key travels as x-goog-api-key');
        assert.match(String(r.headers['user-agent']), /^GeminiCLI/);
      }
      const logs = (await (await fetch(`${proxy.url}/admin/logs`, { headers: { 'x-goog-api-key': KEY } })).json()) as {
        entries: Array<{ endpoint: string; status: number; clientModel: string; kiroModel: string }>;
      };
      assert.equal(logs.entries.length, tap.requests.length, 'each request is in the log');
      assert.deepEqual(logs.entries.filter((e) => !(e.status < 400)), [], 'no logged request failed');
      // Gemini model names (gemini-3.x…) go to a Kiro model.
      for (const entry of logs.entries) {
        assert.match(entry.clientModel, /^gemini-/);
        assert.match(entry.kiroModel, /^claude-/);
      }
    });

    test(`Gemini CLI's requests: a JSON-mode router call, then tools, system instruction and thinking`, () => {
      const [router] = tap.requests.filter(isGenerate).map((r) => r.body);
      assert.equal(router.generationConfig.responseMimeType, 'application/json');
      assert.ok(router.generationConfig.responseJsonSchema.properties.complexity_score, JSON.stringify(router.generationConfig));
      const [first] = tap.requests.filter(isStream).map((r) => r.body);
      const declarations = first.tools.flatMap((t: any) => t.functionDeclarations ?? []);
      const shell = declarations.find((d: any) => d.name === 'run_shell_command');
      assert.ok(shell, declarations.map((d: any) => d.name).join());
      // Gemini CLI declares tools with plain JSON Schema (parametersJsonSchema), not `parameters`.
      assert.equal(shell.parametersJsonSchema.properties.command.type, 'string');
      assert.ok(first.generationConfig.thinkingConfig.includeThoughts);
      assert.ok(first.systemInstruction.parts[0].text.length > 1000);

      const sent = proxy.sim.chatRequests().map((r) => r.body);
      const main = sent.find((b) => (kiroTurn(b).userInputMessageContext?.tools ?? []).length > 0);
      assert.ok(main, 'the tool-carrying turn reached the simulator');
      const kiroText = JSON.stringify(main.conversationState);
      const system: string = first.systemInstruction.parts[0].text;
      assert.ok(kiroText.includes(JSON.stringify(system.slice(0, 300)).slice(1, -1)), 'the system instruction reached Kiro');
      assert.ok(kiroText.includes(PROMPT_TAG), 'the prompt reached Kiro');
      // thinkingLevel HIGH → adaptive thinking at high effort.
      assert.equal(first.generationConfig.thinkingConfig.thinkingLevel, 'HIGH');
      assert.match(kiroText, /<thinking_mode>adaptive<\/thinking_mode><thinking_effort>high<\/thinking_effort>/);
      const tools = kiroTurn(main).userInputMessageContext.tools as Array<{ toolSpecification: any }>;
      assert.deepEqual(tools.map((t) => t.toolSpecification.name).sort(), declarations.map((d: any) => d.name).sort());
      const spec = tools.find((t) => t.toolSpecification.name === 'run_shell_command')!.toolSpecification;
      assert.equal(spec.inputSchema.json.properties.command.type, 'string');
      assert.deepEqual(spec.inputSchema.json.required, ['command']);
    });

    test('the real command output reached the simulator as the tool result', () => {
      const sent = proxy.sim.chatRequests().map((r) => r.body);
      const withResults = sent.filter((b) => (kiroTurn(b).userInputMessageContext?.toolResults ?? []).length > 0);
      assert.equal(withResults.length, 1);
      const conversation = withResults[0].conversationState;
      const [result] = conversation.currentMessage.userInputMessage.userInputMessageContext.toolResults;
      const toolCall = proxy.sim.replies.flatMap((r: any) => r.toolCalls ?? []).find((t: any) => t.name === 'run_shell_command');
      assert.equal(result.toolUseId, toolCall.id);
      assert.equal(result.status, 'success');
      const output = JSON.stringify(result.content);
      assert.match(output, new RegExp(`Output: ${EXPECTED_OUTPUT}`));
      assert.doesNotMatch(output, /injection|blocked/i);
      // The model turn with the call is in the history, then the result.
      const lastAssistant = conversation.history.at(-1).assistantResponseMessage;
      assert.deepEqual(lastAssistant.toolUses.map((t: any) => [t.toolUseId, t.name, t.input.command]), [[toolCall.id, 'run_shell_command', COMMAND]]);
      // Gemini CLI sent the call back with the id the proxy gave it (plus its own placeholder
      // thoughtSignature; like with Google's API it does not resend the thought text), and the
      // functionResponse with the same id.
      const [, final] = tap.requests.filter(isStream).map((r) => r.body);
      const parts = final.contents.flatMap((c: any) => c.parts);
      assert.equal(parts.find((p: any) => p.functionCall)?.functionCall.id, toolCall.id);
      assert.equal(parts.find((p: any) => p.functionResponse)?.functionResponse.id, toolCall.id);
      assert.ok(!parts.some((p: any) => p.thought), 'no thought parts are sent back');
    });
  });
  // Gemini CLI's google_web_search tool asks a model with googleSearch alone and reads the text and
  // groundingMetadata; the proxy offers Kiro's web search to the model, which searches (the
  // simulator's /mcp) and answers from the results.
  test('google_web_search: one Kiro search, its sources in the tool result, the canned text in the answer', async () => {
    geminiVersion();
    const proxy = await startProxy({ args: ['--api-key', KEY] });
    const tap = await startHttpTap(proxy.url);
    const cwd = mkdtempSync(join(tmpdir(), 'gemini-cwd-'));
    try {
      proxy.sim.setBehavior(proxy.sim.accounts.list()[0].id, (req: { body: any }) => {
        const current = kiroTurn(req.body);
        const results = JSON.stringify(current.userInputMessageContext?.toolResults ?? []);
        const tools: string[] = (current.userInputMessageContext?.tools ?? []).map((t: any) => t.toolSpecification.name);
        if (JSON.stringify(req.body.conversationState).includes('complexity_score')) return { text: '{"complexity_reasoning": "One search.", "complexity_score": 10}' };
        // The search request: the proxy's web_search tool is its only tool.
        if (tools.length === 1 && tools[0] === 'web_search') {
          if (results === '[]') return { toolCalls: [{ name: 'web_search', input: { query: 'lighthouse keepers 2026' } }] };
          return { text: `Summary: the first source says ${/amber-lighthouse-1/.exec(results)?.[0] ?? 'nothing'}.` };
        }
        if (results !== '[]') return { text: `According to the web: ${/amber-lighthouse-\d/.exec(results)?.[0] ?? 'nothing'}` };
        if (String(current.content).includes(PROMPT_TAG) && tools.includes('google_web_search')) return { toolCalls: [{ name: 'google_web_search', input: { query: 'lighthouse keepers 2026' } }] };
        return { text: 'ok' };
      });
      const run = await runGemini(tap.url, cwd, ['-p', `${PROMPT_TAG}: search the web for lighthouse keepers 2026`, '--yolo']);
      const context = describeRun(run, proxy, tap);
      assert.equal(run.code, 0, context);
      assert.equal(run.stdout.trim(), 'According to the web: amber-lighthouse-1', context);
      assert.equal(proxy.sim.searchRequests().length, 1, context);
      assert.equal(proxy.sim.searchRequests()[0].body.params.arguments.query, 'lighthouse keepers 2026');
      // What Gemini CLI gave its model: the search's text and the sources from groundingMetadata.
      const final = proxy.sim.chatRequests().map((r) => JSON.stringify(kiroTurn(r.body).userInputMessageContext?.toolResults ?? [])).find((t) => t.includes('Sources:'));
      assert.ok(final, `the tool result lists the sources: ${context}`);
      assert.match(final, /\[1\] lighthouse keepers 2026 — simulated source 1 \(https:\/\/docs\.example\.com\/lighthouse-keepers-2026\/1\)/);
      assert.match(final, /Summary: the first source says amber-lighthouse-1\./);
      assertAllSucceeded(tap.requests, 'Gemini CLI');
    } finally {
      await tap.close();
      await proxy.stop();
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
