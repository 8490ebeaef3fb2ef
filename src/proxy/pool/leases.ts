// Handing accounts to requests: which account an attempt gets (sticky sessions, the selection
// strategy, accounts to avoid), waiting for a cooling account when allowed, and why none can
// serve when none can. A lease holds its sticky session until it is released.
import { randomUUID } from 'node:crypto';
import type { ProxyConfig } from '../config';
import { ProxyError, clientClosedError } from '../errors';
import type { KiroCredentials } from '../kiro/credentials';
import { labelOf, stateOf, type AccountState, type StoredAccount } from './account';
import type { Clock } from './clock';
import { chooseAccount, RecentLoad } from './selection';
import { SessionTable, type StickySession } from './sessions';

/** One attempt's hold on an account, from `acquire` until `release`. */
export interface Lease {
  accountId: string;
  label: string;
  /** Fresh: refreshed first when the token was about to expire. */
  credentials: KiroCredentials;
  /** Stable for a sticky session on one account; a new UUID otherwise. */
  conversationId: string;
  /** The account's own outbound proxy, when it has one: every call of the attempt goes through it. */
  proxy?: string;
}

export interface AcquireRequest {
  /** The client's session key (derived by the adapters); same key → same account while it can serve. */
  sessionKey?: string;
  kiroModel?: string;
  /** Accounts already tried for this request; never returned. */
  exclude: ReadonlySet<string>;
  /** Accounts to use only when no other can serve (e.g. one that just failed transiently). */
  avoid?: ReadonlySet<string>;
  signal?: AbortSignal;
}

/** How fast least-used forgets: a request started this long ago weighs half. */
const LOAD_HALF_LIFE_MS = 60 * 1000;

export interface LeaseDeps {
  clock: Clock;
  config(): Pick<ProxyConfig, 'maxWaitSeconds' | 'stickinessSeconds' | 'strategy'>;
  accounts(): Iterable<StoredAccount>;
  accountCount(): number;
  /** The account's credentials for a call, refreshed first when due; throws when it cannot serve. */
  credentials(account: StoredAccount): KiroCredentials | Promise<KiroCredentials>;
  /** Counts a request on the account (see AccountPool.count). */
  counted(account: StoredAccount, now: number): void;
}

export class Leases {
  private readonly sessions: SessionTable;
  /** The sticky session a lease holds until it is released. */
  private readonly held = new WeakMap<Lease, { key: string; session: StickySession }>();
  private readonly load = new RecentLoad(LOAD_HALF_LIFE_MS);
  private readonly waiters = new Set<() => void>();
  private lastPicked?: string;

  constructor(private readonly deps: LeaseDeps) {
    this.sessions = new SessionTable(() => deps.config().stickinessSeconds * 1000);
  }

  /** An account for one attempt of a request; `release` the lease when the attempt ends. */
  async acquire(req: AcquireRequest): Promise<Lease> {
    const { clock } = this.deps;
    // The excluded accounts plus those whose token could not be had; copied only when one could not.
    let skip: ReadonlySet<string> = req.exclude;
    const deadline = clock.now() + this.deps.config().maxWaitSeconds * 1000;
    let lastError: unknown;
    for (;;) {
      if (req.signal?.aborted) throw clientClosedError();
      const account = this.pick(req, skip);
      if (account) {
        try {
          // Most requests need no refresh: no await (and no promise) for them.
          const credentials = this.deps.credentials(account);
          return this.grant(account, this.sessionKeyOf(req), credentials instanceof Promise ? await credentials : credentials);
        } catch (err) {
          // The next account may still serve; this one's problem is recorded on it.
          skip = new Set(skip).add(account.id);
          lastError = err;
          continue;
        }
      }
      const recovery = this.earliestRecovery(req, skip);
      const now = clock.now();
      if (recovery !== undefined && recovery <= deadline) {
        await this.waitForChange(recovery - now, req.signal);
        continue;
      }
      throw this.unavailable(req, skip, recovery, lastError);
    }
  }

  /**
   * Ends a lease: once per lease, when its attempt failed or its reply ended (however). Its
   * session stays live until then, and its stickiness window starts over from now.
   */
  release(lease: Lease): void {
    const held = this.held.get(lease);
    if (!held) return;
    this.held.delete(lease);
    this.sessions.release(held.key, held.session, this.deps.clock.now());
  }

  /** Forgets what was kept in memory about a removed account. */
  forget(id: string): void {
    this.sessions.forgetAccount(id);
    this.load.forget(id);
  }

  /** Something changed (an account added, back, or refreshed): waiting requests look again. */
  wake(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private grant(account: StoredAccount, sessionKey: string | undefined, credentials: KiroCredentials): Lease {
    const now = this.deps.clock.now();
    this.deps.counted(account, now);
    this.load.add(account.id, now);
    this.lastPicked = account.id;
    const session = sessionKey ? this.sessions.bind(sessionKey, account.id, now) : undefined;
    const lease: Lease = { accountId: account.id, label: labelOf(account), credentials, conversationId: session?.conversationId ?? randomUUID() };
    if (account.proxy) lease.proxy = account.proxy;
    if (sessionKey && session) this.held.set(lease, { key: sessionKey, session });
    return lease;
  }

  private pick(req: AcquireRequest, skip: ReadonlySet<string>): StoredAccount | undefined {
    const now = this.deps.clock.now();
    const usable = this.servable(req, skip).filter((a) => isUsable(stateOf(a, now)));
    const preferred = usable.filter((a) => !req.avoid?.has(a.id));
    const candidates = preferred.length ? preferred : usable;
    const sessionKey = this.sessionKeyOf(req);
    // Every account already failed this request once: spread the retries by load, not all on one.
    if (sessionKey && preferred.length) {
      const session = this.sessions.find(sessionKey, now);
      const sticky = session && candidates.find((a) => a.id === session.accountId);
      if (sticky) return sticky;
    }
    return chooseAccount(candidates, this.deps.config().strategy, this.lastPicked, (a) => this.load.of(a.id, now));
  }

  /** No stickiness at 0 s, not even while a request of the session runs. */
  private sessionKeyOf(req: AcquireRequest): string | undefined {
    return this.deps.config().stickinessSeconds > 0 ? req.sessionKey : undefined;
  }

  /** Accounts that could serve this request if their state allowed: not excluded, model offered. */
  private servable(req: AcquireRequest, skip: ReadonlySet<string>): StoredAccount[] {
    const all = [...this.deps.accounts()].filter((a) => !skip.has(a.id));
    const model = req.kiroModel;
    // Some working models are not listed (§1.4): filter only when some account lists this one.
    const listed = model !== undefined && all.some((a) => a.models?.includes(model));
    return listed ? all.filter((a) => !a.models || a.models.includes(model)) : all;
  }

  private earliestRecovery(req: AcquireRequest, skip: ReadonlySet<string>): number | undefined {
    const now = this.deps.clock.now();
    const ends = this.servable(req, skip)
      .filter((a) => stateOf(a, now) === 'cooldown')
      .map((a) => a.until ?? now);
    return ends.length ? Math.min(...ends) : undefined;
  }

  private unavailable(req: AcquireRequest, skip: ReadonlySet<string>, recovery: number | undefined, lastError: unknown): ProxyError {
    const now = this.deps.clock.now();
    const accounts = [...this.deps.accounts()];
    const why = () => accounts.map((a) => `${labelOf(a)}: ${this.whyUnusable(a, req, skip)}`).join('; ');
    if (recovery !== undefined) {
      const retryAfterSeconds = Math.max(1, Math.ceil((recovery - now) / 1000));
      // Not only 429s cool accounts down: say why each one rests.
      return new ProxyError('rate_limit', `Every Kiro account is cooling down; the first is back in ${retryAfterSeconds} s. ${why()}`, { retryAfterSeconds });
    }
    if (this.deps.accountCount() === 0) {
      // 403, not 503: the SDKs (Anthropic, OpenAI), Claude Code, Codex and Gemini CLI retry 408,
      // 409, 429 and 5xx, and Claude Code retried this one for minutes before showing it.
      return new ProxyError(
        'permission',
        'No Kiro account is available: add one (VS Code: "Kiro: Add Account"; CLI: kiro-proxy login --google, --github or --builder-id, ' +
          'or kiro-proxy import <file>; or sign in with the Kiro IDE, whose token in ~/.aws/sso/cache is picked up). Retrying will not help until then.',
        { code: 'no_kiro_account' },
      );
    }
    const triedAll = accounts.some((a) => req.exclude.has(a.id) && isUsable(stateOf(a, now)));
    if (triedAll && lastError === undefined) {
      return new ProxyError('upstream', 'Every usable Kiro account was tried for this request and failed.');
    }
    return new ProxyError('overloaded', `No Kiro account is available. ${why()}`, { status: 503 });
  }

  private whyUnusable(account: StoredAccount, req: AcquireRequest, skip: ReadonlySet<string>): string {
    const state = stateOf(account, this.deps.clock.now());
    if (state === 'disabled') return 'disabled';
    if (state === 'active' || state === 'expired') {
      if (req.exclude.has(account.id)) return 'already failed for this request';
      if (skip.has(account.id)) return `could not refresh its token${account.reason ? ` (${account.reason})` : ''}`;
      return `does not offer model ${req.kiroModel}`;
    }
    return `${state}${account.reason ? ` (${account.reason})` : ''}`;
  }

  private waitForChange(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        timer.cancel();
        this.waiters.delete(done);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        done();
        reject(clientClosedError());
      };
      const timer = this.deps.clock.setTimer(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function isUsable(state: AccountState): boolean {
  return state === 'active' || state === 'expired';
}
