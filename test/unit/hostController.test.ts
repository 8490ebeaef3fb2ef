import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../../src/proxy/config';
import type { EngineState } from '../../src/proxy/engine';
import { silentLogger } from '../../src/proxy/logger';
import { ManualClock } from '../../src/proxy/pool/clock';
import type { ProbeResult } from '../../src/host/healthProbe';
import { ProxyController, type ControlledEngine } from '../../src/host/proxyController';
import { toDisposable } from '../../src/host/lifecycle';
import type { ProxyStatus } from '../../src/host/proxyStatus';

/** An engine whose listen result the test decides, one answer per start. */
class FakeEngine implements ControlledEngine {
  readonly config = defaultConfig({ port: 8080 });
  starts = 0;
  stops = 0;
  answers: Array<'ok' | 'inuse' | 'fail'> = [];
  async start(): Promise<EngineState> {
    this.starts++;
    const answer = this.answers.shift() ?? 'ok';
    if (answer === 'ok') return { status: 'running', host: '127.0.0.1', port: 8080, url: 'http://127.0.0.1:8080' };
    if (answer === 'inuse') return { status: 'failed', error: 'Port 8080 on 127.0.0.1 is already in use.', code: 'EADDRINUSE' };
    return { status: 'failed', error: 'Could not start the proxy: EACCES' };
  }
  async stop(): Promise<void> {
    this.stops++;
  }
}

const ours: ProbeResult = { kind: 'response', status: 200, body: JSON.stringify({ status: 'ok', service: 'kiro-proxy', version: '0.1.0', accounts: [{}, {}] }) };
const foreign: ProbeResult = { kind: 'response', status: 200, body: '<html></html>' };
const free: ProbeResult = { kind: 'error', code: 'ECONNREFUSED', message: 'refused' };
const timeout: ProbeResult = { kind: 'timeout' };
const reset: ProbeResult = { kind: 'error', code: 'ECONNRESET', message: 'socket hang up' };

/** The flag VS Code windows share through globalState; one per test, shared by its windows. */
function sharedFlag() {
  let stopped = false;
  return { get: () => stopped, set: (value: boolean) => void (stopped = value) };
}

function setup(probes: ProbeResult[], stoppedByUser = sharedFlag()) {
  const engine = new FakeEngine();
  const clock = new ManualClock();
  const seen: ProxyStatus[] = [];
  const controller = new ProxyController({
    engine,
    clock,
    logger: silentLogger,
    takeoverPollMs: 10_000,
    random: () => 0,
    probe: async () => probes.shift() ?? free,
    stoppedByUser,
  });
  controller.on('status', (s) => seen.push(s));
  return { engine, clock, controller, seen };
}

test('starts and stops, with the session hooks around the running proxy', async () => {
  const { controller, engine, seen } = setup([]);
  const events: string[] = [];
  controller.onSession((s) => {
    events.push(`open ${s.port}`);
    return toDisposable(() => events.push('close'));
  });
  assert.equal((await controller.start()).kind, 'running');
  assert.deepEqual(seen.map((s) => s.kind), ['starting', 'running']);
  assert.equal(controller.isLocal, true);
  await controller.stop();
  assert.equal(controller.status.kind, 'stopped');
  assert.equal(engine.stops, 1);
  assert.deepEqual(events, ['open 8080', 'close']);
});

test('a start with KIRO_PROXY_ENDPOINT set says in the output where the Kiro calls and tokens go', async () => {
  const engine = new FakeEngine();
  engine.config.kiroEndpoint = 'http://user:secret@127.0.0.1:9999/?token=x';
  const lines: string[] = [];
  const logger = { ...silentLogger, info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) };
  const controller = new ProxyController({ engine, clock: new ManualClock(), logger, probe: async () => free });
  await controller.start();
  assert.deepEqual(lines, [
    'info Proxy started at http://127.0.0.1:8080',
    "warn KIRO_PROXY_ENDPOINT is set: every Kiro call, with your tokens, goes to http://127.0.0.1:9999 instead of Kiro's servers.",
  ]);
  await controller.dispose();
});

test('port taken by our proxy in another window: uses it, never a raw EADDRINUSE', async () => {
  const { controller, engine } = setup([ours]);
  engine.answers = ['inuse'];
  const status = await controller.start();
  assert.deepEqual(status, { kind: 'remote', url: 'http://127.0.0.1:8080', port: 8080, version: '0.1.0', accounts: 2 });
  assert.equal(controller.isLocal, false);
});

test('port taken by a foreign program: says so', async () => {
  const { controller, engine, clock } = setup([foreign]);
  engine.answers = ['inuse'];
  const status = await controller.start();
  assert.equal(status.kind, 'foreign');
  assert.equal(status.kind === 'foreign' && status.port, 8080);
  assert.equal(status.kind === 'foreign' && status.unconfirmed, undefined);
  assert.equal(clock.pendingTimers(), 0, 'nothing to wait for');
});

test('other failures are failures with the engine message', async () => {
  const { controller, engine } = setup([]);
  engine.answers = ['fail'];
  const status = await controller.start();
  assert.deepEqual(status, { kind: 'failed', error: 'Could not start the proxy: EACCES' });
});

test('takes over when the owning window closes (slow /health poll)', async () => {
  const { controller, engine, clock } = setup([ours, ours, free]);
  engine.answers = ['inuse', 'ok'];
  await controller.start();
  assert.equal(controller.status.kind, 'remote');
  await clock.advance(10_000); // still there
  assert.equal(controller.status.kind, 'remote');
  assert.equal(engine.starts, 1);
  await clock.advance(10_000); // gone: this window starts
  assert.equal(controller.status.kind, 'running');
  assert.equal(engine.starts, 2);
  assert.equal(clock.pendingTimers(), 0);
});

test("the user's stop in the serving window is not undone by another window; a start anywhere clears it", async () => {
  const flag = sharedFlag();
  const serving = setup([], flag);
  const watching = setup([ours], flag);
  await serving.controller.start();
  watching.engine.answers = ['inuse', 'ok'];
  await watching.controller.start();
  assert.equal(watching.controller.status.kind, 'remote');

  await serving.controller.stop(); // the user frees the port
  await watching.clock.advance(10_000);
  assert.equal(watching.controller.status.kind, 'stopped', 'the port stays free');
  assert.equal(watching.engine.starts, 1);
  assert.equal(watching.clock.pendingTimers(), 0);

  // A restart is not the user's stop either.
  await serving.controller.start();
  await serving.controller.stop({ restarting: true });
  assert.equal(flag.get(), false);

  // Closing a window is not the user's stop: the next window takes over as before.
  await serving.controller.start();
  assert.equal(flag.get(), false);
  const next = setup([ours, free], flag);
  next.engine.answers = ['inuse', 'ok'];
  await next.controller.start();
  await serving.controller.dispose();
  await next.clock.advance(10_000);
  assert.equal(next.controller.status.kind, 'running');
});

test('a busy or closing window (timeout, reset) during the poll is not a foreign program: it takes over later', async () => {
  const { controller, engine, clock } = setup([ours, timeout, reset, free]);
  engine.answers = ['inuse', 'ok'];
  await controller.start();
  await clock.advance(10_000); // the serving window is too busy to answer
  assert.equal(controller.status.kind, 'remote');
  assert.equal(clock.pendingTimers(), 1, 'still watching');
  await clock.advance(10_000); // it closes its connections while it shuts down
  assert.equal(controller.status.kind, 'remote');
  await clock.advance(10_000); // gone: this window starts
  assert.equal(controller.status.kind, 'running');
  assert.equal(engine.starts, 2);
});

test('a holder that does not answer at start is unconfirmed and watched until it does', async () => {
  const { controller, engine, clock } = setup([timeout, timeout, ours, foreign]);
  engine.answers = ['inuse'];
  const status = await controller.start();
  assert.equal(status.kind === 'foreign' && status.unconfirmed, true);
  await clock.advance(10_000); // still silent
  assert.equal(controller.status.kind === 'foreign' && controller.status.unconfirmed, true);
  await clock.advance(10_000); // a busy window of ours after all
  assert.deepEqual(controller.status, { kind: 'remote', url: 'http://127.0.0.1:8080', port: 8080, version: '0.1.0', accounts: 2 });
  await clock.advance(10_000); // now something else answers: that is proof, the watch ends
  assert.equal(controller.status.kind === 'foreign' && !controller.status.unconfirmed, true);
  assert.equal(clock.pendingTimers(), 0);
  assert.equal(engine.starts, 1);
});

test('two windows racing for a freed port: the loser goes back to remote', async () => {
  const { controller, engine, clock } = setup([ours, free, ours]);
  engine.answers = ['inuse', 'inuse'];
  await controller.start();
  await clock.advance(10_000);
  assert.equal(controller.status.kind, 'remote');
  assert.equal(engine.starts, 2);
  assert.equal(clock.pendingTimers(), 1);
});

test('stop while remote cancels the poll', async () => {
  const { controller, engine, clock } = setup([ours]);
  engine.answers = ['inuse'];
  await controller.start();
  assert.equal(clock.pendingTimers(), 1);
  await controller.stop();
  assert.equal(controller.status.kind, 'stopped');
  assert.equal(clock.pendingTimers(), 0);
  assert.equal(engine.stops, 0, 'nothing local to stop');
});

test('the holder vanishing between listen and probe: one more try', async () => {
  const { controller, engine } = setup([free]);
  engine.answers = ['inuse', 'ok'];
  assert.equal((await controller.start()).kind, 'running');
});

test('concurrent start calls are serialised', async () => {
  const { controller, engine } = setup([]);
  await Promise.all([controller.start(), controller.start(), controller.start()]);
  assert.equal(engine.starts, 1);
});

test('dispose stops and goes quiet', async () => {
  const { controller, engine, seen } = setup([]);
  await controller.start();
  const before = seen.length;
  await controller.dispose();
  assert.equal(engine.stops, 1);
  assert.equal(seen.length, before);
});
