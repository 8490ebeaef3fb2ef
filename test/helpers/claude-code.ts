// Runs the real Claude Code CLI (devDependency `@anthropic-ai/claude-code`, pinned) offline
// against a local base URL, with a throw-away home and config folder.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CliRun } from './cli-run';

const ROOT = join(__dirname, '..', '..');

/** The npm platform package that carries the native binary, e.g. `linux-x64`, `linux-x64-musl`. */
function platformKey(): string {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') return base;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? base : `${base}-musl`;
}

let cached: { path: string; version: string } | undefined;

/**
 * Path and version of the Claude Code binary. Throws (never skips) with the reason when it is
 * missing or does not run: the test must fail loudly, not pass by doing nothing.
 */
export function findClaudeCode(): { path: string; version: string } {
  if (cached) return cached;
  const require = createRequire(join(ROOT, 'package.json'));
  const key = platformKey();
  const exe = process.platform === 'win32' ? 'claude.exe' : 'claude';
  const candidates: string[] = [];
  // The platform package's binary works even when npm did not run the wrapper's postinstall
  // (which copies it over the `bin/claude.exe` placeholder).
  try { candidates.push(join(dirname(require.resolve(`@anthropic-ai/claude-code-${key}/package.json`)), exe)); } catch { /* not installed */ }
  try { candidates.push(join(dirname(require.resolve('@anthropic-ai/claude-code/package.json')), 'bin', 'claude.exe')); } catch { /* not installed */ }
  const problems: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) { problems.push(`${path}: missing`); continue; }
    const run = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '', HOME: tmpdir() } });
    const match = /(\d+\.\d+\.\d+) \(Claude Code\)/.exec(run.stdout ?? '');
    if (match) return (cached = { path, version: match[1] });
    problems.push(`${path}: --version gave status ${run.status}${run.error ? ` (${run.error.message})` : ''}: ${(run.stdout + run.stderr).trim().slice(0, 300)}`);
  }
  throw new Error(
    `Claude Code is not runnable here (platform package @anthropic-ai/claude-code-${key}). ` +
      `Install the devDependencies with \`npm ci\` (optional dependencies must not be omitted).\n` +
      (problems.length ? problems.join('\n') : 'Neither @anthropic-ai/claude-code nor its platform package is installed.'),
  );
}

export type ClaudeCodeRun = CliRun;

export interface ClaudeCodeOptions {
  baseUrl: string;
  cwd: string;
  args: string[];
  env?: Record<string, string>;
  /** Set the switches that stop Claude Code from calling home (default true). */
  offline?: boolean;
  timeoutMs?: number;
}

/**
 * Runs `claude <args>` non-interactively (stdin closed) with only the environment it needs: no
 * ANTHROPIC_* / CLAUDE_* variables of the developer leak in, and its home and config folder are
 * fresh temporary folders removed afterwards.
 */
export async function runClaudeCode(options: ClaudeCodeOptions): Promise<ClaudeCodeRun> {
  const { path } = findClaudeCode();
  const home = mkdtempSync(join(tmpdir(), 'claude-home-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    USERPROFILE: home,
    TMPDIR: tmpdir(),
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    ANTHROPIC_BASE_URL: options.baseUrl,
    ANTHROPIC_API_KEY: 'kiro-proxy-test',
    ...(process.env.SHELL ? { SHELL: process.env.SHELL } : {}),
    ...(process.env.SYSTEMROOT ? { SYSTEMROOT: process.env.SYSTEMROOT } : {}),
    ...(options.offline === false
      ? {}
      : {
          DISABLE_AUTOUPDATER: '1',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_TELEMETRY: '1',
          DISABLE_ERROR_REPORTING: '1',
        }),
    ...options.env,
  };
  try {
    const child = spawn(path, options.args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, options.timeoutMs ?? 120_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    }).finally(() => clearTimeout(timer));
    return { code, signal, stdout, stderr, timedOut };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
