// Several writers share one account store: VS Code windows share one secret, a running CLI proxy
// and `kiro-proxy login` share accounts.json. Each writes its whole list, so without care one
// undoes the other: an account signed in elsewhere vanishes, one removed elsewhere comes back, a
// refresh token rotated elsewhere (the old one is dead) is put back, an account marked exhausted
// elsewhere is active again. So every save is a three-way merge per account.
import { isNewer, type StoredAccount } from './account';

/** One writer's view of the store, to tell its own changes from the other writers'. */
export class SharedAccountsMerge {
  /** Each account as this writer's pool held it at the last read or write. */
  private mine = new Map<string, string>();
  /** Each account as the store held it after this writer's last read or write. */
  private stored = new Map<string, string>();
  /** Ids another writer removed while this pool still holds them (until it reloads). */
  private readonly removedElsewhere = new Set<string>();

  /** The pool read the store: from now on it holds exactly these. */
  loaded(accounts: readonly StoredAccount[]): void {
    this.mine = snapshot(accounts);
    this.stored = snapshot(accounts);
    this.removedElsewhere.clear();
  }

  /**
   * What to write instead of `ours`, given what the store holds now. `foreign` says that another
   * writer's change went into it: the pool should reload to see it.
   */
  merge(ours: readonly StoredAccount[], current: readonly StoredAccount[] | undefined): { accounts: StoredAccount[]; foreign: boolean } {
    const theirsById = new Map((current ?? []).map((a) => [a.id, a]));
    const oursIds = new Set(ours.map((a) => a.id));
    const accounts: StoredAccount[] = [];
    let foreign = false;
    for (const account of ours) {
      const theirs = theirsById.get(account.id);
      if (!theirs) {
        if (current && (this.stored.has(account.id) || this.removedElsewhere.has(account.id))) {
          this.removedElsewhere.add(account.id); // removed by another writer
          foreign = true;
        } else {
          accounts.push(account); // added here
        }
        continue;
      }
      const changedElsewhere = this.stored.has(account.id) && JSON.stringify(theirs) !== this.stored.get(account.id);
      if (!changedElsewhere) {
        accounts.push(account);
        continue;
      }
      foreign = true;
      const changedHere = JSON.stringify(account) !== this.mine.get(account.id);
      // Changed only elsewhere: theirs whole. Changed on both sides: ours (the live state), with
      // their credentials when they are newer (a refresh elsewhere rotated the refresh token).
      if (!changedHere) accounts.push(theirs);
      else accounts.push(isNewer(theirs.credentials, account.credentials) ? { ...account, credentials: theirs.credentials } : account);
    }
    for (const account of current ?? []) {
      if (oursIds.has(account.id) || this.mine.has(account.id)) continue; // ours, or removed here
      accounts.push(account); // added by another writer
      foreign = true;
    }
    // What the pool holds now; another writer's additions stay unknown to it until it reloads.
    this.mine = snapshot(ours);
    this.stored = snapshot(accounts);
    return { accounts, foreign };
  }
}

function snapshot(accounts: readonly StoredAccount[]): Map<string, string> {
  return new Map(accounts.map((a) => [a.id, JSON.stringify(a)]));
}
