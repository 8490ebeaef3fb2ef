// Child process: the proxy's HTTP stack with nothing on top. The request is read whole (the proxy
// must, to parse it) and sent upstream through undici's dispatch, the answer written back as its
// chunks arrive: what the proxy's server and Kiro client cost before any translation. The CPU
// phase runs it beside the raw pass-through, so every run shows how much of the proxy's CPU is
// this stack and how much is its own work.
//   node bench/lib/stack-proxy.mjs <upstream url>
import { servePassThrough } from './serve.mjs';
import { Pool } from 'undici';

const upstream = new URL(process.argv[2]);
const pool = new Pool(upstream.origin, { connections: null, keepAliveTimeout: 30_000 });

servePassThrough((req, res) => {
  const body = [];
  req.on('data', (c) => body.push(c));
  req.on('end', () => {
    const headers = { ...req.headers, host: upstream.host };
    delete headers.connection;
    pool.dispatch({ path: req.url, method: req.method, headers, body: Buffer.concat(body) }, {
      onConnect() {},
      onHeaders(statusCode, rawHeaders, resume) {
        if (statusCode < 200) return true;
        // A false from onData pauses the upstream socket until the client has taken the bytes.
        res.on('drain', resume);
        const out = {};
        for (let i = 0; i < rawHeaders.length; i += 2) {
          const name = rawHeaders[i].toString().toLowerCase();
          if (name !== 'connection' && name !== 'keep-alive' && name !== 'transfer-encoding') out[name] = rawHeaders[i + 1].toString();
        }
        res.writeHead(statusCode, out);
        return true;
      },
      onData(chunk) { return res.write(chunk); },
      onComplete() { res.end(); },
      onError() { if (res.headersSent) res.destroy(); else { res.writeHead(502); res.end(); } },
    });
  });
});
