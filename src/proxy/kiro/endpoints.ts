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

/**
 * Where an account's chat, usage and model calls go: the region in its profileArn (4th field),
 * else us-east-1. Never the token's own region: for IdC that is the OIDC region, and q.{that}
 * answers with DNS failures or 403s (§1.1).
 */
export function apiBaseOf(hosts: KiroHosts, profileArn: string | undefined): string {
  const region = profileArn?.split(':')[3];
  return hosts.q(region && /^[a-z]{2}-[a-z]+-\d$/.test(region) ? region : 'us-east-1');
}
