// Keeping an account's access token fresh: when it is due (refresh-ahead, capped by the token's
// lifetime), and one refresh at a time per account however many requests need it.
import type { ProxyConfig } from '../config';
import { messageOf } from '../errors';
import type { Logger } from '../logger';
import { isApiKey } from '../kiro/api-key';
import { NeedsLoginError, refreshCredentials, type TokenGrant } from '../kiro/auth';
import type { KiroCredentials } from '../kiro/credentials';
import type { KiroHosts } from '../kiro/endpoints';
import type { KiroHttp } from '../kiro/http';
import { HEALTHY, labelOf, setHealth, type StoredAccount } from './account';
import type { Clock } from './clock';
import type { NewCredentials } from './token-files';

/** Used when Kiro gives no `expiresIn`, or the lifetime is unknown: social tokens live about an hour (§6.2). */
export const DEFAULT_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

/** What the freshness keeper needs of the pool that holds the accounts. */
export interface FreshnessDeps {
  http: KiroHttp;
  hosts: KiroHosts;
  clock: Clock;
  logger: Logger;
  config(): Pick<ProxyConfig, 'refreshAheadMinutes'>;
  /** The account as the pool holds it now (a reload may replace the object); throws when gone. */
  require(id: string): StoredAccount;
  /** Changes the account in place and announces it (see AccountPool.mutate). */
  mutate(id: string, change: (account: StoredAccount) => void): void;
  persist(): Promise<void>;
}

export class TokenFreshness {
  private readonly refreshing = new Map<string, Promise<KiroCredentials>>();
  /** When we were issued the credentials we got by refreshing (unknown for imported ones). */
  private readonly issuedAt = new WeakMap<KiroCredentials, number>();

  constructor(private readonly deps: FreshnessDeps) {}

  dueForRefresh(account: StoredAccount): boolean {
    const { accessToken, expiresAt } = account.credentials;
    return !accessToken || (expiresAt !== undefined && expiresAt - this.deps.clock.now() < this.refreshAheadMs(account.credentials));
  }

  /** The account's credentials, refreshed first when they expire within the refresh-ahead time. */
  async fresh(account: StoredAccount): Promise<KiroCredentials> {
    if (!this.dueForRefresh(account)) return { ...account.credentials };
    try {
      return await this.refreshOnce(account.id);
    } catch (err) {
      // A failed early refresh is harmless while the old token still works.
      const { expiresAt } = account.credentials;
      if (!(err instanceof NeedsLoginError) && account.credentials.accessToken && expiresAt !== undefined && expiresAt > this.deps.clock.now()) {
        return { ...account.credentials };
      }
      throw err;
    }
  }

  /**
   * A new access token once per dead one: when the account's token is no longer `failed` (another
   * request refreshed it since), that one, unless a refresh is still running (then its result).
   */
  renew(id: string, failed: string | undefined): Promise<KiroCredentials> {
    const { credentials } = this.deps.require(id);
    const replaced = failed !== undefined && credentials.accessToken !== failed;
    return replaced && !this.refreshing.has(id) ? Promise.resolve({ ...credentials }) : this.refreshOnce(id);
  }

  /** Single flight: concurrent callers for one account share one refresh call. An API key has nothing to refresh. */
  refreshOnce(id: string): Promise<KiroCredentials> {
    const { credentials } = this.deps.require(id);
    if (isApiKey(credentials)) return Promise.resolve({ ...credentials });
    const running = this.refreshing.get(id);
    if (running) return running;
    const refresh = this.refreshNow(id).finally(() => this.refreshing.delete(id));
    this.refreshing.set(id, refresh);
    return refresh;
  }

  /**
   * `refreshAheadMinutes`, but at most half the token's lifetime (of an hour when unknown): any
   * more and every request and every scheduler tick would refresh.
   */
  private refreshAheadMs(credentials: KiroCredentials): number {
    const issuedAt = this.issuedAt.get(credentials);
    const lifetime = issuedAt !== undefined && credentials.expiresAt !== undefined ? credentials.expiresAt - issuedAt : DEFAULT_TOKEN_LIFETIME_MS;
    return Math.min(this.deps.config().refreshAheadMinutes * 60_000, lifetime / 2);
  }

  private async refreshNow(id: string): Promise<KiroCredentials> {
    const { http, hosts, clock, logger } = this.deps;
    const account = this.deps.require(id);
    try {
      const grant = await refreshCredentials(http.via(account.proxy), hosts, account.credentials, clock.now());
      const now = clock.now();
      // The account as it is now: a reload may have replaced the object while Kiro answered.
      const current = this.deps.require(id);
      const credentials: KiroCredentials = { ...withGrant(current.credentials, grant, now), machineId: current.credentials.machineId };
      this.issuedAt.set(credentials, now);
      this.deps.mutate(id, (a) => {
        a.credentials = credentials;
        if (a.status === 'needs-login') setHealth(a, HEALTHY);
      });
      // A rotated refresh token kills the old one: it must be on disk before anyone uses it.
      await this.deps.persist().catch((err) => logger.error(`could not save refreshed tokens: ${messageOf(err)}`));
      return { ...credentials };
    } catch (err) {
      if (err instanceof NeedsLoginError) {
        this.deps.mutate(id, (a) => setHealth(a, { status: 'needs-login', reason: err.message }));
        logger.warn(`account ${labelOf(account)} needs a new sign-in: ${err.message}`);
      } else {
        this.deps.mutate(id, (a) => void a.counters.errors++);
        logger.warn(`token refresh of ${labelOf(account)} failed: ${messageOf(err)}`);
      }
      throw err;
    }
  }
}

/** `creds` with what a refresh granted; a lifetime of an hour when Kiro gave none. */
export function withGrant(creds: NewCredentials, grant: TokenGrant, now: number): NewCredentials {
  return {
    ...creds,
    accessToken: grant.accessToken,
    refreshToken: grant.refreshToken ?? creds.refreshToken,
    profileArn: grant.profileArn ?? creds.profileArn,
    expiresAt: grant.expiresAt ?? now + DEFAULT_TOKEN_LIFETIME_MS,
  };
}
