// Asking Kiro for an account's credits, e-mail and models, through the account's own proxy, with
// fresh credentials (one new token and one retry when Kiro calls the token invalid).
import type { KiroHosts } from '../kiro/endpoints';
import { KiroCallError } from '../kiro/errors';
import type { KiroHttp } from '../kiro/http';
import { getUsageLimits, type Quota } from '../kiro/usage';
import { listModelCatalog, type KiroModelInfo } from '../kiro/catalog';
import type { StoredAccount } from './account';
import type { TokenFreshness } from './freshness';

export interface QuotaAnswer {
  quota: Quota;
  /** The models the account may use, with what Kiro says of each; undefined when Kiro did not say. */
  models?: KiroModelInfo[];
}

export async function askQuota(http: KiroHttp, hosts: KiroHosts, freshness: TokenFreshness, account: StoredAccount, now: () => number): Promise<QuotaAnswer> {
  const via = http.via(account.proxy);
  const first = await freshness.fresh(account);
  const usage = async (creds: typeof first) => ({ creds, quota: await getUsageLimits(via, hosts, creds, { now: now() }) });
  const { creds, quota } = await usage(first).catch(async (err) => {
    if (!(err instanceof KiroCallError) || err.failure.kind !== 'bearer_invalid') throw err;
    return usage(await freshness.renew(account.id, first.accessToken));
  });
  const list = await listModelCatalog(via, hosts, creds).catch(() => undefined);
  return { quota, ...(list?.models.length ? { models: list.models } : {}) };
}
