// Child process: the physical limit. A minimal HTTP pass-through that does nothing but pipe the
// request to the simulator and the response back, with keep-alive on both sides. Whatever our
// proxy costs beyond this is what its own work (parsing, translation, decoding, SSE) costs.
//   node bench/lib/raw-proxy.mjs <upstream url>
import http from 'node:http';
import { servePassThrough } from './serve.mjs';

const upstream = new URL(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, keepAliveMsecs: 30_000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer']);

function strip(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP.has(k)) out[k] = v;
  return out;
}

servePassThrough((req, res) => {
  const headers = strip(req.headers);
  headers.host = upstream.host;
  const body = [];
  let ended = false;
  req.on('data', (c) => body.push(c));
  req.on('end', () => { ended = true; });
  const forward = (attempt) => {
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, strip(upRes.headers));
        upRes.pipe(res);
        upRes.on('error', () => res.destroy());
      },
    );
    up.on('socket', (socket) => socket.setNoDelay(true)); // undici (our proxy) sets TCP_NODELAY too
    up.on('error', (err) => {
      // A pooled socket the simulator closed while idle: retry once on a fresh one (node docs: reusedSocket).
      if (attempt === 0 && up.reusedSocket && !res.headersSent && err.code === 'ECONNRESET') return forward(1);
      if (res.headersSent) res.destroy(); else { res.writeHead(502); res.end(); }
    });
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
    // Stream the body as it comes; a retry replays the whole body once it has been read.
    const replay = () => { for (const c of body) up.write(c); up.end(); };
    if (attempt === 0) { req.on('data', (c) => up.write(c)); req.on('end', () => up.end()); }
    else if (ended) replay();
    else req.on('end', replay);
  };
  forward(0);
});
