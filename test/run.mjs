// Runs every test file with node's test runner (TypeScript through tsx). Node 20's runner has
// no glob support, so the files are listed here. Unit files share one process (see
// in-one-process.mjs); every other file gets its own, as they start servers, CLIs and browsers.
// Usage: node test/run.mjs [unit|integration|…]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : testFiles(full);
    return /\.test\.(ts|mjs)$/.test(name) ? [full] : [];
  });
}

const files = testFiles(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(`/${o}/`) || f.includes(o)))
  .sort();

if (files.length === 0) {
  console.error(`no test files match ${only.join(' ')}`);
  process.exit(1);
}

// Spec output for people, TAP into a file per process for the plain closing line CI reads.
const tapDir = mkdtempSync(join(tmpdir(), 'kiro-tests-'));
const reporters = (tapFile) => ['--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`];
const unitFiles = files.filter((f) => f.startsWith('test/unit/'));
const otherFiles = files.filter((f) => !f.startsWith('test/unit/'));
const runs = [];
if (unitFiles.length > 0) runs.push({ tap: join(tapDir, 'unit.tap'), args: ['test/in-one-process.mjs', ...unitFiles] });
if (otherFiles.length > 0) runs.push({ tap: join(tapDir, 'other.tap'), args: ['--test', '--test-concurrency=1', ...otherFiles] });

let status = 0;
let passed = 0;
let failed = 0;
for (const { tap: tapFile, args } of runs) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', ...reporters(tapFile), ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) status = result.status ?? 1;
  const tap = readFileSync(tapFile, 'utf8');
  const count = (name) => Number([...tap.matchAll(new RegExp(`^# ${name} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
  passed += count('pass');
  failed += count('fail') + count('cancelled');
}
rmSync(tapDir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(status);
