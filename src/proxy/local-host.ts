// One rule, for the CLI and the extension, on which bind addresses keep the proxy on this
// computer (anything else needs an API key) and how a host is written in a URL or to a socket.

/** The loopback names as a socket takes them; `127.0.0.2` and friends are deliberately not here. */
const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

/** What `listen` takes: people write IPv6 as in URLs (`[::1]`), sockets want it bare (`::1`). */
export function bindHost(host: string): string {
  const trimmed = host.trim();
  return trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.includes(bindHost(host).toLowerCase());
}

/** A host as a URL or a `Host` header writes it: IPv6 in brackets. */
export function urlHost(host: string): string {
  const bare = bindHost(host);
  return bare.includes(':') ? `[${bare}]` : bare;
}

/** The loopback names as a `Host` header carries them. */
export function loopbackUrlHosts(): string[] {
  return LOOPBACK.map(urlHost);
}
