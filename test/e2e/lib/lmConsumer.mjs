// The second test extension (test/lm-consumer): packaged into a .vsix that the real-VS-Code
// runs install beside Kiro Proxy, so the suite can use the Kiro models as another extension.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './codeServer.mjs';

export const LM_CONSUMER_ID = 'kiro-proxy-tests.lm-consumer';

/** Packages test/lm-consumer into `<outDir>/lm-consumer.vsix` and returns its path. */
export function packageLmConsumer(outDir) {
  const vsix = path.join(outDir, 'lm-consumer.vsix');
  const r = spawnSync(
    path.join(REPO_ROOT, 'node_modules/.bin/vsce'),
    ['package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '-o', vsix],
    { cwd: path.join(REPO_ROOT, 'test/lm-consumer'), encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`packaging test/lm-consumer failed:\n${r.stdout}${r.stderr}`);
  return vsix;
}
