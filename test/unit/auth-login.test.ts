// Token refresh and sign-in flows against the simulator's auth endpoints.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { NeedsLoginError, refreshIdc, refreshSocial } from '../../src/proxy/kiro/auth';
import { kiroHosts, kiroUrls, type KiroHosts } from '../../src/proxy/kiro/endpoints';
import { DEFAULT_KIRO_VERSION } from '../../src/proxy/kiro/headers';
import {
  codeFromRedirect,
  createPkce,
  exchangeSocialCode,
  pollDeviceToken,
  registerDeviceClient,
  socialLoginUrl,
  startCallbackServer,
  startDeviceAuthorization,
} from '../../src/proxy/kiro/login';
import { getUsageLimits } from '../../src/proxy/kiro/usage';
import { useSimulator } from '../helpers/pool';

const machineId = 'a'.repeat(64);

describe('auth and login', () => {
  const kiro = useSimulator();
  let hosts: KiroHosts;
  before(() => (hosts = kiroHosts(kiro.sim.url)));

  it('refreshSocial returns a working token; invalid_grant is NeedsLoginError', async () => {
    const a = kiro.sim.addAccount({});
    const creds = { accessToken: a.accessToken, refreshToken: a.refreshToken, authMethod: 'social' as const, region: 'us-east-1', machineId };
    const grant = await refreshSocial(kiro.http, hosts, creds, 1_000);
    assert.equal(grant.accessToken, kiro.sim.account(a.id).accessToken);
    assert.equal(grant.expiresAt, 1_000 + 3600_000);
    assert.equal(grant.profileArn, a.profileArn);
    const refreshCall = kiro.sim.requests.find((r: any) => r.path === '/refreshToken')!;
    assert.equal(refreshCall.headers['user-agent'], `KiroIDE-${DEFAULT_KIRO_VERSION}-${machineId}`);
    kiro.sim.revokeRefreshToken(a.id);
    await assert.rejects(refreshSocial(kiro.http, hosts, creds), (err: Error) => err instanceof NeedsLoginError && /invalid_grant/.test(err.message));
  });

  it('refreshIdc sends camelCase JSON with the client registration', async () => {
    const a = kiro.sim.addAccount({ authMethod: 'idc' });
    const creds = { accessToken: '', refreshToken: a.refreshToken, authMethod: 'idc' as const, region: 'us-east-1', clientId: a.clientId, clientSecret: a.clientSecret, machineId };
    const grant = await refreshIdc(kiro.http, hosts, creds);
    assert.equal(grant.accessToken, kiro.sim.account(a.id).accessToken);
    const call = kiro.sim.requests.find((r: any) => r.path === '/token')!;
    assert.equal(call.body.grantType, 'refresh_token');
    await assert.rejects(refreshIdc(kiro.http, hosts, { ...creds, clientSecret: undefined }), NeedsLoginError);
  });

  it('social PKCE login through the localhost callback server', async () => {
    const pkce = createPkce();
    assert.match(pkce.verifier, /^[A-Za-z0-9_-]{43,128}$/);
    const callback = await startCallbackServer();
    try {
      assert.match(callback.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/);
      const url = socialLoginUrl(hosts, 'Github', callback.redirectUri, pkce);
      const code = callback.waitForCode(pkce.state);
      // The "browser": the portal redirects to our callback.
      const portal = await request(url);
      await portal.body.dump();
      assert.equal(portal.statusCode, 302);
      const landing = await request(String(portal.headers.location));
      assert.match(await landing.body.text(), /Signed in/);
      const result = await exchangeSocialCode(kiro.http, hosts, { provider: 'Github', code: await code, verifier: pkce.verifier, redirectUri: callback.redirectUri });
      assert.equal(result.authMethod, 'social');
      assert.equal(result.provider, 'Github');
      assert.ok(result.refreshToken && result.profileArn);
      const quota = await getUsageLimits(kiro.http, hosts, { ...result, machineId });
      assert.equal(quota.plan, 'KIRO PRO');
    } finally {
      await callback.close();
    }
  });

  it('social PKCE login with a pasted final URL; a wrong verifier or state fails', async () => {
    const pkce = createPkce();
    const redirectUri = 'kiro://kiro.kiroAgent/authenticate-success';
    const portal = await request(socialLoginUrl(hosts, 'Google', redirectUri, pkce));
    await portal.body.dump();
    const finalUrl = String(portal.headers.location);
    assert.throws(() => codeFromRedirect(finalUrl, 'other-state'), /state mismatch/);
    const code = codeFromRedirect(finalUrl, pkce.state);
    await assert.rejects(exchangeSocialCode(kiro.http, hosts, { provider: 'Google', code, verifier: createPkce().verifier, redirectUri }));
    const portal2 = await request(socialLoginUrl(hosts, 'Google', redirectUri, pkce));
    await portal2.body.dump();
    const code2 = codeFromRedirect(String(portal2.headers.location), pkce.state);
    const result = await exchangeSocialCode(kiro.http, hosts, { provider: 'Google', code: code2, verifier: pkce.verifier, redirectUri });
    assert.ok(result.accessToken);
  });

  it('device code: authorization_pending twice, then tokens that refresh', async () => {
    const client = await registerDeviceClient(kiro.http, hosts);
    const auth = await startDeviceAuthorization(kiro.http, hosts, client);
    assert.match(auth.userCode, /^[A-Z]{4}-[A-Z]{4}$/);
    const sleeps: number[] = [];
    const result = await pollDeviceToken(kiro.http, hosts, client, auth, { sleep: async (ms) => void sleeps.push(ms) });
    assert.deepEqual(sleeps, [1000, 1000, 1000]);
    assert.equal(result.authMethod, 'idc');
    assert.equal(result.clientId, client.clientId);
    const grant = await refreshIdc(kiro.http, hosts, { ...result, machineId });
    assert.ok(grant.accessToken);
  });

  it('device code: slow_down adds 5 s, access_denied ends, and polling is abortable', async () => {
    kiro.sim.configure({ device: { slowDown: true, pendingPolls: 0 } });
    let client = await registerDeviceClient(kiro.http, hosts);
    let auth = await startDeviceAuthorization(kiro.http, hosts, client);
    const sleeps: number[] = [];
    await pollDeviceToken(kiro.http, hosts, client, auth, { sleep: async (ms) => void sleeps.push(ms) });
    assert.deepEqual(sleeps, [1000, 6000]);

    kiro.sim.configure({ device: { slowDown: false, deny: true } });
    client = await registerDeviceClient(kiro.http, hosts);
    auth = await startDeviceAuthorization(kiro.http, hosts, client);
    await assert.rejects(pollDeviceToken(kiro.http, hosts, client, auth, { sleep: async () => {} }), /denied/);

    kiro.sim.configure({ device: { deny: false, pendingPolls: 1000 } });
    auth = await startDeviceAuthorization(kiro.http, hosts, client);
    const abort = new AbortController();
    const polling = pollDeviceToken(kiro.http, hosts, client, auth, { signal: abort.signal, sleep: () => new Promise((r) => setTimeout(r, 5)) });
    setTimeout(() => abort.abort(), 30);
    await assert.rejects(polling, /cancelled/);
    kiro.sim.configure({ device: { pendingPolls: 2 } });
  });
});

describe('the API host of an account', () => {
  const aws = kiroHosts();
  const chatUrl = (profileArn: string | undefined, family: 'legacy' | 'kiro.dev' = 'legacy') => kiroUrls(aws, { profileArn }, 'chat', family).url;
  it("is the profileArn's region, else us-east-1, never the token's OIDC region", () => {
    assert.equal(chatUrl('arn:aws:codewhisperer:eu-central-1:123456789012:profile/ABC'), 'https://q.eu-central-1.amazonaws.com/generateAssistantResponse');
    // An IdC account of an organisation in eu-west-1 without a profileArn: its OIDC region has no Kiro API.
    assert.equal(chatUrl(undefined), 'https://q.us-east-1.amazonaws.com/generateAssistantResponse');
    assert.equal(chatUrl('not-an-arn'), 'https://q.us-east-1.amazonaws.com/generateAssistantResponse');
    assert.equal(chatUrl('arn:aws:codewhisperer:eu-central-1:123456789012:profile/ABC', 'kiro.dev'), 'https://runtime.eu-central-1.kiro.dev/');
  });
});
