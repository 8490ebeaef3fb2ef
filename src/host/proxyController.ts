// The running proxy's lifetime, and the several-windows rule: each VS Code window has its own
// extension host, only one can own the port. When ours cannot listen because the port is taken,
// we ask `/health` who holds it: our proxy in another window is used as is (and watched slowly,
// so this window takes over when that one closes); any other program is reported as such.
// No vscode import: tested with a fake engine and a manual clock.
import { EventEmitter } from 'node:events';
import type { ProxyConfig } from '../proxy/config';
import type { EngineState } from '../proxy/engine';
import type { Logger } from '../proxy/logger';
import { systemClock, type Clock, type Timer } from '../proxy/pool/clock';
import { classifyProbe, probeHost, type ProbeResult } from './healthProbe';
import type { ProxyStatus } from './proxyStatus';

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
}

/** Undo function for something that lives only while this window's proxy runs. */
export type SessionHook = (status: Extract<ProxyStatus, { kind: 'running' }>) => (() => void) | void;

export class ProxyController extends EventEmitter<{ status: [ProxyStatus] }> {
  private current: ProxyStatus = { kind: 'stopped' };
  private poll?: Timer;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly hooks: SessionHook[] = [];
  private sessionUndo: Array<() => void> = [];
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
  onSession(hook: SessionHook): () => void {
    this.hooks.push(hook);
    if (this.current.kind === 'running') this.runHook(hook, this.current);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  start(): Promise<ProxyStatus> {
    return this.serialised(() => this.doStart());
  }

  stop(): Promise<ProxyStatus> {
    return this.serialised(() => this.doStop());
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
      case 'ours': {
        this.options.logger.info(`Port ${port} is served by Kiro Proxy in another VS Code window; using it.`);
        const shown = probeHost(host);
        const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
        this.set({
          kind: 'remote',
          url,
          port,
          ...(verdict.version ? { version: verdict.version } : {}),
          ...(verdict.accounts !== undefined ? { accounts: verdict.accounts } : {}),
        });
        this.schedulePoll();
        return this.current;
      }
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
      void this.serialised(() => this.checkRemote());
    }, base + jitter);
  }

  /** Still served by the other window? If the port is free now, this window takes over. */
  private async checkRemote(): Promise<ProxyStatus> {
    if (this.current.kind !== 'remote' || this.disposed) return this.current;
    const { host, port } = this.options.engine.config;
    const verdict = classifyProbe(await this.options.probe(host, port));
    if (this.current.kind !== 'remote') return this.current;
    if (verdict.kind === 'ours') {
      if (verdict.accounts !== this.current.accounts) this.set({ ...this.current, ...(verdict.accounts !== undefined ? { accounts: verdict.accounts } : {}) });
      this.schedulePoll();
      return this.current;
    }
    if (verdict.kind === 'foreign') return this.set({ kind: 'foreign', port, host, detail: verdict.detail });
    this.options.logger.info(`The proxy in the other window is gone; this window takes over port ${port}.`);
    this.set({ kind: 'stopped' });
    return this.doStart();
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
    for (const fn of undo) {
      try {
        fn();
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
