// A running proxy and `kiro-proxy import` / `login` in another terminal share accounts.json:
// the new account is kept, and served without a restart.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, type RunningProxy } from '../helpers/proxy';
import { postJson, request, waitFor } from '../helpers/http';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] };

describe('accounts.json shared with other kiro-proxy commands', { timeout: 60_000 }, () => {
  let proxy: RunningProxy;
  let elsewhere: string;
  before(async () => {
    proxy = await startProxy({ accounts: 1 });
    elsewhere = mkdtempSync(join(tmpdir(), 'kiro-import-'));
  });
  after(async () => {
    await proxy.stop();
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it('an account imported while the proxy runs is kept through its saves and served at once', async () => {
    const stored = () => JSON.parse(readFileSync(join(proxy.dataDir, 'accounts.json'), 'utf8')).accounts as Array<{ id: string; label?: string }>;
    await waitFor(() => { try { return stored().length === 1; } catch { return false; } }, 5000, 'the proxy saved its account');
    const [first] = stored();

    const added = proxy.sim.addAccount({ email: 'second@example.com' });
    const { tokenPath } = proxy.sim.makeTokenFile(elsewhere, added);
    const run = spawnSync(process.execPath, [CLI, 'import', tokenPath, '--data-dir', proxy.dataDir, '--token-dir', proxy.tokenDir], {
      env: { ...process.env, KIRO_PROXY_ENDPOINT: proxy.sim.url },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(stored().length, 2);

    // The proxy writes the file again (an account disabled and enabled): the import stays.
    for (const action of ['disable', 'enable']) {
      const res = await request(proxy.url, `/admin/accounts/${first.id}/${action}`, { method: 'POST' });
      assert.equal(res.status, 200, res.text);
    }
    await waitFor(() => stored().length === 2, 2000, 'two accounts on disk');
    assert.equal(stored().length, 2, JSON.stringify(stored().map((a) => a.id)));

    // And the running proxy serves it: both accounts listed and taking requests.
    await waitFor(async () => (await request(proxy.url, '/health')).json().accounts.length === 2, 5000, 'the proxy reloaded the file');
    proxy.sim.setBehavior(proxy.sim.accounts.list()[0].id, { error: 'throttled' });
    const res = await postJson(proxy.url, '/v1/messages', MESSAGE);
    assert.equal(res.status, 200, res.text);
    assert.ok(proxy.sim.chatRequests().some((r: any) => (r.account?.id ?? r.account) === added.id), 'the imported account answered');
    assert.match(proxy.output(), /accounts\.json changed; 2 Kiro accounts now/);
  });
});
