// A transparent HTTP tap in front of the proxy: forwards every request unchanged (except the
// Host header, which the proxy checks against its own address) and records what the client
// really sent and which status it got back, including requests the proxy has no route for and
// that therefore never reach its request log.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TappedRequest {
  method: string;
  /** Path with query, as the client sent it. */
  url: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: any;
  /** Response status; undefined while in flight, 0 when the proxy could not be reached. */
  status?: number;
  /** The first bytes of an error response (status >= 400), for assertion messages. */
  errorBody?: string;
}

export interface HttpTap {
  url: string;
  requests: TappedRequest[];
  close(): Promise<void>;
}

export async function startHttpTap(target: string): Promise<HttpTap> {
  const upstream = new URL(target);
  const requests: TappedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = raw.toString('utf8');
      let body: any = raw.length ? text : undefined;
      try { if (raw.length) body = JSON.parse(text); } catch { /* keep the text */ }
      const record: TappedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body };
      requests.push(record);
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (reply) => {
          record.status = reply.statusCode;
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          const errorChunks: Buffer[] = [];
          reply.on('data', (chunk: Buffer) => {
            if ((reply.statusCode ?? 0) >= 400) errorChunks.push(chunk);
            res.write(chunk);
          });
          reply.on('end', () => {
            if (errorChunks.length) record.errorBody = Buffer.concat(errorChunks).toString('utf8').slice(0, 500);
            res.end();
          });
          reply.on('error', () => res.destroy());
        },
      );
      forward.on('error', (err) => {
        record.status = 0;
        record.errorBody = String(err);
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
      res.on('close', () => { if (!res.writableFinished) forward.destroy(); });
      forward.end(raw);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
