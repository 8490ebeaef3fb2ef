// The account pool through the real headless CLI: what a user with several accounts sees.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startProxy, type RunningProxy } from '../helpers/proxy';

interface HealthAccount {
  id: string;
  label: string;
  state: string;
  cooldownUntil?: number;
  reason?: string;
}

async function health(proxy: RunningProxy): Promise<HealthAccount[]> {
  const res = await fetch(`${proxy.url}/health`);
  return ((await res.json()) as { accounts: HealthAccount[] }).accounts;
}

/** The proxy's account id for a simulator account, matched by the token file it was imported from. */
async function accountIdFor(proxy: RunningProxy, simAccountId: string): Promise<string> {
  const file = proxy.tokenFiles.get(simAccountId);
  const accounts = (await (await fetch(`${proxy.url}/admin/accounts`)).json()) as { accounts: Array<{ id: string; source?: { path?: string } }> };
  const found = accounts.accounts.find((a) => a.source?.path === file);
  assert.ok(found, `no account imported from ${file}`);
  return found.id;
}

describe('account pool through the CLI', () => {
  let proxy: RunningProxy;
  let anthropic: Anthropic;
  before(async () => {
    proxy = await startProxy({ accounts: 3, args: ['--strategy', 'round-robin', '--max-wait-seconds', '1'] });
    anthropic = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
  });
  afterEach(async () => {
    for (const a of proxy.sim.accounts.list()) proxy.sim.setBehavior(a.id, null);
    await fetch(`${proxy.url}/admin/cooldowns`, { method: 'DELETE' });
  });
  after(() => proxy.stop());

  test('KIRO_PROXY_ENDPOINT is never silent: a warning naming the base URL at start, and /health says it', async () => {
    const simUrl = proxy.sim.url.replace(/\/$/, '');
    const warning = proxy.output().split('\n').find((line) => line.includes('KIRO_PROXY_ENDPOINT'));
    assert.equal(warning, `warning: KIRO_PROXY_ENDPOINT is set: every Kiro call, with your tokens, goes to ${simUrl} instead of Kiro's servers.`);
    const body = (await (await fetch(`${proxy.url}/health`)).json()) as { kiroEndpoint?: string };
    assert.equal(body.kiroEndpoint, simUrl);
  });

  test('a 429 cools one account for 5 minutes and the client still gets its answer', async () => {
    const [first] = proxy.sim.accounts.list();
    proxy.sim.setBehavior(first.id, { error: 'throttled' });
    for (let i = 0; i < 4; i++) {
      const message = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: `request ${i}` }] });
      assert.deepEqual(message.content, [{ type: 'text', text: `Echo: request ${i}` }]);
    }
    const id = await accountIdFor(proxy, first.id);
    const cooled = (await health(proxy)).find((a) => a.id === id)!;
    assert.equal(cooled.state, 'cooldown');
    const remaining = cooled.cooldownUntil! - Date.now();
    assert.ok(remaining > 290_000 && remaining <= 300_000, `cooldown ends in ${remaining} ms`);
    assert.match(cooled.reason ?? '', /429|throttl|rate/i);
  });

  test('DELETE /admin/cooldowns puts every cooling account back to active', async () => {
    const [first] = proxy.sim.accounts.list();
    proxy.sim.setBehavior(first.id, { error: 'throttled' }, { times: 1 });
    for (let i = 0; i < 3; i++) {
      await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] });
    }
    assert.ok((await health(proxy)).some((a) => a.state === 'cooldown'));
    const res = await fetch(`${proxy.url}/admin/cooldowns`, { method: 'DELETE' });
    assert.deepEqual(await res.json(), { cleared: 1 });
    assert.ok((await health(proxy)).every((a) => a.state === 'active'));
  });

  test('a 403 no new token fixes fails over at once: one Kiro call, no refresh, and the account rests with the reason', async () => {
    const [first] = proxy.sim.accounts.list();
    proxy.sim.setBehavior(first.id, { status: 403, message: 'This feature is not supported for this account.', reason: 'FEATURE_NOT_SUPPORTED' });
    const before = proxy.sim.chatRequests().length;
    const refreshes = proxy.sim.refreshCount(first.id);
    for (let i = 0; i < 4; i++) {
      const message = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: `denied ${i}` }] });
      assert.deepEqual(message.content, [{ type: 'text', text: `Echo: denied ${i}` }]);
    }
    const calls = proxy.sim.chatRequests().slice(before);
    // Once per host family: a 403 from kiro.dev may mean "not here for this token" (§11.4), so the
    // legacy host is asked before the account rests.
    assert.deepEqual(calls.filter((c) => c.account === first.id).map((c: any) => c.family), ['kiro.dev', 'legacy'], 'the refused account was asked once on each host');
    assert.equal(proxy.sim.refreshCount(first.id), refreshes, 'no token refresh');
    const id = await accountIdFor(proxy, first.id);
    const denied = (await health(proxy)).find((a) => a.id === id)!;
    assert.equal(denied.state, 'cooldown');
    assert.match(denied.reason ?? '', /refused.*FEATURE_NOT_SUPPORTED/);
  });

  test('a 400 from Kiro is the client\'s: returned as is, no account cools', async () => {
    proxy.sim.enqueue({ error: 'improperlyFormed' });
    await assert.rejects(
      anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] }),
      (err: InstanceType<typeof Anthropic.APIError>) => err.status === 400,
    );
    assert.ok((await health(proxy)).every((a) => a.state === 'active'));
  });

  test('when every account is cooling past the wait, the client gets 429 with a real Retry-After', async () => {
    for (const a of proxy.sim.accounts.list()) proxy.sim.setBehavior(a.id, { error: 'throttled' });
    const openai = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await assert.rejects(openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }), (err: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(err.status, 429);
      const retryAfter = Number(err.headers?.get('retry-after'));
      assert.ok(retryAfter > 250 && retryAfter <= 300, `Retry-After ${retryAfter}`);
      assert.equal((err.error as any)?.code, 'rate_limit_exceeded');
      return true;
    });
  });

  test('a multi-turn conversation stays on one account', async () => {
    const sessionUser = 'user_abc_account_11111111-1111-1111-1111-111111111111_session_22222222-2222-2222-2222-222222222222';
    const before = proxy.sim.chatRequests().length;
    const history: Anthropic.MessageParam[] = [];
    for (let turn = 0; turn < 4; turn++) {
      history.push({ role: 'user', content: `turn ${turn}` });
      const message = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, metadata: { user_id: sessionUser }, messages: history });
      history.push({ role: 'assistant', content: message.content });
    }
    const calls = proxy.sim.chatRequests().slice(before);
    assert.equal(calls.length, 4);
    assert.equal(new Set(calls.map((c) => c.account)).size, 1, 'one account served the whole conversation');
    assert.equal(new Set(calls.map((c) => c.body.conversationState.conversationId)).size, 1, 'one Kiro conversationId');
    // Credits are kept per request and summed per session.
    const stats = (await (await fetch(`${proxy.url}/admin/stats`)).json()) as { sessions: Array<{ sessionId: string; requests: number; credits: number }> };
    const session = stats.sessions.find((s) => s.sessionId.includes('22222222-2222-2222-2222-222222222222'));
    assert.ok(session, JSON.stringify(stats.sessions));
    assert.equal(session.requests, 4);
    assert.ok(session.credits > 0, 'the simulator metered every call');
  });

  test('disable and enable through the admin API', async () => {
    const [a] = await health(proxy);
    await fetch(`${proxy.url}/admin/accounts/${a.id}/disable`, { method: 'POST' });
    assert.equal((await health(proxy)).find((h) => h.id === a.id)!.state, 'disabled');
    await fetch(`${proxy.url}/admin/accounts/${a.id}/enable`, { method: 'POST' });
    assert.equal((await health(proxy)).find((h) => h.id === a.id)!.state, 'active');
  });

  // Last: exhausted and suspended accounts stay out of rotation for the rest of the suite.
  test('a suspended account is taken out and a 402 parks one as exhausted', async () => {
    const [a, b] = proxy.sim.accounts.list();
    proxy.sim.setBehavior(a.id, { error: 'suspended' });
    proxy.sim.setBehavior(b.id, { error: 'monthlyLimit' });
    for (let i = 0; i < 6; i++) {
      const message = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: `still served ${i}` }] });
      assert.deepEqual(message.content, [{ type: 'text', text: `Echo: still served ${i}` }]);
    }
    const states = Object.fromEntries((await health(proxy)).map((h) => [h.id, h.state]));
    assert.equal(states[await accountIdFor(proxy, a.id)], 'suspended');
    assert.equal(states[await accountIdFor(proxy, b.id)], 'exhausted');
  });

});

describe('all accounts cooling, with a recovery inside the wait', () => {
  test('the request is held until an account recovers, then served', async () => {
    const proxy = await startProxy({ accounts: 2, args: ['--cooldown-seconds', '1', '--max-wait-seconds', '10'] });
    try {
      for (const a of proxy.sim.accounts.list()) proxy.sim.setBehavior(a.id, { error: 'throttled' }, { times: 1 });
      const client = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
      const started = Date.now();
      const message = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'patience' }] });
      const waited = Date.now() - started;
      assert.deepEqual(message.content, [{ type: 'text', text: 'Echo: patience' }]);
      assert.ok(waited >= 900 && waited < 5000, `held for ${waited} ms`);
    } finally {
      await proxy.stop();
    }
  });
});

describe('a reply that streams longer than the stickiness window', () => {
  test('the next turn stays on its account and conversation', async () => {
    const proxy = await startProxy({ accounts: 2, args: ['--stickiness-seconds', '1'] });
    try {
      const client = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
      const metadata = { user_id: 'user_abc_account_33333333-3333-3333-3333-333333333333_session_44444444-4444-4444-4444-444444444444' };
      const slow = '[[sim:{"text":"a slow, long answer","deltaSize":[4,4],"chunking":"frame","frameDelayMs":250}]]';
      const history: Anthropic.MessageParam[] = [{ role: 'user', content: `${slow} turn 0` }];
      const started = Date.now();
      const reply = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, metadata, messages: history });
      assert.ok(Date.now() - started > 1500, `the reply took ${Date.now() - started} ms`);
      history.push({ role: 'assistant', content: reply.content }, { role: 'user', content: 'turn 1' });
      await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, metadata, messages: history });
      const calls = proxy.sim.chatRequests();
      assert.equal(calls.length, 2);
      assert.equal(calls[1].account, calls[0].account, 'the same account');
      assert.equal(calls[1].body.conversationState.conversationId, calls[0].body.conversationState.conversationId, 'the same Kiro conversation');
    } finally {
      await proxy.stop();
    }
  });
});

describe('persistence and coexistence with the Kiro IDE', () => {
  test('accounts survive a restart; the IDE token file is left byte-for-byte unchanged', async () => {
    const proxy = await startProxy({ accounts: 1 });
    try {
      const ideFile = join(proxy.tokenDir, 'kiro-auth-token.json');
      const ideBytes = readFileSync(ideFile);
      const [account] = await health(proxy);
      // Kiro stops accepting the access token: the proxy refreshes it and retries, unseen by the client.
      proxy.sim.expireAccessToken(proxy.sim.accounts.list()[0].id);
      const client = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
      await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
      assert.ok(proxy.sim.refreshCount(proxy.sim.accounts.list()[0].id) >= 1, 'the token was refreshed');
      assert.deepEqual(readFileSync(ideFile), ideBytes);

      const stored = join(proxy.dataDir, 'accounts.json');
      assert.equal(statSync(stored).mode & 0o777, 0o600);
      await fetch(`${proxy.url}/admin/accounts/${account.id}/disable`, { method: 'POST' });
      proxy.child.kill('SIGTERM');
      await new Promise((resolve) => proxy.child.once('exit', resolve));

      const again = await startProxy({ accounts: 0, reuse: { sim: proxy.sim, tokenDir: proxy.tokenDir, dataDir: proxy.dataDir } });
      try {
        const accounts = await health(again);
        assert.deepEqual(accounts.map((a) => [a.id, a.state]), [[account.id, 'disabled']]);
      } finally {
        again.child.kill('SIGTERM');
      }
    } finally {
      await proxy.stop();
    }
  });
});
