// Credits of one account: `getUsageLimits` (docs/kiro-protocol.md §1.3, §7), normalised into a
// small shape the views can show.
import type { KiroHosts } from './endpoints';
import type { KiroCredentials } from './credentials';
import { kiroControlCall } from './control';
import type { KiroHttp } from './http';
import { optionalNumber as num, optionalString as str, recordsOf as asArray } from '../records';

export interface QuotaPart {
  name: string;
  used: number;
  limit: number;
  status?: string;
  /** Epoch milliseconds. */
  expiresAt?: number;
}

export interface Quota {
  /** `KIRO FREE`, `KIRO PRO`… as Kiro titles it. */
  plan: string;
  /** Credits used this period, free trial and active bonuses included. */
  used: number;
  limit: number;
  /** When the monthly credits reset, epoch milliseconds. */
  resetAt?: number;
  freeTrial?: QuotaPart;
  bonuses?: QuotaPart[];
  email?: string;
  /** When we asked, epoch milliseconds. */
  fetchedAt: number;
}

type Json = Record<string, unknown>;

export async function getUsageLimits(
  http: KiroHttp,
  hosts: KiroHosts,
  creds: KiroCredentials,
  options: { now?: number; signal?: AbortSignal } = {},
): Promise<Quota> {
  const params = { origin: 'AI_EDITOR', resourceType: 'AGENTIC_REQUEST', isEmailRequired: true, profileArn: creds.profileArn };
  const res = await kiroControlCall(http, hosts, creds, 'usage', params, { signal: options.signal });
  return normaliseQuota((res.body ?? {}) as Json, options.now ?? Date.now());
}

/** Pure normalisation of a `getUsageLimits` body (exported for tests and the simulator's checks). */
export function normaliseQuota(body: Json, now: number): Quota {
  const breakdowns = asArray(body.usageBreakdownList);
  const main = breakdowns.find((b) => b.resourceType === 'CREDIT') ?? breakdowns[0] ?? {};
  const trialInfo = main.freeTrialInfo as Json | undefined;
  const freeTrial: QuotaPart | undefined = trialInfo
    ? {
        name: 'Free trial',
        used: precise(trialInfo, 'currentUsage'),
        limit: precise(trialInfo, 'usageLimit'),
        status: str(trialInfo.freeTrialStatus),
        expiresAt: epochMs(trialInfo.freeTrialExpiry),
      }
    : undefined;
  const bonuses = asArray(main.bonuses).map((b) => ({
    name: str(b.displayName) ?? str(b.bonusCode) ?? 'Bonus',
    used: precise(b, 'currentUsage'),
    limit: precise(b, 'usageLimit'),
    status: str(b.status),
    expiresAt: epochMs(b.expiresAt),
  }));
  // Only parts that are still running add to what the account can spend (as kiro.rs does).
  const live = [freeTrial, ...bonuses].filter((p): p is QuotaPart => !!p && isActive(p, now));
  const subscription = (body.subscriptionInfo ?? {}) as Json;
  const userInfo = (body.userInfo ?? {}) as Json;
  return {
    plan: str(subscription.subscriptionTitle) ?? str(subscription.type) ?? 'unknown',
    used: round(precise(main, 'currentUsage') + live.reduce((sum, p) => sum + p.used, 0)),
    limit: round(precise(main, 'usageLimit') + live.reduce((sum, p) => sum + p.limit, 0)),
    resetAt: epochMs(body.nextDateReset) ?? epochMs(main.nextDateReset),
    ...(freeTrial ? { freeTrial } : {}),
    ...(bonuses.length ? { bonuses } : {}),
    ...(str(userInfo.email) ? { email: str(userInfo.email) } : {}),
    fetchedAt: now,
  };
}

/** Kiro sends epochs in seconds, some proxies saw milliseconds: below 1e10 it is seconds (§7). */
export function epochMs(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return undefined;
  return n < 1e10 ? Math.round(n * 1000) : Math.round(n);
}

function isActive(part: QuotaPart, now: number): boolean {
  if (part.expiresAt !== undefined && part.expiresAt <= now) return false;
  return part.status === undefined || part.status.toUpperCase() === 'ACTIVE';
}

function precise(obj: Json, field: string): number {
  return num(obj[`${field}WithPrecision`]) ?? num(obj[field]) ?? 0;
}

const round = (n: number) => Math.round(n * 100) / 100;

