// Runs the extension-host suite (test/suite) in VS Code desktop through @vscode/test-electron, for
// machines that can download VS Code (this one cannot: use test/runInCodeServer.mjs there).
//   node test/suite/build.mjs && npm run build && npx tsx test/runTest.ts
// VSCODE_TEST_VERSIONS="1.93.0,stable" (default) picks the versions: the engines floor and the latest.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runTests } from '@vscode/test-electron';

interface Fixture {
  dir: string;
  tokenDir: string;
  workspace: string;
  port: number;
  sim: { url: string };
  settings: Record<string, unknown>;
  env: Record<string, string>;
  close(): Promise<void>;
}

const root = path.resolve(__dirname, '..');

async function runOne(version: string): Promise<number> {
  const { kiroFixture } = (await import(pathToFileURL(path.join(root, 'test/e2e/lib/fixture.mjs')).href)) as { kiroFixture(): Promise<Fixture> };
  const fx = await kiroFixture();
  try {
    const userDataDir = path.join(fx.dir, 'user-data');
    const settingsFile = path.join(userDataDir, 'User', 'settings.json');
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    fs.writeFileSync(settingsFile, JSON.stringify({ 'workbench.startupEditor': 'none', 'security.workspace.trust.enabled': false, ...fx.settings }, null, 2));
    const resultsFile = path.join(fx.dir, 'suite-results.json');
    return await runTests({
      version,
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, 'out/test/suite/index.js'),
      launchArgs: [
        fx.workspace,
        '--user-data-dir', userDataDir,
        '--extensions-dir', path.join(fx.dir, 'extensions'),
        '--disable-extensions',
        '--disable-workspace-trust',
        // No OS keychain on CI machines: SecretStorage falls back to its own encrypted store.
        '--password-store=basic',
      ],
      extensionTestsEnv: {
        ...fx.env,
        KIRO_SIM_URL: fx.sim.url,
        KIRO_SUITE_PORT: String(fx.port),
        KIRO_SUITE_TOKEN_DIR: fx.tokenDir,
        KIRO_SUITE_SETTINGS_FILE: settingsFile,
        KIRO_SUITE_RESULTS: resultsFile,
      },
    });
  } finally {
    await fx.close();
  }
}

async function main(): Promise<void> {
  const versions = (process.env.VSCODE_TEST_VERSIONS ?? '1.93.0,stable').split(',').map((v) => v.trim()).filter(Boolean);
  let failed = false;
  for (const version of versions) {
    console.log(`\n=== extension-host suite on VS Code ${version} (@vscode/test-electron) ===`);
    try {
      const code = await runOne(version);
      if (code !== 0) failed = true;
    } catch (err) {
      console.error(`VS Code ${version}: ${(err as Error).message}`);
      failed = true;
    }
  }
  process.exit(failed ? 1 : 0);
}

void main();
