// The real Codex CLI (`@openai/codex`, `codex exec`) speaking the Responses API to the proxy,
// with the simulator scripting a shell tool loop: the command must really run, and Codex
// must print the final answer that followed the tool result.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, type RunningProxy } from '../helpers/proxy';

const CODEX = join(__dirname, '..', '..', 'node_modules', '.bin', 'codex');

interface CodexRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCodex(args: string[], env: Record<string, string>, cwd: string, timeoutMs = 120_000): Promise<CodexRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(CODEX, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`codex timed out after ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`codex could not start (${CODEX}): ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The text of the current Kiro turn (the newest user input). */
function currentTurn(body: any): any {
  return body.conversationState.currentMessage.userInputMessage;
}

describe('Codex CLI (wire_api = "responses") through the proxy', () => {
  let proxy: RunningProxy;
  let codexHome: string;
  let workDir: string;
  /** Codex's config for the proxy; `extra` lines go at the top level. */
  const codexConfig = (...extra: string[]) =>
    [
      'model = "gpt-5.1-codex"',
      'model_provider = "kiro"',
      'approval_policy = "never"',
      'sandbox_mode = "danger-full-access"',
      ...extra,
      '',
      '[model_providers.kiro]',
      'name = "Kiro Proxy"',
      `base_url = "${proxy.url}/v1"`,
      'wire_api = "responses"',
      'env_key = "KIRO_PROXY_KEY"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      '',
    ].join('\n');
  before(async () => {
    assert.ok(existsSync(CODEX), `Codex CLI is not installed at ${CODEX}; run npm install (devDependency @openai/codex)`);
    proxy = await startProxy({ args: ['--api-key', 'codex-test-key'] });
    codexHome = mkdtempSync(join(tmpdir(), 'codex-home-'));
    workDir = mkdtempSync(join(tmpdir(), 'codex-work-'));
    writeFileSync(join(codexHome, 'config.toml'), codexConfig());
  });
  after(async () => {
    await proxy?.stop();
    for (const dir of [codexHome, workDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('codex exec runs a shell command the model asked for and prints the final answer', async () => {
    const account = proxy.sim.accounts.list()[0];
    const seen: string[] = [];
    // First turn: call Codex's shell tool; once its output comes back, answer with it.
    proxy.sim.setBehavior(account.id, (req: { body: any }) => {
      const current = currentTurn(req.body);
      const results = current.userInputMessageContext?.toolResults ?? [];
      const toolNames: string[] = (current.userInputMessageContext?.tools ?? []).map((t: any) => t.toolSpecification.name);
      seen.push(results.length ? 'result' : 'prompt');
      if (results.length) {
        const output = results.map((r: any) => r.content.map((c: any) => c.text).join('')).join('\n');
        const marker = /MARKER-(\w+)/.exec(output)?.[1] ?? 'missing';
        return { text: `The command printed MARKER-${marker}. All done.` };
      }
      if (toolNames.includes('exec_command')) {
        return { toolCalls: [{ name: 'exec_command', input: { cmd: 'echo ran > proof.txt && echo MARKER-$((6*7))' } }] };
      }
      if (toolNames.includes('shell')) {
        return { toolCalls: [{ name: 'shell', input: { command: ['bash', '-lc', 'echo ran > proof.txt && echo MARKER-$((6*7))'] } }] };
      }
      if (toolNames.includes('shell_command')) {
        return { toolCalls: [{ name: 'shell_command', input: { command: 'echo ran > proof.txt && echo MARKER-$((6*7))' } }] };
      }
      return { text: `No shell tool among: ${toolNames.join(', ')}` };
    });

    const run = await runCodex(
      ['exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', '-C', workDir, 'Run the marker command.'],
      { CODEX_HOME: codexHome, KIRO_PROXY_KEY: 'codex-test-key', HOME: process.env.HOME ?? homedir() },
      workDir,
    );
    proxy.sim.setBehavior(account.id, null);
    const transcript = `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}\nsim saw: ${seen.join(',')}`;
    assert.equal(run.code, 0, transcript);
    // The shell command really ran in the work folder, and its output went back to the model.
    assert.ok(existsSync(join(workDir, 'proof.txt')), `proof.txt was not written\n${transcript}`);
    assert.equal(readFileSync(join(workDir, 'proof.txt'), 'utf8').trim(), 'ran');
    assert.ok(seen.includes('prompt') && seen.includes('result'), transcript);
    // Codex prints the final message on stdout.
    assert.match(run.stdout, /The command printed MARKER-42\. All done\./, transcript);

    // What Codex sent was a Responses request, translated once: its developer prompt became the system text.
    const requests = proxy.sim.chatRequests();
    const sent = requests.at(-1)!.body.conversationState;
    assert.match(JSON.stringify(sent.history), /coding agent/);
  });

  // Codex's `web_search = "live"` offers the hosted web_search tool; the proxy runs it through
  // Kiro's web search (the simulator's /mcp) and Codex shows the web_search_call item.
  test('codex exec with web search: one Kiro search, shown by Codex, its canned result in the answer', async () => {
    const searchHome = mkdtempSync(join(tmpdir(), 'codex-home-'));
    writeFileSync(join(searchHome, 'config.toml'), codexConfig('web_search = "live"'));
    const account = proxy.sim.accounts.list()[0];
    proxy.sim.setBehavior(account.id, (req: { body: any }) => {
      const current = currentTurn(req.body);
      const results = JSON.stringify(current.userInputMessageContext?.toolResults ?? []);
      const toolNames: string[] = (current.userInputMessageContext?.tools ?? []).map((t: any) => t.toolSpecification.name);
      if (results !== '[]') return { text: `According to the search: ${/amber-lighthouse-\d/.exec(results)?.[0] ?? 'nothing'}` };
      if (toolNames.includes('web_search')) return { toolCalls: [{ name: 'web_search', input: { query: 'lighthouse keepers' } }] };
      return { text: `No web_search among: ${toolNames.join(', ')}` };
    });
    try {
      const run = await runCodex(
        ['exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', '-C', workDir, 'Search the web for lighthouse keepers.'],
        { CODEX_HOME: searchHome, KIRO_PROXY_KEY: 'codex-test-key', HOME: process.env.HOME ?? homedir() },
        workDir,
      );
      const transcript = `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
      assert.equal(run.code, 0, transcript);
      assert.match(run.stdout, /According to the search: amber-lighthouse-1/, transcript);
      assert.match(run.stderr, /web search: lighthouse keepers/, `Codex shows the search\n${transcript}`);
      assert.equal(proxy.sim.searchRequests().filter((r: any) => r.body.params.arguments.query === 'lighthouse keepers').length, 1, transcript);
    } finally {
      proxy.sim.setBehavior(account.id, null);
      rmSync(searchHome, { recursive: true, force: true });
    }
  });
});

