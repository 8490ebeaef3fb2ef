// The failure policy alone: what each kind of Kiro failure does to an account's health, as a
// pure function of (account, failure, now, config). No simulator, no pool, no clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyKiroFailure } from '../../src/proxy/kiro/errors';
import { judgeFailure, DENIED_COOLDOWN_MS, SUSPICIOUS_COOLDOWN_MS } from '../../src/proxy/pool/failure-policy';
import type { AccountHealth } from '../../src/proxy/pool/account';

const now = Date.UTC(2026, 0, 15, 12);
const config = { cooldownSeconds: 300 };
const social = { authMethod: 'social' as const };
/** An account as the policy sees it: its health, a social sign-in unless told otherwise. */
const account = (health: AccountHealth, extra: object = {}) => ({ ...health, credentials: social, ...extra });
const ok = account({ status: 'ok' });
const failure = (status: number, body: object, headers: Record<string, string> = {}) => classifyKiroFailure(status, JSON.stringify(body), headers);

describe('failure policy', () => {
  it("the client's faults change nothing and count nothing", () => {
    for (const f of [failure(400, { message: 'Improperly formed request.' }), failure(400, { message: 'Input is too long.', reason: 'CONTENT_LENGTH_EXCEEDS_THRESHOLD' })]) {
      assert.deepEqual(judgeFailure(ok, f, now, config), { health: { status: 'ok', until: undefined, reason: undefined }, counted: false });
    }
  });

  it('a 429 cools the account for the configured time, or the longer Retry-After', () => {
    const plain = judgeFailure(ok, failure(429, { message: 'Too many requests' }), now, config);
    assert.equal(plain.counted, true);
    assert.equal(plain.health.status, 'cooldown');
    assert.equal(plain.health.until, now + 300_000);
    assert.match(plain.health.reason ?? '', /rate limiting this account \(429\)/);
    const longer = judgeFailure(ok, failure(429, { message: 'slow' }, { 'retry-after': '900' }), now, config);
    assert.equal(longer.health.until, now + 900_000);
  });

  it('a cooldown never shortens one already running, and shows the newest reason', () => {
    const cooling = account({ status: 'cooldown', until: now + 3_600_000, reason: 'earlier' });
    const next = judgeFailure(cooling, failure(429, { message: 'Too many requests' }), now, config).health;
    assert.equal(next.until, now + 3_600_000);
    assert.match(next.reason ?? '', /rate limiting/);
  });

  it('suspicious activity rests the account for an hour', () => {
    const f = failure(429, { message: 'Due to suspicious activity, we are imposing temporary limits on how frequently your account (x) can send a request to Kiro while we investigate.' });
    assert.equal(f.kind, 'suspicious');
    const { health } = judgeFailure(ok, f, now, config);
    assert.deepEqual([health.status, health.until], ['cooldown', now + SUSPICIOUS_COOLDOWN_MS]);
    assert.match(health.reason ?? '', /suspicious activity/);
  });

  it('a 402 parks the account until the known reset date, else the 1st of next month UTC', () => {
    const f = failure(402, { message: 'You have reached the limit.', reason: 'MONTHLY_REQUEST_COUNT' });
    const unknown = judgeFailure(ok, f, now, config).health;
    assert.deepEqual([unknown.status, unknown.until], ['exhausted', Date.UTC(2026, 1, 1)]);
    assert.match(unknown.reason ?? '', /back on 2026-02-01/);
    const resetAt = now + 12 * 86_400_000;
    const known = judgeFailure({ ...ok, quota: { resetAt } as never }, f, now, config).health;
    assert.equal(known.until, resetAt);
  });

  it('TEMPORARILY_SUSPENDED suspends the account with no end', () => {
    const { health, counted } = judgeFailure(ok, failure(403, { message: 'Your User ID (x) temporarily is suspended.', reason: 'TEMPORARILY_SUSPENDED' }), now, config);
    assert.deepEqual([health.status, health.until, counted], ['suspended', undefined, true]);
    assert.match(health.reason ?? '', /Kiro suspended this account: Your User ID/);
  });

  it('a 403 no new token fixes rests the account for 30 minutes, with the reason', () => {
    const { health } = judgeFailure(ok, failure(403, { message: 'This feature is not supported.', reason: 'FEATURE_NOT_SUPPORTED' }), now, config);
    assert.deepEqual([health.status, health.until], ['cooldown', now + DENIED_COOLDOWN_MS]);
    assert.match(health.reason ?? '', /refused this account \(403 FEATURE_NOT_SUPPORTED: This feature is not supported\.\); it is tried again in 30 minutes/);
  });

  it('a dead bearer token and a 5xx count an error but leave the health as it was', () => {
    const health: AccountHealth = { status: 'cooldown', until: now + 1000, reason: 'r' };
    for (const f of [failure(403, { message: 'The bearer token included in the request is invalid.' }), failure(500, { message: 'boom' })]) {
      assert.deepEqual(judgeFailure(account(health), f, now, config), { health, counted: true });
    }
  });

  it('an API key Kiro refuses (401, any 403 but a suspension) needs a new key, with a reason that says so; a 429 only cools it', () => {
    const key = account({ status: 'ok' }, { credentials: { authMethod: 'api_key' } });
    for (const f of [failure(401, { message: 'Unauthorized' }), failure(403, { message: 'The bearer token included in the request is invalid.' }), failure(403, { message: 'User is not authorized', reason: 'FEATURE_NOT_SUPPORTED' })]) {
      const { health, counted } = judgeFailure(key, f, now, config);
      assert.deepEqual([health.status, health.until, counted], ['needs-login', undefined, true]);
      assert.match(health.reason ?? '', /Kiro refused this API key/);
    }
    assert.equal(judgeFailure(key, failure(403, { message: 'Your User ID (x) temporarily is suspended.', reason: 'TEMPORARILY_SUSPENDED' }), now, config).health.status, 'suspended');
    assert.equal(judgeFailure(key, failure(429, { message: 'Too many requests' }), now, config).health.status, 'cooldown');
  });
});
