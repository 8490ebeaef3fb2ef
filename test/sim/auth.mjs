// Token endpoints: social refresh and PKCE login (auth.desktop.kiro.dev, §6.2 §6.5) and AWS
// SSO-OIDC (oidc.{region}.amazonaws.com, §6.3 §6.6 §6.7). All JSON bodies are camelCase except
// the social /oauth/token request, which real clients send in snake_case.
import { createHash } from 'node:crypto';

const s256 = (verifier) => createHash('sha256').update(verifier).digest('base64url');

/** OIDC errors carry an AWS error type too, so SDK-based clients map them (InvalidGrantException …). */
const OIDC_ERROR_TYPES = {
  authorization_pending: 'AuthorizationPendingException', slow_down: 'SlowDownException',
  expired_token: 'ExpiredTokenException', access_denied: 'AccessDeniedException',
  invalid_grant: 'InvalidGrantException', invalid_client: 'InvalidClientException',
  invalid_request: 'InvalidRequestException', unsupported_grant_type: 'UnsupportedGrantTypeException',
};

/** @typedef {import('./kiro-sim.mjs').RouteContext} RouteContext */

/**
 * @param {import('./kiro-sim.mjs').KiroSimulator} sim
 * @returns {Record<string, (ctx: RouteContext) => Promise<void>|void>}
 */
export function authRoutes(sim) {
  const oidcError = (ctx, error, description, status = 400, errorType = OIDC_ERROR_TYPES[error]) =>
    sim.sendJson(ctx.res, status, description ? { error, error_description: description } : { error }, { 'x-amzn-errortype': errorType });
  const invalidGrant = (ctx) => oidcError(ctx, 'invalid_grant', 'Invalid refresh token provided');

  /** Shared refresh bookkeeping: count, optional delay, scripted failure, rotation. */
  async function refresh(ctx, account) {
    account.refreshCount++;
    await sim.delay(account.refreshDelayMs ?? sim.config.refreshDelayMs, ctx.signal);
    const failure = account.refreshFailure;
    if (failure && (failure.times ?? Infinity) > 0) {
      if (failure.times !== undefined) failure.times--;
      sim.sendJson(ctx.res, failure.status ?? 500, failure.body ?? { message: 'Internal server error' });
      return null;
    }
    const issued = sim.accounts.issueAccessToken(account, sim.config.accessTokenLifetimeSec);
    if (account.rotateRefreshToken ?? sim.config.rotateRefreshTokens) sim.accounts.setRefreshToken(account, sim.rng.refreshToken());
    return issued;
  }

  function newAccountTokens(account) {
    return { accessToken: account.accessToken, refreshToken: account.refreshToken, expiresIn: sim.accounts.defaultLifetimeSec(account) };
  }

  return {
    // ---- social (Google / GitHub) -------------------------------------------------------------
    'POST /refreshToken': async (ctx) => {
      const token = ctx.body?.refreshToken;
      const account = sim.accounts.find(token);
      if (typeof token !== 'string' || !account || account.authMethod !== 'social' || account.refreshToken !== token) return invalidGrant(ctx);
      const issued = await refresh(ctx, account);
      if (!issued) return;
      sim.sendJson(ctx.res, 200, { accessToken: issued.accessToken, refreshToken: account.refreshToken, profileArn: account.profileArn, expiresIn: issued.expiresIn });
    },

    'GET /login': (ctx) => {
      const q = ctx.url.searchParams;
      const redirectUri = q.get('redirect_uri'), challenge = q.get('code_challenge'), state = q.get('state') ?? '';
      const idp = q.get('idp') ?? 'Google';
      if (!redirectUri || !challenge || q.get('code_challenge_method') !== 'S256' || !['Google', 'Github'].includes(idp)) {
        return sim.sendJson(ctx.res, 400, { error: 'invalid_request', error_description: 'missing or invalid PKCE parameters' });
      }
      const allowed = sim.config.allowedRedirectUris;
      if (allowed && !allowed.some((p) => redirectUri.startsWith(p))) {
        return sim.sendJson(ctx.res, 400, { error: 'invalid_request', error_description: 'redirect_mismatch' });
      }
      sim.state.pendingLogins.set(state, { redirectUri, challenge, idp, state });
      if (!sim.config.autoApproveLogin) {
        ctx.res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in with your provider… (waiting for sim.approveLogin)</body></html>');
        return;
      }
      ctx.res.writeHead(302, { location: sim.approveLogin(state) }).end();
    },

    'POST /oauth/token': (ctx) => {
      const { code, code_verifier: verifier, redirect_uri: redirectUri } = ctx.body ?? {};
      const grant = sim.state.socialCodes.get(code);
      if (!grant || grant.used || grant.redirectUri !== redirectUri || typeof verifier !== 'string' || s256(verifier) !== grant.challenge) {
        return sim.sendJson(ctx.res, 400, { error: 'invalid_grant', error_description: 'Invalid authorization code or code verifier' });
      }
      grant.used = true;
      const account = sim.addAccount({ authMethod: 'social', provider: grant.idp, ...sim.config.loginAccount });
      sim.sendJson(ctx.res, 200, { ...newAccountTokens(account), profileArn: account.profileArn });
    },

    // ---- AWS SSO-OIDC (Builder ID / IAM Identity Center) --------------------------------------
    'POST /client/register': (ctx) => {
      const b = ctx.body ?? {};
      if (typeof b.clientName !== 'string' || typeof b.clientType !== 'string') return oidcError(ctx, 'invalid_request', 'clientName and clientType are required');
      const clientId = sim.rng.str(22);
      const clientSecret = 'eyJ' + sim.rng.str(120);
      const issuedAt = Math.floor(sim.now() / 1000);
      sim.state.oidcClients.set(clientId, { clientSecret, grantTypes: b.grantTypes ?? [], redirectUris: b.redirectUris ?? [], scopes: b.scopes ?? [], issuerUrl: b.issuerUrl, expiresAt: issuedAt + 90 * 86400 });
      sim.sendJson(ctx.res, 200, { clientId, clientSecret, clientIdIssuedAt: issuedAt, clientSecretExpiresAt: issuedAt + 90 * 86400 });
    },

    'POST /device_authorization': (ctx) => {
      const { clientId, clientSecret, startUrl } = ctx.body ?? {};
      const client = sim.state.oidcClients.get(clientId);
      if (!client || client.clientSecret !== clientSecret) return oidcError(ctx, 'invalid_client', 'Invalid client', 401);
      const deviceCode = sim.rng.str(64);
      const userCode = `${sim.rng.str(4, 'BCDFGHJKLMNPQRSTVWXZ')}-${sim.rng.str(4, 'BCDFGHJKLMNPQRSTVWXZ')}`;
      const d = sim.config.device;
      sim.state.deviceCodes.set(deviceCode, { clientId, userCode, startUrl: startUrl ?? 'https://view.awsapps.com/start', polls: 0, expiresAt: sim.now() + d.expiresIn * 1000, approved: false, consumed: false });
      const verificationUri = `${sim.url}/device`;
      sim.sendJson(ctx.res, 200, { deviceCode, userCode, verificationUri, verificationUriComplete: `${verificationUri}?user_code=${userCode}`, expiresIn: d.expiresIn, interval: d.interval });
    },

    // The page a user would open (verificationUriComplete); visiting it approves the code.
    'GET /device': (ctx) => {
      const userCode = ctx.url.searchParams.get('user_code') ?? '';
      sim.approveDevice(userCode);
      ctx.res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body>Device ${userCode.replace(/[^A-Z-]/g, '')} approved.</body></html>`);
    },

    'GET /authorize': (ctx) => {
      const q = ctx.url.searchParams;
      const client = sim.state.oidcClients.get(q.get('client_id') ?? '');
      const redirectUri = q.get('redirect_uri');
      if (!client || !redirectUri || q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
        return oidcError(ctx, 'invalid_request', 'invalid authorize parameters');
      }
      const code = sim.rng.str(40);
      sim.state.oidcAuthCodes.set(code, { clientId: q.get('client_id'), redirectUri, challenge: q.get('code_challenge'), startUrl: client.issuerUrl });
      const location = new URL(redirectUri);
      location.searchParams.set('code', code);
      location.searchParams.set('state', q.get('state') ?? '');
      ctx.res.writeHead(302, { location: location.toString() }).end();
    },

    'POST /token': async (ctx) => {
      const b = ctx.body ?? {};
      switch (b.grantType) {
        case 'refresh_token': {
          const account = sim.accounts.find(b.refreshToken);
          if (typeof b.refreshToken !== 'string' || !account || account.authMethod !== 'idc' || account.refreshToken !== b.refreshToken) return invalidGrant(ctx);
          if (account.clientId !== b.clientId || account.clientSecret !== b.clientSecret) return oidcError(ctx, 'invalid_client', 'Invalid client', 401);
          if (account.clientSecretExpiresAt * 1000 <= sim.now()) return oidcError(ctx, 'invalid_client', 'Client is expired', 401, 'ExpiredClientException');
          const issued = await refresh(ctx, account);
          if (!issued) return;
          return sim.sendJson(ctx.res, 200, { accessToken: issued.accessToken, refreshToken: account.refreshToken, expiresIn: issued.expiresIn, tokenType: 'Bearer' });
        }
        case 'urn:ietf:params:oauth:grant-type:device_code': {
          const dc = sim.state.deviceCodes.get(b.deviceCode);
          const client = sim.state.oidcClients.get(b.clientId);
          if (!client || client.clientSecret !== b.clientSecret) return oidcError(ctx, 'invalid_client', 'Invalid client', 401);
          if (!dc || dc.clientId !== b.clientId || dc.consumed) return oidcError(ctx, 'invalid_grant', 'Invalid device code provided');
          const cfg = sim.config.device;
          dc.polls++;
          if (dc.expiresAt <= sim.now()) return oidcError(ctx, 'expired_token', 'Device code has expired');
          if (cfg.deny) return oidcError(ctx, 'access_denied', 'User denied the authorization request');
          if (cfg.slowDown && dc.polls === 1) return oidcError(ctx, 'slow_down');
          const pendingPolls = cfg.pendingPolls + (cfg.slowDown ? 1 : 0);
          if (!dc.approved && dc.polls <= pendingPolls) return oidcError(ctx, 'authorization_pending');
          dc.consumed = true;
          const account = sim.addAccount({ authMethod: 'idc', clientId: b.clientId, clientSecret: b.clientSecret, startUrl: dc.startUrl,
            provider: dc.startUrl === 'https://view.awsapps.com/start' ? 'BuilderId' : 'Enterprise', ...sim.config.loginAccount });
          account.clientSecretExpiresAt = client.expiresAt;
          return sim.sendJson(ctx.res, 200, { ...newAccountTokens(account), tokenType: 'Bearer' });
        }
        case 'authorization_code': {
          const grant = sim.state.oidcAuthCodes.get(b.code);
          const client = sim.state.oidcClients.get(b.clientId);
          if (!client || client.clientSecret !== b.clientSecret) return oidcError(ctx, 'invalid_client', 'Invalid client', 401);
          if (!grant || grant.clientId !== b.clientId || grant.redirectUri !== b.redirectUri || typeof b.codeVerifier !== 'string' || s256(b.codeVerifier) !== grant.challenge) {
            return oidcError(ctx, 'invalid_grant', 'Invalid authorization code');
          }
          sim.state.oidcAuthCodes.delete(b.code);
          const account = sim.addAccount({ authMethod: 'idc', clientId: b.clientId, clientSecret: b.clientSecret, startUrl: grant.startUrl ?? 'https://view.awsapps.com/start',
            provider: 'Enterprise', ...sim.config.loginAccount });
          account.clientSecretExpiresAt = client.expiresAt;
          return sim.sendJson(ctx.res, 200, { ...newAccountTokens(account), tokenType: 'Bearer' });
        }
        default:
          return oidcError(ctx, 'unsupported_grant_type', `Unsupported grant type: ${b.grantType}`);
      }
    },
  };
}

export { s256 };
