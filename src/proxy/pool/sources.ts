// Where accounts come from besides a sign-in: the Kiro IDE's token folder (or one file of it), a
// pasted token JSON, the reference tool's configuration, and kiro-cli's SQLite store. Each
// reader hands back accounts to add; the pool adds or updates them.
import { randomUUID } from 'node:crypto';
import { messageOf } from '../errors';
import { API_KEY_REFUSED, apiKeyCredentials, parseApiKey } from '../kiro/api-key';
import { refreshCredentials } from '../kiro/auth';
import type { KiroHosts } from '../kiro/endpoints';
import { machineIdFor } from '../kiro/headers';
import { KiroCallError } from '../kiro/errors';
import type { KiroHttp } from '../kiro/http';
import { getUsageLimits } from '../kiro/usage';
import type { AccountSource } from './account';
import { withGrant } from './freshness';
import { readKiroCliStore } from './kiro-cli-store';
import { readReferenceConfig } from './migrate';
import { parsePastedCredentials, readTokenFile, scanTokenDir, type NewCredentials, type SkippedSource } from './token-files';

export interface NewAccount {
  credentials: NewCredentials;
  name?: string;
  email?: string;
  source?: AccountSource;
  enabled?: boolean;
  priority?: number;
}

/** What one source offered: accounts to add (or update), what it skipped and why, notes for the user. */
export interface SourcedAccounts {
  accounts: NewAccount[];
  skipped: SkippedSource[];
  notes: string[];
}

export async function tokenDirAccounts(dir: string): Promise<SourcedAccounts> {
  const { found, skipped } = await scanTokenDir(dir);
  return { accounts: found.map((file) => ({ credentials: file.credentials, source: { kind: 'token-file', path: file.path } })), skipped, notes: [] };
}

export async function tokenFileAccount(file: string): Promise<SourcedAccounts> {
  const credentials = await readTokenFile(file);
  if (!credentials) return { accounts: [], skipped: [{ path: file, reason: 'not a Kiro token file' }], notes: [] };
  return { accounts: [{ credentials, source: { kind: 'token-file', path: file } }], skipped: [], notes: [] };
}

/** A pasted token JSON or bare refresh token. Tokens without an access token are refreshed first, proving they work. */
export async function pastedAccounts(text: string, http: KiroHttp, hosts: KiroHosts, now: () => number): Promise<SourcedAccounts> {
  const result: SourcedAccounts = { accounts: [], skipped: [], notes: [] };
  for (const [i, parsed] of parsePastedCredentials(text).entries()) {
    let credentials = parsed;
    if (!credentials.accessToken) {
      try {
        const grant = await refreshCredentials(http, hosts, { ...credentials, machineId: machineIdFor(randomUUID()) }, now());
        credentials = withGrant(credentials, grant, now());
      } catch (err) {
        result.skipped.push({ path: `pasted entry ${i + 1}`, reason: messageOf(err) });
        continue;
      }
    }
    result.accounts.push({ credentials, source: { kind: 'import' } });
  }
  return result;
}

/** The reference tool's accounts, with their names and enabled flags. */
export async function referenceToolAccounts(file: string): Promise<SourcedAccounts> {
  const { accounts, skipped, notes } = await readReferenceConfig(file);
  return {
    accounts: accounts.map((a) => ({ credentials: a.credentials, name: a.name, enabled: a.enabled, source: { kind: 'migration', path: a.tokenPath } })),
    skipped,
    notes,
  };
}

/**
 * The accounts kiro-cli (or the Amazon Q CLI) is signed in with, read from its SQLite store:
 * `dbPath`, or the default location when present. Without `node:sqlite` this is a note, not an error.
 */
export async function kiroCliAccounts(dbPath?: string): Promise<SourcedAccounts> {
  const store = await readKiroCliStore(dbPath);
  return {
    // One account per store key: importing again after kiro-cli refreshed updates it, like a token file.
    accounts: store.accounts.map((a) => ({ credentials: a.credentials, source: { kind: 'import', path: `${store.path}#${a.key}` } })),
    skipped: store.skipped,
    notes: store.notes,
  };
}

/**
 * A Kiro API key (`ksk_…`, §11.3). A malformed one throws before anything happens; with `check`,
 * Kiro must accept it first (a getUsageLimits call), so a refused key adds nothing either.
 */
export async function apiKeyAccount(text: string, http: KiroHttp, hosts: KiroHosts, check: boolean): Promise<SourcedAccounts> {
  const credentials = apiKeyCredentials(parseApiKey(text));
  if (check) {
    try {
      await getUsageLimits(http, hosts, { ...credentials, machineId: machineIdFor(randomUUID()) });
    } catch (err) {
      const failure = err instanceof KiroCallError ? err.failure : undefined;
      if (failure?.kind === 'bearer_invalid' || failure?.kind === 'auth') throw new Error(`${API_KEY_REFUSED} (${failure.status}: ${failure.message})`);
      throw new Error(`Could not check the API key with Kiro: ${failure?.message ?? messageOf(err)}`, { cause: err });
    }
  }
  return { accounts: [{ credentials, source: { kind: 'import' } }], skipped: [], notes: [] };
}
