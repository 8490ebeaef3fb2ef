// The account pool against the Kiro simulator, with a manual clock for cooldowns and expiry.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, type ProxyConfig } from '../../src/proxy/config';
import { ProxyError } from '../../src/proxy/errors';
import { classifyKiroFailure, type KiroFailure } from '../../src/proxy/kiro/errors';
import { AccountPool, type PoolChange } from '../../src/proxy/pool/pool';
import { ManualClock } from '../../src/proxy/pool/clock';
import { MemoryAccountStore } from '../../src/proxy/pool/store';
import type { StoredAccount } from '../../src/proxy/pool/account';
import { importSimAccount, useSimulator } from '../helpers/pool';

const none = new Set<string>();
const throttled: KiroFailure = classifyKiroFailure(429, '{"message":"Too many requests, please wait before trying again.","reason":null}', {});

/** Answers `load` with the accounts as they were when it was called, but only once `held` settles: a slow read. */
class SlowStore extends MemoryAccountStore {
  held: Promise<void> = Promise.resolve();

  override async load(): Promise<StoredAccount[]> {
    const accounts = await super.load();
    await this.held;
    return accounts;
  }
}

describe('AccountPool', () => {
  const kiro = useSimulator();
  let clock: ManualClock;
  let pool: AccountPool;
  let config: ProxyConfig;

  beforeEach(() => {
    clock = new ManualClock(Date.now());
    config = defaultConfig({ kiroEndpoint: kiro.sim.url, maxWaitSeconds: 30, cooldownSeconds: 300, tokenDir: '/nonexistent' });
    pool = new AccountPool({ config, http: kiro.http, store: new MemoryAccountStore(), clock, scanWhenEmpty: false, watchTokenDir: false });
  });
  afterEach(() => pool.stop());

  const addSimAccount = (spec?: Record<string, unknown>) => importSimAccount(pool, kiro.sim, spec);

  it('throws a clear error when there is no account, with a status clients do not retry', async () => {
    await assert.rejects(pool.acquire({ exclude: none }), (err: ProxyError) => {
      assert.equal(err.status, 403);
      assert.equal(err.retryAfterSeconds, undefined);
      assert.match(err.message, /No Kiro account is available: add one/);
      return true;
    });
  });

  it('429 cools the account down, and the cooldown ends by itself with a change event', async () => {
    const { id } = await addSimAccount();
    const changes: PoolChange[] = [];
    pool.on('change', (c) => changes.push(c));
    pool.reportFailure(id, throttled);
    assert.equal(pool.view(id).state, 'cooldown');
    assert.equal(pool.view(id).cooldownUntil, clock.now() + 300_000);
    await clock.advance(299_000);
    assert.equal(pool.view(id).state, 'cooldown');
    await clock.advance(1_000);
    assert.equal(pool.view(id).state, 'active');
    const last = changes.at(-1);
    assert.ok(last && last.type === 'updated' && last.previousState === 'cooldown' && last.account.state === 'active');
  });

  it('honours a longer Retry-After and gives suspicious activity a long cooldown', async () => {
    const { id: a } = await addSimAccount();
    const { id: b } = await addSimAccount();
    pool.reportFailure(a, classifyKiroFailure(429, '{"message":"slow"}', { 'retry-after': '900' }));
    assert.equal(pool.view(a).cooldownUntil, clock.now() + 900_000);
    const suspicious = classifyKiroFailure(429, JSON.stringify({ message: 'Due to suspicious activity, we are imposing temporary limits on how frequently your account (x) can send a request to Kiro while we investigate.' }), {});
    assert.equal(suspicious.kind, 'suspicious');
    pool.reportFailure(b, suspicious);
    assert.equal(pool.view(b).cooldownUntil, clock.now() + 3_600_000);
    assert.match(pool.view(b).reason ?? '', /suspicious activity/);
  });

  it('403 TEMPORARILY_SUSPENDED suspends the account and it is skipped', async () => {
    const { id: a } = await addSimAccount();
    const { id: b } = await addSimAccount();
    pool.reportFailure(a, classifyKiroFailure(403, '{"message":"Your User ID (x) temporarily is suspended.","reason":"TEMPORARILY_SUSPENDED"}', {}));
    assert.equal(pool.view(a).state, 'suspended');
    assert.match(pool.view(a).reason ?? '', /suspended/);
    for (let i = 0; i < 3; i++) assert.equal((await pool.acquire({ exclude: none })).accountId, b);
  });

  it('402 parks the account until the reset date from getUsageLimits', async () => {
    const reset = Math.floor(clock.now() / 1000) + 12 * 86400;
    const { id } = await addSimAccount({ nextDateReset: reset });
    pool.reportFailure(id, classifyKiroFailure(402, '{"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}', {}));
    assert.equal(pool.view(id).state, 'exhausted');
    // Until getUsageLimits answers, the 1st of next month UTC stands.
    const d = new Date(clock.now());
    assert.equal(pool.view(id).exhaustedUntil, Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
    await waitFor(() => pool.view(id).exhaustedUntil === reset * 1000);
    await assert.rejects(pool.acquire({ exclude: none }), /exhausted/);
    await clock.advance(12 * 86400_000);
    assert.equal(pool.view(id).state, 'expired'); // back in rotation; its token refreshes on use
  });

  it('400 cools nothing and counts no error', async () => {
    const { id } = await addSimAccount();
    pool.reportFailure(id, classifyKiroFailure(400, '{"message":"Improperly formed request.","reason":null}', {}));
    pool.reportFailure(id, classifyKiroFailure(400, '{"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}', {}));
    assert.equal(pool.view(id).state, 'active');
    assert.equal(pool.view(id).counters.errors, 0);
  });

  it('5xx counts an error but changes no state', async () => {
    const { id } = await addSimAccount();
    pool.reportFailure(id, classifyKiroFailure(500, '{"message":"boom"}', {}));
    assert.equal(pool.view(id).state, 'active');
    assert.equal(pool.view(id).counters.errors, 1);
  });

  it('refreshes a token that expires within refreshAheadMinutes before handing it out', async () => {
    const { id, sim: a } = await addSimAccount({ expiresInSec: 120 });
    const stale = a.accessToken;
    const lease = await pool.acquire({ exclude: none });
    assert.equal(lease.accountId, id);
    assert.notEqual(lease.credentials.accessToken, stale);
    assert.equal(lease.credentials.accessToken, kiro.sim.account(a.id).accessToken);
    assert.equal(kiro.sim.refreshCount(a.id), 1);
    assert.ok((pool.view(id).tokenExpiresAt ?? 0) > clock.now() + 30 * 60_000);
  });

  it('concurrent acquires share one refresh', async () => {
    const { sim: a } = await addSimAccount({ expiresInSec: 60, refreshDelayMs: 50 });
    const leases = await Promise.all(Array.from({ length: 8 }, () => pool.acquire({ exclude: none })));
    assert.equal(kiro.sim.refreshCount(a.id), 1);
    assert.equal(new Set(leases.map((l) => l.credentials.accessToken)).size, 1);
  });

  it('persists a rotated refresh token before handing out the new access token', async () => {
    const store = new MemoryAccountStore();
    pool = new AccountPool({ config, http: kiro.http, store, clock, scanWhenEmpty: false, watchTokenDir: false });
    const { sim: a } = await addSimAccount({ expiresInSec: 60, rotateRefreshToken: true });
    const oldRefresh = a.refreshToken;
    const lease = await pool.acquire({ exclude: none });
    const [saved] = await store.load();
    assert.notEqual(kiro.sim.account(a.id).refreshToken, oldRefresh);
    assert.equal(saved.credentials.refreshToken, kiro.sim.account(a.id).refreshToken);
    assert.equal(saved.credentials.accessToken, lease.credentials.accessToken);
  });

  it('invalid_grant marks the account needs-login with a reason and fails over', async () => {
    const { id: dead, sim: a } = await addSimAccount({ expiresInSec: 60 });
    kiro.sim.revokeRefreshToken(a.id);
    await assert.rejects(pool.acquire({ exclude: none }), (err: ProxyError) => /needs-login/.test(err.message));
    assert.equal(pool.view(dead).state, 'needs-login');
    assert.match(pool.view(dead).reason ?? '', /invalid_grant.*Sign in/);
    const { id: good } = await addSimAccount();
    assert.equal((await pool.acquire({ exclude: none })).accountId, good);
  });

  it('refreshAheadMinutes beyond half a token\'s lifetime is clamped: no refresh on every request and tick', async () => {
    config.refreshAheadMinutes = 720;
    const { sim: a } = await addSimAccount({ expiresInSec: 3600 });
    for (let i = 0; i < 3; i++) await pool.acquire({ exclude: none });
    await pool.runMaintenance();
    assert.equal(kiro.sim.refreshCount(a.id), 0, 'an hour left on a token of unknown age: not yet');
    await clock.advance(31 * 60_000);
    await pool.acquire({ exclude: none });
    assert.equal(kiro.sim.refreshCount(a.id), 1, 'less than half an hour left: refreshed');
    for (let i = 0; i < 3; i++) await pool.acquire({ exclude: none });
    await pool.runMaintenance();
    assert.equal(kiro.sim.refreshCount(a.id), 1, 'the new one-hour token serves half its life before the next refresh');
    await clock.advance(31 * 60_000);
    await pool.acquire({ exclude: none });
    assert.equal(kiro.sim.refreshCount(a.id), 2);
  });

  it('a reload keeps tokens refreshed while it read the store, rotated refresh token included', async () => {
    const store = new SlowStore();
    pool = new AccountPool({ config, http: kiro.http, store, clock, scanWhenEmpty: false, watchTokenDir: false });
    const { id, sim: a } = await addSimAccount({ rotateRefreshToken: true });
    let answer!: () => void;
    store.held = new Promise((resolve) => (answer = resolve));
    await clock.advance(60_000);
    const reloading = pool.reload(); // reads the store now, answers after the refresh
    await pool.refresh(id);
    answer();
    await reloading;
    const current = kiro.sim.account(a.id);
    const lease = await pool.acquire({ exclude: none });
    assert.equal(lease.credentials.accessToken, current.accessToken);
    assert.equal(lease.credentials.refreshToken, current.refreshToken);
    await pool.flush();
    const [saved] = await store.load();
    assert.equal(saved.credentials.refreshToken, current.refreshToken, 'the store does not go back to the dead refresh token');
  });

  it('a refresh that a reload overtook hands out the new token', async () => {
    const { id, sim: a } = await addSimAccount({ refreshDelayMs: 50 });
    await clock.advance(60_000);
    const refreshing = pool.forceRefresh(id);
    await pool.reload(); // replaces the account with the stored copy while Kiro answers
    const credentials = await refreshing;
    assert.equal(credentials.accessToken, kiro.sim.account(a.id).accessToken);
    assert.equal((await pool.acquire({ exclude: none })).credentials.accessToken, credentials.accessToken);
  });

  it('forceRefresh gets a new access token after a 403 bearer invalid', async () => {
    const { id, sim: a } = await addSimAccount();
    const before = (await pool.acquire({ exclude: none })).credentials.accessToken;
    kiro.sim.revokeAccessTokens(a.id);
    const creds = await pool.forceRefresh(id);
    assert.notEqual(creds.accessToken, before);
    assert.equal((await pool.acquire({ exclude: none })).credentials.accessToken, creds.accessToken);
  });

  it('a dead access token is refreshed once, however many requests saw it fail', async () => {
    const { id, sim: a } = await addSimAccount();
    const leases = await Promise.all(Array.from({ length: 3 }, () => pool.acquire({ exclude: none })));
    const dead = leases[0].credentials.accessToken;
    kiro.sim.revokeAccessTokens(a.id);
    // Each request's 403 arrives after the one before it got its new token.
    const renewed = [];
    for (const lease of leases) renewed.push((await pool.forceRefresh(id, lease.credentials.accessToken)).accessToken);
    assert.equal(kiro.sim.refreshCount(a.id), 1);
    assert.deepEqual(new Set(renewed), new Set([kiro.sim.account(a.id).accessToken]));
    // The new token dies as well: it is refreshed once more, and a late 403 for the first joins that refresh.
    kiro.sim.revokeAccessTokens(a.id);
    const [again, late] = await Promise.all([pool.forceRefresh(id, renewed[0]), pool.forceRefresh(id, dead)]);
    assert.equal(kiro.sim.refreshCount(a.id), 2);
    assert.equal(late.accessToken, again.accessToken);
    await pool.refresh(id);
    assert.equal(kiro.sim.refreshCount(a.id), 3, 'asked for by the user: always');
  });

  it('a 403 that no new token fixes rests the account for 30 minutes, with the reason', async () => {
    const { id: denied } = await addSimAccount();
    const { id: other } = await addSimAccount();
    const failure = classifyKiroFailure(403, '{"message":"This feature is not supported.","reason":"FEATURE_NOT_SUPPORTED"}', {});
    assert.equal(failure.kind, 'auth');
    pool.reportFailure(denied, failure);
    assert.equal(pool.view(denied).state, 'cooldown');
    assert.equal(pool.view(denied).cooldownUntil, clock.now() + 30 * 60_000);
    assert.match(pool.view(denied).reason ?? '', /refused this account \(403 FEATURE_NOT_SUPPORTED: This feature is not supported\.\)/);
    for (let i = 0; i < 3; i++) assert.equal((await pool.acquire({ exclude: none })).accountId, other);
    await assert.rejects(pool.acquire({ exclude: new Set([other]) }), (err: ProxyError) => {
      assert.equal(err.kind, 'rate_limit');
      assert.match(err.message, /cooling down.*FEATURE_NOT_SUPPORTED/);
      return true;
    });
  });

  it('least-used spreads requests; round-robin and priority order them', async () => {
    const a = (await addSimAccount()).id;
    const b = (await addSimAccount()).id;
    const picks = [];
    for (let i = 0; i < 4; i++) picks.push((await pool.acquire({ exclude: none })).accountId);
    assert.deepEqual(picks, [a, b, a, b]);
    config.strategy = 'priority';
    await pool.setPriority(b, -1);
    assert.equal((await pool.acquire({ exclude: none })).accountId, b);
    assert.equal((await pool.acquire({ exclude: none })).accountId, b);
    config.strategy = 'round-robin';
    const rr = [];
    for (let i = 0; i < 3; i++) rr.push((await pool.acquire({ exclude: none })).accountId);
    assert.deepEqual(rr, [a, b, a]);
  });

  it('least-used compares recent load, not lifetime totals: an account back in rotation shares new sessions evenly', async () => {
    const a = (await addSimAccount()).id;
    const b = (await addSimAccount()).id;
    const c = (await addSimAccount()).id;
    await pool.setEnabled(c, false);
    for (let i = 0; i < 40; i++) {
      pool.release(await pool.acquire({ exclude: none }));
      await clock.advance(15_000);
    }
    await clock.advance(10 * 60_000);
    await pool.setEnabled(c, true);
    const picks: Record<string, number> = { [a]: 0, [b]: 0, [c]: 0 };
    for (let i = 0; i < 6; i++) {
      picks[(await pool.acquire({ sessionKey: `new${i}`, exclude: none })).accountId]++;
      await clock.advance(10_000);
    }
    assert.deepEqual(Object.values(picks), [2, 2, 2]);
    assert.deepEqual([a, b, c].map((id) => pool.view(id).counters.requests), [22, 22, 2], 'lifetime counters are still kept');
  });

  it('keeps a session on one account with one conversationId, and moves it when that account cools', async () => {
    const a = (await addSimAccount()).id;
    const b = (await addSimAccount()).id;
    const first = await pool.acquire({ sessionKey: 's1', exclude: none });
    pool.release(first);
    for (let i = 0; i < 3; i++) {
      pool.release(await pool.acquire({ exclude: none })); // other traffic makes the other account less used
      const again = await pool.acquire({ sessionKey: 's1', exclude: none });
      assert.equal(again.accountId, first.accountId);
      assert.equal(again.conversationId, first.conversationId);
      pool.release(again);
      await clock.advance(30_000); // sliding 60 s window
    }
    pool.reportFailure(first.accountId, throttled);
    const moved = await pool.acquire({ sessionKey: 's1', exclude: none });
    assert.equal(moved.accountId, first.accountId === a ? b : a);
    assert.notEqual(moved.conversationId, first.conversationId);
    const other = await pool.acquire({ exclude: none });
    assert.notEqual(other.conversationId, moved.conversationId);
  });

  it('a session is live while its request runs, however long, and its window counts from the end', async () => {
    await addSimAccount();
    await addSimAccount();
    const first = await pool.acquire({ sessionKey: 's1', exclude: none });
    pool.release(await pool.acquire({ exclude: none })); // the other account is as loaded
    await clock.advance(5 * 60_000); // a five-minute reply
    const parallel = await pool.acquire({ sessionKey: 's1', exclude: none });
    assert.equal(parallel.accountId, first.accountId);
    assert.equal(parallel.conversationId, first.conversationId);
    pool.release(parallel);
    await clock.advance(60_000);
    pool.release(first);
    pool.release(first); // a second release changes nothing
    await clock.advance(59_000);
    const next = await pool.acquire({ sessionKey: 's1', exclude: none });
    assert.equal(next.conversationId, first.conversationId, 'the next turn, 59 s after the reply ended');
    pool.release(next);
    await clock.advance(60_000);
    const idle = await pool.acquire({ sessionKey: 's1', exclude: none });
    assert.notEqual(idle.conversationId, first.conversationId, 'a minute idle: a new conversation');
  });

  it('stickinessSeconds 0 turns stickiness off, even while a request of the session runs', async () => {
    config.stickinessSeconds = 0;
    await addSimAccount();
    await addSimAccount();
    const first = await pool.acquire({ sessionKey: 's1', exclude: none });
    const parallel = await pool.acquire({ sessionKey: 's1', exclude: none });
    assert.notEqual(parallel.accountId, first.accountId);
    assert.notEqual(parallel.conversationId, first.conversationId);
  });

  it('skips excluded accounts, and uses avoided ones only as a last resort', async () => {
    const a = (await addSimAccount()).id;
    const b = (await addSimAccount()).id;
    assert.equal((await pool.acquire({ exclude: new Set([a]) })).accountId, b);
    assert.equal((await pool.acquire({ exclude: none, avoid: new Set([a]) })).accountId, b);
    assert.equal((await pool.acquire({ exclude: new Set([b]), avoid: new Set([a]) })).accountId, a);
    await assert.rejects(pool.acquire({ exclude: new Set([a, b]) }), /tried for this request/);
  });

  it('retries after every account failed once alternate between them, even in a sticky session', async () => {
    const a = (await addSimAccount()).id;
    const b = (await addSimAccount()).id;
    const first = await pool.acquire({ sessionKey: 's-retry', exclude: none });
    pool.release(first);
    const both = new Set([a, b]);
    const picks: string[] = [];
    for (let i = 0; i < 4; i++) {
      const lease = await pool.acquire({ sessionKey: 's-retry', exclude: none, avoid: both });
      picks.push(lease.accountId);
      pool.release(lease);
    }
    assert.deepEqual(new Set(picks), both, `retries went to ${picks.join(', ')}`);
  });

  it('skips accounts whose model list lacks the model, but not for unlisted (hidden) models', async () => {
    const narrow = (await addSimAccount({ models: ['claude-sonnet-4'] })).id;
    const wide = (await addSimAccount()).id;
    await pool.refreshQuota(narrow);
    await pool.refreshQuota(wide);
    assert.deepEqual(pool.view(narrow).models, ['claude-sonnet-4']);
    for (let i = 0; i < 3; i++) assert.equal((await pool.acquire({ kiroModel: 'claude-opus-4.5', exclude: none })).accountId, wide);
    const hidden = new Set<string>();
    for (let i = 0; i < 8; i++) hidden.add((await pool.acquire({ kiroModel: 'claude-3.7-sonnet', exclude: none })).accountId);
    assert.equal(hidden.size, 2);
  });

  it('availableModels unites the enabled accounts\' model lists', async () => {
    assert.equal(pool.availableModels(), undefined, 'unknown before any account reported models');
    const sonnet = (await addSimAccount({ models: ['claude-sonnet-4.5', 'claude-haiku-4.5'] })).id;
    const opus = (await addSimAccount({ models: ['claude-opus-4.5'] })).id;
    await pool.refreshQuota(sonnet);
    await pool.refreshQuota(opus);
    assert.deepEqual([...pool.availableModels()!].sort(), ['claude-haiku-4.5', 'claude-opus-4.5', 'claude-sonnet-4.5']);
    const all = pool.availableModels();
    assert.equal(pool.availableModels(), all, 'kept while no list changed');
    await pool.setEnabled(opus, false);
    assert.deepEqual([...pool.availableModels()!].sort(), ['claude-haiku-4.5', 'claude-sonnet-4.5'], 'a disabled account does not count');
    await pool.setEnabled(opus, true);
    assert.deepEqual([...pool.availableModels()!].sort(), ['claude-haiku-4.5', 'claude-opus-4.5', 'claude-sonnet-4.5'], 'enabled again, it counts again');
    await pool.remove(sonnet);
    assert.deepEqual([...pool.availableModels()!], ['claude-opus-4.5'], 'a removed account does not count');
  });

  it('when every account cools, acquire waits and is served when one recovers', async () => {
    const a = (await addSimAccount()).id;
    const b = (await addSimAccount()).id;
    pool.reportFailure(a, classifyKiroFailure(429, '{}', { 'retry-after': '20' }));
    config.cooldownSeconds = 10;
    pool.reportFailure(b, classifyKiroFailure(429, '{}', {}));
    let served: string | undefined;
    const waiting = pool.acquire({ exclude: none }).then((l) => (served = l.accountId));
    await clock.advance(9_000);
    assert.equal(served, undefined);
    await clock.advance(1_000);
    await waiting;
    assert.equal(served, b);
  });

  it('when every account cools beyond maxWait, acquire throws rate_limit with a real Retry-After', async () => {
    const a = (await addSimAccount()).id;
    pool.reportFailure(a, throttled);
    await clock.advance(100_000);
    await assert.rejects(pool.acquire({ exclude: none }), (err: ProxyError) => {
      assert.equal(err.kind, 'rate_limit');
      assert.equal(err.retryAfterSeconds, 200);
      return true;
    });
  });

  it('a waiting acquire is abortable', async () => {
    const a = (await addSimAccount()).id;
    config.cooldownSeconds = 20;
    pool.reportFailure(a, throttled);
    const abort = new AbortController();
    const waiting = pool.acquire({ exclude: none, signal: abort.signal });
    abort.abort();
    await assert.rejects(waiting, /Client closed/);
  });

  it('clearCooldowns puts every cooling account back and wakes waiters', async () => {
    const a = (await addSimAccount()).id;
    const b = (await addSimAccount()).id;
    config.cooldownSeconds = 25;
    pool.reportFailure(a, throttled);
    pool.reportFailure(b, throttled);
    const waiting = pool.acquire({ exclude: none });
    assert.equal(pool.clearCooldowns(), 2);
    assert.ok([a, b].includes((await waiting).accountId));
    assert.deepEqual(pool.list().map((v) => v.state), ['active', 'active']);
    assert.equal(pool.clearCooldowns(), 0);
  });

  it('disabled accounts are skipped and listed with their reason', async () => {
    const a = (await addSimAccount()).id;
    await pool.setEnabled(a, false);
    await assert.rejects(pool.acquire({ exclude: none }), /disabled/);
    await pool.setEnabled(a, true);
    assert.equal((await pool.acquire({ exclude: none })).accountId, a);
  });

  it('counts requests and credits, and refreshQuota labels the account with its e-mail', async () => {
    const { id, sim: a } = await addSimAccount({ email: 'dev@example.com', plan: 'pro', currentUsage: 12.5 });
    assert.match(pool.view(id).label, /^Google [0-9a-f]{6}$/);
    await pool.acquire({ exclude: none });
    pool.reportSuccess(id, { credits: 0.25 });
    pool.reportSuccess(id, { credits: 0.5 });
    await pool.refreshQuota(id);
    const view = pool.view(id);
    assert.deepEqual(view.counters, { requests: 1, errors: 0, credits: 0.75 });
    assert.equal(view.label, 'dev@example.com');
    assert.equal(view.quota?.plan, 'KIRO PRO');
    assert.equal(view.quota?.used, 12.5);
    assert.equal(view.quota?.limit, 1000);
    assert.equal(view.quota?.resetAt, a.nextDateReset * 1000);
  });

  it('views carry no secrets', async () => {
    const { sim: a } = await addSimAccount({ authMethod: 'idc' });
    const text = JSON.stringify(pool.list());
    for (const secret of [a.accessToken, a.refreshToken, a.clientSecret]) assert.ok(!text.includes(secret));
    assert.match(pool.list()[0].machineId, /^[0-9a-f]{64}$/);
  });

  it('the background scheduler refreshes ahead of expiry and fetches quotas, and stops', async () => {
    const { id, sim: a } = await addSimAccount({ expiresInSec: 30 * 60 });
    pool.start();
    await clock.advance(1_000);
    await waitFor(() => pool.view(id).quota !== undefined);
    assert.equal(kiro.sim.refreshCount(a.id), 0);
    await clock.advance(21 * 60_000); // now 9 min before expiry: inside refreshAheadMinutes (10)
    await waitFor(() => kiro.sim.refreshCount(a.id) === 1);
    pool.stop();
    assert.equal(clock.pendingTimers(), 0);
  });
});

async function waitFor(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
