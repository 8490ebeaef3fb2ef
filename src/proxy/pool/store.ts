// Where accounts live between runs. The engine defines the interface; the CLI uses the file
// store below, the extension implements it over VS Code SecretStorage.
import { randomBytes } from 'node:crypto';
import { mkdirSync, promises as fs, watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import type { StoredAccount } from './account';
import { SharedAccountsMerge } from './shared-store';

export interface AccountStore {
  load(): Promise<StoredAccount[]>;
  /** Replaces everything stored with `accounts`. Must be atomic: a crash leaves old or new, never half. */
  save(accounts: StoredAccount[]): Promise<void>;
}

interface AccountsFile {
  version: 1;
  accounts: StoredAccount[];
}

/**
 * `<dataDir>/accounts.json`, mode 0600, replaced atomically; saves run one after another.
 * Several processes may share the file (a running proxy and `kiro-proxy login` or `import`):
 * a save merges with what is on disk (see SharedAccountsMerge), and `watch` reports their writes.
 */
export class FileAccountStore implements AccountStore {
  readonly file: string;
  private queue: Promise<void> = Promise.resolve();
  private readonly shared = new SharedAccountsMerge();
  /** The file as this store last wrote it, to tell another process's writes from its own. */
  private lastWritten?: string;
  private readonly watchers = new Set<() => void>();

  constructor(readonly dataDir: string) {
    this.file = path.join(dataDir, 'accounts.json');
  }

  async load(): Promise<StoredAccount[]> {
    const accounts = (await this.read()) ?? [];
    this.shared.loaded(accounts);
    return accounts;
  }

  save(accounts: StoredAccount[]): Promise<void> {
    const run = this.queue.then(() => this.merge(accounts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Calls `listener` when another process changed the file, so the pool can reload it. Returns
   * the stop function. Rename-based writes show up as events on the folder, hence its watch.
   */
  watch(listener: () => void): () => void {
    let timer: NodeJS.Timeout | undefined;
    this.watchers.add(listener);
    const check = () => {
      // In the save queue: our own write in progress must not look foreign.
      this.queue = this.queue
        .then(async () => {
          const text = await fs.readFile(this.file, 'utf8').catch(() => undefined);
          if (text !== undefined && text !== this.lastWritten) listener();
        })
        .catch(() => undefined);
    };
    const watcher = watchFolder(this.dataDir, (name) => {
      if (name !== path.basename(this.file)) return;
      clearTimeout(timer);
      timer = setTimeout(check, 50); // a write is several events
    });
    return () => {
      clearTimeout(timer);
      watcher?.close();
      this.watchers.delete(listener);
    };
  }

  private async merge(ours: StoredAccount[]): Promise<void> {
    const onDisk = await this.read().catch(() => undefined); // unreadable: ours replaces it, as before
    const { accounts, foreign } = this.shared.merge(ours, onDisk);
    const text = JSON.stringify({ version: 1, accounts } satisfies AccountsFile, null, 2);
    await this.write(text);
    this.lastWritten = text;
    // The other process's write is now inside ours, where the file watch cannot tell it apart.
    if (foreign) for (const listener of this.watchers) listener();
  }

  private async read(): Promise<StoredAccount[] | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let parsed: Partial<AccountsFile>;
    try {
      parsed = JSON.parse(text) as Partial<AccountsFile>;
    } catch {
      // Refuse rather than start empty: the next save would overwrite the user's accounts.
      throw new Error(`${this.file} is not valid JSON; fix or move it away, then restart.`);
    }
    return Array.isArray(parsed.accounts) ? parsed.accounts : [];
  }

  private async write(text: string): Promise<void> {
    await fs.mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(temp, this.file);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
    await fs.chmod(this.file, 0o600);
    await syncDirectory(this.dataDir);
  }
}

/** Keeps copies in memory; for tests and for running without persistence. */
export class MemoryAccountStore implements AccountStore {
  saves = 0;
  private accounts: StoredAccount[];

  constructor(initial: StoredAccount[] = []) {
    this.accounts = structuredClone(initial);
  }

  async load(): Promise<StoredAccount[]> {
    return structuredClone(this.accounts);
  }

  async save(accounts: StoredAccount[]): Promise<void> {
    this.accounts = structuredClone(accounts);
    this.saves++;
  }
}

/** A watch on the data folder; none where the platform cannot watch (the store still merges on save). */
function watchFolder(dir: string, onChange: (name: string | null) => void): FSWatcher | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 }); // where the first save will go
    return watch(dir, { persistent: false }, (_event, name) => onChange(name === null ? null : String(name)));
  } catch {
    return undefined;
  }
}

/** Makes the rename itself durable; not possible (nor needed) on Windows. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
