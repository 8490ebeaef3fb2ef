#!/usr/bin/env node
// Runs the extension-host suite (test/suite, built to out/test/suite by test/suite/build.mjs) in
// code-server's real extension host, offline: a headless Chromium is the workbench client and the
// `payload` query parameter carries extensionDevelopmentPath/extensionTestsPath
// (see docs/e2e-recipe.md §6). One run per installed code-server version.
//
//   node test/runInCodeServer.mjs            # every version test/e2e/setup.sh installed
//   KIRO_E2E_VSCODE=1.99 node test/runInCodeServer.mjs
//
// Needs: bash test/e2e/setup.sh, npm run build, node test/suite/build.mjs.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, assertPortClosed, codeServerVersions, runExtensionTests } from './e2e/lib/codeServer.mjs';
import { kiroFixture } from './e2e/lib/fixture.mjs';
import { packageLmConsumer } from './e2e/lib/lmConsumer.mjs';

const SUITE = path.join(REPO_ROOT, 'out/test/suite/index.js');

/**
 * One suite run on one code-server version.
 * @returns {Promise<{version: string, vscode: string, code: number, ms: number, passed: number, failed: number, results: Array<{title: string, state: string, error?: string}>}>}
 */
export async function runSuiteInCodeServer(cs, { grep, console: fwd } = {}) {
  for (const f of [SUITE, path.join(REPO_ROOT, 'dist/extension.js')]) {
    if (!existsSync(f)) throw new Error(`${path.relative(REPO_ROOT, f)} is missing: run npm run build && node test/suite/build.mjs`);
  }
  const fx = await kiroFixture();
  const resultsFile = path.join(fx.dir, 'suite-results.json');
  const started = Date.now();
  try {
    const code = await runExtensionTests({
      cs,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: SUITE,
      workspace: fx.workspace,
      settings: fx.settings,
      // Another extension using the Kiro models through vscode.lm (test/lm-consumer), installed beside ours.
      vsix: packageLmConsumer(fx.dir),
      env: {
        ...fx.env,
        KIRO_SIM_URL: fx.sim.url,
        KIRO_SUITE_PORT: String(fx.port),
        KIRO_SUITE_TOKEN_DIR: fx.tokenDir,
        KIRO_SUITE_RESULTS: resultsFile,
        ...(grep ? { KIRO_SUITE_GREP: grep } : {}),
      },
      timeoutMs: 180_000,
      ...(fwd !== undefined ? { console: fwd } : {}),
    });
    // code-server's process group is gone: so must the proxy be.
    await assertPortClosed(fx.port);
    const report = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : { passed: 0, failed: 0, results: [] };
    return { version: cs.version, vscode: report.vscode ?? cs.vscode, code, ms: Date.now() - started, passed: report.passed, failed: report.failed, results: report.results };
  } finally {
    await fx.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const versions = codeServerVersions();
  if (versions.length === 0) {
    console.error('no code-server installed: run bash test/e2e/setup.sh');
    process.exit(1);
  }
  let exit = 0;
  let passed = 0;
  let failed = 0;
  for (const cs of versions) {
    console.log(`\n=== extension-host suite on code-server ${cs.version} (VS Code ${cs.vscode}) ===`);
    const r = await runSuiteInCodeServer(cs);
    passed += r.passed;
    failed += r.failed;
    console.log(`code-server ${cs.version}: exit ${r.code}, ${r.passed} passed, ${r.failed} failed in ${(r.ms / 1000).toFixed(1)} s`);
    if (r.code !== 0 || r.failed > 0 || r.passed === 0) exit = 1;
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(exit);
}
