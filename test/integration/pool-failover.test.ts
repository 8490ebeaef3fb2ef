// The pool driven the way the exchange drives it, over real generateAssistantResponse calls to
// the simulator: Kiro's actual error replies are classified and move accounts out of rotation.
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../../src/proxy/config';
import { sendChat } from '../../src/proxy/kiro/chat';
import { kiroHosts } from '../../src/proxy/kiro/endpoints';
import { classifyKiroFailure, type KiroFailure } from '../../src/proxy/kiro/errors';
import { buildKiroRequest } from '../../src/proxy/kiro/request';
import { ManualClock } from '../../src/proxy/pool/clock';
import { AccountPool } from '../../src/proxy/pool/pool';
import { MemoryAccountStore } from '../../src/proxy/pool/store';
import { importSimAccount, useSimulator } from '../helpers/pool';

describe('pool failover over the simulator', () => {
  const kiro = useSimulator({ chunking: 'single' });
  let pool: AccountPool;
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock(Date.now());
    pool = new AccountPool({
      config: defaultConfig({ kiroEndpoint: kiro.sim.url, tokenDir: '/nonexistent' }),
      http: kiro.http,
      store: new MemoryAccountStore(),
      clock,
      scanWhenEmpty: false,
      watchTokenDir: false,
    });
  });

  const addAccount = () => importSimAccount(pool, kiro.sim);

  /** One user turn, sent like the exchange does: acquire, call, release, report, fail over (≤ 5 tries). */
  async function ask(): Promise<{ accountId: string; failures: KiroFailure[] }> {
    const exclude = new Set<string>();
    const refreshed = new Set<string>();
    const failures: KiroFailure[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const lease = await pool.acquire({ sessionKey: 'session-1', kiroModel: 'claude-sonnet-4.5', exclude });
      const conversation = { model: 'claude-sonnet-4.5', system: '', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hi' }] }], tools: [] };
      const built = buildKiroRequest(conversation, { kiroModel: 'claude-sonnet-4.5', profileArn: lease.credentials.profileArn, conversationId: lease.conversationId });
      // One host family: these tests count the pool's answers to failures, not endpoint fallbacks.
      const res = await sendChat(kiro.http, kiroHosts(kiro.sim.url, { mode: () => 'legacy' }), lease.credentials, built.bytes, AbortSignal.timeout(5000));
      const text = res.text ?? (await res.body.text());
      pool.release(lease);
      if (res.status === 200) {
        pool.reportSuccess(lease.accountId, { credits: 0.01 });
        return { accountId: lease.accountId, failures };
      }
      const failure = classifyKiroFailure(res.status, text, res.headers);
      failures.push(failure);
      pool.reportFailure(lease.accountId, failure);
      if (failure.kind === 'bearer_invalid' && !refreshed.has(lease.accountId)) {
        refreshed.add(lease.accountId);
        await pool.forceRefresh(lease.accountId, lease.credentials.accessToken);
        continue;
      }
      exclude.add(lease.accountId);
    }
    throw new Error('no account served');
  }

  it('429 and 403 TEMPORARILY_SUSPENDED fail over; the accounts leave rotation', async () => {
    const one = await addAccount();
    const two = await addAccount();
    const three = await addAccount();
    kiro.sim.setBehavior(one.sim.id, { error: 'throttled', retryAfter: 600 });
    kiro.sim.setAccount(two.sim.id, { suspended: true });
    const { accountId, failures } = await ask();
    assert.equal(accountId, three.id);
    assert.deepEqual(failures.map((f) => f.kind), ['throttled', 'suspended']);
    assert.equal(pool.view(one.id).state, 'cooldown');
    assert.equal(pool.view(one.id).cooldownUntil, clock.now() + 600_000); // Retry-After beat the 300 s default
    assert.equal(pool.view(two.id).state, 'suspended');
    // The session sticks to the account that served it.
    assert.equal((await ask()).accountId, three.id);
    assert.equal(pool.view(three.id).counters.credits, 0.02);
  });

  it('a revoked access token is refreshed once and the same account retried', async () => {
    const one = await addAccount();
    kiro.sim.revokeAccessTokens(one.sim.id);
    const { accountId, failures } = await ask();
    assert.equal(accountId, one.id);
    assert.deepEqual(failures.map((f) => f.kind), ['bearer_invalid']);
    assert.equal(kiro.sim.refreshCount(one.sim.id), 1);
  });

  it('403 FEATURE_NOT_SUPPORTED fails over without a refresh and rests the account', async () => {
    const one = await addAccount();
    const two = await addAccount();
    kiro.sim.setBehavior(one.sim.id, { status: 403, message: 'This feature is not supported.', reason: 'FEATURE_NOT_SUPPORTED' });
    const { accountId, failures } = await ask();
    assert.equal(accountId, two.id);
    assert.deepEqual(failures.map((f) => f.kind), ['auth']);
    assert.equal(kiro.sim.refreshCount(one.sim.id), 0);
    assert.equal(pool.view(one.id).state, 'cooldown');
    // The next turns do not ask the refused account again.
    await ask();
    assert.equal(kiro.sim.chatRequests().filter((c) => c.account === one.sim.id).length, 1);
  });

  it("429 INSUFFICIENT_MODEL_CAPACITY is Kiro's, not the account's: retried, no account cools down", async () => {
    const one = await addAccount();
    const two = await addAccount();
    kiro.sim.setBehavior(one.sim.id, { error: 'capacity' }, { times: 1 });
    const { accountId, failures } = await ask();
    assert.equal(accountId, two.id);
    assert.deepEqual(failures.map((f) => f.kind), ['transient']);
    assert.deepEqual([pool.view(one.id).state, pool.view(two.id).state], ['active', 'active']);
  });

  it('402 MONTHLY_REQUEST_COUNT parks the account as exhausted', async () => {
    const one = await addAccount();
    const two = await addAccount();
    kiro.sim.setBehavior(one.sim.id, { error: 'monthlyLimit' });
    const { accountId } = await ask();
    assert.equal(accountId, two.id);
    assert.equal(pool.view(one.id).state, 'exhausted');
  });
});
