// Persistence: the file store's atomic 0600 writes, restarts, and the IDE's token file left alone.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../src/proxy/config';
import { classifyKiroFailure } from '../../src/proxy/kiro/errors';
import type { StoredAccount } from '../../src/proxy/pool/account';
import { ManualClock } from '../../src/proxy/pool/clock';
import { AccountPool } from '../../src/proxy/pool/pool';
import { FileAccountStore } from '../../src/proxy/pool/store';
import { useSimulator } from '../helpers/pool';
import { waitFor } from '../helpers/http';

const none = new Set<string>();

function fakeAccount(id: string, n = 0): StoredAccount {
  return {
    id,
    credentials: { accessToken: `aoa-${id}-${n}`, authMethod: 'social', region: 'us-east-1', machineId: 'f'.repeat(64) },
    enabled: true,
    priority: 0,
    status: 'ok',
    counters: { requests: n, errors: 0, credits: 0 },
    addedAt: 1,
  };
}

describe('FileAccountStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kp-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts empty, round-trips, writes mode 0600 and leaves no temp files', async () => {
    const store = new FileAccountStore(join(dir, 'data'));
    assert.deepEqual(await store.load(), []);
    await store.save([fakeAccount('a'), fakeAccount('b')]);
    assert.deepEqual((await store.load()).map((a) => a.id), ['a', 'b']);
    if (process.platform !== 'win32') assert.equal(statSync(store.file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(dir, 'data')), ['accounts.json']);
  });

  it('serialises concurrent saves: the last one wins, nothing interleaves', async () => {
    const store = new FileAccountStore(dir);
    await Promise.all(Array.from({ length: 25 }, (_, n) => store.save([fakeAccount('a', n), fakeAccount('b', n)])));
    const loaded = await store.load();
    assert.deepEqual(loaded.map((a) => a.counters.requests), [24, 24]);
    assert.deepEqual(readdirSync(dir), ['accounts.json']);
  });

  it('refuses a corrupt file instead of starting empty (and so overwriting it)', async () => {
    writeFileSync(join(dir, 'accounts.json'), '{"accounts": [');
    await assert.rejects(new FileAccountStore(dir).load(), /not valid JSON/);
  });

  it('shared by two processes: a save keeps what the other added and its fresher tokens, and drops what this one removed', async () => {
    const proxy = new FileAccountStore(dir); // the running proxy
    const login = new FileAccountStore(dir); // `kiro-proxy login` in another terminal
    await proxy.save([fakeAccount('a'), fakeAccount('b')]);
    const loaded = await login.load();
    // The proxy refreshes a (its refresh token rotates); the login adds c from what it loaded.
    const refreshed = { ...fakeAccount('a', 7), credentials: { ...fakeAccount('a', 7).credentials, expiresAt: 2_000 } };
    await proxy.save([refreshed, fakeAccount('b', 7)]);
    await login.save([...loaded, fakeAccount('c')]);
    const afterLogin = await new FileAccountStore(dir).load();
    assert.deepEqual(afterLogin.map((a) => a.id), ['a', 'b', 'c']);
    assert.equal(afterLogin[0].credentials.accessToken, 'aoa-a-7', "the login did not put a's old token back");
    // The proxy saves its counters, knowing nothing of c yet: c stays. Then it removes b.
    await proxy.save([refreshed, fakeAccount('b', 8)]);
    assert.deepEqual((await new FileAccountStore(dir).load()).map((a) => [a.id, a.counters.requests]), [['a', 7], ['b', 8], ['c', 0]]);
    await proxy.save([refreshed]);
    assert.deepEqual((await new FileAccountStore(dir).load()).map((a) => a.id), ['a', 'c']);
  });

  it("a writer's stale copy never undoes another's state change, and a writer's own change is never undone by its earlier write", async () => {
    const proxy = new FileAccountStore(dir);
    const login = new FileAccountStore(dir);
    await proxy.save([fakeAccount('x')]);
    await proxy.load();
    await login.load(); // then waits a minute for the device code
    const exhausted: StoredAccount = { ...fakeAccount('x', 3), status: 'exhausted', until: 5_000, reason: 'Monthly Kiro credits used up.' };
    await proxy.save([exhausted]);
    await login.save([fakeAccount('x'), fakeAccount('y')]);
    const afterLogin = await new FileAccountStore(dir).load();
    assert.deepEqual(afterLogin.map((a) => [a.id, a.status, a.counters.requests]), [['x', 'exhausted', 3], ['y', 'ok', 0]]);

    // The user signs in again with tokens that expire sooner than the dead ones: they stay.
    const dead = { ...fakeAccount('x', 4), credentials: { ...fakeAccount('x').credentials, refreshToken: 'aor-dead', expiresAt: 2_000 } };
    await proxy.load();
    await proxy.save([dead]);
    const renewed = { ...dead, credentials: { ...dead.credentials, refreshToken: 'aor-new', expiresAt: 1_000 } };
    await proxy.save([renewed]);
    await proxy.save([{ ...renewed, counters: { requests: 5, errors: 0, credits: 0 } }]);
    assert.equal((await new FileAccountStore(dir).load()).find((a) => a.id === 'x')?.credentials.refreshToken, 'aor-new');
  });

  it("tells a watcher about another process's writes, not about its own", async () => {
    const proxy = new FileAccountStore(dir);
    await proxy.load();
    let heard = 0;
    let reloaded: Promise<StoredAccount[]> | undefined;
    // As the pool does: reload on the news.
    const unwatch = proxy.watch(() => {
      heard++;
      reloaded = proxy.load();
    });
    try {
      await proxy.save([fakeAccount('a')]);
      await new FileAccountStore(dir).save([fakeAccount('a'), fakeAccount('z')]);
      await waitFor(() => heard === 1, 3_000, 'the foreign write noticed');
      assert.deepEqual((await reloaded)?.map((a) => a.id), ['a', 'z']);
      await proxy.save([fakeAccount('a', 1), fakeAccount('z')]);
      await new Promise((resolve) => setTimeout(resolve, 300)); // its own write's events have come and gone
      assert.equal(heard, 1, 'its own writes are not reported');

      // A foreign write that lands just before ours is folded into ours: still reported.
      await new FileAccountStore(dir).save([fakeAccount('a', 1), fakeAccount('z'), fakeAccount('y')]);
      await proxy.save([fakeAccount('a', 2), fakeAccount('z')]);
      await waitFor(() => heard === 2, 3_000, 'the folded-in write reported');
    } finally {
      unwatch();
    }
  });
});

describe('AccountPool over a FileAccountStore', () => {
  const kiro = useSimulator();
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kp-pool-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const makePool = (clock: ManualClock) =>
    new AccountPool({
      config: defaultConfig({ kiroEndpoint: kiro.sim.url, tokenDir: join(dir, 'sso'), dataDir: join(dir, 'data') }),
      http: kiro.http,
      store: new FileAccountStore(join(dir, 'data')),
      clock,
      watchTokenDir: false,
    });

  it('accounts, states and counters survive a restart', async () => {
    const clock = new ManualClock(Date.now());
    kiro.sim.makeTokenFile(join(dir, 'sso'), kiro.sim.addAccount({}));
    const first = makePool(clock);
    await first.init(); // empty store: scans the token folder
    const [{ id }] = first.list();
    await first.acquire({ exclude: none });
    first.reportSuccess(id, { credits: 1.5 });
    first.reportFailure(id, classifyKiroFailure(429, '{}', {}));
    await first.setPriority(id, 3);
    await first.flush(); // the background saves reached the file

    const second = makePool(clock);
    await second.init();
    const view = second.view(id);
    assert.equal(view.state, 'cooldown');
    assert.equal(view.cooldownUntil, clock.now() + 300_000);
    assert.deepEqual(view.counters, { requests: 1, errors: 1, credits: 1.5 });
    assert.equal(view.priority, 3);
    assert.equal(view.machineId, first.view(id).machineId);
    const stat = statSync(join(dir, 'data', 'accounts.json'));
    if (process.platform !== 'win32') assert.equal(stat.mode & 0o777, 0o600);
  });

  it('never writes the IDE token file: byte for byte unchanged after refreshes', async () => {
    const clock = new ManualClock(Date.now());
    const account = kiro.sim.addAccount({ expiresInSec: 60, rotateRefreshToken: true });
    const { tokenPath } = kiro.sim.makeTokenFile(join(dir, 'sso'), account);
    const before = readFileSync(tokenPath);
    const mtime = statSync(tokenPath).mtimeMs;
    const pool = makePool(clock);
    await pool.init();
    const [{ id }] = pool.list();
    await pool.acquire({ exclude: none }); // refresh ahead of expiry
    await pool.refresh(id);
    assert.equal(kiro.sim.refreshCount(account.id), 2);
    assert.deepEqual(readFileSync(tokenPath), before);
    assert.equal(statSync(tokenPath).mtimeMs, mtime);
    // Our own copy has the rotated token.
    const stored = JSON.parse(readFileSync(join(dir, 'data', 'accounts.json'), 'utf8'));
    assert.equal(stored.accounts[0].credentials.refreshToken, kiro.sim.account(account.id).refreshToken);
  });
});
