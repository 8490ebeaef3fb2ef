// Several writers share one account store: VS Code windows share one secret, a running CLI proxy
// and `kiro-proxy login` share accounts.json. Each writes its whole list, so without care one
// undoes the other: an account signed in elsewhere vanishes, one removed elsewhere comes back,
// a refresh token rotated elsewhere (the old one is dead) is put back.
import type { StoredAccount } from './account';

/** One writer's view: what it last read from or wrote to the store, to tell its changes from others'. */
export class SharedAccountsMerge {
  /** Ids this writer's pool holds that the store held too, at the last read or write. */
  private known = new Set<string>();
  /** Ids another writer removed while this pool still holds them (until it reloads). */
  private readonly removedElsewhere = new Set<string>();

  /** The pool read the store: from now on it holds exactly these. */
  loaded(accounts: readonly StoredAccount[]): void {
    this.known = new Set(accounts.map((a) => a.id));
    this.removedElsewhere.clear();
  }

  /**
   * What to write instead of `ours`, given what the store holds now. `foreign` says that another
   * writer's change went into it: the pool should reload to see it.
   */
  merge(ours: readonly StoredAccount[], stored: readonly StoredAccount[] | undefined): { accounts: StoredAccount[]; foreign: boolean } {
    const storedById = new Map((stored ?? []).map((a) => [a.id, a]));
    const oursIds = new Set(ours.map((a) => a.id));
    const accounts: StoredAccount[] = [];
    let foreign = false;
    for (const account of ours) {
      const theirs = storedById.get(account.id);
      if (!theirs && stored && (this.known.has(account.id) || this.removedElsewhere.has(account.id))) {
        this.removedElsewhere.add(account.id); // removed by another writer
        foreign = true;
      } else if (theirs && (theirs.credentials.expiresAt ?? 0) > (account.credentials.expiresAt ?? 0)) {
        accounts.push({ ...account, credentials: theirs.credentials }); // refreshed by another writer
        foreign = true;
      } else {
        accounts.push(account);
      }
    }
    for (const account of stored ?? []) {
      if (oursIds.has(account.id) || this.known.has(account.id)) continue;
      accounts.push(account); // added by another writer
      foreign = true;
    }
    // Another writer's additions stay unknown until the pool has them: a later save keeps them too.
    this.known = new Set(accounts.filter((a) => oursIds.has(a.id)).map((a) => a.id));
    return { accounts, foreign };
  }
}
