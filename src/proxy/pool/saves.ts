// When the pool writes its accounts to the store: state changes right away (bursts coalesced
// into one write), counter updates at most every few seconds, and writes one after another.
import { messageOf } from '../errors';
import type { Logger } from '../logger';
import type { StoredAccount } from './account';
import type { Clock, Timer } from './clock';
import type { AccountStore } from './store';

const COUNTER_SAVE_DELAY_MS = 5_000;

export class SaveScheduler {
  private pending?: Promise<void>;
  private chain: Promise<void> = Promise.resolve();
  private delayed?: Timer;

  constructor(
    private readonly store: AccountStore,
    /** The accounts as they are when a save starts. */
    private readonly accounts: () => StoredAccount[],
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Saves a snapshot; calls made while a save waits to start share it (coalescing bursts). */
  save(): Promise<void> {
    if (!this.pending) {
      const save = this.chain.then(() => {
        this.pending = undefined;
        return this.store.save(structuredClone(this.accounts()));
      });
      this.pending = save;
      this.chain = save.catch(() => undefined);
    }
    return this.pending;
  }

  /** `save` in the background; a failure is logged. */
  saveSoon(): void {
    this.save().catch((err) => this.logger.error(`could not save accounts: ${messageOf(err)}`));
  }

  /**
   * For counter updates, which happen on every request: writing each time would put disk I/O on
   * the hot path, so they are saved at most every few seconds (and on `flushDelayed`).
   */
  saveLater(): void {
    if (this.delayed) return;
    this.delayed = this.clock.setTimer(() => {
      this.delayed = undefined;
      this.saveSoon();
    }, COUNTER_SAVE_DELAY_MS);
  }

  /** Starts a save that `saveLater` still holds back (when the pool stops). */
  flushDelayed(): void {
    if (!this.delayed) return;
    this.delayed.cancel();
    this.delayed = undefined;
    this.saveSoon();
  }

  /** Resolves once every save started so far reached the store. */
  settled(): Promise<void> {
    return this.chain;
  }
}
