// Outbound proxies for Kiro calls, global or per account: HTTP(S) through undici's ProxyAgent
// (CONNECT tunnels), SOCKS5 through the `socks` package under an undici Agent. Whatever fails on
// the way to the proxy or inside the tunnel is an OutboundProxyError, so the pool can tell "this
// account's proxy is dead" (next account) from "Kiro is slow" (retry).
import { lookup } from 'node:dns/promises';
import * as tls from 'node:tls';
import { SocksClient } from 'socks';
import { Agent, Pool, ProxyAgent, type AgentOptions, type Dispatcher, type buildConnector } from './undici';

const SCHEMES = ['http:', 'https:', 'socks5:', 'socks5h:'];

/** A proxy that could not be reached, refused us, or could not reach Kiro. Never quotes credentials. */
export class OutboundProxyError extends Error {
  readonly code = 'KIRO_OUTBOUND_PROXY';

  constructor(proxy: URL, cause: unknown) {
    const detail = (cause as { code?: unknown })?.code ?? (cause instanceof Error ? cause.message : String(cause));
    super(`Kiro could not be reached through the outbound proxy ${proxyLabel(proxy)}: ${String(detail)}`);
    this.name = 'OutboundProxyError';
  }
}

/**
 * The proxy URL, checked: http://, https://, socks5:// or socks5h:// (the proxy resolves host
 * names), with a host and optional `user:password@`. Throws a message that never quotes the
 * credentials.
 */
export function parseOutboundProxy(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error('The outbound proxy is not a URL: use http://, https://, socks5:// or socks5h://host:port.');
  }
  if (!SCHEMES.includes(url.protocol)) {
    throw new Error(`The outbound proxy scheme "${url.protocol.slice(0, -1)}" is not supported: use http://, https://, socks5:// or socks5h://.`);
  }
  if (!url.hostname) throw new Error('The outbound proxy URL has no host.');
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash) throw new Error('The outbound proxy URL is scheme://[user:password@]host:port, without a path.');
  return url;
}

/** The proxy as it may be shown: scheme, host and port, never the credentials. */
export function proxyLabel(proxy: URL | string): string {
  const url = typeof proxy === 'string' ? new URL(proxy) : proxy;
  return `${url.protocol}//${url.host}`;
}

/** A dispatcher whose every connection goes through `proxy` (none: direct). */
export function proxiedDispatcher(proxy: string | undefined, options: AgentOptions): Dispatcher {
  if (!proxy) return new Agent(options);
  const url = parseOutboundProxy(proxy);
  if (url.protocol === 'socks5:' || url.protocol === 'socks5h:') return new Agent({ ...options, connect: socksConnector(url) });
  return new ProxyAgent({
    ...options,
    uri: url.href,
    // The tunnel's connector is where the proxy can fail: blame it there.
    factory: (origin, opts) => {
      const connect = (opts as { connect: buildConnector.connector }).connect;
      return new Pool(origin, { ...opts, connect: (o, done) => connect(o, (err, socket) => (err ? done(new OutboundProxyError(url, err), null) : done(null, socket!))) });
    },
  });
}

/** Opens each connection as a SOCKS5 CONNECT (with the URL's user and password), then TLS for https origins. */
function socksConnector(proxy: URL): buildConnector.connector {
  const remoteDns = proxy.protocol === 'socks5h:';
  return (opts, callback) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    const hostname = opts.hostname.replace(/^\[(.*)\]$/, '$1');
    const tunnel = async () => {
      // socks5: we resolve the name (the proxy sees an address); socks5h: the proxy does.
      const host = remoteDns ? hostname : (await lookup(hostname)).address;
      const { socket } = await SocksClient.createConnection({
        proxy: {
          host: proxy.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: Number(proxy.port) || 1080,
          type: 5,
          ...(proxy.username ? { userId: decodeURIComponent(proxy.username), password: decodeURIComponent(proxy.password) } : {}),
        },
        command: 'connect',
        destination: { host, port },
        timeout: 30_000,
      });
      return socket;
    };
    tunnel().then(
      (socket) => {
        if (opts.protocol !== 'https:') return callback(null, socket);
        const secure = tls.connect({ socket, servername: opts.servername ?? hostname, ALPNProtocols: ['http/1.1'] });
        secure.once('secureConnect', () => callback(null, secure));
        secure.once('error', (err) => callback(err, null));
      },
      (err: unknown) => callback(new OutboundProxyError(proxy, err), null),
    );
  };
}
