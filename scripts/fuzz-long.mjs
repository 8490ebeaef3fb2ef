#!/usr/bin/env node
// The long fuzz run: the CI fuzz test (test/fuzz/protocols.test.ts) with far more bodies and a
// fresh seed each time. Build first (npm run build): the HTTP half drives dist/cli.js.
//   node scripts/fuzz-long.mjs [--pure N] [--http N] [--seed N]
// Defaults: 200,000 pure + 20,000 HTTP bodies per endpoint. A failure prints its seed (and
// fast-check's shrunk counterexample); rerun with --seed to reproduce.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { pure: { type: 'string' }, http: { type: 'string' }, seed: { type: 'string' } } });
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
const env = {
  ...process.env,
  FUZZ_PURE_RUNS: values.pure ?? '200000',
  FUZZ_HTTP_RUNS: values.http ?? '20000',
  FUZZ_SEED: seed,
};
process.stdout.write(`fuzz-long: seed ${seed}, ${env.FUZZ_PURE_RUNS} pure + ${env.FUZZ_HTTP_RUNS} HTTP bodies per endpoint\n`);
const root = new URL('..', import.meta.url).pathname;
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=0', 'test/fuzz/protocols.test.ts'], {
  cwd: root,
  env,
  stdio: 'inherit',
});
if (run.status !== 0) process.stdout.write(`fuzz-long: FAILED with seed ${seed} (rerun: node scripts/fuzz-long.mjs --seed ${seed})\n`);
process.exit(run.status ?? 1);
