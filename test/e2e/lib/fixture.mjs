// What both real-VS-Code layers start from: the Kiro simulator with two accounts (acct-1 social,
// acct-2 IdC), a token cache folder the IDE would have left (kiro-auth-token.json, kiro-account-2.json
// and the IdC registration file), an empty workspace with a .gitignore, and a free proxy port that is
// checked to be closed. Settings and environment to hand to code-server come with it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSimulator } from '../../sim/kiro-sim.mjs';
import { assertPortClosed, freePort } from './codeServer.mjs';

export const GITIGNORE = 'node_modules/\n';

export async function kiroFixture() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kiro-fixture-'));
  const tokenDir = path.join(dir, 'kiro-cache');
  const workspace = path.join(dir, 'workspace');
  const sim = await startSimulator({ seed: 7 });
  // Fewer models than the 2026 catalog, so the chat view's model picker shows them all at once;
  // glm-5 is one of Kiro's text-only models.
  const models = ['auto', 'claude-sonnet-4', 'claude-sonnet-4.5', 'claude-haiku-4.5', 'claude-opus-4.5', 'claude-sonnet-4.6', 'claude-opus-4.6', 'glm-5'];
  const accounts = [
    sim.addAccount({ id: 'acct-1', authMethod: 'social', provider: 'Google', email: 'alice@example.com', models }),
    sim.addAccount({ id: 'acct-2', authMethod: 'idc', email: 'bob@example.com', models }),
  ];
  sim.makeTokenFile(tokenDir, accounts[0], { fileName: 'kiro-auth-token.json' });
  sim.makeTokenFile(tokenDir, accounts[1], { fileName: 'kiro-account-2.json' });
  await (await import('node:fs/promises')).mkdir(workspace, { recursive: true });
  await writeFile(path.join(workspace, '.gitignore'), GITIGNORE);
  const port = await freePort();
  await assertPortClosed(port);
  return {
    dir, tokenDir, workspace, sim, port,
    baseUrl: `http://127.0.0.1:${port}`,
    settings: { 'kiroProxy.tokenCacheDir': tokenDir, 'kiroProxy.port': port, 'kiroProxy.autoStart': false },
    env: { KIRO_PROXY_ENDPOINT: sim.url },
    async close() {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
