// Kiro API keys (`ksk_…`) through the built CLI against the simulator, which accepts a key only
// with `tokentype: API_KEY` (docs/kiro-protocol.md §11.3): `kiro-proxy import --api-key` from
// KIRO_API_KEY or standard input, KIRO_API_KEY when serving, and a key Kiro refuses.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { startProxy, startSimulatorOnly, type Simulator } from '../helpers/proxy';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const KEY = 'ksk_' + 'Zq7'.repeat(16);

describe('Kiro API keys through the CLI', { timeout: 60_000 }, () => {
  let sim: Simulator;
  let dir: string;
  const accountsFile = () => join(dir, 'data', 'accounts.json');
  const stored = () => (existsSync(accountsFile()) ? JSON.parse(readFileSync(accountsFile(), 'utf8')).accounts : []);
  // Asynchronous: the simulator runs in this process and must keep answering.
  const run = (args: string[], options: { key?: string; input?: string } = {}) => {
    const env: NodeJS.ProcessEnv = { ...process.env, KIRO_PROXY_ENDPOINT: sim.url };
    delete env.KIRO_API_KEY;
    if (options.key !== undefined) env.KIRO_API_KEY = options.key;
    const child = spawn(process.execPath, [CLI, ...args, '--data-dir', join(dir, 'data'), '--token-dir', join(dir, 'cache')], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => child.kill(), 20_000);
    return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      }),
    );
  };

  before(async () => {
    sim = await startSimulatorOnly({ accounts: [{ authMethod: 'api_key', accessToken: KEY, email: 'keyholder@example.com' }] });
  });
  after(() => sim.close());
  const fresh = () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'kiro-apikey-'));
    sim.requests.length = 0;
  };

  it('import --api-key takes the key from KIRO_API_KEY, checks it with Kiro and keeps it as an API-key account', async () => {
    fresh();
    const result = await run(['import', '--api-key'], { key: KEY });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^added keyholder@example\.com \([0-9a-f-]{36}\)$/m, 'labelled with the e-mail Kiro gave');
    const [account] = stored();
    assert.deepEqual([account.credentials.authMethod, account.credentials.accessToken, account.credentials.refreshToken], ['api_key', KEY, undefined]);
    // Every call carried the key as Kiro expects, and none tried to refresh it.
    assert.ok(sim.requests.length >= 1);
    for (const r of sim.requests) {
      assert.equal(r.headers.authorization, `Bearer ${KEY}`, r.path);
      assert.equal(r.headers.tokentype, 'API_KEY', r.path);
    }
    assert.equal(sim.requests.filter((r) => /refreshToken|\/token$/.test(r.path)).length, 0);
    assert.doesNotMatch(result.stdout + result.stderr, /ksk_/);

    const again = await run(['import', '--api-key'], { key: `  ${KEY}\n` });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^updated /m, 'the same key twice is one account');
    assert.equal(stored().length, 1);
  });

  it('the serving CLI refuses a malformed KIRO_API_KEY before it listens, and stores nothing', async () => {
    fresh();
    const result = await run([], { key: 'ksk_tooshort' });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /not a Kiro API key/);
    assert.doesNotMatch(result.stdout, /listening on/);
    assert.deepEqual(stored(), []);
  });

  it('without KIRO_API_KEY the key comes from standard input', async () => {
    fresh();
    const result = await run(['import', '--api-key'], { input: `${KEY}\n` });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(stored()[0].credentials.accessToken, KEY);
  });

  it('a malformed key, a key on the command line or a key Kiro refuses gets a clear error and changes nothing', async () => {
    fresh();
    assert.equal((await run(['import', '--api-key'], { key: KEY })).status, 0);
    const before = readFileSync(accountsFile(), 'utf8');
    const refused = 'ksk_' + 'N0tKn0wn'.repeat(5);
    for (const [args, options, message] of [
      [['import', '--api-key'], { key: 'ksk_short' }, /not a Kiro API key: a key starts with "ksk_"/],
      [['import', '--api-key'], { key: 'aoa' + 'x'.repeat(40) }, /not a Kiro API key/],
      [['import', '--api-key'], { input: '\n' }, /No Kiro API key given/],
      [['import', '--api-key', refused], {}, /takes no argument: it reads the key from KIRO_API_KEY/],
      [['import', '--api-key'], { key: refused }, /Kiro refused this API key/],
    ] as const) {
      const result = await run([...args], options);
      assert.notEqual(result.status, 0, `${args.join(' ')} ${JSON.stringify(options)}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stdout + result.stderr, /ksk_[A-Za-z0-9]{8}/, 'the key is never echoed');
      assert.equal(readFileSync(accountsFile(), 'utf8'), before, 'nothing changed');
    }
  });
});

describe('KIRO_API_KEY when serving', { timeout: 60_000 }, () => {
  it('serves with the key as one more account; once Kiro refuses it, the account needs a new key and the next one serves', async () => {
    const proxy = await startProxy({
      accounts: 1,
      simOptions: { accounts: [{ id: 'keyed', authMethod: 'api_key', accessToken: KEY, email: 'keyholder@example.com' }] },
      env: { KIRO_API_KEY: KEY },
    });
    try {
      const accounts = async () => ((await (await fetch(`${proxy.url}/admin/accounts`)).json()) as { accounts: Array<Record<string, any>> }).accounts;
      const listed = await accounts();
      assert.equal(listed.length, 2, "the token file's account and the key");
      const keyed = listed.find((a) => a.authMethod === 'api_key')!;
      const other = listed.find((a) => a.authMethod !== 'api_key')!;
      assert.ok(keyed && other, JSON.stringify(listed));
      // Only the key serves while the other account is disabled.
      await fetch(`${proxy.url}/admin/accounts/${other.id}/disable`, { method: 'POST' });

      const anthropic = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
      const ask = (text: string) => anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: text }] });
      assert.deepEqual((await ask('hello')).content, [{ type: 'text', text: 'Echo: hello' }]);
      const [chat] = proxy.sim.chatRequests();
      assert.equal(chat.account, 'keyed');
      assert.equal(chat.headers.tokentype, 'API_KEY');
      assert.equal(chat.body.profileArn, undefined, 'no profile ARN with a key');

      // The key is revoked at Kiro: the account is out with the reason, nothing tries to refresh it.
      proxy.sim.revokeAccessTokens('keyed');
      await assert.rejects(ask('refused'));
      const refused = (await accounts()).find((a) => a.id === keyed.id)!;
      assert.equal(refused.state, 'needs-login');
      assert.match(refused.reason, /Kiro refused this API key/);
      assert.equal(proxy.sim.requests.filter((r) => /refreshToken|\/token$/.test(r.path)).length, 0, 'a key is never refreshed');

      // The next account serves.
      await fetch(`${proxy.url}/admin/accounts/${other.id}/enable`, { method: 'POST' });
      const keyCalls = proxy.sim.chatRequests().length;
      assert.deepEqual((await ask('next')).content, [{ type: 'text', text: 'Echo: next' }]);
      assert.deepEqual(proxy.sim.chatRequests().slice(keyCalls).map((r) => r.account), [proxy.sim.accounts.list().find((a: any) => a.id !== 'keyed').id]);

      const health = await (await fetch(`${proxy.url}/health`)).text();
      const logs = await (await fetch(`${proxy.url}/admin/logs`)).text();
      assert.doesNotMatch(proxy.output() + health + logs + JSON.stringify(await accounts()), /ksk_/, 'the key is in no output and no answer');
    } finally {
      await proxy.stop();
    }
  });
});
