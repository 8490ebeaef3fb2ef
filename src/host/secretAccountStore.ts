// The pool's AccountStore over SecretStorage: all accounts in one secret (one write is atomic,
// no half-saved pool). Other windows share the secret: a save merges with their writes, and
// `onDidChangeExternally` fires for changes that came from them, so the pool can reload without
// echo loops.
import type { StoredAccount } from '../proxy/pool/account';
import type { AccountStore } from '../proxy/pool/store';
import { SharedAccountsMerge } from '../proxy/pool/shared-store';
import type { TypedSecrets } from './secrets';
import { toDisposable, type Disposable } from './lifecycle';

const KEY = 'kiro.accounts';

export class SecretAccountStore implements AccountStore {
  private lastWritten?: string;
  private queue: Promise<unknown> = Promise.resolve();
  /** Windows write their whole list: each save merges with what the others stored meanwhile. */
  private readonly shared = new SharedAccountsMerge();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly secrets: TypedSecrets) {}

  async load(): Promise<StoredAccount[]> {
    const accounts = await this.stored();
    this.lastWritten = await this.secrets.raw(KEY);
    this.shared.loaded(accounts ?? []);
    return accounts ?? [];
  }

  /** Saves run one after another, so the last save wins also inside this window. */
  save(ours: StoredAccount[]): Promise<void> {
    const run = this.queue.then(async () => {
      const current = await this.stored().catch(() => undefined); // unreadable: ours replaces it
      const { accounts, foreign } = this.shared.merge(ours, current);
      this.lastWritten = await this.secrets.set(KEY, { version: 1, accounts });
      // Another window's change is inside our write now: its change event would look like ours.
      if (foreign) for (const listener of this.listeners) listener();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Calls `listener` when another window changed the accounts. */
  onDidChangeExternally(listener: () => void): Disposable {
    this.listeners.add(listener);
    const subscription = this.secrets.onDidChange(KEY, () => {
      // The check takes its turn in the save queue: a save of this window that started while the
      // secret was being read would otherwise make our own earlier write look foreign, and the
      // reload it triggers would drop the accounts added since (seen while importing several files).
      const check = this.queue.then(async () => {
        const now = await this.secrets.raw(KEY);
        if (now === this.lastWritten) return false;
        this.lastWritten = now;
        return true;
      });
      this.queue = check.catch(() => undefined);
      void check.then((changed) => changed && listener(), () => undefined);
    });
    return toDisposable(() => {
      this.listeners.delete(listener);
      subscription.dispose();
    });
  }

  private async stored(): Promise<StoredAccount[] | undefined> {
    const value = await this.secrets.get(KEY);
    if (value === undefined) return undefined;
    if (!value || typeof value !== 'object' || !Array.isArray(value.accounts)) {
      // Refuse rather than start empty: the next save would wipe the user's accounts.
      throw new Error('The stored Kiro accounts are unreadable; remove them with "Kiro: Remove Account" or sign in again.');
    }
    return value.accounts;
  }
}
