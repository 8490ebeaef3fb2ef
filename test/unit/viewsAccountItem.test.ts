import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountState, AccountView } from '../../src/proxy/pool/account';
import { accountContextValue, accountRow, isUsable, STATE_ICONS, type RowContext } from '../../src/views/accountItemModel';
import { untranslated } from '../../src/views/translate';

const NOW = Date.UTC(2025, 10, 20, 12);
const ctx: RowContext = { now: NOW, t: untranslated, locale: 'en', timeZone: 'UTC' };

function account(state: AccountState, extra: Partial<AccountView> = {}): AccountView {
  return {
    id: 'a1b2c3',
    label: 'dev@example.com',
    authMethod: 'social',
    provider: 'Google',
    region: 'us-east-1',
    apiRegion: 'us-east-1',
    machineId: 'f'.repeat(64),
    state,
    enabled: state !== 'disabled',
    priority: 0,
    counters: { requests: 12, errors: 1, credits: 3.5 },
    addedAt: NOW - 86_400_000,
    ...extra,
  };
}

test('every state has its description, icon and contextValue', () => {
  const cases: Array<[AccountState, Partial<AccountView>, string]> = [
    ['active', {}, 'active'],
    ['active', { tokenExpiresAt: NOW + 40 * 60_000 }, 'expires in 40m'],
    ['cooldown', { cooldownUntil: NOW + 192_000, reason: 'throttled' }, 'cooldown 3:12'],
    ['expired', { tokenExpiresAt: NOW - 1 }, 'token expired'],
    ['needs-login', { reason: 'invalid_grant' }, 'needs login'],
    ['exhausted', { exhaustedUntil: Date.UTC(2025, 11, 1, 0) }, 'exhausted · resets Dec 1'],
    ['exhausted', {}, 'exhausted'],
    ['suspended', {}, 'suspended'],
    ['disabled', {}, 'disabled'],
  ];
  for (const [state, extra, description] of cases) {
    const row = accountRow(account(state, extra), ctx);
    assert.equal(row.description, description, state);
    assert.equal(row.label, 'dev@example.com');
    assert.equal(row.id, 'account:a1b2c3');
    assert.deepEqual(row.icon, STATE_ICONS[state]);
    assert.equal(row.contextValue, `account:${state}:${state === 'disabled' ? 'disabled' : 'enabled'}`);
  }
});

test('exhausted falls back to the quota reset date', () => {
  const row = accountRow(account('exhausted', { quota: { plan: 'KIRO FREE', used: 50, limit: 50, resetAt: Date.UTC(2026, 0, 1, 12), fetchedAt: NOW } }), ctx);
  assert.equal(row.description, 'exhausted · resets Jan 1');
});

test('contextValue matches the menu expressions of package.json', () => {
  const enabled = accountContextValue({ state: 'cooldown', enabled: true });
  const disabled = accountContextValue({ state: 'disabled', enabled: false });
  assert.match(enabled, /^account:.*:enabled$/);
  assert.doesNotMatch(enabled, /^account:.*:disabled$/);
  assert.match(disabled, /^account:.*:disabled$/);
  // Refresh Token is offered for every account that is not disabled or suspended.
  const refreshable = /^account:(?!disabled|suspended)/;
  assert.match(enabled, refreshable);
  assert.doesNotMatch(disabled, refreshable);
  assert.doesNotMatch(accountContextValue({ state: 'suspended', enabled: true }), refreshable);
});

test('only rows with a countdown ask to be redrawn, at the countdown cadence', () => {
  assert.equal(accountRow(account('active'), ctx).nextChangeAt, undefined);
  assert.equal(accountRow(account('needs-login'), ctx).nextChangeAt, undefined);
  assert.equal(accountRow(account('cooldown', { cooldownUntil: NOW + 192_000 }), ctx).nextChangeAt, NOW + 1000);
  assert.equal(accountRow(account('active', { tokenExpiresAt: NOW + 40 * 60_000 }), ctx).nextChangeAt, NOW + 60_000);
});

test('the tooltip has plan, quota, counters, reason and machine id, and never a token', () => {
  const view = account('cooldown', {
    cooldownUntil: NOW + 60_000,
    reason: 'Too many requests [click](command:evil)',
    quota: { plan: 'KIRO PRO', used: 120, limit: 1000, resetAt: Date.UTC(2025, 11, 1, 12), fetchedAt: NOW },
  });
  const tip = accountRow(view, ctx).tooltip;
  assert.match(tip, /Plan: KIRO PRO/);
  assert.match(tip, /Quota: 120 \/ 1000 credits used · resets Dec 1/);
  assert.match(tip, /12 requests, 1 errors, 3\.5 credits/);
  assert.match(tip, /Machine id: `f{64}`/);
  assert.match(tip, /Last error: Too many requests/);
  // user text is escaped, so it cannot smuggle a link
  assert.doesNotMatch(tip, /\]\(command:/);
  assert.doesNotMatch(tip, /accessToken|refreshToken/);
});

test('usable accounts are active or merely expired (refreshed on use)', () => {
  assert.deepEqual(
    (['active', 'expired', 'cooldown', 'needs-login', 'exhausted', 'suspended', 'disabled'] as AccountState[]).filter((s) => isUsable({ state: s })),
    ['active', 'expired'],
  );
});
