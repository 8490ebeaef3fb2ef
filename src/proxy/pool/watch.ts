// Notices when the Kiro IDE writes a token file (new sign-in or its own refresh), so the pool
// can offer the new account or the fresher tokens. Editors and the IDE write a file in several
// steps, hence the debounce.
import { watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import { labelOf, type StoredAccount } from './account';
import { readTokenFile, type NewCredentials } from './token-files';

export interface DirWatcher {
  close(): void;
}

/** Reports changed `*.json` paths in `dir`, batched; a missing folder is watched as nothing. */
export function watchJsonFiles(dir: string, onChange: (paths: string[]) => void, debounceMs = 500): DirWatcher {
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { persistent: false });
  } catch {
    return { close() {} };
  }
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  watcher.on('change', (_event, name) => {
    const file = name?.toString();
    if (!file?.endsWith('.json')) return;
    pending.add(path.join(dir, file));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const paths = [...pending].sort();
      pending.clear();
      onChange(paths);
    }, debounceMs);
    timer.unref();
  });
  // The folder may vanish (user deleted the cache); stop quietly instead of crashing the host.
  watcher.on('error', () => watcher.close());
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

/** The IDE wrote a token file we could import (`new`) or fresher tokens for an account we copied (`updated`). */
export interface TokenFileNotice {
  kind: 'new' | 'updated';
  path: string;
  accountId?: string;
  label?: string;
}

/** Watches the Kiro IDE's token folder and tells what its changed files would mean for the pool. */
export class TokenFolderWatch {
  private watcher?: DirWatcher;

  constructor(
    private readonly deps: {
      dir(): string;
      /** The account these tokens from `path` belong to, if the pool has it. */
      known(credentials: NewCredentials, path: string): StoredAccount | undefined;
      notify(notice: TokenFileNotice): void;
    },
  ) {}

  start(): void {
    this.watcher?.close();
    this.watcher = watchJsonFiles(this.deps.dir(), (paths) => void this.notice(paths));
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private async notice(paths: string[]): Promise<void> {
    for (const file of paths) {
      const credentials = await readTokenFile(file).catch(() => undefined);
      if (!credentials) continue;
      const known = this.deps.known(credentials, file);
      if (!known) {
        this.deps.notify({ kind: 'new', path: file });
      } else if (credentials.accessToken !== known.credentials.accessToken && (credentials.expiresAt ?? 0) > (known.credentials.expiresAt ?? 0)) {
        this.deps.notify({ kind: 'updated', path: file, accountId: known.id, label: labelOf(known) });
      }
    }
  }
}
