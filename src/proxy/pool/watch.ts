// Notices when the Kiro IDE writes a token file (new sign-in or its own refresh), so the pool
// can offer the new account or the fresher tokens. Editors and the IDE write a file in several
// steps, hence the debounce.
import { watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';

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
