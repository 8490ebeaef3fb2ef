// Spawning the three servers (simulator, raw pass-through, our proxy) and reading their cost
// from /proc: RSS (VmRSS/VmHWM), CPU ticks (utime+stime), open file descriptors.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
let CLK_TCK = 100;
try { CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { /* default */ }

const children = new Set();
export function killAll() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('exit', killAll);

/** Spawn a node child and wait for the line matching `ready` on stdout (bounded by timeoutMs). */
function spawnReady(args, { env, ready, timeoutMs = 20_000, name }) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => { err += c; if (err.length > 200_000) err = err.slice(-100_000); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${out}\n${err}`)), timeoutMs);
    const onData = (c) => {
      out += c;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ child, match: m, pid: child.pid, stderr: () => err });
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code}:\n${out}\n${err}`)); });
  });
}

export async function stopChild(child, timeoutMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(t);
}

export async function startSim(options, tokenDir) {
  const { child, match } = await spawnReady([join(HERE, 'sim-server.mjs'), JSON.stringify(options), tokenDir], { ready: /^(\{.*\})$/m, name: 'simulator' });
  const info = JSON.parse(match[1]);
  return { child, pid: child.pid, url: info.url, account: info.account };
}

/** A server in front of `upstreamUrl`: `raw-proxy.mjs`, `stack-proxy.mjs` or `minimal-translator.mjs` (`args` after the URL). */
export async function startPassThrough(script, upstreamUrl, { nodeArgs = [], args = [] } = {}) {
  const { child, match } = await spawnReady([...nodeArgs, join(HERE, script), upstreamUrl, ...args], { ready: /^(\{.*\})$/m, name: script });
  return { child, pid: child.pid, url: JSON.parse(match[1]).url };
}

/** Our proxy, as a user runs it: the CLI with its own token cache and data folder. */
export async function startProxy({ simUrl, tokenDir, cli = join(ROOT, 'dist', 'cli.js'), nodeArgs = [] }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'kiro-bench-data-'));
  // Legacy REST hosts: direct and the raw pass-through replay the Kiro request the proxy sent,
  // and a raw pass-through cannot keep the kiro.dev host name the simulator tells styles apart by.
  // Both styles cost the proxy the same (a path and a header differ).
  const { child, match, stderr } = await spawnReady([...nodeArgs, cli, '--port', '0', '--token-dir', tokenDir, '--data-dir', dataDir, '--kiro-endpoints', 'legacy'], {
    env: { KIRO_PROXY_ENDPOINT: simUrl }, ready: /listening on (http:\/\/\S+)/, name: 'kiro-proxy',
  });
  return {
    child, pid: child.pid, url: match[1], stderr,
    async stop() { await stopChild(child, 15_000); rmSync(dataDir, { recursive: true, force: true }); },
  };
}

// ---- /proc ----------------------------------------------------------------------------------

export function memKb(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const get = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { rss: get('VmRSS'), hwm: get('VmHWM') };
  } catch { return { rss: NaN, hwm: NaN }; }
}

/** Reset VmHWM to the current RSS (Linux: write 5 to clear_refs). Returns false if not allowed. */
export function resetPeak(pid) {
  try { writeFileSync(`/proc/${pid}/clear_refs`, '5'); return true; } catch { return false; }
}

/** user+sys CPU time of a process so far, in ms. */
export function cpuMs(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime = field 14, stime = field 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch { return NaN; }
}

export function fdCount(pid) {
  try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return NaN; }
}

export function fdLimit(pid = 'self') {
  try {
    const s = readFileSync(`/proc/${pid}/limits`, 'utf8');
    const m = /Max open files\s+(\S+)\s+(\S+)/.exec(s);
    return m ? { soft: m[1], hard: m[2] } : null;
  } catch { return null; }
}

/** Samples RSS of some pids every `everyMs` until stopped; tracks the max. */
export function rssSampler(pids, everyMs = 50) {
  const max = Object.fromEntries(Object.keys(pids).map((k) => [k, 0]));
  const tick = () => {
    for (const [k, pid] of Object.entries(pids)) {
      const { rss } = memKb(pid);
      if (rss > max[k]) max[k] = rss;
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return { stop() { clearInterval(timer); tick(); return max; } };
}

export const CLK = CLK_TCK;
