// Cooldowns and exhaustion end by themselves at `until`; a timer per account notices the end,
// so the pool can announce it (views already see it lazily through stateOf).
import type { StoredAccount } from './account';
import type { Clock, Timer } from './clock';

/** setTimeout fires at once beyond this (~24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class StateTimers {
  private readonly timers = new Map<string, Timer>();

  constructor(
    private readonly clock: Clock,
    /** Whether the pool still holds the account. */
    private readonly holds: (id: string) => boolean,
    /** The account's cooldown or exhaustion (the state it was in) is over. */
    private readonly ended: (account: StoredAccount, was: 'cooldown' | 'exhausted') => void,
  ) {}

  /** (Re-)arms the account's timer for its current health; none when it does not end by itself. */
  arm(account: StoredAccount): void {
    this.cancel(account.id);
    if ((account.status !== 'cooldown' && account.status !== 'exhausted') || account.until === undefined) return;
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, account.until - this.clock.now()));
    this.timers.set(
      account.id,
      this.clock.setTimer(() => {
        this.timers.delete(account.id);
        if (!this.holds(account.id)) return;
        if ((account.until ?? 0) > this.clock.now()) return this.arm(account);
        this.ended(account, account.status as 'cooldown' | 'exhausted');
      }, ms),
    );
  }

  cancel(id: string): void {
    this.timers.get(id)?.cancel();
    this.timers.delete(id);
  }
}
