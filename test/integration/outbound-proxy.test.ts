// An outbound proxy per account, through the built CLI: a real SOCKS5 server and a real HTTP
// CONNECT proxy on loopback (test/helpers/outbound-proxies.ts) count the Kiro calls they carry.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { waitFor } from '../helpers/http';
import { startProxy, type RunningProxy } from '../helpers/proxy';
import { startConnectProxy, startSocks5Proxy, type CountingProxy } from '../helpers/outbound-proxies';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const SOCKS_AUTH = { user: 'sockuser', password: 'S0cksSecretPw' };
const HTTP_AUTH = { user: 'httpuser', password: 'HttpSecretPw9' };

interface AdminAccount {
  id: string;
  state: string;
  reason?: string;
  proxy?: string;
  source?: { path?: string };
}

describe('an outbound proxy per account', { timeout: 90_000 }, () => {
  let proxy: RunningProxy;
  let socks: CountingProxy;
  let connect: CountingProxy;
  let anthropic: Anthropic;
  const admin = async () => ((await (await fetch(`${proxy.url}/admin/accounts`)).json()) as { accounts: AdminAccount[] }).accounts;
  const idOf = async (simId: string) => (await admin()).find((a) => a.source?.path === proxy.tokenFiles.get(simId))!.id;
  const setProxy = (id: string, url: string | null) =>
    fetch(`${proxy.url}/admin/accounts/${id}/proxy`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ proxy: url }) });
  const only = async (id: string) => {
    for (const a of await admin()) await fetch(`${proxy.url}/admin/accounts/${a.id}/${a.id === id ? 'enable' : 'disable'}`, { method: 'POST' });
  };
  const ask = (text: string) => anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: text }] });
  const chatsOf = (simId: string) => proxy.sim.chatRequests().filter((r) => r.account === simId).length;
  const through = (p: CountingProxy, line: string) => p.requests.filter((r) => r === line).length;

  before(async () => {
    socks = await startSocks5Proxy(SOCKS_AUTH);
    connect = await startConnectProxy(HTTP_AUTH);
    // Legacy hosts: the counting proxies tell Kiro's calls apart by their REST paths.
    proxy = await startProxy({ accounts: 3, args: ['--kiro-endpoints', 'legacy'] });
    anthropic = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await proxy.stop();
    await socks.close();
    await connect.close();
  });

  it('every call of an account goes through its own proxy, SOCKS5 or HTTP CONNECT, with credentials; other accounts go direct', async () => {
    const [simA, simB, simC] = proxy.sim.accounts.list();
    const [a, b, c] = [await idOf(simA.id), await idOf(simB.id), await idOf(simC.id)];
    assert.equal((await setProxy(a, socks.url)).status, 200);
    assert.equal((await setProxy(b, connect.url)).status, 200);
    const listed = await admin();
    assert.equal(listed.find((x) => x.id === a)!.proxy, `socks5://${new URL(socks.url).host}`, 'shown without its credentials');
    assert.equal(listed.find((x) => x.id === b)!.proxy, `http://${new URL(connect.url).host}`);

    for (const [id, simId] of [[a, simA.id], [b, simB.id], [c, simC.id]]) {
      await only(id);
      assert.deepEqual((await ask(`via ${simId}`)).content, [{ type: 'text', text: `Echo: via ${simId}` }]);
      // A refresh and a quota/models fetch of the same account.
      assert.equal((await fetch(`${proxy.url}/admin/accounts/${id}/refresh`, { method: 'POST' })).status, 200);
    }
    for (const [p, simId] of [[socks, simA.id], [connect, simB.id]] as const) {
      // Setting a proxy fetches the account's quota and models through it at once.
      await waitFor(() => through(p, 'GET /ListAvailableModels') >= 1, 5000, 'quota and models through the new proxy');
      assert.equal(through(p, 'POST /generateAssistantResponse'), chatsOf(simId), 'every chat call of the account went through its proxy');
      assert.ok(through(p, 'POST /refreshToken') >= 1, `the refresh went through it: ${p.requests.join(', ')}`);
      assert.ok(through(p, 'GET /getUsageLimits') >= 1, `usage went through it: ${p.requests.join(', ')}`);
      assert.ok(through(p, 'GET /ListAvailableModels') >= 1, `models went through it: ${p.requests.join(', ')}`);
      assert.ok(p.tunnels.every((t) => t === new URL(proxy.sim.url).host), p.tunnels.join(', '));
    }
    const carried = socks.requests.length + connect.requests.length;
    assert.equal(chatsOf(simC.id), 1);
    assert.equal(through(socks, 'POST /generateAssistantResponse') + through(connect, 'POST /generateAssistantResponse'), chatsOf(simA.id) + chatsOf(simB.id), 'the third account went direct');
    assert.ok(carried > 0);
    for (const x of await admin()) await fetch(`${proxy.url}/admin/accounts/${x.id}/enable`, { method: 'POST' });
  });

  it('a dead proxy is an account-level failure: the next account serves, and the account says why', async () => {
    const [simA, simB] = proxy.sim.accounts.list();
    const [a, b] = [await idOf(simA.id), await idOf(simB.id)];
    for (const x of await admin()) await fetch(`${proxy.url}/admin/accounts/${x.id}/enable`, { method: 'POST' });
    await setProxy(b, null);
    const dead = await startSocks5Proxy(SOCKS_AUTH);
    await dead.close(); // its port now refuses connections
    assert.equal((await setProxy(a, dead.url)).status, 200);
    const others = (await admin()).filter((x) => x.id !== a && x.id !== b);
    for (const x of others) await fetch(`${proxy.url}/admin/accounts/${x.id}/disable`, { method: 'POST' });
    // Least-used: send until the dead-proxy account was tried.
    for (let i = 0; i < 4 && (await admin()).find((x) => x.id === a)!.state !== 'cooldown'; i++) {
      assert.deepEqual((await ask(`dead ${i}`)).content, [{ type: 'text', text: `Echo: dead ${i}` }], 'the client still gets its answer');
    }
    const cooled = (await admin()).find((x) => x.id === a)!;
    assert.equal(cooled.state, 'cooldown');
    assert.match(cooled.reason ?? '', /outbound proxy socks5:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    await fetch(`${proxy.url}/admin/cooldowns`, { method: 'DELETE' });
    await setProxy(a, null);
    for (const x of others) await fetch(`${proxy.url}/admin/accounts/${x.id}/enable`, { method: 'POST' });
  });

  it('a proxy URL with a bad scheme gets a clear error and changes nothing', async () => {
    const [simA] = proxy.sim.accounts.list();
    const a = await idOf(simA.id);
    await setProxy(a, socks.url);
    for (const bad of ['ftp://127.0.0.1:21', 'socks4://127.0.0.1:1080', 'not a url', 'http://127.0.0.1:8080/some/path']) {
      const res = await setProxy(a, bad);
      assert.equal(res.status, 400, bad);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /outbound proxy/, bad);
      assert.equal((await admin()).find((x) => x.id === a)!.proxy, `socks5://${new URL(socks.url).host}`, 'unchanged');
    }
    assert.equal((await setProxy(a, 42 as never)).status, 400);
    await setProxy(a, null);
  });

  it('proxy credentials appear in no output, no answer and no log', async () => {
    const logs = await (await fetch(`${proxy.url}/admin/logs`)).text();
    const seen = proxy.output() + logs + JSON.stringify(await admin()) + (await (await fetch(`${proxy.url}/health`)).text());
    for (const secret of [SOCKS_AUTH.password, HTTP_AUTH.password]) assert.ok(!seen.includes(secret), 'a proxy password leaked');
  });
});

describe('outbound proxies from the command line', { timeout: 90_000 }, () => {
  const cli = (args: string[], env: Record<string, string>) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });

  it('accounts --set-proxy sets and clears an account proxy; a bad scheme is refused and changes nothing', async () => {
    const proxy = await startProxy({ accounts: 1, keepDirs: true });
    await proxy.stop();
    const env = { KIRO_PROXY_ENDPOINT: 'http://127.0.0.1:9' };
    const dirs = ['--data-dir', proxy.dataDir, '--token-dir', proxy.tokenDir];
    const listed = await cli(['accounts', ...dirs], env);
    const id = /^([0-9a-f-]{36})\s/m.exec(listed.stdout)![1];
    const set = await cli(['accounts', '--set-proxy', id, `socks5h://${SOCKS_AUTH.user}:${SOCKS_AUTH.password}@127.0.0.1:1080`, ...dirs], env);
    assert.equal(set.status, 0, set.stderr);
    assert.match(set.stdout, /outbound proxy socks5h:\/\/127\.0\.0\.1:1080/);
    assert.ok(!(set.stdout + set.stderr).includes(SOCKS_AUTH.password));
    const bad = await cli(['accounts', '--set-proxy', id, 'gopher://127.0.0.1:70', ...dirs], env);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /scheme "gopher" is not supported: use http:\/\/, https:\/\/, socks5:\/\/ or socks5h:\/\//);
    const cleared = await cli(['accounts', '--set-proxy', id, 'none', ...dirs], env);
    assert.match(cleared.stdout, /no outbound proxy of its own/);
    const badGlobal = await cli(['accounts', '--outbound-proxy', 'socks4://127.0.0.1:1', ...dirs], env);
    assert.notEqual(badGlobal.status, 0);
    assert.match(badGlobal.stderr, /scheme "socks4" is not supported/);
  });

  it('--outbound-proxy socks5h:// carries every account through one SOCKS5 proxy, host names resolved by the proxy', async () => {
    const socks = await startSocks5Proxy();
    try {
      const proxy = await startProxy({ accounts: 2, args: ['--outbound-proxy', socks.url.replace('socks5:', 'socks5h:'), '--kiro-endpoints', 'legacy'] });
      try {
        const anthropic = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
        for (let i = 0; i < 3; i++) await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: `g${i}` }] });
        assert.equal(socks.requests.filter((r) => r === 'POST /generateAssistantResponse').length, proxy.sim.chatRequests().length);
        assert.ok(socks.tunnels.length >= 1);
        assert.ok(socks.tunnels.every((t) => t === new URL(proxy.sim.url).host), socks.tunnels.join(', '));
      } finally {
        await proxy.stop();
      }
    } finally {
      await socks.close();
    }
  });
});
