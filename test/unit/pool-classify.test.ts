// Failure classification over the observed Kiro error bodies, and quota normalisation.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { classifyKiroFailure, networkFailure, safeMessage } from '../../src/proxy/kiro/errors';
import { epochMs, normaliseQuota } from '../../src/proxy/kiro/usage';

const observed = JSON.parse(readFileSync(new URL('../sim/fixtures/errors/observed-error-bodies.json', import.meta.url), 'utf8'));
const bodyOf = (e: any) => e.body ?? JSON.stringify({ message: e.message, reason: e.reason ?? null });

describe('classifyKiroFailure', () => {
  it('maps every observed generateAssistantResponse error body', () => {
    const kinds = observed.generateAssistantResponse.map((e: any) => classifyKiroFailure(e.status, bodyOf(e), {}).kind);
    assert.deepEqual(kinds, ['bad_request', 'bad_request', 'too_long', 'exhausted', 'bearer_invalid', 'suspended', 'throttled']);
  });

  it('classifies the newer suspension text, 401, other 403s, 5xx and the suspicious-activity 429', () => {
    const newer = observed.generateAssistantResponse.find((e: any) => e.messageNewerVariant).messageNewerVariant;
    assert.equal(classifyKiroFailure(403, JSON.stringify({ message: newer }), {}).kind, 'suspended');
    assert.equal(classifyKiroFailure(401, '', {}).kind, 'bearer_invalid');
    assert.equal(classifyKiroFailure(403, '{"message":"nope","reason":"FEATURE_NOT_SUPPORTED"}', {}).kind, 'auth');
    assert.equal(classifyKiroFailure(503, 'Service Unavailable', {}).kind, 'transient');
    assert.equal(classifyKiroFailure(500, '{"message":"high load","reason":"MODEL_TEMPORARILY_UNAVAILABLE"}', {}).kind, 'transient');
    const suspicious = 'Due to suspicious activity, we are imposing temporary limits on how frequently your account (d-1.x) can send a request to Kiro while we investigate.';
    assert.equal(classifyKiroFailure(429, JSON.stringify({ message: suspicious }), {}).kind, 'suspicious');
    assert.equal(classifyKiroFailure(429, '{"message":"x","reason":"MONTHLY_REQUEST_COUNT"}', {}).kind, 'exhausted');
    assert.equal(classifyKiroFailure(503, '{"message":"x","reason":"OVERAGE_REQUEST_LIMIT_EXCEEDED"}', {}).kind, 'exhausted');
    // Capacity is the model's, not the account's: retried, no cooldown.
    assert.equal(classifyKiroFailure(429, '{"message":"Too many requests, please wait before trying again.","reason":"INSUFFICIENT_MODEL_CAPACITY"}', {}).kind, 'transient');
    assert.equal(classifyKiroFailure(429, '{"message":"Too many requests, please wait before trying again.","reason":"DAILY_REQUEST_COUNT"}', {}).kind, 'throttled');
    assert.equal(networkFailure(Object.assign(new Error('reset'), { code: 'ECONNRESET' })).kind, 'transient');
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(classifyKiroFailure(429, '{}', { 'retry-after': '42' }).retryAfterSeconds, 42);
    const date = new Date(Date.now() + 90_000).toUTCString();
    const s = classifyKiroFailure(429, '{}', { 'retry-after': date }).retryAfterSeconds ?? 0;
    assert.ok(s >= 88 && s <= 91, String(s));
    assert.equal(classifyKiroFailure(429, '{}', {}).retryAfterSeconds, undefined);
  });

  it('keeps tokens out of messages', () => {
    const token = 'aoaAAAAAGhZ' + 'x'.repeat(200);
    const f = classifyKiroFailure(500, JSON.stringify({ message: `failed for Bearer ${token} and refresh aorAAAAA${'y'.repeat(80)}` }), {});
    assert.ok(!f.message.includes('xxxxxxxx') && !f.message.includes('yyyyyyyy'), f.message);
    assert.ok(safeMessage('z'.repeat(2000)).length < 600);
  });
});

describe('normaliseQuota', () => {
  const now = Date.UTC(2026, 0, 15);
  const body = {
    nextDateReset: 1769904000, // seconds
    subscriptionInfo: { subscriptionTitle: 'KIRO FREE', type: 'Q_DEVELOPER_STANDALONE_FREE' },
    usageBreakdownList: [{
      resourceType: 'CREDIT', currentUsage: 12, currentUsageWithPrecision: 12.37, usageLimit: 50, usageLimitWithPrecision: 50,
      freeTrialInfo: { freeTrialStatus: 'ACTIVE', freeTrialExpiry: 1769904000000, currentUsageWithPrecision: 3.2, usageLimitWithPrecision: 500 },
      bonuses: [
        { bonusCode: 'B1', displayName: 'Launch bonus', currentUsage: 1, usageLimit: 100, status: 'ACTIVE', expiresAt: 1769904000 },
        { bonusCode: 'B2', displayName: 'Old bonus', currentUsage: 5, usageLimit: 10, status: 'EXPIRED', expiresAt: 1700000000 },
      ],
    }],
    userInfo: { email: 'dev@example.com' },
  };

  it('sums the plan, the active free trial and active bonuses; accepts second and millisecond epochs', () => {
    const q = normaliseQuota(body, now);
    assert.equal(q.plan, 'KIRO FREE');
    assert.equal(q.used, 12.37 + 3.2 + 1);
    assert.equal(q.limit, 650);
    assert.equal(q.resetAt, 1769904000000);
    assert.equal(q.freeTrial?.expiresAt, 1769904000000);
    assert.equal(q.bonuses?.length, 2);
    assert.equal(q.email, 'dev@example.com');
    assert.equal(q.fetchedAt, now);
    assert.equal(epochMs(1769904000), epochMs(1769904000000));
    assert.equal(epochMs('nope'), undefined);
  });
});
