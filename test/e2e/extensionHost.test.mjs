// The extension-host suite (test/suite, mocha in the real extension host) on every installed
// code-server version, reported to node's test runner: one subtest per mocha test, so CI counts
// them, plus the exit code the workbench reported. Builds the suite first (out/test/suite).
// Needs: bash test/e2e/setup.sh and npm run build (npm run test:vscode does both).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, codeServerVersions } from './lib/codeServer.mjs';
import { runSuiteInCodeServer } from '../runInCodeServer.mjs';

const versions = codeServerVersions();

test('code-server is installed and the extension-host suite builds', () => {
  assert.ok(versions.length > 0, 'no code-server version installed: run bash test/e2e/setup.sh');
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'test/suite/build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `test/suite/build.mjs failed:\n${r.stdout}${r.stderr}`);
});

for (const cs of versions) {
  test(`extension-host suite on VS Code ${cs.vscode} (code-server ${cs.version})`, async (t) => {
    const run = await runSuiteInCodeServer(cs);
    for (const r of run.results) {
      await t.test(r.title, () => {
        if (r.state === 'failed') throw new Error(r.error ?? 'failed');
        if (r.state === 'pending') t.skip?.();
      });
    }
    assert.equal(run.code, 0, `the workbench reported exit code ${run.code}`);
    assert.ok(run.passed >= 12, `${run.passed} mocha tests passed, expected at least 12`);
    assert.equal(run.failed, 0);
  });
}
