// What both pass-throughs (raw-proxy.mjs, stack-proxy.mjs) share as child processes: a node:http
// server with keep-alive and TCP_NODELAY on 127.0.0.1, its address printed as one JSON line for
// procs.mjs, and a clean exit on SIGTERM/SIGINT.
import http from 'node:http';

/** @param {http.RequestListener} handler */
export function servePassThrough(handler) {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, handler);
  server.on('connection', (socket) => socket.setNoDelay(true));
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}`, pid: process.pid }) + '\n');
  });
  const stop = () => { server.closeAllConnections(); server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 500).unref(); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
