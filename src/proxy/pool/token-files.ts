// Reading Kiro credentials from the places users have them: the IDE's token files in the AWS
// SSO cache (docs/kiro-protocol.md §6.1), pasted JSON, or a bare refresh token. Read-only: the IDE
// owns its files and we never write them.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { KiroCredentials } from '../kiro/credentials';
import { epochMs } from '../kiro/usage';

/** Credentials before the pool gives them an account (and so a machine id). */
export type NewCredentials = Omit<KiroCredentials, 'machineId'>;

export interface FoundTokenFile {
  path: string;
  credentials: NewCredentials;
}

/** Something that was not imported: a file path (or `pasted entry N`) and why. */
export interface SkippedSource {
  path: string;
  reason: string;
}

export const IDE_TOKEN_FILE = 'kiro-auth-token.json';

type Json = Record<string, unknown>;

/** Every Kiro token file in `dir`; registrations and other AWS SSO files are left alone. */
export async function scanTokenDir(dir: string): Promise<{ found: FoundTokenFile[]; skipped: SkippedSource[] }> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { found: [], skipped: [] };
    throw err;
  }
  const found: FoundTokenFile[] = [];
  const skipped: SkippedSource[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const credentials = await readTokenFile(file);
      if (credentials) found.push({ path: file, credentials });
    } catch (err) {
      skipped.push({ path: file, reason: (err as Error).message });
    }
  }
  return { found, skipped };
}

/**
 * The credentials in one token file, with an IdC token's client registration merged in from
 * `<clientIdHash>.json` next to it; `undefined` when the file is not a Kiro token file.
 */
export async function readTokenFile(file: string): Promise<NewCredentials | undefined> {
  const json = await readJson(file);
  if (!json || !isKiroToken(path.basename(file), json)) return undefined;
  const registration = typeof json.clientIdHash === 'string' ? await readJson(path.join(path.dirname(file), `${json.clientIdHash}.json`)) : undefined;
  return credentialsFrom({ ...pick(registration, 'clientId', 'clientSecret'), ...json });
}

/** A pasted token JSON (one object, an array, or `{accounts: [...]}`) or a bare refresh token. */
export function parsePastedCredentials(text: string): NewCredentials[] {
  const trimmed = text.trim();
  if (!trimmed) throw new Error('Nothing to import: paste a Kiro token JSON or a refresh token.');
  if (!/^[[{]/.test(trimmed)) {
    if (/\s/.test(trimmed)) throw new Error('That is neither JSON nor a refresh token.');
    // A bare refresh token: social is the only kind that refreshes without a client registration.
    return [{ accessToken: '', refreshToken: trimmed, expiresAt: 0, authMethod: 'social', region: 'us-east-1' }];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new Error('The pasted text is not valid JSON.');
  }
  const list = Array.isArray(parsed) ? parsed : Array.isArray((parsed as Json).accounts) ? ((parsed as Json).accounts as unknown[]) : [parsed];
  const credentials = list.map((item) => (item && typeof item === 'object' ? credentialsFrom(item as Json) : undefined));
  if (credentials.some((c) => !c)) throw new Error('Every entry needs an accessToken or a refreshToken.');
  return credentials as NewCredentials[];
}

/** Kiro IDE files are `kiro-auth-token.json`, or carry Kiro's own fields; AWS CLI SSO tokens carry neither. */
function isKiroToken(name: string, json: Json): boolean {
  const hasToken = typeof json.accessToken === 'string' || typeof json.refreshToken === 'string';
  if (!hasToken) return false;
  return name === IDE_TOKEN_FILE || 'authMethod' in json || 'provider' in json || 'profileArn' in json;
}

/** Normalises the field spellings seen across tools (camelCase, snake_case, kiro.rs). */
export function credentialsFrom(json: Json): NewCredentials | undefined {
  const str = (...keys: string[]) => keys.map((k) => json[k]).find((v): v is string => typeof v === 'string' && v !== '');
  const accessToken = str('accessToken', 'access_token');
  const refreshToken = str('refreshToken', 'refresh_token');
  if (!accessToken && !refreshToken) return undefined;
  const clientId = str('clientId', 'client_id');
  const clientSecret = str('clientSecret', 'client_secret');
  const method = str('authMethod', 'auth_method')?.toLowerCase();
  const isIdc = method ? /idc|builder|enterprise|sso/.test(method) : !!(clientId && clientSecret);
  const credentials: NewCredentials = {
    accessToken: accessToken ?? '',
    authMethod: isIdc ? 'idc' : 'social',
    region: str('region', 'authRegion', 'idcRegion') ?? 'us-east-1',
    // Without an access token the expiry is "now": the pool refreshes before first use.
    expiresAt: accessToken ? parseExpiry(json.expiresAt ?? json.expires_at) : 0,
  };
  const optional = {
    refreshToken,
    provider: str('provider'),
    profileArn: str('profileArn', 'profile_arn'),
    clientId,
    clientSecret,
  };
  for (const [key, value] of Object.entries(optional)) if (value) Object.assign(credentials, { [key]: value });
  return credentials;
}

function parseExpiry(value: unknown): number | undefined {
  if (typeof value === 'string' && !/^\d+(\.\d+)?$/.test(value.trim())) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return epochMs(value);
}

async function readJson(file: string): Promise<Json | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
}

function pick(json: Json | undefined, ...keys: string[]): Json {
  return Object.fromEntries(keys.filter((k) => typeof json?.[k] === 'string').map((k) => [k, json![k]]));
}
