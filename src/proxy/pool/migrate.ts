// Import from the Python reference tool (petehsu/KiroProxy): its `~/.kiro-proxy/config.json`
// lists accounts as `{id, name, token_path, enabled, proxy_url}` pointing at token files.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expandHome } from '../home';
import { readTokenFile, type NewCredentials, type SkippedSource } from './token-files';

export interface ReferenceAccount {
  name?: string;
  enabled: boolean;
  tokenPath: string;
  credentials: NewCredentials;
}

export function defaultReferenceConfigPath(): string {
  return path.join(os.homedir(), '.kiro-proxy', 'config.json');
}

export async function readReferenceConfig(file: string): Promise<{ accounts: ReferenceAccount[]; skipped: SkippedSource[]; notes: string[] }> {
  let config: { accounts?: unknown };
  try {
    config = JSON.parse(await fs.readFile(file, 'utf8')) as { accounts?: unknown };
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : 'not readable JSON';
    throw new Error(`Reference tool config ${file}: ${why}.`);
  }
  const accounts: ReferenceAccount[] = [];
  const skipped: SkippedSource[] = [];
  const notes: string[] = [];
  for (const entry of Array.isArray(config.accounts) ? config.accounts : []) {
    const e = (entry ?? {}) as Record<string, unknown>;
    const label = typeof e.name === 'string' ? e.name : String(e.id ?? '?');
    if (typeof e.token_path !== 'string') {
      skipped.push({ path: label, reason: 'no token_path' });
      continue;
    }
    const tokenPath = expandHome(e.token_path);
    try {
      const credentials = await readTokenFile(tokenPath);
      if (!credentials) skipped.push({ path: tokenPath, reason: 'not a Kiro token file (or missing)' });
      else accounts.push({ name: typeof e.name === 'string' ? e.name : undefined, enabled: e.enabled !== false, tokenPath, credentials });
    } catch (err) {
      skipped.push({ path: tokenPath, reason: (err as Error).message });
    }
    // Per-account outbound proxies (`proxy_url`) are not supported; the global one applies.
    if (typeof e.proxy_url === 'string' && e.proxy_url) notes.push(`${label}: proxy_url ignored; the global outbound proxy applies.`);
  }
  return { accounts, skipped, notes };
}
