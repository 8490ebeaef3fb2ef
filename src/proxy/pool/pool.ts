// The account pool: the facade the exchange, the engine and the hosts use. It holds the
// accounts, announces every change as a `change` event (nothing polls) and persists it; the jobs
// live in their own modules: leases (which account serves), failure-policy (what a failure does
// to it), freshness (its tokens), sources and sign-in (where accounts come from), saves (when
// they are written), scheduler (background refresh), watch (the IDE's token folder), quota,
// profiles (an organisation account's Kiro profile) and catalog (the models). Past 500 lines for
// a reason: one short method per thing its users ask of it, each handing the work to a module.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ProxyConfig } from '../config';
import { ProxyError, messageOf } from '../errors';
import { silentLogger, type Logger } from '../logger';
import { isApiKey } from '../kiro/api-key';
import { NeedsLoginError } from '../kiro/auth';
import type { KiroCredentials } from '../kiro/credentials';
import { kiroHosts, type KiroHosts } from '../kiro/endpoints';
import { KiroCallError, type KiroFailure } from '../kiro/errors';
import { parseOutboundProxy } from '../kiro/outbound-proxy';
import { machineIdFor } from '../kiro/headers';
import type { SocialProvider } from '../kiro/login';
import { joinCatalogs, type CatalogModel } from './catalog';
import { chooseProfile, findProfile, needsProfileSearch, type ProfileDeps } from './profiles';
import { HEALTHY, isNewer, labelOf, setHealth, stateOf, viewOf, type AccountState, type AccountView, type StoredAccount } from './account';
import { systemClock, type Clock } from './clock';
import { judgeFailure } from './failure-policy';
import { TokenFreshness } from './freshness';
import { Leases, type AcquireRequest, type Lease } from './leases';
import { defaultReferenceConfigPath } from './migrate';
import { askQuota, type QuotaAnswer } from './quota';
import { SaveScheduler } from './saves';
import { StateTimers } from './state-timers';
import { BackgroundScheduler, DEFAULT_QUOTA_INTERVAL_MS } from './scheduler';
import { signInWithDeviceCode, signInWithSocial, type DeviceSignInOptions, type SocialSignInOptions } from './sign-in';
import { apiKeyAccount, kiroCliAccounts, pastedAccounts, referenceToolAccounts, tokenDirAccounts, tokenFileAccount, type NewAccount, type SourcedAccounts } from './sources';
import type { AccountPoolOptions, ImportResult, PoolChange } from './types';
import type { NewCredentials } from './token-files';
import { TokenFolderWatch, type TokenFileNotice } from './watch';

export type { AccountPoolOptions, ImportResult, PoolChange } from './types';
export type { AcquireRequest, Lease } from './leases';
export type { NewAccount } from './sources';
export type { TokenFileNotice } from './watch';

interface PoolEvents {
  change: [PoolChange];
  'token-file': [TokenFileNotice];
}

export class AccountPool extends EventEmitter<PoolEvents> {
  private readonly accounts = new Map<string, StoredAccount>();
  /** `availableModels()` and the accounts' lists it was built from. */
  private modelSet?: { lists: Array<readonly string[] | undefined>; ids: ReadonlySet<string> | undefined };
  private readonly stateTimers: StateTimers;
  private readonly hosts: KiroHosts;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly leases: Leases;
  private readonly freshness: TokenFreshness;
  private readonly saves: SaveScheduler;
  private readonly scheduler: BackgroundScheduler;
  private readonly tokenFolder: TokenFolderWatch;
  /** Counter updates of the current tick: each account's state before the first one. */
  private readonly countedChanges = new Map<string, AccountState>();

  constructor(private readonly opts: AccountPoolOptions) {
    super();
    const clock = (this.clock = opts.clock ?? systemClock);
    const logger = (this.logger = opts.logger ?? silentLogger);
    const hosts = (this.hosts = opts.hosts ?? kiroHosts(opts.config.kiroEndpoint, { mode: () => opts.config.kiroEndpoints }));
    const config = () => this.config;
    // Views already see the end lazily; the event reports what they saw before it.
    this.stateTimers = new StateTimers(clock, (id) => this.accounts.has(id), (a, was) => this.mutate(a.id, (b) => setHealth(b, HEALTHY), was));
    this.saves = new SaveScheduler(opts.store, () => [...this.accounts.values()], clock, logger);
    const require = (id: string) => this.require(id);
    const mutate = (id: string, change: (a: StoredAccount) => void) => this.mutate(id, change);
    this.freshness = new TokenFreshness({ http: opts.http, hosts, clock, logger, config, require, mutate, persist: () => this.saves.save() });
    this.leases = new Leases({
      clock,
      config,
      accounts: () => this.accounts.values(),
      accountCount: () => this.accounts.size,
      credentials: (a) => (this.freshness.dueForRefresh(a) ? this.freshness.fresh(a) : { ...a.credentials }),
      counted: (a, now) =>
        this.count(a.id, (account) => {
          account.counters.requests++;
          account.lastUsedAt = now;
        }),
    });
    this.scheduler = new BackgroundScheduler({
      clock,
      logger,
      quotaIntervalMs: opts.quotaIntervalMs ?? DEFAULT_QUOTA_INTERVAL_MS,
      accounts: () => [...this.accounts.values()],
      has: (id) => this.accounts.has(id),
      freshness: this.freshness,
      refreshQuota: (id) => this.refreshQuota(id),
    });
    this.tokenFolder = new TokenFolderWatch({
      dir: () => this.config.tokenDir,
      known: (credentials, path) => this.findDuplicate({ credentials, source: { kind: 'token-file', path } }),
      notify: (notice) => this.emit('token-file', notice),
    });
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
      this.stateTimers.arm(account);
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
    if (keptTokens) this.saves.saveSoon();
    this.leases.wake();
  }

  // ---- serving requests ----

  /** An account for one attempt of a request; `release` the lease when the attempt ends. */
  acquire(req: AcquireRequest): Promise<Lease> {
    return this.leases.acquire(req);
  }

  /**
   * Ends a lease: once per lease, when its attempt failed or its reply ended (however). Its
   * session stays live until then, and its stickiness window starts over from now.
   */
  release(lease: Lease): void {
    this.leases.release(lease);
  }

  reportSuccess(accountId: string, info: { credits?: number }): void {
    this.count(accountId, (account) => {
      if (info.credits && Number.isFinite(info.credits)) account.counters.credits += info.credits;
    });
  }

  /** Applies what a failed call means for the account (see failure-policy). */
  reportFailure(accountId: string, failure: KiroFailure): void {
    const account = this.accounts.get(accountId);
    if (!account) return;
    const verdict = judgeFailure(account, failure, this.clock.now(), this.config);
    if (!verdict.counted) return;
    this.mutate(accountId, (a) => {
      setHealth(a, verdict.health);
      a.counters.errors++;
    });
    if (failure.kind === 'suspicious') this.logger.warn(`account ${labelOf(account)}: Kiro reported suspicious activity; cooling down for an hour`);
    if (failure.kind === 'suspended') this.logger.warn(`account ${labelOf(account)} is suspended by Kiro`);
    // The reset date comes from getUsageLimits.
    if (failure.kind === 'exhausted') this.refreshQuota(accountId).catch((err) => this.logger.debug(`quota after 402 failed: ${messageOf(err)}`));
  }

  /**
   * After a `403 bearer token is invalid` for `failedToken`: a new access token, at most one
   * refresh per dead token (see TokenFreshness.renew). Without `failedToken` it always refreshes.
   */
  async forceRefresh(accountId: string, failedToken?: string): Promise<KiroCredentials> {
    try {
      return await this.freshness.renew(accountId, failedToken);
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
    await this.saves.save();
    this.emit('change', { type: 'removed', accountId: id });
  }

  async setEnabled(id: string, enabled: boolean): Promise<void> {
    this.mutate(id, (account) => void (account.enabled = enabled));
    await this.saves.save();
  }

  async setPriority(id: string, priority: number): Promise<void> {
    this.mutate(id, (account) => void (account.priority = priority));
    await this.saves.save();
  }

  /**
   * Sends every call of the account through `proxy` (http://, https://, socks5://, socks5h://,
   * credentials allowed), or through the global one again when `proxy` is empty. A bad URL
   * throws before anything changes.
   */
  async setProxy(id: string, proxy: string | undefined): Promise<void> {
    this.require(id);
    let url: string | undefined;
    try {
      url = proxy?.trim() ? parseOutboundProxy(proxy).href : undefined;
    } catch (err) {
      throw new ProxyError('invalid_request', messageOf(err));
    }
    this.mutate(id, (account) => {
      if (url) account.proxy = url;
      else delete account.proxy;
    });
    await this.saves.save();
    // Through the new path at once: a dead proxy shows on the account now, not at its next request.
    this.refreshQuota(id).catch((err) => this.logger.debug(`quota through the new proxy failed: ${messageOf(err)}`));
  }

  /** Puts every cooling account back into rotation; returns how many there were. */
  clearCooldowns(): number {
    let cleared = 0;
    for (const account of this.accounts.values()) {
      if (account.status !== 'cooldown') continue;
      if (stateOf(account, this.clock.now()) === 'cooldown') cleared++;
      this.mutate(account.id, (a) => setHealth(a, HEALTHY));
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
    const results = await Promise.allSettled(ids.map((id) => this.freshness.refreshOnce(id)));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ id: ids[i], label: this.get(ids[i])?.label ?? ids[i], reason: messageOf(r.reason) }] : [],
    );
    return { refreshed: ids.length - failed.length, failed };
  }

  /**
   * The Kiro model ids the enabled accounts reported, or undefined before any account did. Every
   * request asks, so the set is kept while the lists it came from are the same arrays (a list is
   * replaced, never edited): the same set also lets model resolution keep its lookups.
   */
  availableModels(): ReadonlySet<string> | undefined {
    const lists: Array<readonly string[] | undefined> = [];
    for (const account of this.accounts.values()) lists.push(account.enabled ? account.models : undefined);
    const kept = this.modelSet;
    if (kept && kept.lists.length === lists.length && kept.lists.every((list, i) => list === lists[i])) return kept.ids;
    const ids = new Set<string>();
    for (const list of lists) for (const id of list ?? []) ids.add(id);
    this.modelSet = { lists, ids: ids.size ? ids : undefined };
    return this.modelSet.ids;
  }

  /** False when an enabled account lists the model as text-only (no IMAGE input, §11.6). */
  takesImages(modelId: string): boolean {
    for (const account of this.accounts.values()) {
      if (account.enabled && account.catalog?.some((m) => m.modelId === modelId && !m.supportsImages)) return false;
    }
    return true;
  }

  /**
   * The account's Kiro profile, chosen among those Kiro lists for it (an organisation account
   * with several, §11.2). Anything else is refused with the list, and nothing changes.
   */
  async setProfile(id: string, arn: string): Promise<AccountView> {
    const account = this.require(id);
    await chooseProfile(this.profileDeps(account), id, arn.trim(), await this.freshness.fresh(account));
    await this.saves.save();
    return this.view(id);
  }

  /** What profile discovery needs; its calls go through the account's own proxy, like all of its calls. */
  private profileDeps(account: StoredAccount): ProfileDeps {
    return { http: this.opts.http.via(account.proxy), hosts: this.hosts, require: (id) => this.require(id), mutate: (id, change) => this.mutate(id, change) };
  }

  /** Every model an enabled account lists, with what Kiro says of it (see catalog.ts). */
  catalog(): CatalogModel[] {
    return joinCatalogs(this.accounts.values());
  }

  /** Asks Kiro for the account's credits (and e-mail and models); an exhausted account learns its reset date. */
  async refreshQuota(id: string): Promise<void> {
    const account = this.require(id);
    let answer: QuotaAnswer;
    try {
      if (needsProfileSearch(account)) {
        // The usage and model calls below then carry the profile and go to its region.
        await findProfile(this.profileDeps(account), id, await this.freshness.fresh(account)).catch((err) => {
          this.logger.warn(`could not look up the Kiro profile of ${labelOf(account)}: ${messageOf(err)}`);
        });
      }
      answer = await askQuota(this.opts.http, this.hosts, this.freshness, account, () => this.clock.now());
    } catch (err) {
      // A refused API key is out for good, like a suspension; a refused token gets its refresh first.
      if (err instanceof KiroCallError && (err.failure.kind === 'suspended' || isApiKey(account.credentials))) this.reportFailure(id, err.failure);
      throw asProxyError(err);
    }
    const { quota, models } = answer;
    this.mutate(id, (a) => {
      a.quota = quota;
      if (quota.email) a.email = quota.email;
      if (models) {
        a.models = models.map((m) => m.modelId);
        a.catalog = models;
      }
      if (a.status === 'exhausted' && quota.resetAt && quota.resetAt > this.clock.now()) setHealth(a, { ...a, until: quota.resetAt });
    });
    await this.saves.save();
  }

  // ---- where accounts come from ----

  importFromTokenDir(dir = this.config.tokenDir): Promise<ImportResult> {
    return this.addAll(tokenDirAccounts(dir));
  }

  /** Imports one token file (after a `token-file` notice), or refreshes the copy we already have. */
  importTokenFile(file: string): Promise<ImportResult> {
    return this.addAll(tokenFileAccount(file));
  }

  /** A pasted token JSON or bare refresh token. Tokens without an access token are refreshed first, proving they work. */
  importJson(text: string): Promise<ImportResult> {
    return this.addAll(pastedAccounts(text, this.opts.http, this.hosts, () => this.clock.now()));
  }

  migrateFromReferenceTool(file = defaultReferenceConfigPath()): Promise<ImportResult> {
    return this.addAll(referenceToolAccounts(file));
  }

  /** The accounts kiro-cli (or the Amazon Q CLI) is signed in with (see sources.kiroCliAccounts). */
  importFromKiroCli(dbPath?: string): Promise<ImportResult> {
    return this.addAll(kiroCliAccounts(dbPath));
  }

  /**
   * A Kiro API key (`ksk_…`): never refreshed. With `check` (default) Kiro must accept it first;
   * a malformed or refused key changes nothing. Its quota (and e-mail) is asked for afterwards.
   */
  async importApiKey(text: string, options: { check?: boolean } = {}): Promise<ImportResult> {
    const check = options.check ?? true;
    const result = await this.addAll(apiKeyAccount(text, this.opts.http, this.hosts, check));
    const id = (result.added[0] ?? result.updated[0]).id;
    const quota = this.refreshQuota(id).catch((err) => this.logger.debug(`quota of a new API key failed: ${messageOf(err)}`));
    if (!check) return result;
    await quota;
    return { ...result, added: result.added.map((a) => this.view(a.id)), updated: result.updated.map((a) => this.view(a.id)) };
  }

  /**
   * Google/GitHub sign-in: `onLoginUrl` gets the portal URL to open; the code comes back to a
   * localhost callback, or through `pastedRedirect` when the browser cannot reach this machine.
   */
  async loginWithSocial(provider: SocialProvider, options: SocialSignInOptions): Promise<AccountView> {
    return this.addSignedIn(await signInWithSocial(this.opts.http, this.hosts, provider, options, () => this.clock.now()));
  }

  /** AWS Builder ID (or an IAM Identity Center start URL) with the device code: `onUserCode` shows the code to enter. */
  async loginWithBuilderId(options: DeviceSignInOptions): Promise<AccountView> {
    return this.addSignedIn(await signInWithDeviceCode(this.opts.http, this.hosts, options));
  }

  /** Adds a freshly signed-in account and asks for its quota, so it is labelled with its e-mail. */
  private async addSignedIn(credentials: NewCredentials): Promise<AccountView> {
    const { view } = await this.upsert({ credentials, source: { kind: 'login' } });
    await this.refreshQuota(view.id).catch((err) => this.logger.debug(`quota after sign-in failed: ${messageOf(err)}`));
    return this.view(view.id);
  }

  private async addAll(source: Promise<SourcedAccounts>): Promise<ImportResult> {
    const { accounts, skipped, notes } = await source;
    const result: ImportResult = { added: [], updated: [], skipped, notes };
    for (const account of accounts) {
      const { view, created } = await this.upsert(account);
      (created ? result.added : result.updated).push(view);
    }
    return result;
  }

  // ---- background work ----

  /** Starts refreshing tokens ahead of expiry and quotas periodically, and watching the token folder. */
  start(): void {
    if (this.scheduler.isStarted) return;
    this.scheduler.start(1000);
    if (this.opts.watchTokenDir !== false) this.tokenFolder.start();
  }

  /** After `config.tokenDir` changed (the setting): the watch moves to the new folder. */
  rewatchTokenDir(): void {
    if (this.scheduler.isStarted && this.opts.watchTokenDir !== false) this.tokenFolder.start();
  }

  stop(): void {
    this.scheduler.stop();
    this.tokenFolder.stop();
    this.saves.flushDelayed();
  }

  /** Resolves once every pending save reached the store. */
  async flush(): Promise<void> {
    this.stop();
    await this.saves.settled();
  }

  /** One pass of the scheduler; exposed so callers (and tests) can run it now. */
  runMaintenance(): Promise<void> {
    return this.scheduler.runNow();
  }

  // ---- internals ----

  private async upsert(input: NewAccount): Promise<{ view: AccountView; created: boolean }> {
    const existing = this.findDuplicate(input);
    if (existing) {
      this.mutate(existing.id, (a) => {
        // Only fresher tokens replace ours: an older file may hold a refresh token that has since rotated.
        if (isNewer(input.credentials, a.credentials) || a.status === 'needs-login') {
          a.credentials = { ...input.credentials, machineId: a.credentials.machineId };
          if (a.status === 'needs-login') setHealth(a, HEALTHY);
        }
        if (input.name) a.name = input.name;
        if (input.email) a.email = input.email;
      });
      await this.saves.save();
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
    await this.saves.save();
    const view = this.view(id);
    this.emit('change', { type: 'added', account: view });
    this.leases.wake();
    this.scheduler.soon();
    return { view, created: true };
  }

  /** The account with the same source file, refresh token or API key. */
  private findDuplicate(input: NewAccount): StoredAccount | undefined {
    const { refreshToken } = input.credentials;
    const path = input.source?.path;
    const apiKey = isApiKey(input.credentials) ? input.credentials.accessToken : undefined;
    return [...this.accounts.values()].find(
      (a) =>
        (path !== undefined && a.source?.path === path) ||
        (refreshToken !== undefined && a.credentials.refreshToken === refreshToken) ||
        (apiKey !== undefined && a.credentials.accessToken === apiKey),
    );
  }

  /** Forgets an account and everything kept about it in memory. */
  private drop(id: string): void {
    this.accounts.delete(id);
    this.leases.forget(id);
    this.stateTimers.cancel(id);
  }

  /** Changes an account in place, then announces it, re-arms its state timer and saves in the background. */
  private mutate(id: string, change: (account: StoredAccount) => void, previousState?: AccountState): void {
    const account = this.accounts.get(id);
    if (!account) return;
    previousState ??= stateOf(account, this.clock.now());
    change(account);
    this.stateTimers.arm(account);
    this.saves.saveSoon();
    // This view already shows any counter change still waiting to be announced.
    this.countedChanges.delete(id);
    this.emit('change', { type: 'updated', account: viewOf(account, this.clock.now()), previousState });
    this.leases.wake();
  }

  /** Counter updates happen on every request: saved a few seconds later (see SaveScheduler.saveLater). */
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
    this.saves.saveLater();
  }

  /** Counter updates of the last tick, as one `updated` per account (its state before the first). */
  private readonly announceCounted = (): void => {
    const now = this.clock.now();
    for (const [id, previousState] of this.countedChanges) {
      this.countedChanges.delete(id);
      const account = this.accounts.get(id);
      if (account) this.emit('change', { type: 'updated', account: viewOf(account, now), previousState, countersOnly: true });
    }
  };

  private require(id: string): StoredAccount {
    const account = this.accounts.get(id);
    if (!account) throw new ProxyError('not_found', `No account with id "${id}".`);
    return account;
  }
}

function asProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  if (err instanceof NeedsLoginError) return new ProxyError('upstream', err.message, { cause: err });
  if (err instanceof KiroCallError) return new ProxyError('upstream', `Kiro: ${err.failure.message}`, { cause: err });
  return new ProxyError('internal', 'Unexpected error in the account pool', { cause: err });
}
