// The two ways to sign in to a new account: Google/GitHub through the Kiro portal (PKCE, code
// back to a loopback callback or pasted), and AWS Builder ID / IAM Identity Center with the
// device code. Each hands back the new credentials; the pool adds the account.
import type { KiroHosts } from '../kiro/endpoints';
import type { KiroHttp } from '../kiro/http';
import {
  BUILDER_ID_START_URL,
  codeFromRedirect,
  createPkce,
  exchangeSocialCode,
  pollDeviceToken,
  registerDeviceClient,
  socialLoginUrl,
  startCallbackServer,
  startDeviceAuthorization,
  type SocialProvider,
} from '../kiro/login';
import type { NewCredentials } from './token-files';

export interface SocialSignInOptions {
  signal?: AbortSignal;
  onLoginUrl(url: string): void;
  /** The redirect URL the user pasted, when the browser cannot reach this machine's callback. */
  pastedRedirect?: Promise<string>;
}

export interface DeviceSignInOptions {
  signal?: AbortSignal;
  onUserCode(code: { userCode: string; verificationUri: string; verificationUriComplete?: string }): void;
  startUrl?: string;
  region?: string;
}

export async function signInWithSocial(http: KiroHttp, hosts: KiroHosts, provider: SocialProvider, options: SocialSignInOptions, now: () => number): Promise<NewCredentials> {
  const callback = await startCallbackServer();
  try {
    const pkce = createPkce();
    const { redirectUri } = callback;
    options.onLoginUrl(socialLoginUrl(hosts, provider, redirectUri, pkce));
    const pasted = options.pastedRedirect?.then((url) => codeFromRedirect(url, pkce.state));
    const code = await Promise.race([callback.waitForCode(pkce.state, options.signal), ...(pasted ? [pasted] : [])]);
    return await exchangeSocialCode(http, hosts, { provider, code, verifier: pkce.verifier, redirectUri }, now());
  } finally {
    await callback.close();
  }
}

export async function signInWithDeviceCode(http: KiroHttp, hosts: KiroHosts, options: DeviceSignInOptions): Promise<NewCredentials> {
  const startUrl = options.startUrl ?? BUILDER_ID_START_URL;
  const client = await registerDeviceClient(http, hosts, options.region);
  const auth = await startDeviceAuthorization(http, hosts, client, startUrl);
  const { userCode, verificationUri, verificationUriComplete } = auth;
  options.onUserCode({ userCode, verificationUri, ...(verificationUriComplete ? { verificationUriComplete } : {}) });
  return pollDeviceToken(http, hosts, client, auth, {
    signal: options.signal,
    provider: startUrl === BUILDER_ID_START_URL ? 'BuilderId' : 'Enterprise',
  });
}
