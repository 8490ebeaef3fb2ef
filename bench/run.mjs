#!/usr/bin/env node
// Kiro Proxy benchmarks: what the proxy costs, next to the physical limit.
//
//   node bench/run.mjs [--smoke] [--soak-seconds N] [--profile] [--only latency,throughput,slowreader,concurrency,soak,cpu,artifacts]
//                      [--iterations N] [--warmup N] [--prewarm N] [--protocols anthropic,chat,responses,gemini]
//                      [--stream-chunk-bytes N] [--sim-close] [--cli path/to/cli.js] [--split] [--compare path/to/other/cli.js]
//
// Every figure is measured side by side in one run, over the same exchange:
//   direct  the Kiro request straight to the simulator (Kiro event stream back)
//   raw     the same request through a minimal node:http pass-through (bench/lib/raw-proxy.mjs): the physical limit
//   stack   the same request through the proxy's HTTP stack alone, node:http and undici (bench/lib/stack-proxy.mjs)
//   control (latency only) a second raw pass-through, measured as a protocol is: the method's own error
//   minimal (latency only) the least Anthropic → Kiro translator on that stack (bench/lib/minimal-translator.mjs): a yardstick
//   proxy   the client-format request through dist/cli.js: Anthropic /v1/messages, and for latency
//           and CPU also OpenAI Chat, Responses and Gemini
// Latency is measured with two clients, raw node:http and fetch (undici). --split times, inside the
// proxy, the stack and the minimal translator, a latency request's time before and after its Kiro
// call (bench/lib/split.cjs). --compare measures a second build of the CLI beside the first, its
// latency blocks taking turns with the first's in the same run (A/B without the runs' drift).
// Simulator, pass-through and proxy are separate processes; this process is only the client.
// Results: a table on stdout, JSON in bench/results/<date>.json and bench/results/latest.json.
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, readdirSync, statSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, startSim, startPassThrough, startProxy, stopChild, memKb, resetPeak, cpuMs, fdCount, fdLimit, rssSampler, killAll } from './lib/procs.mjs';
import { makeAgent, send, sendFetch, kiroText, admin, adminGet } from './lib/client.mjs';
import { PROTOCOLS, PROTOCOL_NAMES, PROMPT_SLOT, sessionSizedBody, withPrompt } from './lib/protocols.mjs';
import { pct, median, round, makeText, rng } from './lib/stats.mjs';
import { buildProfileCli, analyzeCpuProfile } from './lib/profile.mjs';

const { values: argv } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    'soak-seconds': { type: 'string' },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
    iterations: { type: 'string' },
    warmup: { type: 'string' },
    prewarm: { type: 'string' },
    protocols: { type: 'string' },
    'stream-chunk-bytes': { type: 'string' },
    'sim-close': { type: 'boolean', default: false },
    cli: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    split: { type: 'boolean', default: false },
    compare: { type: 'string' },
  },
});

const SMOKE = argv.smoke;
const CFG = {
  mode: SMOKE ? 'smoke' : 'full',
  // Latency triples before each block's measured ones. The proxy's request path takes V8 about
  // 2,500 requests of a protocol to optimize: its time per request falls from 1.75 to 0.9 ms
  // until then (with a lower --interrupt-budget it gets there in 1,000), see bench/README.
  warmup: Number(argv.warmup ?? (SMOKE ? 30 : 1500)),
  // Before the first block: the cold proxy's warm-up curve, rounds of every measured protocol
  // (both clients, streaming and not, each after the same exchange sent direct), reported by
  // the proxy's request count. Not a target: a user's proxy that served few requests since it
  // started runs on that curve, not on the warm figures the blocks measure.
  prewarm: Number(argv.prewarm ?? (SMOKE ? 25 : 500)),
  iterations: Number(argv.iterations ?? (SMOKE ? 50 : 300)),
  // Answers of `mb` MiB text in 1–10 char deltas; `chunk` = largest random write of the simulator:
  // 160 is its default (Kiro-like pacing: the simulator itself is the bottleneck), 16 KiB keeps
  // it out of the way so the proxy's own decode/re-encode rate shows. A 1 MB run at 16 KiB lasts
  // 60–200 ms on 2 cores, so its median takes 15 runs to settle (with 5, two full runs gave
  // ×1.46 and ×2.2 for the same build).
  streams: SMOKE
    ? [{ mb: 1, chunk: 160, runs: 1 }, { mb: 1, chunk: Number(argv['stream-chunk-bytes'] ?? 16384), runs: 2 }]
    : [{ mb: 1, chunk: 160, runs: 3 }, { mb: 1, chunk: Number(argv['stream-chunk-bytes'] ?? 16384), runs: 15 }, { mb: 10, chunk: Number(argv['stream-chunk-bytes'] ?? 16384), runs: 2 }],
  levels: SMOKE ? [100, 1000] : [100, 500, 1000],
  frameDelayMs: 20,
  slowReaderPauseMs: 5,
  slowReaderStallMs: 1000,
  slowReaderMb: Number(process.env.BENCH_SLOW_MB ?? (SMOKE ? 1 : 8)),
  firstFrameDelayMs: 50,
  soakSeconds: Number(argv['soak-seconds'] ?? (SMOKE ? 30 : 300)),
  soakConcurrency: 16,
  cpuBatch: SMOKE ? 500 : 2000,
  cpuRounds: SMOKE ? 1 : 3,
  cpuSizedBatch: SMOKE ? 40 : 300,
  cpuConcurrency: 8,
  simKeepAlive: !argv['sim-close'],
};
// The latency phase measures these protocols (all by default), one block each.
const LATENCY_PROTOCOLS = argv.protocols ? argv.protocols.split(',') : PROTOCOL_NAMES;
for (const p of LATENCY_PROTOCOLS) if (!PROTOCOL_NAMES.includes(p)) { console.error(`bench: unknown protocol "${p}" (known: ${PROTOCOL_NAMES.join(', ')})`); process.exit(2); }
const PHASES = new Set((argv.only ?? 'latency,throughput,slowreader,concurrency,soak,cpu,artifacts').split(','));
const TARGETS = {
  addedP50: 0.3, addedP99: 2, ttfb: 0.5, stream1mb: 1.3, concRssMb: 150, soakFlat: 0.1, activationMs: 50, vsixKb: 400,
};

const log = (...a) => process.stderr.write(a.join(' ') + '\n');
const ms = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '—');
/** A difference with its sign: +0.210, −0.050. */
const signed = (x, d = 3) => (Number.isFinite(x) ? (x < 0 ? '−' : '+') + Math.abs(x).toFixed(d) : '—');
const mb = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) : '—');

// Hard bound on the whole run: nothing may hang a CI job.
const HARD_LIMIT_MS = (SMOKE ? 8 : 30) * 60_000 + CFG.soakSeconds * 1000;
const hardTimer = setTimeout(() => { log(`bench: exceeded ${HARD_LIMIT_MS / 1000} s, aborting`); killAll(); process.exit(3); }, HARD_LIMIT_MS);
hardTimer.unref();

const results = {
  date: new Date().toISOString(),
  mode: CFG.mode,
  machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), fdLimitBench: fdLimit(), loadavgStart: loadavg().map((x) => round(x, 2)) },
  config: CFG,
  targets: TARGETS,
  figures: {},
  notes: [],
};

// ---- setup -----------------------------------------------------------------------------------

const runStarted = performance.now();
const tokenDir = mkdtempSync(join(tmpdir(), 'kiro-bench-tokens-'));
const profileDir = join(ROOT, 'bench', 'results', 'profile');
let cliPath = argv.cli ?? join(ROOT, 'dist', 'cli.js');
const nodeArgs = [];
if (argv.profile) {
  rmSync(profileDir, { recursive: true, force: true });
  cliPath = await buildProfileCli(join(profileDir, 'build'));
  nodeArgs.push('--cpu-prof', '--cpu-prof-dir', join(profileDir, 'cpu'), '--heap-prof', '--heap-prof-dir', join(profileDir, 'heap'));
  results.notes.push('profile mode: unminified CLI under --cpu-prof/--heap-prof; timings are inflated by the profiler');
}
// The split preload goes into the processes that send through undici: the proxy, the stack and the minimal translator.
const splitArgs = argv.split ? ['--require', join(ROOT, 'bench', 'lib', 'split.cjs')] : [];
if (argv.split) {
  process.env.KIRO_BENCH_SPLIT_DIR = mkdtempSync(join(tmpdir(), 'kiro-bench-split-'));
  nodeArgs.push(...splitArgs);
}
/** Snapshots taken per process: split.cjs numbers its files the same way. */
const splitTaken = new Map();
/** What split.cjs gathered in process `pid` since its last snapshot (it starts over). */
async function splitSnapshot(pid) {
  const n = (splitTaken.get(pid) ?? 0) + 1;
  splitTaken.set(pid, n);
  const file = join(process.env.KIRO_BENCH_SPLIT_DIR, `${pid}-${n}.json`);
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; !existsSync(file); waited += 20) {
    if (waited > 5000) throw new Error(`split: process ${pid} wrote no ${file}`);
    await sleep(20);
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}
if (!existsSync(cliPath)) { log(`bench: ${cliPath} not found; run "npm run build" first`); process.exit(2); }

const sim = await startSim({ keepAlive: CFG.simKeepAlive, seed: 1 }, tokenDir);
const raw = await startPassThrough('raw-proxy.mjs', sim.url);
const proxy = await startProxy({ simUrl: sim.url, tokenDir, cli: cliPath, nodeArgs });
/** --compare: the other build, measured by the latency phase only. */
const compared = argv.compare && PHASES.has('latency') ? await startProxy({ simUrl: sim.url, tokenDir, cli: argv.compare, nodeArgs }) : undefined;
results.machine.fdLimitProxy = fdLimit(proxy.pid);
results.machine.proxyIdleRssKb = memKb(proxy.pid).rss;
log(`bench ${CFG.mode}: sim ${sim.url} (pid ${sim.pid}), raw ${raw.url} (pid ${raw.pid}), proxy ${proxy.url} (pid ${proxy.pid})`);

// The Kiro request our proxy sends, captured once, is what direct and raw send: same exchange.
const agent0 = makeAgent();
{
  const r = await send({ url: proxy.url, path: '/v1/messages', headers: PROTOCOLS.anthropic.headers }, PROTOCOLS.anthropic.body('bench template', false), { agent: agent0 });
  if (r.status !== 200) throw new Error(`template request failed: ${r.status} ${Buffer.concat(r.chunks).toString()}`);
}
const recorded = (await adminGet(sim.url, '/__sim/requests?path=/generateAssistantResponse')).requests.at(-1);
const KIRO_HEADERS = Object.fromEntries(Object.entries(recorded.headers).filter(([k]) => !['host', 'content-length', 'connection', 'transfer-encoding'].includes(k)));
const kiroTemplate = recorded.body;
const kiroBody = (prompt) => {
  kiroTemplate.conversationState.currentMessage.userInputMessage.content = prompt;
  return JSON.stringify(kiroTemplate);
};
await admin(sim.url, '/__sim/config', { maxRecordedRequests: 0 });
await admin(sim.url, '/__sim/reset', {});

// Routes: direct, raw, stack and control speak Kiro; `proxy` is the Anthropic route, the others name their protocol;
// `minimal` speaks Anthropic too, through the minimal translator.
const PATHS = ['direct', 'raw', 'proxy'];
const KIRO_ROUTES = new Set(['direct', 'raw', 'stack', 'control']);
/** Started by the latency and CPU phases, each for its own measure. */
let stack;
/** A second raw pass-through and the minimal translator, started by the latency phase. */
let control, minimal;
const protocolOf = (route) => PROTOCOLS[route === 'proxy' || route === 'minimal' ? 'anthropic' : route.replace(/@compare$/, '')];
/** A route's name in the report: `anthropic@compare` is "Anthropic (compared)". */
const routeLabel = (route) => (route.endsWith('@compare') ? `${protocolOf(route).label} (compared)` : PROTOCOLS[route]?.label ?? route);
const kiroTarget = (url) => ({ url, path: '/generateAssistantResponse', headers: KIRO_HEADERS });
function targetOf(route, stream = true) {
  if (route === 'direct') return kiroTarget(sim.url);
  if (route === 'raw') return kiroTarget(raw.url);
  if (route === 'stack') return kiroTarget(stack.url);
  if (route === 'control') return kiroTarget(control.url);
  const p = protocolOf(route);
  if (route === 'minimal') return { url: minimal.url, path: p.path(stream), headers: p.headers };
  if (route.endsWith('@compare')) return { url: compared.url, path: p.path(stream), headers: p.headers };
  return { url: proxy.url, path: p.path(stream), headers: p.headers };
}
const target = { direct: targetOf('direct'), raw: targetOf('raw'), proxy: targetOf('proxy') };
const bodyFor = (route, prompt, stream = true) => (KIRO_ROUTES.has(route) ? kiroBody(prompt) : protocolOf(route).body(prompt, stream));
/** Text that arrived, decoded after the clock stopped. */
function answer(route, r, stream = true) {
  if (KIRO_ROUTES.has(route)) { const k = kiroText(r.chunks); return { text: k.text, complete: k.leftover === 0 && !k.exception, events: k.events }; }
  const s = stream ? protocolOf(route).streamText(r.chunks) : protocolOf(route).jsonText(r.chunks);
  return { text: s.text, complete: s.stopped && !s.error, events: s.events };
}
const echoOf = (prompt) => 'Echo: ' + prompt.replace(/\[\[sim:.*\]\]/, '').trim().slice(0, 200);

const phaseTimes = {};
async function phase(name, fn) {
  if (!PHASES.has(name)) return;
  const t = performance.now();
  log(`— ${name} …`);
  try {
    await fn();
  } catch (err) {
    results.figures[name] = { error: String(err?.stack ?? err) };
    log(`${name} failed: ${err?.stack ?? err}`);
  }
  phaseTimes[name] = round((performance.now() - t) / 1000, 1);
  await admin(sim.url, '/__sim/reset', {}).catch(() => {});
}

// ---- 1. added latency ------------------------------------------------------------------------

await phase('latency', async () => {
  const agent = makeAgent();
  const clients = { http: (t, body) => send(t, body, { agent }), fetch: (t, body) => sendFetch(t, body) };
  const samples = {};
  const wrong = {};
  const one = async (client, route, i, into) => {
    // Non-streaming (the direct/raw exchange is always a stream: its total is the figure).
    const prompt = `ping ${i}`;
    const a = await clients[client](targetOf(route, false), bodyFor(route, prompt, false));
    const okA = a.status === 200 && answer(route, a, false).text === echoOf(prompt);
    const b = await clients[client](targetOf(route, true), bodyFor(route, prompt, true));
    const okB = b.status === 200 && answer(route, b, true).text === echoOf(prompt);
    if (!into) return;
    if (!okA || !okB) wrong[`${client} ${route}`] = (wrong[`${client} ${route}`] ?? 0) + 1;
    into.total.push(a.endAt - a.t0);
    into.ttfb.push(b.firstAt - b.t0);
    into.streamTotal.push(b.endAt - b.t0);
  };
  const clientOrder = (i) => (i % 2 ? ['fetch', 'http'] : ['http', 'fetch']);
  const newSamples = () => ({ total: [], ttfb: [], streamTotal: [] });
  // The cold proxy's warm-up: non-streaming totals per client, in windows of a fifth of the
  // rounds (every protocol in each), beside the same exchanges sent direct (the simulator warms too).
  const warmWindows = [];
  if (CFG.prewarm > 0) {
    const windowRounds = Math.ceil(CFG.prewarm / 5);
    for (let i = 0; i < CFG.prewarm; i++) {
      if (i % windowRounds === 0) warmWindows.push({ fromRound: i, samples: { http: {}, fetch: {} } });
      const into = warmWindows.at(-1).samples;
      for (const route of LATENCY_PROTOCOLS) {
        for (const c of clientOrder(i)) for (const r of ['direct', route]) await one(c, r, i, (into[c][r === 'direct' ? r : 'proxy'] ??= newSamples()));
        // The other build (--compare) gets the same warm-up, unmeasured: the pair must start even.
        if (compared) for (const c of clientOrder(i)) await one(c, `${route}@compare`, i);
      }
    }
  }
  // One block per route, as one client uses one protocol: warm-up, then triples direct → raw →
  // route, so that the route and the raw pass-through both run on every triple and both take
  // their request after a pause. Each block's figure is beyond the raw of its own block.
  // (Protocols rotated through one list ran each on a fourth of the triples, and a route run
  // that seldom pays for it: a second copy of the raw pass-through, run on a fifth of them,
  // measured +0.27–0.31 ms p50 beyond raw, and −0.12 to +0.13 on every triple.) The first block
  // is the control, that second copy of the raw pass-through: its figure beyond raw is the
  // method's own error. Then two yardsticks: the proxy's HTTP stack alone (what any proxy built
  // on it pays) and the minimal translator (what the least Anthropic translation adds to that).
  control = await startPassThrough('raw-proxy.mjs', sim.url);
  stack = await startPassThrough('stack-proxy.mjs', sim.url, { nodeArgs: splitArgs });
  minimal = await startPassThrough('minimal-translator.mjs', sim.url, { nodeArgs: splitArgs, args: [JSON.stringify({ headers: KIRO_HEADERS, template: kiroTemplate })] });
  // With --compare each protocol's block is a pair, the two builds taking turns in rounds so that
  // the machine's drift within the block falls on both alike.
  const groups = [['control'], ['stack'], ['minimal'], ...LATENCY_PROTOCOLS.map((p) => (compared ? [p, `${p}@compare`] : [p]))];
  const blocks = groups.flat();
  const inside = {};
  // The control is a raw copy, with no undici inside to time.
  const splitPidOf = (route) => (argv.split && route !== 'control' ? (route.endsWith('@compare') ? compared : { stack, minimal }[route] ?? proxy).pid : undefined);
  try {
    for (const group of groups) {
      for (const route of group) {
        for (const c of Object.keys(clients)) Object.assign((samples[c] ??= {}), { [route]: newSamples(), [`raw@${route}`]: newSamples(), [`direct@${route}`]: newSamples() });
        for (let i = 0; i < CFG.warmup; i++) for (const c of clientOrder(i)) for (const r of ['direct', 'raw', route]) await one(c, r, i);
      }
      for (const route of group) if (splitPidOf(route)) await splitSnapshot(splitPidOf(route)); // drops the warm-up's
      const rounds = group.length > 1 ? 4 : 1;
      for (let k = 0; k < rounds; k++) {
        for (const route of group) {
          for (let i = Math.floor((k * CFG.iterations) / rounds); i < Math.floor(((k + 1) * CFG.iterations) / rounds); i++) {
            for (const c of clientOrder(i)) for (const r of ['direct', 'raw', route]) await one(c, r, i, samples[c][r === route ? r : `${r}@${route}`]);
          }
        }
      }
      for (const route of group) if (splitPidOf(route)) inside[route] = await splitSnapshot(splitPidOf(route));
    }
  } finally {
    await stopChild(control.child);
    await stopChild(stack?.child);
    await stopChild(minimal?.child);
    stack = undefined;
  }
  agent.destroy();
  // Proxy requests a pre-warm round sends: every protocol, with both clients, streaming and not.
  const perRound = LATENCY_PROTOCOLS.length * 4;
  const fig = { iterations: CFG.iterations, warmup: CFG.warmup, prewarm: CFG.prewarm, protocols: LATENCY_PROTOCOLS, wrongAnswers: Object.values(wrong).reduce((a, b) => a + b, 0), wrongBy: wrong, clients: {} };
  const pooled = (c, r, key) => blocks.flatMap((b) => samples[c][`${r}@${b}`][key]);
  for (const c of Object.keys(clients)) {
    fig.clients[c] = {};
    for (const [metric, key] of [['nonStreaming', 'total'], ['streamingTtfb', 'ttfb'], ['streamingTotal', 'streamTotal']]) {
      const f = {};
      const q = (values) => ({ p50: round(pct(values, 50)), p99: round(pct(values, 99)) });
      f.direct = q(pooled(c, 'direct', key));
      f.raw = q(pooled(c, 'raw', key));
      for (const b of blocks) f[b] = q(samples[c][b][key]);
      f.rawMinusDirect = { p50: round(f.raw.p50 - f.direct.p50), p99: round(f.raw.p99 - f.direct.p99) };
      f.beyondRaw = Object.fromEntries(blocks.map((b) => {
        const own = q(samples[c][`raw@${b}`][key]);
        return [b, { p50: round(f[b].p50 - own.p50), p99: round(f[b].p99 - own.p99) }];
      }));
      fig.clients[c][metric] = f;
    }
  }
  if (argv.split) fig.inside = inside;
  fig.prewarmCurve = warmWindows.map((w, k) => ({
    proxyRequests: [w.fromRound * perRound, (warmWindows[k + 1]?.fromRound ?? CFG.prewarm) * perRound],
    nonStreamingP50: Object.fromEntries(Object.entries(w.samples).map(([c, by]) => [c, { proxy: round(pct(by.proxy.total, 50)), direct: round(pct(by.direct.total, 50)) }])),
  }));
  if (compared) fig.compared = argv.compare;
  results.figures.latency = fig;
});

// ---- 3. concurrency --------------------------------------------------------------------------

// (Run before the throughput and slow-reader phases: their 10 MB answers leave the proxy's heap
// grown for minutes, and the 1,000-stream figure would measure that, not the streams.)
await phase('concurrency', async () => {
  const fig = { replyDelay: `firstFrameDelayMs ${CFG.firstFrameDelayMs}, frameDelayMs ${CFG.frameDelayMs} between writes of ≤160 bytes`, levels: {} };
  const r = rng(42);
  for (const n of CFG.levels) {
    const level = {};
    for (const p of PATHS) {
      const agent = makeAgent();
      resetPeak(proxy.pid);
      resetPeak(raw.pid);
      const startRssKb = memKb(p === 'raw' ? raw.pid : proxy.pid).rss;
      let fdMax = 0;
      const fdTimer = setInterval(() => { fdMax = Math.max(fdMax, fdCount(p === 'raw' ? raw.pid : proxy.pid)); }, 100);
      const sampler = rssSampler({ proxy: proxy.pid, raw: raw.pid }, 50);
      const directive = `[[sim:{"firstFrameDelayMs":${CFG.firstFrameDelayMs},"frameDelayMs":${CFG.frameDelayMs}}]]`;
      const prompts = Array.from({ length: n }, (_, i) => `c${n}-${p}-${i}-${Math.floor(r() * 2 ** 32).toString(16)} echo me back, intact and only me ${directive}`);
      const t0 = performance.now();
      const rs = await Promise.all(prompts.map((prompt) => send(target[p], bodyFor(p, prompt), { agent, timeoutMs: 120_000 })));
      const wall = performance.now() - t0;
      clearInterval(fdTimer);
      const peak = sampler.stop();
      const statuses = {};
      let intact = 0;
      rs.forEach((res, i) => {
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        const a = answer(p, res);
        if (res.status === 200 && a.complete && a.text === echoOf(prompts[i])) intact++;
        res.chunks.length = 0;
      });
      const times = rs.map((x) => x.endAt - x.t0);
      const ttfb = rs.map((x) => x.firstAt - x.t0);
      level[p] = {
        intact, of: n, statuses, wallMs: round(wall, 0),
        p50Ms: round(pct(times, 50), 1), p99Ms: round(pct(times, 99), 1), maxMs: round(Math.max(...times), 1), ttfbP99Ms: round(pct(ttfb, 99), 1),
        errors: [...new Set(rs.filter((x) => x.error).map((x) => x.error))].slice(0, 3),
      };
      level[p].startRssMb = round(startRssKb / 1024, 1);
      if (p === 'proxy') { level.proxy.peakRssMb = round(Math.max(peak.proxy, memKb(proxy.pid).hwm) / 1024, 1); level.proxy.peakFds = fdMax; }
      if (p === 'raw') { level.raw.peakRssMb = round(Math.max(peak.raw, memKb(raw.pid).hwm) / 1024, 1); level.raw.peakFds = fdMax; }
      agent.destroy();
      await sleep(300);
      await admin(sim.url, '/__sim/reset', {});
    }
    fig.levels[n] = level;
    log(`  ${n}: direct ${level.direct.intact}/${n} p99 ${level.direct.p99Ms} ms · raw ${level.raw.intact}/${n} p99 ${level.raw.p99Ms} ms · proxy ${level.proxy.intact}/${n} p99 ${level.proxy.p99Ms} ms, peak RSS ${level.proxy.peakRssMb} MB`);
  }
  results.figures.concurrency = fig;
});

// ---- 2. streaming throughput -----------------------------------------------------------------

await phase('throughput', async () => {
  const agent = makeAgent();
  const fig = { chunking: 'deltas of 1–10 chars; simulator writes random 1–<chunk> byte pieces that split frames', sizes: {} };
  for (const { mb: size, chunk, runs: nRuns } of CFG.streams) {
    await admin(sim.url, '/__sim/config', { maxChunkBytes: chunk });
    const text = makeText(size * 1024 * 1024, 7 + size);
    await admin(sim.url, '/__sim/behavior', { account: sim.account, reply: { text, deltaSize: [1, 10] } });
    const runs = { direct: [], raw: [], proxy: [] };
    let intact = 0, total = 0, eventStreamBytes = 0, clientBytes = 0, sseEvents = 0;
    resetPeak(proxy.pid);
    const sampler = rssSampler({ proxy: proxy.pid, raw: raw.pid }, 100);
    for (let r = 0; r < nRuns; r++) {
      for (const p of PATHS) {
        const res = await send(target[p], bodyFor(p, `stream ${size} MB run ${r}`), { agent, timeoutMs: 600_000 });
        const a = answer(p, res);
        total++;
        if (res.status === 200 && a.complete && a.text === text) intact++;
        else log(`  ${size} MB ${p}: status ${res.status} ${res.error ?? ''} complete=${a.complete} text ${a.text.length}/${text.length} chars`);
        if (p === 'direct') eventStreamBytes = res.bytes;
        if (p === 'proxy') { clientBytes = res.bytes; sseEvents = a.events; }
        runs[p].push({ total: res.endAt - res.t0, streaming: res.endAt - res.firstAt });
        res.chunks.length = 0;
      }
    }
    const peak = sampler.stop();
    const med = (p, k) => median(runs[p].map((x) => x[k]));
    const f = {
      simChunkBytes: chunk, textBytes: Buffer.byteLength(text), textChars: text.length, eventStreamBytes, sseBytes: clientBytes, sseEvents, runsPerPath: runs.direct.length,
      intact: `${intact}/${total}`,
      streamingMs: Object.fromEntries(PATHS.map((p) => [p, round(med(p, 'streaming'), 1)])),
      totalMs: Object.fromEntries(PATHS.map((p) => [p, round(med(p, 'total'), 1)])),
    };
    f.proxyOverDirect = round(med('proxy', 'streaming') / med('direct', 'streaming'), 3);
    f.rawOverDirect = round(med('raw', 'streaming') / med('direct', 'streaming'), 3);
    f.proxyOverRaw = round(med('proxy', 'streaming') / med('raw', 'streaming'), 3);
    f.proxyOverDirectTotal = round(med('proxy', 'total') / med('direct', 'total'), 3);
    f.decodedMBps = Object.fromEntries(PATHS.map((p) => [p, round(eventStreamBytes / 2 ** 20 / (med(p, 'streaming') / 1000), 1)]));
    f.proxyPeakRssMb = round(Math.max(peak.proxy, memKb(proxy.pid).hwm) / 1024, 1);
    f.rawPeakRssMb = round(peak.raw / 1024, 1);
    fig.sizes[`${size}MB/${chunk}B`] = f;
    await admin(sim.url, '/__sim/behavior', { account: sim.account, reply: null });
    await admin(sim.url, '/__sim/reset', {});
  }
  agent.destroy();
  await admin(sim.url, '/__sim/config', { maxChunkBytes: 160 });
  results.figures.throughput = fig;
});

// ---- 2b. slow reader -------------------------------------------------------------------------

// A client that reads slowly (busy for a second, then a pause after every read) must get fewer,
// larger events, never a queue of the fast reader's small ones: what Kiro sent meanwhile leaves
// joined. The proxy only sees a slow client once the kernel's socket buffers are full (about
// 4 MB on loopback here: everything before that left as the fast reader's events), so the
// answer is 8 MB (≈9 MB of SSE). The smoke run's 1 MB fits in those buffers: no target there.
await phase('slowreader', async () => {
  const agent = makeAgent();
  const chunk = Number(argv['stream-chunk-bytes'] ?? 16384);
  await admin(sim.url, '/__sim/config', { maxChunkBytes: chunk });
  const text = makeText(CFG.slowReaderMb * 1024 * 1024, 9);
  await admin(sim.url, '/__sim/behavior', { account: sim.account, reply: { text, deltaSize: [1, 10] } });
  const readers = {};
  for (const [name, readDelayMs, stallMs] of [['fast', 0, 0], ['slow', CFG.slowReaderPauseMs, CFG.slowReaderStallMs]]) {
    const res = await send(target.proxy, bodyFor('proxy', `slow reader ${name}`), { agent, timeoutMs: 600_000, readDelayMs, stallMs });
    const a = answer('proxy', res);
    readers[name] = { intact: res.status === 200 && a.complete && a.text === text, sseEvents: a.events, sseBytes: res.bytes, reads: res.reads, streamingMs: round(res.endAt - res.firstAt, 1) };
    res.chunks.length = 0;
  }
  results.figures.slowReader = { textMb: CFG.slowReaderMb, simChunkBytes: chunk, pauseMsPerRead: CFG.slowReaderPauseMs, stallMs: CFG.slowReaderStallMs, ...readers };
  await admin(sim.url, '/__sim/behavior', { account: sim.account, reply: null });
  agent.destroy();
  await admin(sim.url, '/__sim/config', { maxChunkBytes: 160 });
});

// ---- 4. soak ---------------------------------------------------------------------------------

await phase('soak', async () => {
  const agent = makeAgent();
  const seconds = CFG.soakSeconds;
  const warmupS = Math.min(Math.max(10, Math.round(seconds * 0.2)), Math.max(1, seconds - 5));
  const medium = makeText(4 * 1024, 3).replace(/[^a-z ]/g, 'x'); // plain ASCII so it fits a directive verbatim
  const deadline = performance.now() + seconds * 1000;
  let done = 0, bad = 0, n = 0;
  const kinds = { stream: 0, nonStream: 0, medium: 0, aborted: 0 };
  const worker = async () => {
    while (performance.now() < deadline) {
      const k = n++ % 50;
      const prompt = `soak ${n}`;
      if (k === 0) { // client hangs up mid-stream
        await send(target.proxy, bodyFor('proxy', `${prompt} [[sim:{"text":${JSON.stringify(medium)},"frameDelayMs":1}]]`), { agent, abortAfterFirstChunk: true });
        kinds.aborted++;
      } else if (k % 12 === 1) {
        const res = await send(target.proxy, bodyFor('proxy', `${prompt} [[sim:{"text":${JSON.stringify(medium)}}]]`), { agent });
        if (res.status !== 200 || PROTOCOLS.anthropic.streamText(res.chunks).text !== medium) bad++;
        kinds.medium++;
      } else {
        const stream = k % 3 !== 0;
        const res = await send(target.proxy, bodyFor('proxy', prompt, stream), { agent });
        if (res.status !== 200 || answer('proxy', res, stream).text !== echoOf(prompt)) bad++;
        kinds[stream ? 'stream' : 'nonStream']++;
      }
      done++;
    }
  };
  const samples = [];
  const t0 = performance.now();
  const sampler = setInterval(() => {
    samples.push({ t: round((performance.now() - t0) / 1000, 1), rssKb: memKb(proxy.pid).rss, fds: fdCount(proxy.pid), done, cpuMs: cpuMs(proxy.pid) });
  }, 1000);
  const resetter = setInterval(() => { admin(sim.url, '/__sim/reset', {}).catch(() => {}); }, 5000);
  await Promise.all(Array.from({ length: CFG.soakConcurrency }, worker));
  clearInterval(sampler);
  clearInterval(resetter);
  agent.destroy();
  await sleep(1500);
  const idleAfter = { rssKb: memKb(proxy.pid).rss, fds: fdCount(proxy.pid) };
  const after = samples.filter((s) => s.t > warmupS);
  const ref = median(after.slice(0, 3).map((s) => s.rssKb));
  const dev = Math.max(...after.map((s) => Math.abs(s.rssKb - ref) / ref));
  // Linear trend of RSS after warm-up, MB per minute.
  const xs = after.map((s) => s.t), ys = after.map((s) => s.rssKb / 1024);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  results.figures.soak = {
    seconds, warmupSeconds: warmupS, concurrency: CFG.soakConcurrency, requests: done, failed: bad, mix: kinds, reqPerSec: round(done / seconds, 0),
    rssStartMb: round(ref / 1024, 1), rssEndMb: round(after.at(-1).rssKb / 1024, 1), rssMaxMb: round(Math.max(...after.map((s) => s.rssKb)) / 1024, 1),
    rssMinMb: round(Math.min(...after.map((s) => s.rssKb)) / 1024, 1), maxDeviation: round(dev, 3), trendMbPerMin: round(slope * 60, 2),
    fdsStart: after[0]?.fds, fdsEnd: after.at(-1)?.fds, fdsMax: Math.max(...after.map((s) => s.fds)), idleAfter: { rssMb: round(idleAfter.rssKb / 1024, 1), fds: idleAfter.fds },
    cpuMsPerReq: round((samples.at(-1).cpuMs - samples[0].cpuMs) / (samples.at(-1).done - samples[0].done), 3),
    samples: samples.map((s) => [s.t, round(s.rssKb / 1024, 1), s.fds, s.done]),
  };
});

// ---- 5. CPU per request ----------------------------------------------------------------------

await phase('cpu', async () => {
  const fig = { batch: CFG.cpuBatch, concurrency: CFG.cpuConcurrency, unit: 'ms CPU (user+sys) per 1,000 requests' };
  /** One batch of a route; `sized`: the session-sized request instead of the bench's small one. */
  const runBatch = async (p, stream, sized = false) => {
    const agent = makeAgent();
    const size = sized ? CFG.cpuSizedBatch : CFG.cpuBatch;
    let i = 0, bad = 0;
    const pids = { sim: sim.pid, raw: raw.pid, stack: stack.pid, proxy: proxy.pid };
    const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CFG.cpuConcurrency }, async () => {
      while (i < size) {
        const prompt = `cpu ${i++}`;
        const body = !sized ? bodyFor(p, prompt, stream) : p === 'raw' ? sizedKiroBody(prompt) : sessionSizedBody(prompt);
        const res = await send(targetOf(p, stream), body, { agent, keep: true });
        if (res.status !== 200 || answer(p, res, stream).text !== echoOf(prompt)) bad++;
      }
    }));
    const wall = performance.now() - t0;
    const per1k = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, round(((cpuMs(pid) - before[k]) * 1000) / size, 0)]));
    agent.destroy();
    return { per1k, bad, reqPerSec: round((size / wall) * 1000, 0) };
  };
  // The Kiro request the proxy builds for the session-sized request, recorded once: what raw forwards.
  await admin(sim.url, '/__sim/config', { maxRecordedRequests: 1 });
  const template = await send(targetOf('anthropic', true), sessionSizedBody('sized template'), { agent: agent0 });
  if (template.status !== 200) throw new Error(`session-sized template request failed: ${template.status}`);
  const sizedKiro = (await adminGet(sim.url, '/__sim/requests?path=/generateAssistantResponse')).requests.at(-1).body;
  await admin(sim.url, '/__sim/config', { maxRecordedRequests: 0 });
  sizedKiro.conversationState.currentMessage.userInputMessage.content = PROMPT_SLOT;
  const sizedKiroJson = JSON.stringify(sizedKiro);
  const sizedKiroBody = (prompt) => withPrompt(sizedKiroJson, prompt);
  stack = await startPassThrough('stack-proxy.mjs', sim.url);
  // Every route is warmed first, the raw pass-through too: cold, its first batch cost ~1.6× its warm ones.
  for (const p of ['direct', 'raw', 'stack', ...PROTOCOL_NAMES]) await runBatch(p, true);
  // Rounds, each batch of each route once, the protocols in a rotated order: on a shared machine
  // the load drifts within a minute, and a route measured once at one moment would be compared
  // with raw measured at another. Each figure is the median of its route's rounds.
  const runs = { direct: [], raw: [], stack: [], ...Object.fromEntries(PROTOCOL_NAMES.flatMap((p) => [[`${p}:s`, []], [`${p}:n`, []]])) };
  for (let r = 0; r < CFG.cpuRounds; r++) {
    runs.direct.push(await runBatch('direct', true));
    runs.raw.push(await runBatch('raw', true));
    runs.stack.push(await runBatch('stack', true));
    for (const p of [...PROTOCOL_NAMES.slice(r % PROTOCOL_NAMES.length), ...PROTOCOL_NAMES.slice(0, r % PROTOCOL_NAMES.length)]) {
      runs[`${p}:s`].push(await runBatch(p, true));
      runs[`${p}:n`].push(await runBatch(p, false));
    }
  }
  /** The median round of a route for one process's figure, with the rounds' range beside it. */
  const mid = (route, who) => {
    const values = runs[route].map((b) => b.per1k[who]);
    return { ms: median(values), range: [Math.min(...values), Math.max(...values)] };
  };
  const reqPerSec = (route) => median(runs[route].map((b) => b.reqPerSec));
  const bad = (route) => runs[route].reduce((n, b) => n + b.bad, 0);
  const rawMs = mid('raw', 'raw');
  fig.rounds = CFG.cpuRounds;
  fig.direct = { simMs: mid('direct', 'sim').ms, reqPerSec: reqPerSec('direct'), bad: bad('direct') };
  fig.raw = { passThroughMs: rawMs.ms, range: rawMs.range, simMs: mid('raw', 'sim').ms, reqPerSec: reqPerSec('raw'), bad: bad('raw') };
  const stackMs = mid('stack', 'stack');
  fig.stack = { passThroughMs: stackMs.ms, range: stackMs.range, reqPerSec: reqPerSec('stack'), bad: bad('stack') };
  fig.protocols = {};
  for (const p of PROTOCOL_NAMES) {
    const of = (route) => {
      const proxyMs = mid(route, 'proxy');
      return { proxyMs: proxyMs.ms, range: proxyMs.range, simMs: mid(route, 'sim').ms, reqPerSec: reqPerSec(route), bad: bad(route) };
    };
    fig.protocols[p] = { streaming: of(`${p}:s`), nonStreaming: of(`${p}:n`) };
  }
  // What grows with the request: the session-sized one through Anthropic, against raw forwarding
  // the Kiro request built for it. Warmed, then interleaved rounds like the rest.
  for (const p of ['raw', 'anthropic']) await runBatch(p, true, true);
  runs.sizedRaw = [];
  runs.sized = [];
  for (let r = 0; r < CFG.cpuRounds; r++) {
    runs.sizedRaw.push(await runBatch('raw', true, true));
    runs.sized.push(await runBatch('anthropic', true, true));
  }
  const sizedRaw = mid('sizedRaw', 'raw');
  const sizedProxy = mid('sized', 'proxy');
  fig.sessionSized = {
    batch: CFG.cpuSizedBatch,
    requestKb: round(Buffer.byteLength(sessionSizedBody('cpu 0')) / 1024, 0),
    kiroRequestKb: round(Buffer.byteLength(sizedKiroBody('cpu 0')) / 1024, 0),
    raw: { passThroughMs: sizedRaw.ms, range: sizedRaw.range, bad: bad('sizedRaw') },
    anthropic: { proxyMs: sizedProxy.ms, range: sizedProxy.range, reqPerSec: reqPerSec('sized'), bad: bad('sized') },
  };
  // The worst protocol against raw: at or below 1 is the target.
  fig.proxyOverRaw = round(Math.max(...PROTOCOL_NAMES.map((p) => fig.protocols[p].streaming.proxyMs)) / fig.raw.passThroughMs, 2);
  results.figures.cpu = fig;
  await stopChild(stack.child);
});

// ---- 6. artifacts ----------------------------------------------------------------------------

await phase('artifacts', async () => {
  const vsix = readdirSync(ROOT).filter((f) => f.endsWith('.vsix')).map((f) => ({ f, st: statSync(join(ROOT, f)) })).sort((a, b) => b.st.mtimeMs - a.st.mtimeMs)[0];
  let activation = null;
  const actFile = join(ROOT, 'test-results', 'activation.json');
  if (existsSync(actFile)) {
    try {
      const j = JSON.parse(readFileSync(actFile, 'utf8'));
      const v = j.activationMs ?? j.ms ?? j.activation ?? j.durationMs ?? Object.values(j).find((x) => typeof x === 'number');
      activation = { ms: typeof v === 'number' ? v : null, raw: j };
    } catch (e) { activation = { ms: null, error: e.message }; }
  }
  results.figures.artifacts = {
    vsix: vsix ? { file: vsix.f, kb: round(vsix.st.size / 1024, 1) } : 'not built',
    activation: activation ?? 'not measured',
    cliBundleKb: round(statSync(join(ROOT, 'dist', 'cli.js')).size / 1024, 1),
    extensionBundleKb: existsSync(join(ROOT, 'dist', 'extension.js')) ? round(statSync(join(ROOT, 'dist', 'extension.js')).size / 1024, 1) : null,
  };
});

// ---- teardown, profile, report ---------------------------------------------------------------

results.proxyStderrTail = proxy.stderr().split('\n').filter((l) => /warn|error/i.test(l)).slice(-10);
results.machine.proxyFinalRssKb = memKb(proxy.pid).rss;
await proxy.stop();
await compared?.stop();
await stopChild(raw.child);
await stopChild(sim.child);
rmSync(tokenDir, { recursive: true, force: true });
if (process.env.KIRO_BENCH_SPLIT_DIR) rmSync(process.env.KIRO_BENCH_SPLIT_DIR, { recursive: true, force: true });
if (argv.profile) {
  results.profile = analyzeCpuProfile(join(profileDir, 'cpu'), cliPath, 30);
  if (!results.profile) results.notes.push('no .cpuprofile was written (did the proxy exit cleanly?)');
}
results.phaseSeconds = phaseTimes;
results.machine.loadavgEnd = loadavg().map((x) => round(x, 2));
results.machine.cli = cliPath;
results.totalSeconds = round((performance.now() - runStarted) / 1000, 1);

printReport(results);
if (!argv['no-write']) {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = results.date.replace(/[:]/g, '-').replace(/\..*$/, '');
  const text = JSON.stringify(results, null, 1);
  writeFileSync(join(dir, `${stamp}${SMOKE ? '-smoke' : ''}${argv.profile ? '-profile' : ''}.json`), text);
  writeFileSync(join(dir, 'latest.json'), text);
  log(`results: bench/results/${stamp}${SMOKE ? '-smoke' : ''}${argv.profile ? '-profile' : ''}.json and bench/results/latest.json`);
}
clearTimeout(hardTimer);
process.exit(0);

function printReport(r) {
  const rows = [];
  const row = (figure, direct, rawv, proxyv, counts, target, pass) => rows.push([figure, direct, rawv, proxyv, counts, target, pass === undefined ? '' : pass ? 'PASS' : 'MISS']);
  const L = r.figures.latency;
  if (L && !L.error) {
    const measured = L.protocols ?? PROTOCOL_NAMES;
    // The method's error and the two yardsticks, in the notes of every latency row.
    const yardsticks = (f, q) => {
      const shown = ['control', 'stack', 'minimal'].filter((b) => f.beyondRaw[b]);
      return shown.length ? ` (${shown.map((b) => `${b} ${signed(f.beyondRaw[b][q])}`).join(', ')})` : '';
    };
    const beyond = (f, q) => measured.map((p) => `${PROTOCOLS[p].label} ${signed(f.beyondRaw[p][q])}`).join(' · ') + yardsticks(f, q);
    const worst = (f, q) => Math.max(...measured.map((p) => f.beyondRaw[p][q]));
    for (const [client, C] of Object.entries(L.clients)) {
      for (const [name, f, tgt50] of [['non-streaming', C.nonStreaming, TARGETS.addedP50], ['streaming TTFB', C.streamingTtfb, TARGETS.ttfb]]) {
        for (const [q, tgt] of [['p50', tgt50], ['p99', TARGETS.addedP99]]) {
          row(`latency ${client} ${name} ${q} (ms)`, ms(f.direct[q]), `${ms(f.raw[q])} (${signed(f.rawMinusDirect[q])})`, `${ms(f[measured[0]][q])} (${signed(f.beyondRaw[measured[0]][q])})`,
            `beyond raw: ${beyond(f, q)}`, `≤ ${tgt}`, worst(f, q) <= tgt);
        }
      }
    }
    if (L.prewarmCurve?.length) {
      const kilo = (n) => (n < 1000 ? String(n) : `${Math.round(n / 100) / 10}k`);
      const curve = (c) => L.prewarmCurve.map((w) => `${kilo(w.proxyRequests[0])}–${kilo(w.proxyRequests[1])} ${ms(w.nonStreamingP50[c].proxy)} (direct ${ms(w.nonStreamingP50[c].direct)})`).join(' · ');
      for (const c of Object.keys(L.clients)) {
        const first = L.prewarmCurve[0].nonStreamingP50[c];
        row(`cold proxy, ${c} non-streaming p50 (ms)`, ms(first.direct), '', ms(first.proxy), `warm-up by the proxy's request count, every protocol: ${curve(c)}`, '', undefined);
      }
    }
    // Medians inside the processes (--split), non-streaming: what the two yardsticks and each
    // protocol spend before the Kiro request leaves, and after Kiro's last byte.
    if (L.inside) {
      for (const client of Object.keys(L.clients)) {
        const key = `${client} nonStreaming`;
        const each = (q) => Object.entries(L.inside).map(([b, s]) => `${routeLabel(b)} ${ms(s[key]?.[q])}`).join(' · ');
        row(`inside, ${client} non-streaming (ms)`, '', '', ms(L.inside[measured[0]]?.[key]?.before), `before Kiro's request is sent: ${each('before')}; after Kiro's last byte: ${each('after')}`, '', undefined);
      }
    }
    // --compare: each protocol's figure beyond raw for both builds, measured in turns.
    if (L.compared) {
      for (const [client, C] of Object.entries(L.clients)) {
        for (const [name, f] of [['non-streaming', C.nonStreaming], ['streaming TTFB', C.streamingTtfb]]) {
          const pairs = measured.map((p) => `${PROTOCOLS[p].label} ${signed(f.beyondRaw[p].p50)} → ${signed(f.beyondRaw[`${p}@compare`].p50)}`).join(' · ');
          row(`compare ${client} ${name} p50 beyond raw (ms)`, '', '', '', `this build → ${L.compared}: ${pairs}`, '', undefined);
        }
      }
    }
    if (L.wrongAnswers) row('latency: wrong answers', '', '', String(L.wrongAnswers), JSON.stringify(L.wrongBy), '0', false);
  }
  const T = r.figures.throughput;
  if (T && !T.error) {
    for (const [size, f] of Object.entries(T.sizes)) {
      row(`stream ${size} chunks: first→last byte (ms)`, ms(f.streamingMs.direct, 0), `${ms(f.streamingMs.raw, 0)} (×${f.rawOverDirect})`, `${ms(f.streamingMs.proxy, 0)} (×${f.proxyOverDirect})`,
        `intact ${f.intact}, ×${f.proxyOverRaw} raw`, size.startsWith('1MB') ? `≤ ${TARGETS.stream1mb}× direct` : '', size.startsWith('1MB') ? f.proxyOverDirect <= TARGETS.stream1mb && f.intact.split('/')[0] === f.intact.split('/')[1] : undefined);
      row(`stream ${size} event stream decoded (MB/s)`, String(f.decodedMBps.direct), String(f.decodedMBps.raw), String(f.decodedMBps.proxy),
        `${(f.eventStreamBytes / 2 ** 20).toFixed(1)} MB frames, ${f.sseEvents} SSE events, peak RSS ${f.proxyPeakRssMb} MB`, '', undefined);
    }
  }
  const R = r.figures.slowReader;
  if (R && !R.error) {
    row(`slow reader (${R.stallMs ? `${R.stallMs} ms stall, then ` : ''}${R.pauseMsPerRead} ms pause per read), ${R.textMb}MB/${R.simChunkBytes}B: SSE events`, '', '', `${R.slow.sseEvents} in ${R.slow.reads} reads`,
      `fast reader ${R.fast.sseEvents} events in ${R.fast.reads} reads; intact ${R.fast.intact && R.slow.intact}`, SMOKE ? '' : '≤ 0.8× fast', SMOKE ? undefined : R.slow.intact && R.fast.intact && R.slow.sseEvents <= 0.8 * R.fast.sseEvents);
  }
  const C = r.figures.concurrency;
  if (C && !C.error) {
    for (const [n, l] of Object.entries(C.levels)) {
      const cell = (x) => `${x.intact}/${x.of} · ${ms(x.p50Ms, 0)}/${ms(x.p99Ms, 0)}`;
      const isMax = Number(n) === Math.max(...Object.keys(C.levels).map(Number));
      row(`${n} concurrent streams: intact · p50/p99 ms`, cell(l.direct), cell(l.raw), cell(l.proxy), `proxy peak RSS ${l.proxy.peakRssMb} MB from ${l.proxy.startRssMb} (raw ${l.raw.peakRssMb}), fds ${l.proxy.peakFds}`,
        isMax ? `all intact, RSS ≤ ${TARGETS.concRssMb} MB` : '', isMax ? l.proxy.intact === l.proxy.of && l.proxy.peakRssMb <= TARGETS.concRssMb : undefined);
    }
  }
  const S = r.figures.soak;
  if (S && !S.error) {
    row(`soak ${S.seconds}s RSS start/end/max (MB)`, '', '', `${S.rssStartMb}/${S.rssEndMb}/${S.rssMaxMb}`, `±${(S.maxDeviation * 100).toFixed(1)}%, ${S.trendMbPerMin} MB/min, ${S.requests} req (${S.reqPerSec}/s), ${S.failed} failed`,
      `± ${TARGETS.soakFlat * 100}%`, S.maxDeviation <= TARGETS.soakFlat && S.failed === 0);
    row('soak open fds start/end/max', '', '', `${S.fdsStart}/${S.fdsEnd}/${S.fdsMax}`, `idle after: ${S.idleAfter.fds} fds, ${S.idleAfter.rssMb} MB`, '', undefined);
  }
  const P = r.figures.cpu;
  if (P && !P.error) {
    for (const [name, key] of [['streaming', 'streaming'], ['non-streaming', 'nonStreaming']]) {
      const others = PROTOCOL_NAMES.filter((p) => p !== 'anthropic').map((p) => `${PROTOCOLS[p].label} ${P.protocols[p][key].proxyMs}`).join(' · ');
      const worstMs = Math.max(...PROTOCOL_NAMES.map((p) => P.protocols[p][key].proxyMs));
      const a = P.protocols.anthropic[key];
      const stackNote = name === 'streaming' && P.stack ? `; the proxy's HTTP stack alone (no translation) ${P.stack.passThroughMs}` : '';
      row(`CPU ms / 1,000 ${name} req`, name === 'streaming' ? `sim ${P.direct.simMs}` : '', `${P.raw.passThroughMs} (sim ${P.raw.simMs})`, `${a.proxyMs} (sim ${a.simMs})`,
        `${others}${stackNote}; ${a.reqPerSec} req/s @${P.concurrency}; median of ${P.rounds ?? 1} rounds`, `≤ raw`, worstMs <= P.raw.passThroughMs);
    }
    const Z = P.sessionSized;
    if (Z) {
      row(`CPU ms / 1,000 session-sized req`, '', `${Z.raw.passThroughMs}`, `${Z.anthropic.proxyMs}`,
        `Anthropic streaming, ${Z.requestKb} KB (Kiro request ${Z.kiroRequestKb} KB); ${Z.anthropic.reqPerSec} req/s; ${Z.anthropic.bad + Z.raw.bad} bad`, '', undefined);
    }
  }
  const A = r.figures.artifacts;
  if (A && !A.error) {
    row('.vsix size', '', '', typeof A.vsix === 'string' ? A.vsix : `${A.vsix.kb} KB`, `cli.js ${A.cliBundleKb} KB, extension.js ${A.extensionBundleKb} KB`, `≤ ${TARGETS.vsixKb} KB`, typeof A.vsix === 'string' ? undefined : A.vsix.kb <= TARGETS.vsixKb);
    const am = typeof A.activation === 'string' ? null : A.activation.ms;
    row('extension activation', '', '', am == null ? 'not measured' : `${am} ms`, '', `≤ ${TARGETS.activationMs} ms`, am == null ? undefined : am <= TARGETS.activationMs);
  }
  for (const [k, v] of Object.entries(r.figures)) if (v?.error) row(`${k}: ERROR`, '', '', '', v.error.split('\n')[0], '', false);
  const head = ['figure', 'direct', 'raw pass-through', 'proxy', 'notes', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => String(x[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  const out = [];
  out.push(`Kiro Proxy bench (${r.mode}) ${r.date} · node ${r.machine.node} · ${r.machine.cpus}× ${r.machine.cpuModel} · ${r.machine.memGb} GB · fd limit ${r.machine.fdLimitBench?.soft}`);
  out.push(line(head));
  out.push('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const x of rows) out.push(line(x));
  out.push(`load average start ${r.machine.loadavgStart.join(' ')} · end ${r.machine.loadavgEnd.join(' ')} (other work on the machine inflates every column alike)`);
  out.push(`phases (s): ${Object.entries(r.phaseSeconds).map(([k, v]) => `${k} ${v}`).join(', ')} · total ${r.totalSeconds} s`);
  if (r.profile) {
    out.push(`\nCPU profile ${r.profile.file}: busy ${r.profile.busyMs} ms of ${r.profile.totalMs} ms`);
    out.push('top self time by source file:');
    for (const f of r.profile.byFile) out.push(`  ${String(f.selfMs).padStart(7)} ms ${String(f.pctBusy).padStart(5)}%  ${f.file}`);
    out.push('top functions by self time:');
    for (const f of r.profile.top) out.push(`  ${String(f.selfMs).padStart(7)} ms ${String(f.pctBusy).padStart(5)}%  ${f.fn}`);
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  process.stdout.write(out.join('\n') + '\n');
}
