// Starts the real headless proxy (dist/cli.js) against a fresh Kiro simulator, as a user
// would run it, with its own token cache and data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error The simulator is plain JavaScript without type declarations.
import { startSimulator } from '../sim/kiro-sim.mjs';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

export interface Simulator {
  url: string;
  accounts: any;
  requests: Array<{ path: string; headers: Record<string, string>; body: any; account?: any; status?: number }>;
  enqueue(reply: Record<string, unknown>, options?: { account?: string }): void;
  setBehavior(account: string, reply: unknown, options?: { times?: number }): void;
  setAccount(account: string, patch: Record<string, unknown>): void;
  addAccount(spec: Record<string, unknown>): Record<string, any>;
  makeTokenFile(dir: string, account: unknown, options?: { fileName?: string }): { tokenPath: string; registrationPath?: string };
  refreshCount(id: string): number;
  chatRequests(): Array<{ body: any; headers: Record<string, string>; account?: any }>;
  reset(options?: { accounts?: boolean }): void;
  close(): Promise<void>;
  [key: string]: any;
}

export interface RunningProxy {
  url: string;
  sim: Simulator;
  tokenDir: string;
  dataDir: string;
  /** The token file written for each simulator account, by simulator account id. */
  tokenFiles: Map<string, string>;
  child: ChildProcess;
  /** Everything the CLI printed, for secret and message checks. */
  output(): string;
  stop(): Promise<number | null>;
}

export interface ProxyOptions {
  /** Accounts the simulator creates, each with a token file in the cache (default 1). */
  accounts?: number;
  simOptions?: Record<string, unknown>;
  /** Per-account simulator specs (tokens, auth method…); overrides `accounts` when given. */
  accountSpecs?: Array<Record<string, unknown>>;
  args?: string[];
  env?: Record<string, string>;
  /** Keep the token and data folders after stop (the caller inspects and removes them). */
  keepDirs?: boolean;
  /** Run another CLI over an existing simulator and folders (a restart); they are not removed on stop. */
  reuse?: { sim: Simulator; tokenDir: string; dataDir: string };
}

export async function startSimulatorOnly(options: Record<string, unknown> = {}): Promise<Simulator> {
  return startSimulator(options) as Promise<Simulator>;
}

export async function startProxy(options: ProxyOptions = {}): Promise<RunningProxy> {
  const sim = options.reuse?.sim ?? ((await startSimulator({ accounts: 0, ...options.simOptions })) as Simulator);
  const tokenDir = options.reuse?.tokenDir ?? mkdtempSync(join(tmpdir(), 'kiro-tokens-'));
  const dataDir = options.reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'kiro-data-'));
  const tokenFiles = new Map<string, string>();
  const specs = options.accountSpecs ?? Array.from({ length: options.accounts ?? 1 }, () => ({}));
  for (let i = 0; i < specs.length; i++) {
    const account = sim.addAccount({ email: `user${i + 1}@example.com`, ...specs[i] });
    const { tokenPath } = sim.makeTokenFile(tokenDir, account, { fileName: i === 0 ? 'kiro-auth-token.json' : `kiro-account-${i + 1}.json` });
    tokenFiles.set(account.id, tokenPath);
  }
  const child = spawn(
    process.execPath,
    [CLI, '--port', '0', '--token-dir', tokenDir, '--data-dir', dataDir, ...(options.args ?? [])],
    { env: { ...process.env, KIRO_PROXY_ENDPOINT: sim.url, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`kiro-proxy exited with ${code} before listening:\n${output}`)));
  });
  const url = await listening.catch(async (err) => {
    // Leave nothing running behind a failed start, or the test process never exits.
    if (!options.reuse) {
      await sim.close();
      rmSync(tokenDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
    throw err;
  });
  return {
    url,
    sim,
    tokenDir,
    dataDir,
    tokenFiles,
    child,
    output: () => output,
    async stop() {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      // A child killed by a signal has exitCode null but signalCode set: it will not exit again.
      const gone = child.exitCode !== null || child.signalCode !== null;
      if (!gone) child.kill('SIGTERM');
      const code = gone ? child.exitCode : await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 8000).unref())]);
      if (code === 'hung') {
        // A proxy that ignores SIGTERM would outlive the test run; kill it, then fail loudly.
        child.kill('SIGKILL');
        await exited;
        if (!options.reuse) await sim.close();
        throw new Error(`kiro-proxy did not exit within 8 s of SIGTERM. Output:\n${output.slice(-2000)}`);
      }
      if (options.reuse) return code;
      await sim.close();
      if (!options.keepDirs) {
        rmSync(tokenDir, { recursive: true, force: true });
        rmSync(dataDir, { recursive: true, force: true });
      }
      return code;
    },
  };
}
