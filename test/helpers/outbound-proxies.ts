// Real outbound proxies on loopback for the per-account proxy tests: a SOCKS5 server (RFC 1928,
// with RFC 1929 user/password) and an HTTP CONNECT proxy (Basic auth). Both tunnel to wherever
// they are asked and count what passes: tunnels, and the HTTP request lines inside them (the
// simulator speaks plain HTTP, so the tunnelled requests can be read).
import * as http from 'node:http';
import * as net from 'node:net';

export interface CountingProxy {
  url: string;
  /** Destinations of the tunnels opened, as `host:port` (a name when the client sent one). */
  tunnels: string[];
  /** `METHOD /path` of every HTTP request sent through a tunnel. */
  requests: string[];
  /** Attempts refused for bad credentials. */
  refused: number;
  close(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

function track(server: net.Server, sockets: Set<net.Socket>): void {
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
}

/** Pipes client ↔ upstream; the client's bytes are scanned for request lines. */
function splice(client: net.Socket, upstream: net.Socket, first: Buffer, counting: CountingProxy): void {
  const scan = (chunk: Buffer) => {
    for (const m of chunk.toString('latin1').matchAll(/(?:^|\r\n)(GET|POST|PUT|DELETE) (\S+) HTTP\/1\.1\r\n/g)) counting.requests.push(`${m[1]} ${m[2].split('?')[0]}`);
  };
  if (first.length) {
    scan(first);
    upstream.write(first);
  }
  client.on('data', scan);
  client.pipe(upstream).pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end).on('close', end);
  upstream.on('error', end).on('close', end);
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

/** A SOCKS5 server; with `auth`, only that user and password get through. */
export async function startSocks5Proxy(auth?: Credentials): Promise<CountingProxy> {
  const sockets = new Set<net.Socket>();
  const counting: CountingProxy = { url: '', tunnels: [], requests: [], refused: 0, close: async () => undefined };
  const server = net.createServer((client) => {
    let buffered = Buffer.alloc(0);
    let wake: (() => void) | undefined;
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      wake?.();
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
    const read = async (n: number): Promise<Buffer> => {
      while (buffered.length < n) {
        if (client.destroyed) throw new Error('closed');
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const out = buffered.subarray(0, n);
      buffered = buffered.subarray(n);
      return out;
    };
    client.on('close', () => wake?.());
    (async () => {
      const [version, count] = await read(2);
      if (version !== 5) return client.destroy();
      const methods = [...(await read(count))];
      const method = auth ? 2 : 0;
      if (!methods.includes(method)) return client.end(Buffer.from([5, 0xff]));
      client.write(Buffer.from([5, method]));
      if (auth) {
        const [, userLength] = await read(2);
        const user = (await read(userLength)).toString();
        const [passwordLength] = await read(1);
        const password = (await read(passwordLength)).toString();
        if (user !== auth.user || password !== auth.password) {
          counting.refused++;
          return client.end(Buffer.from([1, 1]));
        }
        client.write(Buffer.from([1, 0]));
      }
      const [, command, , type] = await read(4);
      let host: string;
      if (type === 1) host = [...(await read(4))].join('.');
      else if (type === 3) host = (await read((await read(1))[0])).toString();
      else host = (await read(16)).toString('hex').match(/.{4}/g)!.join(':');
      const port = (await read(2)).readUInt16BE(0);
      if (command !== 1) return client.end(Buffer.from([5, 7, 0, 1, 0, 0, 0, 0, 0, 0]));
      counting.tunnels.push(`${host}:${port}`);
      const upstream = net.connect(port, host, () => {
        client.off('data', onData);
        client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
        splice(client, upstream, buffered, counting);
      });
      upstream.once('error', () => client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])));
    })().catch(() => client.destroy());
  });
  track(server, sockets);
  const port = await listen(server);
  counting.url = auth ? `socks5://${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@127.0.0.1:${port}` : `socks5://127.0.0.1:${port}`;
  counting.close = closer(server, sockets);
  return counting;
}

/** An HTTP proxy that only tunnels (CONNECT); with `auth`, Basic credentials are required (407 otherwise). */
export async function startConnectProxy(auth?: Credentials): Promise<CountingProxy> {
  const sockets = new Set<net.Socket>();
  const counting: CountingProxy = { url: '', tunnels: [], requests: [], refused: 0, close: async () => undefined };
  const server = http.createServer((_req, res) => res.writeHead(405).end('CONNECT only'));
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    client.on('error', () => client.destroy());
    const expected = auth && `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    if (expected && req.headers['proxy-authorization'] !== expected) {
      counting.refused++;
      return client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
    }
    const [host, port] = [req.url!.slice(0, req.url!.lastIndexOf(':')), Number(req.url!.slice(req.url!.lastIndexOf(':') + 1))];
    counting.tunnels.push(`${host}:${port}`);
    const upstream = net.connect(port, host.replace(/^\[(.*)\]$/, '$1'), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      splice(client, upstream, head, counting);
    });
    upstream.once('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
  });
  track(server, sockets);
  const port = await listen(server);
  counting.url = auth ? `http://${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@127.0.0.1:${port}` : `http://127.0.0.1:${port}`;
  counting.close = closer(server, sockets);
  return counting;
}
