// The pool's background work: every minute, refresh tokens about to expire and ask Kiro for
// quotas older than the quota interval. One pass at a time.
import { messageOf } from '../errors';
import type { Logger } from '../logger';
import { labelOf, stateOf, type StoredAccount } from './account';
import type { Clock, Timer } from './clock';
import type { TokenFreshness } from './freshness';

const SCHEDULER_TICK_MS = 60 * 1000;
export const DEFAULT_QUOTA_INTERVAL_MS = 30 * 60 * 1000;

export interface MaintenanceDeps {
  clock: Clock;
  logger: Logger;
  quotaIntervalMs: number;
  accounts(): StoredAccount[];
  has(id: string): boolean;
  freshness: TokenFreshness;
  refreshQuota(id: string): Promise<void>;
}

export class BackgroundScheduler {
  private timer?: Timer;
  private running?: Promise<void>;
  private started = false;

  constructor(private readonly deps: MaintenanceDeps) {}

  get isStarted(): boolean {
    return this.started;
  }

  start(firstInMs: number): void {
    this.started = true;
    this.schedule(firstInMs);
  }

  stop(): void {
    this.started = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** A pass soon, e.g. for an account just added (only while started). */
  soon(): void {
    if (this.started) this.schedule(0);
  }

  /** One pass now, or the one already running. */
  runNow(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(ms: number): void {
    this.timer?.cancel();
    this.timer = this.deps.clock.setTimer(async () => {
      await this.runNow();
      if (this.started) this.schedule(SCHEDULER_TICK_MS);
    }, ms);
  }

  private async pass(): Promise<void> {
    const { clock, logger, freshness } = this.deps;
    const now = clock.now();
    for (const account of this.deps.accounts()) {
      if (!this.deps.has(account.id)) continue;
      const state = stateOf(account, now);
      if (state === 'disabled' || state === 'suspended' || state === 'needs-login') continue;
      try {
        if (account.credentials.refreshToken && freshness.dueForRefresh(account)) await freshness.refreshOnce(account.id);
        if (!account.quota || now - account.quota.fetchedAt >= this.deps.quotaIntervalMs) await this.deps.refreshQuota(account.id);
      } catch (err) {
        logger.debug(`background refresh of ${labelOf(account)} failed: ${messageOf(err)}`);
      }
    }
  }
}
