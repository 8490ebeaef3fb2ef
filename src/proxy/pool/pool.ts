// The account pool: which Kiro account serves a request, keeping its tokens fresh, and what a
// failure does to it (cooldown, exhaustion, suspension, sign-in needed). Every change is
// persisted through the AccountStore and announced as a `change` event; nothing polls.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ProxyConfig } from '../config';
import { ProxyError, clientClosedError, messageOf } from '../errors';
import { silentLogger, type Logger } from '../logger';
import { NeedsLoginError, refreshCredentials } from '../kiro/auth';
import type { KiroCredentials } from '../kiro/credentials';
import { kiroHosts, type KiroHosts } from '../kiro/endpoints';
import { KiroCallError, type KiroFailure } from '../kiro/errors';
import { machineIdFor } from '../kiro/headers';
import type { KiroHttp } from '../kiro/http';
import {
  BUILDER_ID_START_URL,
  codeFromRedirect,
  createPkce,
  exchangeSocialCode,
  pollDeviceToken,
  registerDeviceClient,
  socialLoginUrl,
  startCallbackServer,
  startDeviceAuthorization,
  type SocialProvider,
} from '../kiro/login';
import { getUsageLimits, listAvailableModels } from '../kiro/usage';
import { isNewer, stateOf, viewOf, labelOf, type AccountSource, type AccountState, type AccountView, type StoredAccount } from './account';
import { systemClock, type Clock, type Timer } from './clock';
import { readKiroCliStore } from './kiro-cli-store';
import { defaultReferenceConfigPath, readReferenceConfig } from './migrate';
import { chooseAccount, RecentLoad } from './selection';
import { SessionTable, type StickySession } from './sessions';
import type { AccountStore } from './store';
import { parsePastedCredentials, readTokenFile, scanTokenDir, type NewCredentials, type SkippedSource } from './token-files';
import { watchJsonFiles, type DirWatcher } from './watch';

/** One attempt's hold on an account, from `acquire` until `release`. */
export interface Lease {
  accountId: string;
  label: string;
  /** Fresh: refreshed first when the token was about to expire. */
  credentials: KiroCredentials;
  /** Stable for a sticky session on one account; a new UUID otherwise. */
  conversationId: string;
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

export type PoolChange =
  | { type: 'added'; account: AccountView }
  | { type: 'removed'; accountId: string }
  /** State, tokens' expiry, quota, counters or settings changed. */
  | { type: 'updated'; account: AccountView; previousState: AccountState };

/** The IDE wrote a token file we could import (`new`) or fresher tokens for an account we copied (`updated`). */
export interface TokenFileNotice {
  kind: 'new' | 'updated';
  path: string;
  accountId?: string;
  label?: string;
}

export interface ImportResult {
  added: AccountView[];
  updated: AccountView[];
  skipped: SkippedSource[];
  notes: string[];
}

export interface NewAccount {
  credentials: NewCredentials;
  name?: string;
  email?: string;
  source?: AccountSource;
  enabled?: boolean;
  priority?: number;
}

export interface AccountPoolOptions {
  config: ProxyConfig;
  http: KiroHttp;
  store: AccountStore;
  clock?: Clock;
  logger?: Logger;
  /** Import the token folder's Kiro files when the store holds no account (default true). */
  scanWhenEmpty?: boolean;
  /** Watch the token folder while started (default true). */
  watchTokenDir?: boolean;
  /** Background quota refresh interval (default 30 min). */
  quotaIntervalMs?: number;
}

interface PoolEvents {
  change: [PoolChange];
  'token-file': [TokenFileNotice];
}

const COUNTER_SAVE_DELAY_MS = 5_000;
const SUSPICIOUS_COOLDOWN_MS = 60 * 60 * 1000;
/** A 403 that no new token fixes (e.g. FEATURE_NOT_SUPPORTED): retried after this long. */
const DENIED_COOLDOWN_MS = 30 * 60 * 1000;
/** How fast least-used forgets: a request started this long ago weighs half. */
const LOAD_HALF_LIFE_MS = 60 * 1000;
const SCHEDULER_TICK_MS = 60 * 1000;
const DEFAULT_QUOTA_INTERVAL_MS = 30 * 60 * 1000;
/** Used when Kiro gives no `expiresIn`, or the lifetime is unknown: social tokens live about an hour (§6.2). */
const DEFAULT_TOKEN_LIFETIME_MS = 60 * 60 * 1000;
/** setTimeout fires at once beyond this (~24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class AccountPool extends EventEmitter<PoolEvents> {
  private readonly accounts = new Map<string, StoredAccount>();
  private readonly refreshing = new Map<string, Promise<KiroCredentials>>();
  private readonly stateTimers = new Map<string, Timer>();
  private readonly waiters = new Set<() => void>();
  private readonly sessions: SessionTable;
  /** The sticky session a lease holds until it is released. */
  private readonly held = new WeakMap<Lease, { key: string; session: StickySession }>();
  private readonly load = new RecentLoad(LOAD_HALF_LIFE_MS);
  /** When we were issued the credentials we got by refreshing (unknown for imported ones). */
  private readonly issuedAt = new WeakMap<KiroCredentials, number>();
  private readonly hosts: KiroHosts;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private lastPicked?: string;
  private pendingSave?: Promise<void>;
  private saveChain: Promise<void> = Promise.resolve();
  private tickTimer?: Timer;
  private watcher?: DirWatcher;
  private started = false;
  private counterSave?: Timer;
  private maintenance?: Promise<void>;

  constructor(private readonly opts: AccountPoolOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.hosts = kiroHosts(opts.config.kiroEndpoint);
    this.sessions = new SessionTable(() => opts.config.stickinessSeconds * 1000);
  }

  private get config(): ProxyConfig {
    return this.opts.config;
  }

  async init(): Promise<void> {
    await this.reload();
    if (this.accounts.size === 0 && this.opts.scanWhenEmpty !== false) await this.importFromTokenDir();
  }

  /** Re-reads the store (another VS Code window changed it) and announces every difference. */
  async reload(): Promise<void> {
    // Accounts added while the store is being read are newer than what it returns: keep them.
    const known = new Set(this.accounts.keys());
    const stored = await this.opts.store.load();
    const now = this.clock.now();
    const seen = new Set<string>();
    let keptTokens = false;
    for (const account of stored) {
      seen.add(account.id);
      const previous = this.accounts.get(account.id);
      // Likewise tokens refreshed meanwhile: the stored copy may hold a refresh token that rotation killed.
      if (previous && isNewer(previous.credentials, account.credentials)) {
        account.credentials = previous.credentials;
        keptTokens = true;
      }
      this.accounts.set(account.id, account);
      this.armStateTimer(account);
      this.emit(
        'change',
        previous
          ? { type: 'updated', account: viewOf(account, now), previousState: stateOf(previous, now) }
          : { type: 'added', account: viewOf(account, now) },
      );
    }
    for (const id of known) {
      if (seen.has(id) || !this.accounts.has(id)) continue;
      this.drop(id);
      this.emit('change', { type: 'removed', accountId: id });
    }
    // The store must not keep the older tokens: a window that reads them would need a new sign-in.
    if (keptTokens) this.persist().catch((err) => this.logger.error(`could not save accounts: ${messageOf(err)}`));
    this.wakeWaiters();
  }

  // ---- serving requests ----

  /** An account for one attempt of a request; `release` the lease when the attempt ends. */
  async acquire(req: AcquireRequest): Promise<Lease> {
    const skip = new Set(req.exclude);
    const deadline = this.clock.now() + this.config.maxWaitSeconds * 1000;
    let lastError: unknown;
    for (;;) {
      throwIfAborted(req.signal);
      const account = this.pick(req, skip);
      if (account) {
        try {
          // Most requests need no refresh: no await (and no promise) for them.
          const credentials = this.dueForRefresh(account) ? await this.freshCredentials(account) : { ...account.credentials };
          return this.lease(account, this.sessionKeyOf(req), credentials);
        } catch (err) {
          // The next account may still serve; this one's problem is recorded on it.
          skip.add(account.id);
          lastError = err;
          continue;
        }
      }
      const recovery = this.earliestRecovery(req, skip);
      const now = this.clock.now();
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
    this.sessions.release(held.key, held.session, this.clock.now());
  }

  reportSuccess(accountId: string, info: { credits?: number }): void {
    this.count(accountId, (account) => {
      if (info.credits && Number.isFinite(info.credits)) account.counters.credits += info.credits;
    });
  }

  /** Applies what a failed call means for the account (the failover table in the README's Accounts section). */
  reportFailure(accountId: string, failure: KiroFailure): void {
    // The client's fault: the account is fine and its counters stay as they are.
    if (failure.kind === 'bad_request' || failure.kind === 'too_long') return;
    this.mutate(accountId, (account) => {
      const now = this.clock.now();
      switch (failure.kind) {
        case 'throttled': {
          const ms = Math.max(this.config.cooldownSeconds, failure.retryAfterSeconds ?? 0) * 1000;
          this.coolDown(account, now + ms, 'Kiro is rate limiting this account (429); it rests, then comes back by itself.');
          break;
        }
        case 'suspicious': {
          const ms = Math.max(SUSPICIOUS_COOLDOWN_MS, (failure.retryAfterSeconds ?? 0) * 1000);
          this.coolDown(account, now + ms, `Kiro limited this account for suspicious activity; it rests for an hour. Heavy use of several accounts can lead to a suspension. (${failure.message})`);
          this.logger.warn(`account ${labelOf(account)}: Kiro reported suspicious activity; cooling down for an hour`);
          break;
        }
        case 'exhausted': {
          const until = resetDate(account, now);
          Object.assign(account, { status: 'exhausted', until, reason: `Monthly Kiro credits used up; back on ${new Date(until).toISOString().slice(0, 10)}.` });
          // The reset date comes from getUsageLimits; until it answers, the 1st of next month stands.
          this.refreshQuota(account.id).catch((err) => this.logger.debug(`quota after 402 failed: ${messageOf(err)}`));
          break;
        }
        case 'suspended':
          Object.assign(account, { status: 'suspended', until: undefined, reason: `Kiro suspended this account: ${failure.message}` });
          this.logger.warn(`account ${labelOf(account)} is suspended by Kiro`);
          break;
        case 'auth': {
          // No new token fixes it, and each try costs a Kiro call: the account rests.
          const answer = failure.reason ? `403 ${failure.reason}` : '403';
          this.coolDown(account, now + DENIED_COOLDOWN_MS, `Kiro refused this account (${answer}: ${failure.message}); it is tried again in ${DENIED_COOLDOWN_MS / 60_000} minutes.`);
          break;
        }
        case 'bearer_invalid':
        case 'transient':
          break; // counted below; the exchange refreshes or retries
      }
      account.counters.errors++;
    });
  }

  /**
   * After a `403 bearer token is invalid` for `failedToken`: a new access token, at most one
   * refresh per dead token (see `renew`). Without `failedToken` it always refreshes.
   */
  async forceRefresh(accountId: string, failedToken?: string): Promise<KiroCredentials> {
    try {
      return await this.renew(accountId, failedToken);
    } catch (err) {
      throw asProxyError(err);
    }
  }

  // ---- management ----

  list(): AccountView[] {
    const now = this.clock.now();
    return [...this.accounts.values()].map((a) => viewOf(a, now));
  }

  get(id: string): AccountView | undefined {
    const account = this.accounts.get(id);
    return account && viewOf(account, this.clock.now());
  }

  view(id: string): AccountView {
    return viewOf(this.require(id), this.clock.now());
  }

  /** Adds an account, or updates the one with the same source file or refresh token. */
  async add(input: NewAccount): Promise<AccountView> {
    const { view } = await this.upsert(input);
    return view;
  }

  async remove(id: string): Promise<void> {
    this.require(id);
    this.drop(id);
    await this.persist();
    this.emit('change', { type: 'removed', accountId: id });
  }

  async setEnabled(id: string, enabled: boolean): Promise<void> {
    this.mutate(id, (account) => void (account.enabled = enabled));
    await this.persist();
  }

  async setPriority(id: string, priority: number): Promise<void> {
    this.mutate(id, (account) => void (account.priority = priority));
    await this.persist();
  }

  /** Puts every cooling account back into rotation; returns how many there were. */
  clearCooldowns(): number {
    let cleared = 0;
    for (const account of this.accounts.values()) {
      if (account.status !== 'cooldown') continue;
      if (stateOf(account, this.clock.now()) === 'cooldown') cleared++;
      this.mutate(account.id, (a) => Object.assign(a, { status: 'ok', until: undefined, reason: undefined }));
    }
    return cleared;
  }

  /** Refreshes the account's tokens now. */
  async refresh(id: string): Promise<void> {
    await this.forceRefresh(id);
  }

  /** Refreshes every account that can be refreshed; failures are recorded on the accounts. */
  async refreshAll(): Promise<{ refreshed: number; failed: Array<{ id: string; label: string; reason: string }> }> {
    const ids = [...this.accounts.values()].filter((a) => a.enabled && a.status !== 'suspended').map((a) => a.id);
    const results = await Promise.allSettled(ids.map((id) => this.refreshOnce(id)));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ id: ids[i], label: this.get(ids[i])?.label ?? ids[i], reason: messageOf(r.reason) }] : [],
    );
    return { refreshed: ids.length - failed.length, failed };
  }

  /** The Kiro model ids the enabled accounts reported, or undefined before any account did. */
  availableModels(): Set<string> | undefined {
    const ids = new Set<string>();
    for (const account of this.accounts.values()) {
      if (account.enabled) for (const id of account.models ?? []) ids.add(id);
    }
    return ids.size ? ids : undefined;
  }

  /** Asks Kiro for the account's credits (and e-mail and models); an exhausted account learns its reset date. */
  async refreshQuota(id: string): Promise<void> {
    const account = this.require(id);
    const usage = async (creds: KiroCredentials) => ({
      creds,
      quota: await getUsageLimits(this.opts.http, this.hosts, creds, { now: this.clock.now() }),
    });
    let answer: Awaited<ReturnType<typeof usage>>;
    try {
      const first = await this.freshCredentials(account);
      answer = await usage(first).catch(async (err) => {
        if (!(err instanceof KiroCallError) || err.failure.kind !== 'bearer_invalid') throw err;
        return usage(await this.renew(id, first.accessToken));
      });
    } catch (err) {
      if (err instanceof KiroCallError && err.failure.kind === 'suspended') this.reportFailure(id, err.failure);
      throw asProxyError(err);
    }
    const { creds, quota } = answer;
    const models = await listAvailableModels(this.opts.http, this.hosts, creds).catch(() => undefined);
    this.mutate(id, (a) => {
      a.quota = quota;
      if (quota.email) a.email = quota.email;
      if (models?.length) a.models = models.map((m) => m.modelId);
      if (a.status === 'exhausted' && quota.resetAt && quota.resetAt > this.clock.now()) a.until = quota.resetAt;
    });
    await this.persist();
  }

  async importFromTokenDir(dir = this.config.tokenDir): Promise<ImportResult> {
    const { found, skipped } = await scanTokenDir(dir);
    const result: ImportResult = { added: [], updated: [], skipped, notes: [] };
    for (const file of found) {
      const { view, created } = await this.upsert({ credentials: file.credentials, source: { kind: 'token-file', path: file.path } });
      (created ? result.added : result.updated).push(view);
    }
    return result;
  }

  /** Imports one token file (after a `token-file` notice), or refreshes the copy we already have. */
  async importTokenFile(file: string): Promise<ImportResult> {
    const credentials = await readTokenFile(file);
    if (!credentials) return { added: [], updated: [], skipped: [{ path: file, reason: 'not a Kiro token file' }], notes: [] };
    const { view, created } = await this.upsert({ credentials, source: { kind: 'token-file', path: file } });
    return { added: created ? [view] : [], updated: created ? [] : [view], skipped: [], notes: [] };
  }

  /** A pasted token JSON or bare refresh token. Tokens without an access token are refreshed first, proving they work. */
  async importJson(text: string): Promise<ImportResult> {
    const result: ImportResult = { added: [], updated: [], skipped: [], notes: [] };
    const list = parsePastedCredentials(text);
    for (const [i, parsed] of list.entries()) {
      let credentials = parsed;
      if (!credentials.accessToken) {
        try {
          const grant = await refreshCredentials(this.opts.http, this.hosts, { ...credentials, machineId: machineIdFor(randomUUID()) }, this.clock.now());
          credentials = withGrant(credentials, grant, this.clock.now());
        } catch (err) {
          result.skipped.push({ path: `pasted entry ${i + 1}`, reason: messageOf(err) });
          continue;
        }
      }
      const { view, created } = await this.upsert({ credentials, source: { kind: 'import' } });
      (created ? result.added : result.updated).push(view);
    }
    return result;
  }

  /**
   * Google/GitHub sign-in: `onLoginUrl` gets the portal URL to open; the code comes back to a
   * localhost callback, or through `pastedRedirect` when the browser cannot reach this machine.
   */
  async loginWithSocial(
    provider: SocialProvider,
    options: { signal?: AbortSignal; onLoginUrl(url: string): void; pastedRedirect?: Promise<string> },
  ): Promise<AccountView> {
    const callback = await startCallbackServer();
    try {
      const pkce = createPkce();
      const { redirectUri } = callback;
      options.onLoginUrl(socialLoginUrl(this.hosts, provider, redirectUri, pkce));
      const pasted = options.pastedRedirect?.then((url) => codeFromRedirect(url, pkce.state));
      const code = await Promise.race([callback.waitForCode(pkce.state, options.signal), ...(pasted ? [pasted] : [])]);
      const credentials = await exchangeSocialCode(this.opts.http, this.hosts, { provider, code, verifier: pkce.verifier, redirectUri }, this.clock.now());
      return await this.addSignedIn(credentials);
    } finally {
      await callback.close();
    }
  }

  /** AWS Builder ID (or an IAM Identity Center start URL) with the device code: `onUserCode` shows the code to enter. */
  async loginWithBuilderId(options: {
    signal?: AbortSignal;
    onUserCode(code: { userCode: string; verificationUri: string; verificationUriComplete?: string }): void;
    startUrl?: string;
    region?: string;
  }): Promise<AccountView> {
    const startUrl = options.startUrl ?? BUILDER_ID_START_URL;
    const client = await registerDeviceClient(this.opts.http, this.hosts, options.region);
    const auth = await startDeviceAuthorization(this.opts.http, this.hosts, client, startUrl);
    const { userCode, verificationUri, verificationUriComplete } = auth;
    options.onUserCode({ userCode, verificationUri, ...(verificationUriComplete ? { verificationUriComplete } : {}) });
    const credentials = await pollDeviceToken(this.opts.http, this.hosts, client, auth, {
      signal: options.signal,
      provider: startUrl === BUILDER_ID_START_URL ? 'BuilderId' : 'Enterprise',
    });
    return this.addSignedIn(credentials);
  }

  /** Adds a freshly signed-in account and asks for its quota, so it is labelled with its e-mail. */
  private async addSignedIn(credentials: NewCredentials): Promise<AccountView> {
    const { view } = await this.upsert({ credentials, source: { kind: 'login' } });
    await this.refreshQuota(view.id).catch((err) => this.logger.debug(`quota after sign-in failed: ${messageOf(err)}`));
    return this.view(view.id);
  }

  async migrateFromReferenceTool(file = defaultReferenceConfigPath()): Promise<ImportResult> {
    const { accounts, skipped, notes } = await readReferenceConfig(file);
    const result: ImportResult = { added: [], updated: [], skipped, notes };
    for (const a of accounts) {
      const { view, created } = await this.upsert({
        credentials: a.credentials,
        name: a.name,
        enabled: a.enabled,
        source: { kind: 'migration', path: a.tokenPath },
      });
      (created ? result.added : result.updated).push(view);
    }
    return result;
  }

  /**
   * The accounts kiro-cli (or the Amazon Q CLI) is signed in with, read from its SQLite store:
   * `dbPath`, or the default location when present. Without `node:sqlite` this is a note, not an error.
   */
  async importFromKiroCli(dbPath?: string): Promise<ImportResult> {
    const store = await readKiroCliStore(dbPath);
    const result: ImportResult = { added: [], updated: [], skipped: store.skipped, notes: store.notes };
    for (const a of store.accounts) {
      // One account per store key: importing again after kiro-cli refreshed updates it, like a token file.
      const { view, created } = await this.upsert({ credentials: a.credentials, source: { kind: 'import', path: `${store.path}#${a.key}` } });
      (created ? result.added : result.updated).push(view);
    }
    return result;
  }

  // ---- background work ----

  /** Starts refreshing tokens ahead of expiry and quotas periodically, and watching the token folder. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.scheduleTick(1000);
    this.watchTokenDir();
  }

  /** After `config.tokenDir` changed (the setting): the watch moves to the new folder. */
  rewatchTokenDir(): void {
    if (!this.started) return;
    this.watcher?.close();
    this.watchTokenDir();
  }

  private watchTokenDir(): void {
    if (this.opts.watchTokenDir === false) return;
    this.watcher = watchJsonFiles(this.config.tokenDir, (paths) => void this.noticeTokenFiles(paths));
  }

  stop(): void {
    this.started = false;
    this.tickTimer?.cancel();
    this.tickTimer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.counterSave) {
      this.counterSave.cancel();
      this.counterSave = undefined;
      this.persist().catch((err) => this.logger.error(`could not save accounts: ${messageOf(err)}`));
    }
  }

  /** Resolves once every pending save reached the store. */
  async flush(): Promise<void> {
    this.stop();
    await this.saveChain;
  }

  /** One pass of the scheduler; exposed so callers (and tests) can run it now. */
  runMaintenance(): Promise<void> {
    this.maintenance ??= this.maintain().finally(() => (this.maintenance = undefined));
    return this.maintenance;
  }

  private async maintain(): Promise<void> {
    const now = this.clock.now();
    const quotaInterval = this.opts.quotaIntervalMs ?? DEFAULT_QUOTA_INTERVAL_MS;
    for (const account of [...this.accounts.values()]) {
      if (!this.accounts.has(account.id)) continue;
      const state = stateOf(account, now);
      if (state === 'disabled' || state === 'suspended' || state === 'needs-login') continue;
      try {
        if (account.credentials.refreshToken && this.dueForRefresh(account)) await this.refreshOnce(account.id);
        if (!account.quota || now - account.quota.fetchedAt >= quotaInterval) await this.refreshQuota(account.id);
      } catch (err) {
        this.logger.debug(`background refresh of ${labelOf(account)} failed: ${messageOf(err)}`);
      }
    }
  }

  private scheduleTick(ms: number): void {
    this.tickTimer?.cancel();
    this.tickTimer = this.clock.setTimer(async () => {
      await this.runMaintenance();
      if (this.started) this.scheduleTick(SCHEDULER_TICK_MS);
    }, ms);
  }

  private async noticeTokenFiles(paths: string[]): Promise<void> {
    for (const file of paths) {
      const credentials = await readTokenFile(file).catch(() => undefined);
      if (!credentials) continue;
      const known = this.findDuplicate({ credentials, source: { kind: 'token-file', path: file } });
      if (!known) {
        this.emit('token-file', { kind: 'new', path: file });
      } else if (credentials.accessToken !== known.credentials.accessToken && (credentials.expiresAt ?? 0) > (known.credentials.expiresAt ?? 0)) {
        this.emit('token-file', { kind: 'updated', path: file, accountId: known.id, label: labelOf(known) });
      }
    }
  }

  // ---- internals ----

  private pick(req: AcquireRequest, skip: ReadonlySet<string>): StoredAccount | undefined {
    const now = this.clock.now();
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
    return chooseAccount(candidates, this.config.strategy, this.lastPicked, (a) => this.load.of(a.id, now));
  }

  /** No stickiness at 0 s, not even while a request of the session runs. */
  private sessionKeyOf(req: AcquireRequest): string | undefined {
    return this.config.stickinessSeconds > 0 ? req.sessionKey : undefined;
  }

  /** Accounts that could serve this request if their state allowed: not excluded, model offered. */
  private servable(req: AcquireRequest, skip: ReadonlySet<string>): StoredAccount[] {
    const all = [...this.accounts.values()].filter((a) => !skip.has(a.id));
    const model = req.kiroModel;
    // Some working models are not listed (§1.4): filter only when some account lists this one.
    const listed = model !== undefined && all.some((a) => a.models?.includes(model));
    return listed ? all.filter((a) => !a.models || a.models.includes(model)) : all;
  }

  private earliestRecovery(req: AcquireRequest, skip: ReadonlySet<string>): number | undefined {
    const now = this.clock.now();
    const ends = this.servable(req, skip)
      .filter((a) => stateOf(a, now) === 'cooldown')
      .map((a) => a.until ?? now);
    return ends.length ? Math.min(...ends) : undefined;
  }

  private unavailable(req: AcquireRequest, skip: ReadonlySet<string>, recovery: number | undefined, lastError: unknown): ProxyError {
    const now = this.clock.now();
    const why = () => [...this.accounts.values()].map((a) => `${labelOf(a)}: ${this.whyUnusable(a, req, skip)}`).join('; ');
    if (recovery !== undefined) {
      const retryAfterSeconds = Math.max(1, Math.ceil((recovery - now) / 1000));
      // Not only 429s cool accounts down: say why each one rests.
      return new ProxyError('rate_limit', `Every Kiro account is cooling down; the first is back in ${retryAfterSeconds} s. ${why()}`, { retryAfterSeconds });
    }
    if (this.accounts.size === 0) {
      return new ProxyError(
        'overloaded',
        'No Kiro account is available: add one (sign in with Google/GitHub/Builder ID, import the Kiro IDE token from ~/.aws/sso/cache, or paste a token).',
        { status: 503 },
      );
    }
    const triedAll = [...this.accounts.values()].some((a) => req.exclude.has(a.id) && isUsable(stateOf(a, now)));
    if (triedAll && lastError === undefined) {
      return new ProxyError('upstream', 'Every usable Kiro account was tried for this request and failed.');
    }
    return new ProxyError('overloaded', `No Kiro account is available. ${why()}`, { status: 503 });
  }

  private whyUnusable(account: StoredAccount, req: AcquireRequest, skip: ReadonlySet<string>): string {
    const state = stateOf(account, this.clock.now());
    if (state === 'disabled') return 'disabled';
    if (state === 'active' || state === 'expired') {
      if (req.exclude.has(account.id)) return 'already failed for this request';
      if (skip.has(account.id)) return `could not refresh its token${account.reason ? ` (${account.reason})` : ''}`;
      return `does not offer model ${req.kiroModel}`;
    }
    return `${state}${account.reason ? ` (${account.reason})` : ''}`;
  }

  private lease(account: StoredAccount, sessionKey: string | undefined, credentials: KiroCredentials): Lease {
    const now = this.clock.now();
    this.count(account.id, (a) => {
      a.counters.requests++;
      a.lastUsedAt = now;
    });
    this.load.add(account.id, now);
    this.lastPicked = account.id;
    const session = sessionKey ? this.sessions.bind(sessionKey, account.id, now) : undefined;
    const lease = { accountId: account.id, label: labelOf(account), credentials, conversationId: session?.conversationId ?? randomUUID() };
    if (sessionKey && session) this.held.set(lease, { key: sessionKey, session });
    return lease;
  }

  private dueForRefresh(account: StoredAccount): boolean {
    const { accessToken, expiresAt } = account.credentials;
    return !accessToken || (expiresAt !== undefined && expiresAt - this.clock.now() < this.refreshAheadMs(account.credentials));
  }

  /**
   * `refreshAheadMinutes`, but at most half the token's lifetime (of an hour when unknown): any
   * more and every request and every scheduler tick would refresh.
   */
  private refreshAheadMs(credentials: KiroCredentials): number {
    const issuedAt = this.issuedAt.get(credentials);
    const lifetime = issuedAt !== undefined && credentials.expiresAt !== undefined ? credentials.expiresAt - issuedAt : DEFAULT_TOKEN_LIFETIME_MS;
    return Math.min(this.config.refreshAheadMinutes * 60_000, lifetime / 2);
  }

  /** The account's credentials, refreshed first when they expire within the refresh-ahead time. */
  private async freshCredentials(account: StoredAccount): Promise<KiroCredentials> {
    if (!this.dueForRefresh(account)) return { ...account.credentials };
    try {
      return await this.refreshOnce(account.id);
    } catch (err) {
      // A failed early refresh is harmless while the old token still works.
      const { expiresAt } = account.credentials;
      if (!(err instanceof NeedsLoginError) && account.credentials.accessToken && expiresAt !== undefined && expiresAt > this.clock.now()) {
        return { ...account.credentials };
      }
      throw err;
    }
  }

  /**
   * A new access token once per dead one: when the account's token is no longer `failed` (another
   * request refreshed it since), that one, unless a refresh is still running (then its result).
   */
  private renew(id: string, failed: string | undefined): Promise<KiroCredentials> {
    const { credentials } = this.require(id);
    const replaced = failed !== undefined && credentials.accessToken !== failed;
    return replaced && !this.refreshing.has(id) ? Promise.resolve({ ...credentials }) : this.refreshOnce(id);
  }

  /** Single flight: concurrent callers for one account share one refresh call. */
  private refreshOnce(id: string): Promise<KiroCredentials> {
    const running = this.refreshing.get(id);
    if (running) return running;
    const refresh = this.refreshNow(id).finally(() => this.refreshing.delete(id));
    this.refreshing.set(id, refresh);
    return refresh;
  }

  private async refreshNow(id: string): Promise<KiroCredentials> {
    const account = this.require(id);
    try {
      const grant = await refreshCredentials(this.opts.http, this.hosts, account.credentials, this.clock.now());
      const now = this.clock.now();
      // The account as it is now: a reload may have replaced the object while Kiro answered.
      const current = this.require(id);
      const credentials: KiroCredentials = { ...withGrant(current.credentials, grant, now), machineId: current.credentials.machineId };
      this.issuedAt.set(credentials, now);
      this.mutate(id, (a) => {
        a.credentials = credentials;
        if (a.status === 'needs-login') Object.assign(a, { status: 'ok', reason: undefined });
      });
      // A rotated refresh token kills the old one: it must be on disk before anyone uses it.
      await this.persist().catch((err) => this.logger.error(`could not save refreshed tokens: ${messageOf(err)}`));
      return { ...credentials };
    } catch (err) {
      if (err instanceof NeedsLoginError) {
        this.mutate(id, (a) => Object.assign(a, { status: 'needs-login', until: undefined, reason: err.message }));
        this.logger.warn(`account ${labelOf(account)} needs a new sign-in: ${err.message}`);
      } else {
        this.mutate(id, (a) => void a.counters.errors++);
        this.logger.warn(`token refresh of ${labelOf(account)} failed: ${messageOf(err)}`);
      }
      throw err;
    }
  }

  private coolDown(account: StoredAccount, until: number, reason: string): void {
    const longer = account.status === 'cooldown' && (account.until ?? 0) > until;
    Object.assign(account, { status: 'cooldown', until: longer ? account.until : until, reason });
  }

  private async upsert(input: NewAccount): Promise<{ view: AccountView; created: boolean }> {
    const existing = this.findDuplicate(input);
    if (existing) {
      this.mutate(existing.id, (a) => {
        // Only fresher tokens replace ours: an older file may hold a refresh token that has since rotated.
        if (isNewer(input.credentials, a.credentials) || a.status === 'needs-login') {
          a.credentials = { ...input.credentials, machineId: a.credentials.machineId };
          if (a.status === 'needs-login') Object.assign(a, { status: 'ok', reason: undefined });
        }
        if (input.name) a.name = input.name;
        if (input.email) a.email = input.email;
      });
      await this.persist();
      return { view: this.view(existing.id), created: false };
    }
    const id = randomUUID();
    const account: StoredAccount = {
      id,
      ...(input.name ? { name: input.name } : {}),
      ...(input.email ? { email: input.email } : {}),
      // The machine id follows the account, never the token, so it survives refreshes (§2.2).
      credentials: { ...input.credentials, machineId: machineIdFor(id) },
      enabled: input.enabled ?? true,
      priority: input.priority ?? 0,
      status: 'ok',
      counters: { requests: 0, errors: 0, credits: 0 },
      ...(input.source ? { source: input.source } : {}),
      addedAt: this.clock.now(),
    };
    this.accounts.set(id, account);
    await this.persist();
    const view = this.view(id);
    this.emit('change', { type: 'added', account: view });
    this.wakeWaiters();
    if (this.started) this.scheduleTick(0);
    return { view, created: true };
  }

  private findDuplicate(input: NewAccount): StoredAccount | undefined {
    const { refreshToken } = input.credentials;
    const path = input.source?.path;
    return [...this.accounts.values()].find(
      (a) => (path !== undefined && a.source?.path === path) || (refreshToken !== undefined && a.credentials.refreshToken === refreshToken),
    );
  }

  /** Forgets an account and everything kept about it in memory. */
  private drop(id: string): void {
    this.accounts.delete(id);
    this.sessions.forgetAccount(id);
    this.load.forget(id);
    this.stateTimers.get(id)?.cancel();
    this.stateTimers.delete(id);
  }

  /** Changes an account in place, then announces it, re-arms its state timer and saves in the background. */
  private mutate(id: string, change: (account: StoredAccount) => void, previousState?: AccountState): void {
    const account = this.accounts.get(id);
    if (!account) return;
    previousState ??= stateOf(account, this.clock.now());
    change(account);
    this.armStateTimer(account);
    this.persist().catch((err) => this.logger.error(`could not save accounts: ${messageOf(err)}`));
    // This view already shows any counter change still waiting to be announced.
    this.countedChanges.delete(id);
    this.emit('change', { type: 'updated', account: viewOf(account, this.clock.now()), previousState });
    this.wakeWaiters();
  }

  /**
   * Counter updates happen on every request; writing accounts.json each time would put disk
   * I/O on the hot path, so they are saved at most every few seconds (and on stop).
   */
  private count(id: string, change: (account: StoredAccount) => void): void {
    const account = this.accounts.get(id);
    if (!account) return;
    // Announced once per tick and account, and only to listeners: a fresh view per request
    // cost ~1.5 % of a small request, and the CLI has nobody listening.
    if (!this.countedChanges.has(id) && this.listenerCount('change') > 0) {
      this.countedChanges.set(id, stateOf(account, this.clock.now()));
      if (this.countedChanges.size === 1) process.nextTick(this.announceCounted);
    }
    change(account);
    if (this.counterSave) return;
    this.counterSave = this.clock.setTimer(() => {
      this.counterSave = undefined;
      this.persist().catch((err) => this.logger.error(`could not save accounts: ${messageOf(err)}`));
    }, COUNTER_SAVE_DELAY_MS);
  }

  /** Counter updates of the last tick, as one `updated` per account (its state before the first). */
  private readonly countedChanges = new Map<string, AccountState>();
  private readonly announceCounted = (): void => {
    const now = this.clock.now();
    for (const [id, previousState] of this.countedChanges) {
      this.countedChanges.delete(id);
      const account = this.accounts.get(id);
      if (account) this.emit('change', { type: 'updated', account: viewOf(account, now), previousState });
    }
  };

  /** Cooldowns and exhaustion end by themselves; a timer announces it. */
  private armStateTimer(account: StoredAccount): void {
    this.stateTimers.get(account.id)?.cancel();
    this.stateTimers.delete(account.id);
    if ((account.status !== 'cooldown' && account.status !== 'exhausted') || account.until === undefined) return;
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, account.until - this.clock.now()));
    this.stateTimers.set(
      account.id,
      this.clock.setTimer(() => {
        this.stateTimers.delete(account.id);
        if (!this.accounts.has(account.id)) return;
        if ((account.until ?? 0) > this.clock.now()) return this.armStateTimer(account);
        // Views already see the end lazily; the event reports what they saw before it.
        const ended = account.status as 'cooldown' | 'exhausted';
        this.mutate(account.id, (a) => Object.assign(a, { status: 'ok', until: undefined, reason: undefined }), ended);
      }, ms),
    );
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
      const timer = this.clock.setTimer(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Saves a snapshot; calls made while a save waits to start share it (coalescing bursts). */
  private persist(): Promise<void> {
    if (!this.pendingSave) {
      const save = this.saveChain.then(() => {
        this.pendingSave = undefined;
        return this.opts.store.save(structuredClone([...this.accounts.values()]));
      });
      this.pendingSave = save;
      this.saveChain = save.catch(() => undefined);
    }
    return this.pendingSave;
  }

  private require(id: string): StoredAccount {
    const account = this.accounts.get(id);
    if (!account) throw new ProxyError('not_found', `No account with id "${id}".`);
    return account;
  }
}

function isUsable(state: AccountState): boolean {
  return state === 'active' || state === 'expired';
}

function withGrant(creds: NewCredentials, grant: { accessToken: string; refreshToken?: string; expiresAt?: number; profileArn?: string }, now: number): NewCredentials {
  return {
    ...creds,
    accessToken: grant.accessToken,
    refreshToken: grant.refreshToken ?? creds.refreshToken,
    profileArn: grant.profileArn ?? creds.profileArn,
    expiresAt: grant.expiresAt ?? now + DEFAULT_TOKEN_LIFETIME_MS,
  };
}

/** The quota's reset date when Kiro told us, else 00:00 UTC on the 1st of next month (as AIClient does). */
function resetDate(account: StoredAccount, now: number): number {
  const known = account.quota?.resetAt;
  if (known && known > now) return known;
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

function asProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  if (err instanceof NeedsLoginError) return new ProxyError('upstream', err.message, { cause: err });
  if (err instanceof KiroCallError) return new ProxyError('upstream', `Kiro: ${err.failure.message}`, { cause: err });
  return new ProxyError('internal', 'Unexpected error in the account pool', { cause: err });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw clientClosedError();
}
