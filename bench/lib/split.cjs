// Preload for `run.mjs --split`, in the proxy and the two yardsticks (the stack pass-through and
// the minimal translator): where a request's time goes inside the process, without an
// instrumented build. For each request (the latency phase sends them one at a time): arrival →
// its upstream request on the wire ("before"), on the wire → the upstream's last byte
// ("upstream": the simulator and both hops), the upstream's last byte → the response's end
// ("after"). Upstream moments come from undici's diagnostics channels, which all three send
// through.
// On SIGUSR2 it writes the medians gathered since the last signal to
// $KIRO_BENCH_SPLIT_DIR/<pid>-<n>.json and starts over: the bench signals when a block's
// measured part starts (the warm-up is dropped) and when it ends.
'use strict';
const channels = require('node:diagnostics_channel');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.KIRO_BENCH_SPLIT_DIR;
const now = () => performance.now();
/** The request in flight: the phase sends one at a time. */
let current = null;
/** Per client, how many requests since the last signal: each measured step sends the non-streaming exchange, then the streaming one. */
let counts = {};
let samples = {};
let written = 0;

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event === 'request' && req.method === 'POST') {
    // fetch (undici) sends sec-fetch-mode; the bench's node:http client does not.
    const client = req.headers['sec-fetch-mode'] ? 'fetch' : 'http';
    const kind = (counts[client] = (counts[client] ?? 0) + 1) % 2 === 1 ? 'nonStreaming' : 'streaming';
    const r = { arrived: now(), sent: 0, done: 0 };
    current = r;
    const end = res.end;
    res.end = function () {
      if (r.sent && r.done) {
        const s = (samples[`${client} ${kind}`] ??= { before: [], upstream: [], after: [] });
        s.before.push(r.sent - r.arrived);
        s.upstream.push(r.done - r.sent);
        s.after.push(now() - r.done);
      }
      return end.apply(this, arguments);
    };
  }
  return emit.apply(this, arguments);
};
channels.subscribe('undici:request:bodySent', () => { if (current && !current.sent) current.sent = now(); });
channels.subscribe('undici:request:trailers', () => { if (current && !current.done) current.done = now(); });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? Math.round(sorted[sorted.length >> 1] * 1000) / 1000 : null;
};

process.on('SIGUSR2', () => {
  const out = {};
  for (const [key, s] of Object.entries(samples)) out[key] = { n: s.before.length, before: median(s.before), upstream: median(s.upstream), after: median(s.after) };
  if (dir) {
    // Whole or not at all: the bench polls for the file.
    const file = path.join(dir, `${process.pid}-${++written}.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(out));
    fs.renameSync(`${file}.tmp`, file);
  }
  samples = {};
  counts = {};
});
