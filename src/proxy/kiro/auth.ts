// Access-token refresh for both kinds of Kiro account (docs/kiro-protocol.md §6.2, §6.3).
// A dead refresh token is a `NeedsLoginError`: retrying cannot help, only a new sign-in can.
import type { KiroHosts } from './endpoints';
import type { KiroCredentials } from './credentials';
import { kiroJson, KiroCallError, type JsonResponse, type KiroFailure } from './errors';
import { DEFAULT_KIRO_VERSION } from './headers';
import type { KiroHttp } from './http';

/** What a refresh or a login hands back; fields Kiro leaves out keep their old values. */
export interface TokenGrant {
  accessToken: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt?: number;
  profileArn?: string;
}

/** The account can only be used again after the user signs in. `message` is shown to the user. */
export class NeedsLoginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NeedsLoginError';
  }
}

/** Headers the IDE's SSO-OIDC client sends (§6.3); also used by the device-code login. */
export const OIDC_HEADERS: Record<string, string> = {
  'x-amz-user-agent': 'aws-sdk-js/3.738.0 ua/2.1 os/other lang/js md/browser#unknown_unknown api/sso-oidc#3.738.0 m/E KiroIDE',
  'user-agent': 'node',
};

export function refreshCredentials(http: KiroHttp, hosts: KiroHosts, creds: KiroCredentials, now = Date.now()): Promise<TokenGrant> {
  return creds.authMethod === 'idc' ? refreshIdc(http, hosts, creds, now) : refreshSocial(http, hosts, creds, now);
}

export async function refreshSocial(http: KiroHttp, hosts: KiroHosts, creds: KiroCredentials, now = Date.now()): Promise<TokenGrant> {
  const refreshToken = requireRefreshToken(creds);
  const url = `${hosts.socialAuth(creds.region || 'us-east-1')}/refreshToken`;
  const headers = { 'user-agent': `KiroIDE-${hosts.kiroVersion() ?? DEFAULT_KIRO_VERSION}-${creds.machineId}`, accept: 'application/json, text/plain, */*' };
  const res = await postToken(http, url, headers, { refreshToken });
  return grantFrom(res, now);
}

/** IdC / Builder ID: AWS SSO-OIDC CreateToken with camelCase JSON (not form-encoded). */
export async function refreshIdc(http: KiroHttp, hosts: KiroHosts, creds: KiroCredentials, now = Date.now()): Promise<TokenGrant> {
  const refreshToken = requireRefreshToken(creds);
  if (!creds.clientId || !creds.clientSecret) {
    throw new NeedsLoginError('This AWS Builder ID / IAM Identity Center account has no client registration; sign in again.');
  }
  const res = await postToken(http, `${hosts.oidc(creds.region || 'us-east-1')}/token`, OIDC_HEADERS, {
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    refreshToken,
    grantType: 'refresh_token',
  });
  return grantFrom(res, now);
}

/** POST to a token endpoint; an answer that means "the refresh token is dead" becomes NeedsLoginError. */
async function postToken(http: KiroHttp, url: string, headers: Record<string, string>, body: unknown): Promise<JsonResponse> {
  try {
    return await kiroJson(http, url, { method: 'POST', headers, body });
  } catch (err) {
    const dead = err instanceof KiroCallError ? deadTokenMessage(err.failure) : undefined;
    throw dead ? new NeedsLoginError(dead) : err;
  }
}

function deadTokenMessage(failure: KiroFailure): string | undefined {
  const text = `${failure.message} ${failure.reason ?? ''}`;
  if (/invalid_grant|Invalid refresh token/i.test(text)) {
    return 'Kiro rejected the refresh token (invalid_grant): it was revoked or has expired. Sign in to this account again.';
  }
  if (/ExpiredClient|invalid_client|Client is expired/i.test(text)) {
    return 'The AWS client registration of this account has expired. Sign in to this account again.';
  }
  if (failure.status === 401) return `Kiro refused to refresh this account's token (${failure.message}). Sign in again.`;
  return undefined;
}

function requireRefreshToken(creds: KiroCredentials): string {
  if (!creds.refreshToken) throw new NeedsLoginError('This account has no refresh token; sign in again to keep using it.');
  return creds.refreshToken;
}

/** Reads `{accessToken, refreshToken?, expiresIn?, profileArn?}`; snake_case too, as some portals answer. */
export function grantFrom(res: JsonResponse, now: number): TokenGrant {
  const body = (res.body ?? {}) as Record<string, unknown>;
  const str = (...keys: string[]) => keys.map((k) => body[k]).find((v): v is string => typeof v === 'string' && v !== '');
  const accessToken = str('accessToken', 'access_token');
  if (!accessToken) {
    throw new KiroCallError({ kind: 'transient', status: res.status, message: 'Kiro answered the token request without an access token' });
  }
  const expiresIn = Number(body.expiresIn ?? body.expires_in);
  return {
    accessToken,
    refreshToken: str('refreshToken', 'refresh_token'),
    profileArn: str('profileArn', 'profile_arn'),
    expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? now + expiresIn * 1000 : undefined,
  };
}
