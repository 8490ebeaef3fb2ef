// The running proxy's lifetime, and the several-windows rule: each VS Code window has its own
// extension host, only one can own the port. When ours cannot listen because the port is taken,
// we ask `/health` who holds it: our proxy in another window is used as is (and watched slowly,
// so this window takes over when that one closes); any other program is reported as such. A holder
// that does not answer is watched the same way until it does: a busy window of ours is silent too.
// No vscode import: tested with a fake engine and a manual clock.
import { EventEmitter } from 'node:events';
import { shownKiroEndpoint, type ProxyConfig } from '../proxy/config';
import type { EngineState } from '../proxy/engine';
import type { Logger } from '../proxy/logger';
import { systemClock, type Clock, type Timer } from '../proxy/pool/clock';
import { classifyProbe, probeHost, type ProbeResult, type ProbeVerdict } from './healthProbe';
import type { ProxyStatus } from './proxyStatus';
import { toDisposable, type Disposable } from './lifecycle';

/** The part of `Engine` the controller drives. */
export interface ControlledEngine {
  readonly config: ProxyConfig;
  start(): Promise<EngineState>;
  stop(): Promise<void>;
}

export interface ProxyControllerOptions {
  engine: ControlledEngine;
  probe(host: string, port: number): Promise<ProbeResult>;
  logger: Logger;
  clock?: Clock;
  /** How often a window that uses another window's proxy checks whether it is still there. */
  takeoverPollMs?: number;
  /** Spreads the windows' polls so they do not all race for the port at the same instant. */
  random?: () => number;
  /**
   * Shared by the windows: the user stopped the proxy in the window that served it. Another
   * window then leaves the port free instead of taking over; any start clears it.
   */
  stoppedByUser?: { get(): boolean; set(stopped: boolean): unknown };
}

/** Sets up something that lives only while this window's proxy runs; what it returns is undone on stop. */
export type SessionHook = (status: Extract<ProxyStatus, { kind: 'running' }>) => Disposable | void;

export class ProxyController extends EventEmitter<{ status: [ProxyStatus] }> {
  private current: ProxyStatus = { kind: 'stopped' };
  private poll?: Timer;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly hooks: SessionHook[] = [];
  private sessionUndo: Disposable[] = [];
  private disposed = false;
  private readonly clock: Clock;

  constructor(private readonly options: ProxyControllerOptions) {
    super();
    this.clock = options.clock ?? systemClock;
  }

  get status(): ProxyStatus {
    return this.current;
  }

  /** True when this window's own engine serves (commands that change the live pool need it). */
  get isLocal(): boolean {
    return this.current.kind === 'running';
  }

  /** Registers something to set up on every start and tear down on stop (the proxy's lifetime). */
  onSession(hook: SessionHook): Disposable {
    this.hooks.push(hook);
    if (this.current.kind === 'running') this.runHook(hook, this.current);
    return toDisposable(() => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    });
  }

  start(): Promise<ProxyStatus> {
    return this.serialised(() => {
      this.options.stoppedByUser?.set(false);
      return this.doStart();
    });
  }

  /**
   * The user's stop: when this window served, the other windows do not take over. Not for a
   * restart (`restart`, or `{ restarting: true }` when the caller starts again itself).
   */
  stop(options: { restarting?: boolean } = {}): Promise<ProxyStatus> {
    return this.serialised(() => {
      if (this.current.kind === 'running' && !options.restarting) this.options.stoppedByUser?.set(true);
      return this.doStop();
    });
  }

  restart(): Promise<ProxyStatus> {
    return this.serialised(async () => {
      await this.doStop();
      return this.doStart();
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.cancelPoll();
    await this.serialised(() => this.doStop());
    this.removeAllListeners();
  }

  private async doStart(): Promise<ProxyStatus> {
    if (this.disposed) return this.current;
    if (this.current.kind === 'running') return this.current;
    this.cancelPoll();
    const { host, port } = this.options.engine.config;
    this.set({ kind: 'starting', port });
    const state = await this.options.engine.start();
    if (state.status === 'running') {
      this.set({ kind: 'running', url: state.url, host: state.host, port: state.port });
      this.options.logger.info(`Proxy started at ${state.url}`);
      const endpoint = this.options.engine.config.kiroEndpoint;
      if (endpoint) this.options.logger.warn(`KIRO_PROXY_ENDPOINT is set: every Kiro call, with your tokens, goes to ${shownKiroEndpoint(endpoint)} instead of Kiro's servers.`);
      this.openSession();
      return this.current;
    }
    if (state.status === 'failed' && state.code === 'EADDRINUSE') return this.whoHoldsThePort(host, port);
    const error = state.status === 'failed' ? state.error : `The proxy did not start (${state.status}).`;
    this.options.logger.error(error);
    return this.set({ kind: 'failed', error });
  }

  private async whoHoldsThePort(host: string, port: number): Promise<ProxyStatus> {
    const verdict = classifyProbe(await this.options.probe(host, port));
    switch (verdict.kind) {
      case 'ours':
        return this.useRemote(host, port, verdict);
      case 'unknown':
        this.options.logger.warn(`Port ${port} on ${host} is taken and its holder did not answer (${verdict.detail}); checking again later.`);
        this.set({ kind: 'foreign', port, host, detail: verdict.detail, unconfirmed: true });
        this.schedulePoll();
        return this.current;
      case 'foreign':
        this.options.logger.warn(`Port ${port} on ${host} is used by another program: ${verdict.detail}`);
        return this.set({ kind: 'foreign', port, host, detail: verdict.detail });
      case 'free':
        // The holder went away between our listen and the probe: try once more, then give up.
        this.set({ kind: 'starting', port });
        {
          const again = await this.options.engine.start();
          if (again.status === 'running') {
            this.set({ kind: 'running', url: again.url, host: again.host, port: again.port });
            this.openSession();
            return this.current;
          }
          const error = again.status === 'failed' ? again.error : 'The proxy did not start.';
          return this.set({ kind: 'failed', error });
        }
    }
  }

  private async doStop(): Promise<ProxyStatus> {
    this.cancelPoll();
    if (this.current.kind === 'running' || this.current.kind === 'starting') {
      this.closeSession();
      await this.options.engine.stop();
    }
    return this.set({ kind: 'stopped' });
  }

  private schedulePoll(): void {
    this.cancelPoll();
    if (this.disposed) return;
    const base = this.options.takeoverPollMs ?? 15_000;
    const jitter = Math.floor((this.options.random ?? Math.random)() * base * 0.3);
    this.poll = this.clock.setTimer(() => {
      this.poll = undefined;
      void this.serialised(() => this.checkHolder());
    }, base + jitter);
  }

  /**
   * The poll runs while the other window serves, or while the holder has not answered: still there?
   * If the port is free now, this window takes over; an answer that is not ours ends the watch.
   */
  private async checkHolder(): Promise<ProxyStatus> {
    const watched = () => this.current.kind === 'remote' || (this.current.kind === 'foreign' && this.current.unconfirmed === true);
    if (!watched() || this.disposed) return this.current;
    const { host, port } = this.options.engine.config;
    const verdict = classifyProbe(await this.options.probe(host, port));
    if (!watched()) return this.current;
    switch (verdict.kind) {
      case 'ours':
        return this.useRemote(host, port, verdict);
      case 'unknown':
        this.options.logger.debug(`Port ${port}: no answer from its holder (${verdict.detail}); checking again later.`);
        this.schedulePoll();
        return this.current;
      case 'foreign':
        return this.set({ kind: 'foreign', port, host, detail: verdict.detail });
      case 'free':
        this.set({ kind: 'stopped' });
        if (this.options.stoppedByUser?.get()) {
          this.options.logger.info(`Port ${port} is free: the proxy was stopped in the window that served it, so this one leaves it stopped.`);
          return this.current;
        }
        this.options.logger.info(`Port ${port} is free now; this window takes it over.`);
        return this.doStart();
    }
  }

  /** Uses our proxy in another window, and keeps watching it. */
  private useRemote(host: string, port: number, verdict: Extract<ProbeVerdict, { kind: 'ours' }>): ProxyStatus {
    const known = this.current.kind === 'remote' ? this.current : undefined;
    if (!known) this.options.logger.info(`Port ${port} is served by Kiro Proxy in another VS Code window; using it.`);
    if (!known || known.accounts !== verdict.accounts) this.set(remoteStatus(host, port, verdict));
    this.schedulePoll();
    return this.current;
  }

  private openSession(): void {
    if (this.current.kind !== 'running') return;
    for (const hook of this.hooks) this.runHook(hook, this.current);
  }

  private runHook(hook: SessionHook, status: Extract<ProxyStatus, { kind: 'running' }>): void {
    try {
      const undo = hook(status);
      if (undo) this.sessionUndo.push(undo);
    } catch (err) {
      this.options.logger.error(`Proxy session hook failed: ${(err as Error).message}`);
    }
  }

  private closeSession(): void {
    const undo = this.sessionUndo.splice(0).reverse();
    for (const item of undo) {
      try {
        item.dispose();
      } catch (err) {
        this.options.logger.error(`Proxy session cleanup failed: ${(err as Error).message}`);
      }
    }
  }

  private cancelPoll(): void {
    this.poll?.cancel();
    this.poll = undefined;
  }

  private set(status: ProxyStatus): ProxyStatus {
    this.current = status;
    if (!this.disposed) this.emit('status', status);
    return status;
  }

  /** One start/stop at a time: a click during a start must not race it. */
  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function remoteStatus(host: string, port: number, verdict: Extract<ProbeVerdict, { kind: 'ours' }>): ProxyStatus {
  const shown = probeHost(host);
  return {
    kind: 'remote',
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`,
    port,
    ...(verdict.version ? { version: verdict.version } : {}),
    ...(verdict.accounts !== undefined ? { accounts: verdict.accounts } : {}),
  };
}
