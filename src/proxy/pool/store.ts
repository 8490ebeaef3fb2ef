// Where accounts live between runs. The engine defines the interface; the CLI uses the file
// store below, the extension implements it over VS Code SecretStorage.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { StoredAccount } from './account';

export interface AccountStore {
  load(): Promise<StoredAccount[]>;
  /** Replaces everything stored with `accounts`. Must be atomic: a crash leaves old or new, never half. */
  save(accounts: StoredAccount[]): Promise<void>;
}

interface AccountsFile {
  version: 1;
  accounts: StoredAccount[];
}

/** `<dataDir>/accounts.json`, mode 0600, replaced atomically; saves run one after another. */
export class FileAccountStore implements AccountStore {
  readonly file: string;
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly dataDir: string) {
    this.file = path.join(dataDir, 'accounts.json');
  }

  async load(): Promise<StoredAccount[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
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

  save(accounts: StoredAccount[]): Promise<void> {
    const text = JSON.stringify({ version: 1, accounts } satisfies AccountsFile, null, 2);
    const run = this.queue.then(() => this.write(text));
    this.queue = run.catch(() => undefined);
    return run;
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
