// Entry of the extension-host suite (the standard @vscode/test-electron shape): VS Code loads
// this file in the extension host and awaits `run()`. Both runners use it: test/runTest.ts
// (VS Code desktop through @vscode/test-electron) and test/runInCodeServer.mjs (code-server, offline).
// Built by test/suite/build.mjs into out/test/suite/ (cjs; `vscode` and `mocha` stay external).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface SuiteResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  const grep = process.env.KIRO_SUITE_GREP;
  if (grep) mocha.grep(grep);
  for (const file of fs.readdirSync(__dirname).filter((f) => f.endsWith('.spec.js')).sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  const results: SuiteResult[] = [];
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const passed = results.filter((r) => r.state === 'passed').length;
        const failed = results.filter((r) => r.state === 'failed').length;
        const file = process.env.KIRO_SUITE_RESULTS;
        if (file) fs.writeFileSync(file, JSON.stringify({ vscode: require('vscode').version, passed, failed, results }, null, 2));
        // The plain closing line CI counts (mocha itself prints "N passing").
        console.log(`${passed} passed, ${failed} failed`);
        if (failures > 0) reject(new Error(`${failures} test(s) failed.`));
        else resolve();
      });
      runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
      runner.on('fail', (t, err: Error) => results.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration, error: err?.stack ?? String(err) }));
      runner.on('pending', (t) => results.push({ title: t.fullTitle(), state: 'pending' }));
    } catch (err) {
      reject(err);
    }
  });
}
