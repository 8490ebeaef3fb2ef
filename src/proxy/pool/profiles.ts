// Organisation accounts and their Kiro profile (docs/kiro-protocol.md §11.2). An IAM Identity
// Center token carries no profileArn, and Kiro wants one, in the profile's own region: we ask
// ListAvailableProfiles in both of Kiro's regions. One profile is taken without asking; with
// several the user chooses (`kiro-proxy accounts --set-profile`, a quick pick in VS Code), since
// two profiles of one user can offer different models and no rule picks the right one.
import { ProxyError } from '../errors';
import type { KiroCredentials } from '../kiro/credentials';
import { isProfileArn, type KiroHosts } from '../kiro/endpoints';
import type { KiroHttp } from '../kiro/http';
import { listAvailableProfiles, type KiroProfile } from '../kiro/profiles';
import type { StoredAccount } from './account';

export interface ProfileDeps {
  http: KiroHttp;
  hosts: KiroHosts;
  require(id: string): StoredAccount;
  mutate(id: string, change: (account: StoredAccount) => void): void;
}

/** Accounts whose profile we look for: IdC without one, not yet asked. Builder ID answers "not supported". */
export function needsProfileSearch(account: StoredAccount): boolean {
  const c = account.credentials;
  return c.authMethod === 'idc' && !c.profileArn && account.profiles === undefined;
}

/** Asks Kiro for the account's profiles and remembers them; returns the credentials to use now. */
export async function findProfile(deps: ProfileDeps, id: string, creds: KiroCredentials): Promise<KiroCredentials> {
  const profiles = await profilesOf(deps, creds);
  const only = profiles.length === 1 ? profiles[0].arn : undefined;
  deps.mutate(id, (a) => {
    a.profiles = profiles;
    if (only && !a.credentials.profileArn) a.credentials = { ...a.credentials, profileArn: only };
  });
  return only ? { ...creds, profileArn: only } : creds;
}

/**
 * The user's choice among the account's profiles. A malformed ARN, or one Kiro does not list for
 * this account, is refused with the list, and nothing changes.
 */
export async function chooseProfile(deps: ProfileDeps, id: string, arn: string, creds: KiroCredentials): Promise<void> {
  if (!isProfileArn(arn)) {
    throw new ProxyError('invalid_request', `"${arn}" is not a Kiro profile ARN (arn:aws:codewhisperer:<region>:<12 digits>:profile/<id>).`);
  }
  const known = deps.require(id).profiles;
  const profiles = known?.length ? known : await profilesOf(deps, creds);
  if (!profiles.some((p) => p.arn === arn)) {
    const offered = profiles.length ? `Kiro lists: ${profiles.map((p) => p.arn).join(', ')}.` : 'Kiro lists no profile for it.';
    throw new ProxyError('invalid_request', `${arn} is not a profile of this account. ${offered}`);
  }
  deps.mutate(id, (a) => {
    a.profiles = profiles;
    a.credentials = { ...a.credentials, profileArn: arn };
  });
}

async function profilesOf(deps: ProfileDeps, creds: KiroCredentials): Promise<KiroProfile[]> {
  const found = await listAvailableProfiles(deps.http, deps.hosts, creds);
  return found.kind === 'listed' ? found.profiles : [];
}
