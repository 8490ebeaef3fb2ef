// One control-plane call (usage, models, profiles) in the dialect of the host family that takes
// it: a REST GET with a query on the legacy hosts, AWS JSON 1.0 at the root on kiro.dev
// (§1.3, §1.4, §11.2, §11.4). Falls back between families like the chat call does.
import type { KiroCredentials } from './credentials';
import { kiroUrls, withEndpointFallback, type KiroFamily, type KiroHosts } from './endpoints';
import { classifyKiroFailure, KiroCallError, networkFailure, type JsonResponse } from './errors';
import { kiroHeaders } from './headers';
import type { KiroHttp } from './http';

export type ControlParams = Record<string, string | boolean | undefined>;

export interface ControlOptions {
  signal?: AbortSignal;
  /** Ask this region instead of the profileArn's (profile discovery probes each region). */
  region?: string;
}

/**
 * Sends `params` as the query (REST) or the JSON body (AWS JSON) and returns the answer;
 * throws `KiroCallError` for network failures and non-2xx answers.
 */
export async function kiroControlCall(
  http: KiroHttp,
  hosts: KiroHosts,
  creds: KiroCredentials,
  operation: 'usage' | 'models' | 'profiles',
  params: ControlParams,
  options: ControlOptions = {},
): Promise<JsonResponse & { family: KiroFamily }> {
  const attempt = async (family: KiroFamily) => {
    const target = kiroUrls(hosts, creds, operation, family, options.region);
    const headers = {
      ...kiroHeaders(creds, family, { kiroVersion: hosts.kiroVersion() }),
      'amz-sdk-request': 'attempt=1; max=1',
      ...target.headers,
    };
    const defined = Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string | boolean] => entry[1] !== undefined));
    const res = target.rpc
      ? await http.json(target.url, { method: 'POST', headers, body: defined, signal: options.signal })
      : await http.json(`${target.url}?${new URLSearchParams(Object.entries(defined).map(([k, v]) => [k, String(v)]))}`, {
          method: 'GET',
          headers,
          signal: options.signal,
        });
    return { ...res, family };
  };
  let res: JsonResponse & { family: KiroFamily };
  try {
    res = await withEndpointFallback(hosts, creds.machineId, creds, attempt, operation !== 'profiles');
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw new KiroCallError(networkFailure(err));
  }
  if (res.status >= 200 && res.status < 300) return res;
  throw new KiroCallError(classifyKiroFailure(res.status, res.text, res.headers));
}
