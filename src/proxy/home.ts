// `~` in paths people type (flags, settings, the Python tool's config): only the user's own home.
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * `~`, `~/x` and `~\x` start at `home`; anything else, `~user/x` included (another user's home,
 * which Node cannot look up), is returned as given.
 */
export function expandHome(p: string, home = os.homedir()): string {
  return p === '~' || p.startsWith('~/') || p.startsWith('~\\') ? path.join(home, p.slice(1)) : p;
}
