// One Kiro account as the pool keeps it (and the store persists it), and the secret-free
// view of it that every UI, log and admin endpoint gets instead.
import type { AuthMethod, KiroCredentials } from '../kiro/credentials';
import { proxyLabel } from '../kiro/outbound-proxy';
import type { Quota } from '../kiro/usage';
import type { KiroModelInfo } from '../kiro/catalog';
import type { KiroProfile } from '../kiro/profiles';
import { apiRegionOf } from '../kiro/endpoints';

/** What the views show. Derived from the stored status, the clock and the token expiry. */
export type AccountState = 'active' | 'cooldown' | 'expired' | 'needs-login' | 'exhausted' | 'suspended' | 'disabled';

/**
 * The persisted part of the state: `status`, `until` and `reason` only ever change together
 * (`setHealth`). `cooldown` and `exhausted` end by themselves at `until`. Kept as three flat
 * fields so stored accounts read the same as before the union existed.
 */
export type AccountHealth =
  | { status: 'ok'; until?: undefined; reason?: undefined }
  | { status: 'cooldown' | 'exhausted'; until: number; reason: string }
  | { status: 'suspended' | 'needs-login'; until?: undefined; reason: string };

export type AccountStatus = AccountHealth['status'];

export const HEALTHY: AccountHealth = { status: 'ok' };

export interface AccountSource {
  kind: 'token-file' | 'import' | 'login' | 'migration';
  /** The IDE token file this account was copied from; we read it, never write it. */
  path?: string;
}

export interface AccountCounters {
  /** Calls sent to Kiro with this account. */
  requests: number;
  errors: number;
  /** Kiro credits charged, summed from `meteringEvent`. */
  credits: number;
}

/** What an `AccountStore` persists. Holds tokens: never log it or hand it to a view. */
export type StoredAccount = AccountRecord & AccountHealth;

/** Everything stored about an account but its health. */
export interface AccountRecord {
  id: string;
  /** A name the user gave (or the reference tool's `name`). */
  name?: string;
  email?: string;
  credentials: KiroCredentials;
  enabled: boolean;
  /** Lower is tried first by the `priority` strategy. */
  priority: number;
  counters: AccountCounters;
  quota?: Quota;
  /** Kiro model ids the account may use (ListAvailableModels), when known. */
  models?: string[];
  /** The Kiro profiles ListAvailableProfiles offered this (IdC) account; [] when none; undefined = not asked. */
  profiles?: KiroProfile[];
  /** What Kiro said of each of those models (limits, images, credits); the engine's catalog joins them. */
  catalog?: KiroModelInfo[];
  source?: AccountSource;
  /** This account's outbound proxy URL (may hold credentials: a secret); else the global one. */
  proxy?: string;
  addedAt: number;
  lastUsedAt?: number;
}

export interface AccountView {
  id: string;
  label: string;
  name?: string;
  email?: string;
  authMethod: AuthMethod;
  provider?: string;
  region: string;
  profileArn?: string;
  /** Where the account's chat, usage and model calls go: its profile's region (us-east-1 without one). */
  apiRegion: string;
  /** Profiles to choose from, when Kiro offered several and none is chosen yet. */
  profileChoices?: KiroProfile[];
  machineId: string;
  state: AccountState;
  enabled: boolean;
  priority: number;
  reason?: string;
  cooldownUntil?: number;
  exhaustedUntil?: number;
  /** Access token expiry, epoch ms. */
  tokenExpiresAt?: number;
  counters: AccountCounters;
  quota?: Quota;
  models?: string[];
  source?: AccountSource;
  /** The account's own outbound proxy, without credentials (scheme://host:port). */
  proxy?: string;
  addedAt: number;
  lastUsedAt?: number;
}

/** The one way an account's health changes: all three fields at once, nothing left from before. */
export function setHealth(account: StoredAccount, health: AccountHealth): void {
  Object.assign(account, { status: health.status, until: health.until, reason: health.reason });
}

/** The account's health alone, as a value of its own. */
export function healthOf(account: Pick<StoredAccount, 'status' | 'until' | 'reason'>): AccountHealth {
  return { status: account.status, until: account.until, reason: account.reason } as AccountHealth;
}

export function stateOf(account: StoredAccount, now: number): AccountState {
  if (!account.enabled) return 'disabled';
  switch (account.status) {
    case 'needs-login':
    case 'suspended':
      return account.status;
    case 'exhausted':
    case 'cooldown':
      if ((account.until ?? 0) > now) return account.status;
      break;
  }
  const expiresAt = account.credentials.expiresAt;
  return expiresAt !== undefined && expiresAt <= now ? 'expired' : 'active';
}

/**
 * Whether tokens `a` are newer than `b` (they expire later). Only newer tokens may replace ours:
 * a refresh rotates the refresh token, and an older copy may hold the dead one.
 */
export function isNewer(a: Pick<KiroCredentials, 'expiresAt'>, b: Pick<KiroCredentials, 'expiresAt'>): boolean {
  return (a.expiresAt ?? 0) > (b.expiresAt ?? 0);
}

/** The e-mail when Kiro told us, else the user's name for it, else provider + short id. */
export function labelOf(account: StoredAccount): string {
  if (account.email) return account.email;
  if (account.name) return account.name;
  const kind = account.credentials.provider ?? (account.credentials.authMethod === 'idc' ? 'IdC' : 'Social');
  return `${kind} ${account.id.slice(0, 6)}`;
}

export function viewOf(account: StoredAccount, now: number): AccountView {
  const state = stateOf(account, now);
  const { credentials: c } = account;
  return {
    id: account.id,
    label: labelOf(account),
    ...(account.name ? { name: account.name } : {}),
    ...(account.email ? { email: account.email } : {}),
    authMethod: c.authMethod,
    ...(c.provider ? { provider: c.provider } : {}),
    region: c.region,
    ...(c.profileArn ? { profileArn: c.profileArn } : {}),
    apiRegion: apiRegionOf(c.profileArn),
    ...(!c.profileArn && (account.profiles?.length ?? 0) > 1 ? { profileChoices: account.profiles!.map((p) => ({ ...p })) } : {}),
    machineId: c.machineId,
    state,
    enabled: account.enabled,
    priority: account.priority,
    ...(account.reason && state !== 'active' && state !== 'expired' ? { reason: account.reason } : {}),
    ...(state === 'cooldown' ? { cooldownUntil: account.until } : {}),
    ...(state === 'exhausted' ? { exhaustedUntil: account.until } : {}),
    ...(c.expiresAt !== undefined ? { tokenExpiresAt: c.expiresAt } : {}),
    counters: { ...account.counters },
    ...(account.quota ? { quota: account.quota } : {}),
    ...(account.models ? { models: [...account.models] } : {}),
    ...(account.source ? { source: { ...account.source } } : {}),
    ...(account.proxy ? { proxy: proxyLabel(account.proxy) } : {}),
    addedAt: account.addedAt,
    ...(account.lastUsedAt !== undefined ? { lastUsedAt: account.lastUsedAt } : {}),
  };
}
