// Reporting on a real agent CLI (Claude Code, Gemini CLI) run through an HTTP tap in front of the
// proxy: one transcript for assertion messages, and the check that every request succeeded.
import assert from 'node:assert/strict';
import type { HttpTap, TappedRequest } from './http-tap';
import type { RunningProxy } from './proxy';

/** How a CLI process ended and what it printed. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the run was killed for taking longer than its timeout. */
  timedOut: boolean;
}

/** The run's exit, output, the requests the tap saw and the proxy's output, for a failing assertion. */
export function describeCliRun(cli: string, run: CliRun, proxy: RunningProxy, tap: HttpTap, stderrChars = 2000): string {
  const requests = tap.requests.map((r) => `  ${r.method} ${r.url} → ${r.status}${r.errorBody ? ` ${r.errorBody}` : ''}`).join('\n');
  return (
    `${cli} exited with ${run.code}${run.signal ? ` (${run.signal})` : ''}${run.timedOut ? ' after timing out' : ''}\n` +
    `stdout: ${run.stdout.trim()}\nstderr: ${run.stderr.trim().slice(-stderrChars)}\nrequests:\n${requests}\n` +
    `proxy output:\n${proxy.output().slice(-2000)}`
  );
}

/** Fails with the failed requests listed unless the proxy answered every one successfully. */
export function assertAllSucceeded(requests: TappedRequest[], client: string): void {
  const failed = requests.filter((r) => r.status === undefined || r.status === 0 || r.status >= 400);
  assert.deepEqual(
    failed.map((r) => `${r.method} ${r.url} → ${r.status} ${r.errorBody ?? ''}`),
    [],
    `every request ${client} sent got a successful answer from the proxy`,
  );
}
