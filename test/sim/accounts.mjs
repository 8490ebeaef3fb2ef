// Simulated Kiro accounts and the tokens the simulator has issued for them.
// Token lifetimes follow §6: social access tokens ~1 h, IdC ~8 h; refresh tokens are long-lived.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {object} AccountSpec
 * @property {string} [id]
 * @property {string} [accessToken]
 * @property {string} [refreshToken]
 * @property {string|null} [profileArn] social default: generated; idc default: none
 * @property {'social'|'idc'|'api_key'} [authMethod] api_key: a Kiro API key (`ksk_…`, §11.3) as its only
 *   token: no refresh token, no expiry, no profile ARN
 * @property {string} [provider] 'Google'|'Github' (social) or 'BuilderId'|'Enterprise' (idc)
 * @property {string} [clientId] idc only
 * @property {string} [clientSecret] idc only
 * @property {string} [startUrl] idc only
 * @property {string} [region]
 * @property {string} [email]
 * @property {string} [userId]
 * @property {number} [expiresInSec] lifetime of the current access token
 * @property {'free'|'pro'|'pro+'|'power'} [plan]
 * @property {number} [usageLimit] credits per month; default from plan
 * @property {number} [currentUsage] credits already used before the simulator started
 * @property {number} [nextDateReset] epoch seconds
 * @property {string[]} [models] model ids this account may use / ListAvailableModels shows
 * @property {Array<{arn?: string, region?: string, name?: string}>} [profiles] the Kiro profiles the token can see
 *   (ListAvailableProfiles, per region); default: the social profileArn, one us-east-1 profile for Enterprise, none for Builder ID
 * @property {boolean} [requiresProfile] chat/usage/models need one of `profiles` as profileArn
 *   (default: social accounts, and accounts given `profiles`)
 * @property {object} [freeTrialInfo] passed through to getUsageLimits
 * @property {object[]} [bonuses] passed through to getUsageLimits
 * @property {boolean} [rotateRefreshToken] refresh returns a new refresh token (old one dies)
 * @property {number} [refreshDelayMs]
 */

export const PLANS = {
  free: { title: 'KIRO FREE', type: 'Q_DEVELOPER_STANDALONE_FREE', limit: 50 },
  pro: { title: 'KIRO PRO', type: 'Q_DEVELOPER_STANDALONE_PRO', limit: 1000 },
  'pro+': { title: 'KIRO PRO+', type: 'Q_DEVELOPER_STANDALONE_PRO_PLUS', limit: 2000 },
  power: { title: 'KIRO POWER', type: 'Q_DEVELOPER_STANDALONE_POWER', limit: 10000 },
};

export const BUILDER_ID_START_URL = 'https://view.awsapps.com/start';

/** `clientIdHash` as the Kiro IDE computes it (§6.1). */
export const clientIdHash = (startUrl) => createHash('sha1').update(JSON.stringify({ startUrl })).digest('hex');

/** First day of next month, 00:00 UTC, in epoch seconds. */
const nextMonthStart = (nowMs) => {
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 1000;
};

export class AccountStore {
  /** @param {import('./prng.mjs').Rng} rng @param {() => number} now */
  constructor(rng, now) {
    this.rng = rng;
    this.now = now;
    /** @type {Map<string, any>} */ this.byId = new Map();
    /** accessToken → {accountId, expiresAt, revoked} */ this.accessTokens = new Map();
    /** live refresh token → accountId */ this.refreshTokens = new Map();
  }

  /** @param {AccountSpec} spec */
  add(spec = {}) {
    const rng = this.rng;
    const method = (spec.authMethod ?? (spec.clientId ? 'idc' : 'social')).toLowerCase();
    const authMethod = method === 'social' || method === 'api_key' ? method : 'idc';
    const n = this.byId.size + 1;
    const id = spec.id ?? `acct-${n}`;
    if (this.byId.has(id)) throw new Error(`account ${id} exists`);
    const region = spec.region ?? 'us-east-1';
    const provider = spec.provider ?? { social: 'Google', idc: 'BuilderId', api_key: 'API key' }[authMethod];
    const randomArn = (r) => `arn:aws:codewhisperer:${r}:${rng.int(100000000000, 999999999999)}:profile/${rng.str(12, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`;
    const profileArn = spec.profileArn !== undefined ? spec.profileArn : authMethod === 'social' ? randomArn(region) : null;
    // The Enterprise default is derived from the id, not drawn: the token sequence stays as before.
    const derivedArn = () => `arn:aws:codewhisperer:us-east-1:${String(parseInt(createHash('sha1').update(id).digest('hex').slice(0, 10), 16)).padStart(12, '0').slice(0, 12)}:profile/SIM${id.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
    const profiles = (spec.profiles ?? (profileArn ? [{ arn: profileArn }] : provider === 'Enterprise' ? [{ arn: derivedArn() }] : []))
      .map((p, i) => {
        const arn = p.arn ?? randomArn(p.region ?? 'us-east-1');
        return { arn, region: arn.split(':')[3], name: p.name ?? `KiroProfile-${i + 1}` };
      });
    const account = {
      id, authMethod, region, provider, profileArn, profiles,
      requiresProfile: spec.requiresProfile ?? (authMethod === 'social' || spec.profiles !== undefined),
      clientId: authMethod === 'idc' ? spec.clientId ?? rng.str(22) : undefined,
      clientSecret: authMethod === 'idc' ? spec.clientSecret ?? 'eyJ' + rng.str(120) : undefined,
      clientSecretExpiresAt: Math.floor(this.now() / 1000) + 90 * 86400,
      startUrl: authMethod === 'idc' ? spec.startUrl ?? BUILDER_ID_START_URL : undefined,
      email: spec.email ?? `user${n}@example.com`,
      userId: spec.userId ?? `d-9067${rng.hex(6)}.${rng.uuid()}`,
      plan: spec.plan ?? 'pro',
      usageLimit: spec.usageLimit,
      baseUsage: spec.currentUsage ?? 0,
      creditsUsed: 0,
      nextDateReset: spec.nextDateReset ?? nextMonthStart(this.now()),
      models: spec.models,
      freeTrialInfo: spec.freeTrialInfo,
      bonuses: spec.bonuses,
      rotateRefreshToken: spec.rotateRefreshToken,
      refreshDelayMs: spec.refreshDelayMs ?? 0,
      refreshCount: 0,
      accessToken: '', refreshToken: '', expiresAt: 0,
    };
    this.byId.set(id, account);
    if (authMethod === 'api_key') {
      this.issueAccessToken(account, spec.expiresInSec, spec.accessToken ?? rng.apiKey());
      return account;
    }
    this.issueAccessToken(account, spec.expiresInSec, spec.accessToken);
    this.setRefreshToken(account, spec.refreshToken ?? rng.refreshToken());
    return account;
  }

  /** API keys never expire by time (§11.3): a century stands for that. */
  defaultLifetimeSec(account) { return { social: 3600, idc: 28800, api_key: 100 * 365 * 86400 }[account.authMethod]; }

  /** Issue a new access token; older ones stay valid until they expire (as with real AWS tokens). */
  issueAccessToken(account, expiresInSec = this.defaultLifetimeSec(account), token = this.rng.accessToken()) {
    account.accessToken = token;
    account.expiresAt = this.now() + expiresInSec * 1000;
    this.accessTokens.set(token, { accountId: account.id, expiresAt: account.expiresAt, revoked: false });
    return { accessToken: token, expiresIn: expiresInSec };
  }

  setRefreshToken(account, token) {
    if (account.refreshToken) this.refreshTokens.delete(account.refreshToken);
    account.refreshToken = token;
    this.refreshTokens.set(token, account.id);
  }

  /** @param {string} idOrToken account id, access token or refresh token */
  find(idOrToken) {
    if (!idOrToken) return undefined;
    return this.byId.get(idOrToken)
      ?? this.byId.get(this.accessTokens.get(idOrToken)?.accountId ?? '')
      ?? this.byId.get(this.refreshTokens.get(idOrToken) ?? '');
  }

  /** @returns {{account?: any, problem?: 'unknown'|'expired'|'revoked'}} */
  authenticate(accessToken) {
    const entry = accessToken ? this.accessTokens.get(accessToken) : undefined;
    if (!entry) return { problem: 'unknown' };
    if (entry.revoked) return { problem: 'revoked' };
    if (this.now() >= entry.expiresAt) return { problem: 'expired' };
    return { account: this.byId.get(entry.accountId) };
  }

  /** Make every access token of an account invalid now ("revoked though not past expiresAt", §5.2). */
  revokeAccessTokens(id) {
    const account = this.find(id);
    for (const e of this.accessTokens.values()) if (e.accountId === account.id) e.revoked = true;
  }

  revokeRefreshToken(id) {
    const account = this.find(id);
    this.refreshTokens.delete(account.refreshToken);
  }

  usage(account) {
    const plan = PLANS[account.plan] ?? PLANS.pro;
    return { plan, limit: account.usageLimit ?? plan.limit, used: account.baseUsage + account.creditsUsed };
  }

  list() { return [...this.byId.values()]; }
}

/** The public view of an account (what tests and the admin API return). */
export function describeAccount(a) {
  const { id, authMethod, provider, region, profileArn, clientId, clientSecret, startUrl, email, userId, plan, accessToken, refreshToken, expiresAt, refreshCount, creditsUsed } = a;
  return { id, authMethod, provider, region, profileArn, clientId, clientSecret, startUrl, email, userId, plan, accessToken, refreshToken, expiresAt: new Date(expiresAt).toISOString(), refreshCount, creditsUsed };
}

/**
 * Write a Kiro IDE style token file (§6.1) for an account; for IdC also the `<clientIdHash>.json`
 * registration file next to it.
 * @param {string} dir
 * @param {any} account
 * @param {{fileName?: string}} [opts]
 * @returns {{tokenPath: string, registrationPath?: string}}
 */
export function writeTokenFile(dir, account, { fileName = 'kiro-auth-token.json' } = {}) {
  mkdirSync(dir, { recursive: true });
  const tokenPath = join(dir, fileName);
  const expiresAt = new Date(account.expiresAt).toISOString();
  if (account.authMethod === 'social') {
    const token = { accessToken: account.accessToken, refreshToken: account.refreshToken, profileArn: account.profileArn,
      expiresAt, authMethod: 'social', provider: account.provider };
    writeFileSync(tokenPath, JSON.stringify(token, null, 2));
    return { tokenPath };
  }
  const hash = clientIdHash(account.startUrl);
  const token = { accessToken: account.accessToken, refreshToken: account.refreshToken, expiresAt,
    authMethod: 'IdC', provider: account.provider, clientIdHash: hash, region: account.region, startUrl: account.startUrl };
  if (account.profileArn) token.profileArn = account.profileArn;
  writeFileSync(tokenPath, JSON.stringify(token, null, 2));
  const registrationPath = join(dir, `${hash}.json`);
  // The IDE stores the registration expiry 15 min early (§6.1).
  const regExpires = new Date(account.clientSecretExpiresAt * 1000 - 15 * 60 * 1000).toISOString();
  writeFileSync(registrationPath, JSON.stringify({ clientId: account.clientId, clientSecret: account.clientSecret, expiresAt: regExpires }, null, 2));
  return { tokenPath, registrationPath };
}
