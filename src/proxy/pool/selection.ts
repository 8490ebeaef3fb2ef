// Which usable account serves the next request. Pure: the pool filters, this only orders.
import type { SelectionStrategy } from '../config';
import type { StoredAccount } from './account';

/**
 * `candidates` are in the pool's order. `lastId` is the account picked last time, for
 * round-robin. Ties fall back to the least used, then the longest idle, then pool order.
 */
export function chooseAccount(
  candidates: readonly StoredAccount[],
  strategy: SelectionStrategy,
  lastId: string | undefined,
): StoredAccount | undefined {
  if (candidates.length === 0) return undefined;
  if (strategy === 'round-robin') {
    const last = candidates.findIndex((a) => a.id === lastId);
    return candidates[(last + 1) % candidates.length];
  }
  const byUse = (a: StoredAccount, b: StoredAccount) =>
    a.counters.requests - b.counters.requests || (a.lastUsedAt ?? 0) - (b.lastUsedAt ?? 0);
  const order = strategy === 'priority' ? (a: StoredAccount, b: StoredAccount) => a.priority - b.priority || byUse(a, b) : byUse;
  // A stable sort keeps pool order for full ties.
  return [...candidates].sort(order)[0];
}
