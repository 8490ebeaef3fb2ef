// Where each Kiro call goes. `KIRO_PROXY_ENDPOINT` (or config.kiroEndpoint) replaces the
// scheme and host of every call, keeping the path, so tests can point us at the simulator.

export interface KiroHosts {
  /** Chat, usage and model list: `https://q.{region}.amazonaws.com`. */
  q(region: string): string;
  /** Social token refresh and login portal: `https://prod.{region}.auth.desktop.kiro.dev`. */
  socialAuth(region: string): string;
  /** AWS SSO-OIDC: `https://oidc.{region}.amazonaws.com`. */
  oidc(region: string): string;
}

export function kiroHosts(override?: string): KiroHosts {
  if (override) {
    const base = override.replace(/\/+$/, '');
    return { q: () => base, socialAuth: () => base, oidc: () => base };
  }
  return {
    q: (region) => `https://q.${region}.amazonaws.com`,
    socialAuth: (region) => `https://prod.${region}.auth.desktop.kiro.dev`,
    oidc: (region) => `https://oidc.${region}.amazonaws.com`,
  };
}

/** The API region is the 4th field of the profileArn; the OIDC region is not the API region. */
export function apiRegionOf(profileArn: string | undefined, fallback = 'us-east-1'): string {
  const region = profileArn?.split(':')[3];
  return region && /^[a-z]{2}-[a-z]+-\d$/.test(region) ? region : fallback;
}
