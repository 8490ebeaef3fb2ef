// Finding an organisation account's Kiro profile (docs/kiro-protocol.md §11.2): IAM Identity Center
// tokens carry no profileArn, and Kiro requires one, in the profile's own region. The Kiro IDE
// asks `ListAvailableProfiles` in both regions Kiro serves; so do we.
import type { KiroCredentials } from './credentials';
import { kiroControlCall } from './control';
import { KIRO_REGIONS, isProfileArn, type KiroHosts } from './endpoints';
import { KiroCallError } from './errors';
import type { KiroHttp } from './http';
import { optionalString, recordsOf } from '../records';

export interface KiroProfile {
  arn: string;
  /** The profile's region (4th field of its ARN): where its chat, usage and model calls go. */
  region: string;
  name?: string;
}

export type ProfileDiscovery =
  /** The regions answered; `profiles` may be empty (no subscription, §11.2). */
  | { kind: 'listed'; profiles: KiroProfile[] }
  /** The account type has no profiles (Builder ID, API keys): chat works without one on the legacy hosts. */
  | { kind: 'not-applicable'; message: string };

/**
 * Every profile the account can use, from both regions. A region that fails for another reason
 * (network, 5xx) makes the whole discovery fail, so a half answer is never taken for the truth.
 */
export async function listAvailableProfiles(
  http: KiroHttp,
  hosts: KiroHosts,
  creds: KiroCredentials,
  options: { signal?: AbortSignal } = {},
): Promise<ProfileDiscovery> {
  const profiles: KiroProfile[] = [];
  for (const region of KIRO_REGIONS) {
    let body: Record<string, unknown>;
    try {
      // Asked without a profile (we have none yet): the account's family choice does not apply.
      const res = await kiroControlCall(http, hosts, { ...creds, profileArn: undefined }, 'profiles', { origin: 'AI_EDITOR' }, { ...options, region });
      body = (res.body ?? {}) as Record<string, unknown>;
    } catch (err) {
      // 403 "AWS Builder ID is not supported…" / "Unsupported token type" (§11.2): no profiles to find.
      if (err instanceof KiroCallError && err.failure.status === 403 && !/bearer token/i.test(err.failure.message)) {
        return { kind: 'not-applicable', message: err.failure.message };
      }
      throw err;
    }
    for (const p of recordsOf(body.profiles)) {
      const arn = optionalString(p.arn);
      if (!arn || !isProfileArn(arn) || profiles.some((known) => known.arn === arn)) continue;
      const name = optionalString(p.profileName);
      profiles.push({ arn, region: arn.split(':')[3], ...(name ? { name } : {}) });
    }
  }
  return { kind: 'listed', profiles };
}
