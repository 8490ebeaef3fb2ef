// Reading the accounts kiro-cli (and its predecessor, the Amazon Q Developer CLI) keeps in its
// SQLite store (docs/kiro-protocol.md §6.1). The store is kiro-cli's: we open it read-only, never write.
//
// Layout (aws/amazon-q-developer-cli `crates/chat-cli/src/database`, `auth/builder_id.rs`,
// `auth/social.rs`): table `auth_kv (key TEXT PRIMARY KEY, value TEXT)`, each value a JSON object
// in snake_case —
//   token         {access_token, expires_at (RFC 3339), refresh_token?, region?, start_url?, oauth_flow, scopes?}
//   social token  {access_token, expires_at, refresh_token?, provider ("google"|"github"), profile_arn?}
//   registration  {client_id, client_secret, client_secret_expires_at?, region, oauth_flow, scopes?}
// and table `state (key TEXT PRIMARY KEY, value BLOB)` where `api.codewhisperer.profile` holds the
// selected `{arn, profile_name}`.
//
// SQLite comes from Node's built-in `node:sqlite` (no native module can ship in the .vsix), which
// older Node versions (and so some VS Code builds) do not have: then we say so instead of failing.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUILDER_ID_START_URL } from '../kiro/login';
import { credentialsFrom, type NewCredentials, type SkippedSource } from './token-files';

/** Token keys, in the order they are read; `codewhisperer:*` are the Amazon Q CLI's. */
export const KIRO_CLI_TOKEN_KEYS = ['kirocli:social:token', 'kirocli:odic:token', 'codewhisperer:social:token', 'codewhisperer:odic:token'] as const;
/** kiro-cli's enterprise (Entra ID, Okta…) sign-in: refreshed at the customer's IdP, which we cannot do. */
const EXTERNAL_IDP_KEY = 'kirocli:external-idp:token';
const REGISTRATION_KEYS: Record<string, string[]> = {
  'kirocli:odic:token': ['kirocli:odic:device-registration', 'codewhisperer:odic:device-registration'],
  'codewhisperer:odic:token': ['codewhisperer:odic:device-registration', 'kirocli:odic:device-registration'],
};
const PROFILE_STATE_KEY = 'api.codewhisperer.profile';

export interface KiroCliAccount {
  /** The `auth_kv` key the token was read from. */
  key: string;
  credentials: NewCredentials;
}

export interface KiroCliStore {
  /** The database read, when one was found. */
  path?: string;
  accounts: KiroCliAccount[];
  skipped: SkippedSource[];
  notes: string[];
}

type Json = Record<string, unknown>;

/** The part of `node:sqlite` we use (its typings are newer than our @types/node). */
interface SqliteDatabase {
  prepare(sql: string): { get(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] };
  exec(sql: string): void;
  close(): void;
}
interface SqliteModule {
  DatabaseSync: new (file: string, options?: { readOnly?: boolean; open?: boolean }) => SqliteDatabase;
}

/** Where kiro-cli and the Amazon Q CLI keep `data.sqlite3`, most likely first (Rust `dirs::data_local_dir()`). */
export function defaultKiroCliDbPaths(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string[] {
  const p = platform === 'win32' ? path.win32 : path.posix;
  let dirs: string[];
  if (platform === 'darwin') dirs = [p.join(home, 'Library', 'Application Support')];
  else if (platform === 'win32') {
    const roaming = env.APPDATA || p.join(home, 'AppData', 'Roaming');
    const local = env.LOCALAPPDATA || p.join(home, 'AppData', 'Local');
    dirs = [roaming, local];
  } else {
    const xdg = env.XDG_DATA_HOME && p.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : undefined;
    dirs = [...(xdg ? [xdg] : []), p.join(home, '.local', 'share')];
  }
  const unique = [...new Set(dirs)];
  return ['kiro-cli', 'amazon-q'].flatMap((app) => unique.map((dir) => p.join(dir, app, 'data.sqlite3')));
}

/**
 * `node:sqlite`, or the reason it is unavailable. Loaded only when needed: it does not exist
 * before Node 22.5, needs `--experimental-sqlite` before 22.13, and opens read-only from 22.12.
 */
export async function loadSqlite(version = process.versions.node): Promise<SqliteModule | string> {
  const found = `found Node ${version}`;
  if (!supportsReadOnly(version)) return `kiro-cli's SQLite store needs Node 22.12+ (its built-in node:sqlite, opened read-only); ${found}.`;
  try {
    // `require` where there is one (our bundles are CommonJS; some extension hosts refuse `import()`).
    const mod = (typeof require === 'function' ? require('node:sqlite') : await import('node:sqlite' as string)) as Partial<SqliteModule> & {
      default?: Partial<SqliteModule>;
    };
    const DatabaseSync = mod.DatabaseSync ?? mod.default?.DatabaseSync;
    if (typeof DatabaseSync === 'function') return { DatabaseSync };
  } catch {
    // Not built in (older Node, or a runtime built without it), or behind --experimental-sqlite.
  }
  return `kiro-cli's SQLite store needs Node's built-in node:sqlite (Node 22.13+, or 22.12 with --experimental-sqlite); ${found} without it.`;
}

/** `readOnly` arrived in Node 22.12 and 23.1; older versions would silently open read-write. */
function supportsReadOnly(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/**
 * The accounts in kiro-cli's store: `dbPath`, or the first default location that exists.
 * A missing explicit `dbPath` is an error; a missing default store, or no `node:sqlite`, is a note.
 */
export async function readKiroCliStore(dbPath?: string, sqlite?: SqliteModule | string): Promise<KiroCliStore> {
  const empty: KiroCliStore = { accounts: [], skipped: [], notes: [] };
  let file: string | undefined;
  if (dbPath) {
    if (!(await isFile(dbPath))) throw new Error(`kiro-cli database ${dbPath}: not found.`);
    file = dbPath;
  } else {
    const candidates = defaultKiroCliDbPaths();
    for (const candidate of candidates) if (!file && (await isFile(candidate))) file = candidate;
    if (!file) return { ...empty, notes: [`No kiro-cli database found (looked for ${candidates.join(', ')}).`] };
  }
  const mod = sqlite ?? (await loadSqlite());
  if (typeof mod === 'string') return { ...empty, path: file, notes: [`${mod} Not read: ${file}.`] };

  let rows: Map<string, string>;
  let profile: Json | undefined;
  try {
    const db = new mod.DatabaseSync(file, { readOnly: true });
    try {
      // Belt and braces: this connection refuses writes even if the open flags were ignored.
      db.exec('PRAGMA query_only = ON');
      rows = readAuthKv(db);
      profile = readState(db, PROFILE_STATE_KEY);
    } finally {
      db.close();
    }
  } catch (err) {
    throw new Error(`kiro-cli database ${file}: ${(err as Error).message}`);
  }
  return { ...extractAccounts(rows, profile), path: file };
}

/** Maps the `auth_kv` rows (key → JSON text) to credentials. Exported for tests. */
export function extractAccounts(rows: Map<string, string>, profile?: Json): Omit<KiroCliStore, 'path'> {
  const accounts: KiroCliAccount[] = [];
  const skipped: SkippedSource[] = [];
  const notes: string[] = [];
  if (rows.has(EXTERNAL_IDP_KEY)) skipped.push({ path: EXTERNAL_IDP_KEY, reason: "external identity-provider sign-ins are not supported; sign in with Builder ID, IAM Identity Center, Google or GitHub" });
  for (const key of KIRO_CLI_TOKEN_KEYS) {
    const text = rows.get(key);
    if (text === undefined) continue;
    const token = parseJson(text);
    if (!token) {
      skipped.push({ path: key, reason: 'not a JSON object' });
      continue;
    }
    const social = key.includes(':social:');
    const registrationKey = REGISTRATION_KEYS[key]?.find((k) => rows.has(k));
    const registration = registrationKey ? parseJson(rows.get(registrationKey)!) : undefined;
    const credentials = credentialsFrom({
      ...(registration ? { client_id: registration.client_id, client_secret: registration.client_secret, region: registration.region } : {}),
      ...dropEmpty(token),
      ...(typeof profile?.arn === 'string' && !token.profile_arn ? { profile_arn: profile.arn } : {}),
      auth_method: social ? 'social' : 'idc',
      provider: social ? providerName(token.provider) : token.start_url && token.start_url !== BUILDER_ID_START_URL ? 'Enterprise' : 'BuilderId',
    });
    if (!credentials) {
      skipped.push({ path: key, reason: 'no access or refresh token' });
      continue;
    }
    if (!social && !(credentials.clientId && credentials.clientSecret)) {
      skipped.push({ path: key, reason: 'no client registration (kirocli:odic:device-registration) to refresh it with; sign in with kiro-cli again' });
      continue;
    }
    if (!credentials.refreshToken && (credentials.expiresAt ?? 0) <= Date.now()) {
      skipped.push({ path: key, reason: 'the access token has expired and there is no refresh token' });
      continue;
    }
    if (accounts.some((a) => a.credentials.refreshToken && a.credentials.refreshToken === credentials.refreshToken)) continue;
    const secretExpiry = registration && typeof registration.client_secret_expires_at === 'string' ? Date.parse(registration.client_secret_expires_at) : NaN;
    if (secretExpiry <= Date.now()) notes.push(`${key}: kiro-cli's client registration expired; the account works until its access token does, then needs a new kiro-cli sign-in.`);
    accounts.push({ key, credentials });
  }
  if (accounts.length === 0 && skipped.length === 0) notes.push('kiro-cli is not signed in: its database holds no tokens.');
  return { accounts, skipped, notes };
}

function readAuthKv(db: SqliteDatabase): Map<string, string> {
  const keys = [...KIRO_CLI_TOKEN_KEYS, EXTERNAL_IDP_KEY, ...new Set(Object.values(REGISTRATION_KEYS).flat())];
  const rows = db.prepare(`SELECT key, value FROM auth_kv WHERE key IN (${keys.map(() => '?').join(', ')})`).all(...keys) as Array<{ key: unknown; value: unknown }>;
  return new Map(rows.flatMap((r) => (typeof r.key === 'string' && text(r.value) !== undefined ? [[r.key, text(r.value)!]] : [])));
}

/** A `state` value (JSON, stored as text or bytes); the table may be missing in odd stores. */
function readState(db: SqliteDatabase, key: string): Json | undefined {
  try {
    const row = db.prepare('SELECT value FROM state WHERE key = ?').get(key) as { value: unknown } | undefined;
    const value = row ? text(row.value) : undefined;
    return value === undefined ? undefined : parseJson(value);
  } catch {
    return undefined;
  }
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return undefined;
}

function parseJson(value: string): Json | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** Nulls (serde's `None`) must not hide the registration's values. */
function dropEmpty(json: Json): Json {
  return Object.fromEntries(Object.entries(json).filter(([, v]) => v !== null && v !== undefined && v !== ''));
}

/** kiro-cli writes `google`/`github`; the pool uses the IDE's `Google`/`Github`. */
function providerName(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  const known: Record<string, string> = { google: 'Google', github: 'Github' };
  return known[value.toLowerCase()] ?? value;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
