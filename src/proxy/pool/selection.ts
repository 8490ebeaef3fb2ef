// Which usable account serves the next request: the pool filters, this orders (least-used by
// the recent load kept here).
import type { SelectionStrategy } from '../config';
import type { StoredAccount } from './account';

/**
 * `candidates` are in the pool's order. `lastId` is the account picked last time, for
 * round-robin; `load` is each account's recent load (see RecentLoad). Ties fall back to the
 * least loaded, then the longest idle, then pool order.
 */
export function chooseAccount(
  candidates: readonly StoredAccount[],
  strategy: SelectionStrategy,
  lastId: string | undefined,
  load: (account: StoredAccount) => number,
): StoredAccount | undefined {
  if (candidates.length === 0) return undefined;
  if (strategy === 'round-robin') {
    const last = candidates.findIndex((a) => a.id === lastId);
    return candidates[(last + 1) % candidates.length];
  }
  const byLoad = (a: StoredAccount, b: StoredAccount) => load(a) - load(b) || (a.lastUsedAt ?? 0) - (b.lastUsedAt ?? 0);
  const order = strategy === 'priority' ? (a: StoredAccount, b: StoredAccount) => a.priority - b.priority || byLoad(a, b) : byLoad;
  // The first of full ties wins: pool order.
  return candidates.reduce((best, a) => (order(a, best) < 0 ? a : best));
}

/**
 * Requests started per account, decaying by half every `halfLifeMs`: what least-used compares.
 * Lifetime counters would not do: an account added, re-enabled or back from exhaustion would
 * take every new session until its total caught up with the others'. Kept in memory only.
 */
export class RecentLoad {
  private readonly loads = new Map<string, { value: number; at: number }>();

  constructor(private readonly halfLifeMs: number) {}

  of(id: string, now: number): number {
    const load = this.loads.get(id);
    return load ? load.value * 2 ** (-Math.max(0, now - load.at) / this.halfLifeMs) : 0;
  }

  /** Counts a request `id` started now. */
  add(id: string, now: number): void {
    this.loads.set(id, { value: this.of(id, now) + 1, at: now });
  }

  forget(id: string): void {
    this.loads.delete(id);
  }
}
