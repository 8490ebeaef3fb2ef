// Who may talk to the proxy. It holds people's Kiro accounts, so a web page must never reach
// it (Host and Origin checks stop DNS rebinding and cross-site requests) and, when an API key
// is set, nobody without the key.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ProxyError } from '../errors';
import { loopbackUrlHosts, urlHost } from '../local-host';

export function allowedHosts(configuredHost: string, port: number): Set<string> {
  const names = new Set(loopbackUrlHosts());
  if (configuredHost && configuredHost !== '0.0.0.0' && configuredHost !== '::') names.add(urlHost(configuredHost));
  return new Set([...names].map((name) => `${name}:${port}`));
}

/** Exact match only: a prefix test would let `localhost.evil.com` in. */
export function checkHost(req: IncomingMessage, allowed: ReadonlySet<string>, listeningOnAll: boolean): void {
  if (listeningOnAll) return;
  const host = (req.headers.host ?? '').toLowerCase();
  if (!allowed.has(host)) {
    throw new ProxyError('permission', `Host "${host.slice(0, 100)}" is not allowed; use 127.0.0.1 or localhost.`);
  }
}

/** CLIs and SDKs send no Origin; a browser does, and no web origin may use the proxy. */
export function checkOrigin(req: IncomingMessage, allowed: ReadonlySet<string>): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host = '';
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    host = '';
  }
  if (!allowed.has(host)) throw new ProxyError('permission', 'Cross-origin requests are not allowed.');
}

export function presentedKey(req: IncomingMessage, url: { searchParams: URLSearchParams }): string | undefined {
  const header = req.headers['x-api-key'] ?? req.headers['x-goog-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  return url.searchParams.get('key') ?? undefined;
}

/** Compares digests so neither length nor content leaks through timing. */
export function keyMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function checkApiKey(req: IncomingMessage, url: { searchParams: URLSearchParams }, apiKey: string | undefined): void {
  if (!apiKey) return;
  if (!keyMatches(presentedKey(req, url), apiKey)) {
    throw new ProxyError('authentication', 'Invalid or missing API key. Send it as x-api-key or Authorization: Bearer.');
  }
}

/** A POST must be JSON: this refuses cross-site "simple requests" (text/plain, form posts). */
export function checkJsonContentType(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new ProxyError('unsupported_media_type', 'Content-Type must be application/json.');
  }
}
