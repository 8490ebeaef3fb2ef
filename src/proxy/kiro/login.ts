// Signing in a new account: Google/GitHub through the Kiro auth portal with PKCE (§6.5), and
// AWS Builder ID / IAM Identity Center with the OIDC device-code flow (§6.6). Each returns
// credentials for `AccountPool.add`; the shells (CLI, extension) open the browser.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { grantFrom, NeedsLoginError, OIDC_HEADERS } from './auth';
import type { KiroCredentials } from './credentials';
import type { KiroHosts } from './endpoints';
import { kiroJson, KiroCallError } from './errors';
import type { KiroHttp } from './http';

export type LoginResult = Omit<KiroCredentials, 'machineId'>;
export type SocialProvider = 'Google' | 'Github';

export interface Pkce {
  verifier: string;
  challenge: string;
  state: string;
}

export const BUILDER_ID_START_URL = 'https://view.awsapps.com/start';
const SOCIAL_REGION = 'us-east-1';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SCOPES = [
  'codewhisperer:completions',
  'codewhisperer:analysis',
  'codewhisperer:conversations',
  'codewhisperer:transformations',
  'codewhisperer:taskassist',
];

/**
 * An organisation's IAM Identity Center start URL (`https://d-xxxxxxxxxx.awsapps.com/start`,
 * or its own alias) as the device authorization wants it; throws a message for the user.
 */
export function identityCenterStartUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error(`"${text.trim()}" is not a URL; the start URL looks like https://d-1234567890.awsapps.com/start`);
  }
  if (url.protocol !== 'https:') throw new Error('The start URL must begin with https://');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** An AWS region name (`us-east-1`, `eu-central-1`); throws a message for the user. */
export function awsRegion(text: string): string {
  const region = text.trim().toLowerCase();
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new Error(`"${text.trim()}" is not an AWS region, e.g. us-east-1`);
  return region;
}

// ---- Google / GitHub (PKCE) ----

export function createPkce(): Pkce {
  const verifier = randomBytes(48).toString('base64url');
  return {
    verifier,
    challenge: createHash('sha256').update(verifier).digest('base64url'),
    state: randomBytes(16).toString('base64url'),
  };
}

export function socialLoginUrl(hosts: KiroHosts, provider: SocialProvider, redirectUri: string, pkce: Pkce): string {
  const query = new URLSearchParams({
    idp: provider,
    redirect_uri: redirectUri,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    state: pkce.state,
    prompt: 'select_account',
  });
  return `${hosts.socialAuth(SOCIAL_REGION)}/login?${query}`;
}

/** The code from the URL the browser ended on (the paste-it-here fallback, and the callback server). */
export function codeFromRedirect(url: string, expectedState: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error('That is not a URL; paste the whole address the browser ended on.');
  }
  const error = parsed.searchParams.get('error');
  if (error) throw new Error(`Sign-in failed: ${parsed.searchParams.get('error_description') ?? error}`);
  if (parsed.searchParams.get('state') !== expectedState) throw new Error('This URL belongs to another sign-in attempt (state mismatch).');
  const code = parsed.searchParams.get('code');
  if (!code) throw new Error('The URL carries no authorization code.');
  return code;
}

export async function exchangeSocialCode(
  http: KiroHttp,
  hosts: KiroHosts,
  params: { provider: SocialProvider; code: string; verifier: string; redirectUri: string },
  now = Date.now(),
): Promise<LoginResult> {
  // The portal takes snake_case here and answers camelCase (§6.5).
  const res = await kiroJson(http, `${hosts.socialAuth(SOCIAL_REGION)}/oauth/token`, {
    method: 'POST',
    body: { code: params.code, code_verifier: params.verifier, redirect_uri: params.redirectUri },
  });
  const grant = grantFrom(res, now);
  return { ...grant, authMethod: 'social', provider: params.provider, region: SOCIAL_REGION };
}

export interface CallbackServer {
  /** `http://127.0.0.1:<port>/oauth/callback`, to use as the redirect URI. */
  redirectUri: string;
  /** Resolves with the code once the browser arrives with the right state. */
  waitForCode(state: string, signal?: AbortSignal): Promise<string>;
  close(): Promise<void>;
}

/** A one-shot listener on 127.0.0.1 (random port) for the portal's redirect. */
export async function startCallbackServer(): Promise<CallbackServer> {
  const arrivals: Array<(url: string) => void> = [];
  const server: Server = createServer((req, res) => {
    const url = `http://127.0.0.1${req.url ?? '/'}`;
    if (!new URL(url).pathname.startsWith('/oauth/callback')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Kiro Proxy</title><p>Signed in. You can close this tab.</p>');
    for (const arrive of arrivals.splice(0)) arrive(url);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}/oauth/callback`,
    waitForCode(state, signal) {
      return new Promise<string>((resolve, reject) => {
        const onAbort = () => reject(new Error('Sign-in cancelled.'));
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        const arrive = (url: string) => {
          signal?.removeEventListener('abort', onAbort);
          try {
            resolve(codeFromRedirect(url, state));
          } catch (err) {
            reject(err);
          }
        };
        arrivals.push(arrive);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---- Builder ID / IAM Identity Center (device code) ----

export interface OidcClient {
  clientId: string;
  clientSecret: string;
  region: string;
}

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Seconds. */
  expiresIn: number;
  /** Seconds between polls. */
  interval: number;
}

export async function registerDeviceClient(http: KiroHttp, hosts: KiroHosts, region = 'us-east-1'): Promise<OidcClient> {
  const res = await kiroJson(http, `${hosts.oidc(region)}/client/register`, {
    method: 'POST',
    headers: OIDC_HEADERS,
    body: { clientName: 'Kiro IDE', clientType: 'public', scopes: SCOPES, grantTypes: [DEVICE_GRANT, 'refresh_token'] },
  });
  const body = (res.body ?? {}) as { clientId?: unknown; clientSecret?: unknown };
  if (typeof body.clientId !== 'string' || typeof body.clientSecret !== 'string') {
    throw new KiroCallError({ kind: 'transient', status: res.status, message: 'AWS answered the client registration without a client' });
  }
  return { clientId: body.clientId, clientSecret: body.clientSecret, region };
}

export async function startDeviceAuthorization(
  http: KiroHttp,
  hosts: KiroHosts,
  client: OidcClient,
  startUrl = BUILDER_ID_START_URL,
): Promise<DeviceAuthorization> {
  const res = await kiroJson(http, `${hosts.oidc(client.region)}/device_authorization`, {
    method: 'POST',
    headers: OIDC_HEADERS,
    body: { clientId: client.clientId, clientSecret: client.clientSecret, startUrl },
  });
  const b = (res.body ?? {}) as Record<string, unknown>;
  if (typeof b.deviceCode !== 'string' || typeof b.userCode !== 'string' || typeof b.verificationUri !== 'string') {
    throw new KiroCallError({ kind: 'transient', status: res.status, message: 'AWS answered the device authorization without a code' });
  }
  return {
    deviceCode: b.deviceCode,
    userCode: b.userCode,
    verificationUri: b.verificationUri,
    ...(typeof b.verificationUriComplete === 'string' ? { verificationUriComplete: b.verificationUriComplete } : {}),
    expiresIn: typeof b.expiresIn === 'number' ? b.expiresIn : 600,
    interval: typeof b.interval === 'number' && b.interval > 0 ? b.interval : 5,
  };
}

/**
 * Polls until the user approved the code in the browser. `authorization_pending` keeps
 * polling, `slow_down` adds 5 s, `expired_token` and `access_denied` end the attempt.
 */
export async function pollDeviceToken(
  http: KiroHttp,
  hosts: KiroHosts,
  client: OidcClient,
  auth: DeviceAuthorization,
  options: { signal?: AbortSignal; sleep?: (ms: number, signal?: AbortSignal) => Promise<void>; now?: () => number; provider?: string } = {},
): Promise<LoginResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const deadline = now() + auth.expiresIn * 1000;
  let interval = auth.interval;
  for (;;) {
    if (options.signal?.aborted) throw new Error('Sign-in cancelled.');
    if (now() >= deadline) throw new NeedsLoginError('The sign-in code expired before it was approved; start again.');
    await sleep(interval * 1000, options.signal);
    try {
      const res = await kiroJson(http, `${hosts.oidc(client.region)}/token`, {
        method: 'POST',
        headers: OIDC_HEADERS,
        body: { clientId: client.clientId, clientSecret: client.clientSecret, deviceCode: auth.deviceCode, grantType: DEVICE_GRANT },
        signal: options.signal,
      });
      const grant = grantFrom(res, now());
      return {
        ...grant,
        authMethod: 'idc',
        provider: options.provider ?? 'BuilderId',
        region: client.region,
        clientId: client.clientId,
        clientSecret: client.clientSecret,
      };
    } catch (err) {
      if (options.signal?.aborted) throw new Error('Sign-in cancelled.');
      const error = err instanceof KiroCallError ? oidcError(err) : undefined;
      if (error === 'authorization_pending') continue;
      if (error === 'slow_down') {
        interval += 5;
        continue;
      }
      if (error === 'expired_token') throw new NeedsLoginError('The sign-in code expired before it was approved; start again.');
      if (error === 'access_denied') throw new NeedsLoginError('The sign-in was denied in the browser.');
      throw err;
    }
  }
}

/** OIDC errors are `{error, error_description?}`; the classifier keeps the description as message. */
function oidcError(err: KiroCallError): string | undefined {
  const text = `${err.failure.message} ${err.failure.reason ?? ''}`;
  return ['authorization_pending', 'slow_down', 'expired_token', 'access_denied'].find((code) => text.includes(code));
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('Sign-in cancelled.'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('Sign-in cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
