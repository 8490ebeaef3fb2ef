// What a failed Kiro call means for the account that made it (the failover table in the
// README's Accounts section): a pure function of the account, the failure, the time and the
// settings, so the table is tested without Kiro or a pool.
import type { ProxyConfig } from '../config';
import { API_KEY_REFUSED, isApiKey } from '../kiro/api-key';
import type { KiroCredentials } from '../kiro/credentials';
import type { KiroFailure } from '../kiro/errors';
import { healthOf, type AccountHealth, type StoredAccount } from './account';

export const SUSPICIOUS_COOLDOWN_MS = 60 * 60 * 1000;
/** A 403 that no new token fixes (e.g. FEATURE_NOT_SUPPORTED): retried after this long. */
export const DENIED_COOLDOWN_MS = 30 * 60 * 1000;

export type FailurePolicyConfig = Pick<ProxyConfig, 'cooldownSeconds'>;

/** What the policy looks at: the account's health, its quota's reset date and whether it is an API key. */
export type PolicyAccount = Pick<StoredAccount, 'status' | 'until' | 'reason' | 'quota'> & { credentials: Pick<KiroCredentials, 'authMethod'> };

export interface FailureVerdict {
  /** The account's health from now on (its health as it was when the failure changes nothing). */
  health: AccountHealth;
  /** False for the client's faults: the account is fine and its counters stay as they are. */
  counted: boolean;
}

export function judgeFailure(
  account: PolicyAccount,
  failure: KiroFailure,
  now: number,
  config: FailurePolicyConfig,
): FailureVerdict {
  const unchanged = healthOf(account);
  // A key is never refreshed, only replaced: a 401/403 means it was revoked, expired or the plan changed (§11.3).
  if (isApiKey(account.credentials) && (failure.kind === 'bearer_invalid' || failure.kind === 'auth')) {
    return counted({ status: 'needs-login', reason: `${API_KEY_REFUSED} (${failure.status}: ${failure.message})` });
  }
  switch (failure.kind) {
    case 'bad_request':
    case 'too_long':
      return { health: unchanged, counted: false };
    case 'throttled': {
      const ms = Math.max(config.cooldownSeconds, failure.retryAfterSeconds ?? 0) * 1000;
      return counted(coolDown(account, now + ms, 'Kiro is rate limiting this account (429); it rests, then comes back by itself.'));
    }
    case 'suspicious': {
      const ms = Math.max(SUSPICIOUS_COOLDOWN_MS, (failure.retryAfterSeconds ?? 0) * 1000);
      return counted(
        coolDown(account, now + ms, `Kiro limited this account for suspicious activity; it rests for an hour. Heavy use of several accounts can lead to a suspension. (${failure.message})`),
      );
    }
    case 'exhausted': {
      // The reset date comes from getUsageLimits; until it answers, the 1st of next month stands.
      const until = resetDate(account, now);
      return counted({ status: 'exhausted', until, reason: `Monthly Kiro credits used up; back on ${new Date(until).toISOString().slice(0, 10)}.` });
    }
    case 'suspended':
      return counted({ status: 'suspended', reason: `Kiro suspended this account: ${failure.message}` });
    case 'auth': {
      // No new token fixes it, and each try costs a Kiro call: the account rests.
      const answer = failure.reason ? `403 ${failure.reason}` : '403';
      return counted(
        coolDown(account, now + DENIED_COOLDOWN_MS, `Kiro refused this account (${answer}: ${failure.message}); it is tried again in ${DENIED_COOLDOWN_MS / 60_000} minutes.`),
      );
    }
    case 'proxy':
      return counted(coolDown(account, now + config.cooldownSeconds * 1000, `${failure.message}; the account rests, then is tried again.`));
    case 'bearer_invalid':
    case 'transient':
      return counted(unchanged); // the exchange refreshes or retries
  }
}

const counted = (health: AccountHealth): FailureVerdict => ({ health, counted: true });

/** A cooldown never shortens one already running; the newest reason is shown. */
function coolDown(account: Pick<StoredAccount, 'status' | 'until'>, until: number, reason: string): AccountHealth {
  const longer = account.status === 'cooldown' && (account.until ?? 0) > until;
  return { status: 'cooldown', until: longer ? (account.until ?? until) : until, reason };
}

/** The quota's reset date when Kiro told us, else 00:00 UTC on the 1st of next month (as AIClient does). */
function resetDate(account: Pick<StoredAccount, 'quota'>, now: number): number {
  const known = account.quota?.resetAt;
  if (known && known > now) return known;
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
