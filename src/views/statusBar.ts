// The one status bar item (`kiro.status`). It observes the proxy controller and the pool and
// renders `statusBarModel`; the only timer is a one-shot at the next cooldown end, when the
// counts change without an event.
import * as vscode from 'vscode';
import type { Engine } from '../proxy/engine';
import type { ProxyController } from '../host/proxyController';
import { statusBarModel } from './statusBarModel';
import { shownKiroEndpoint } from '../proxy/config';
import { DisposableStore, listen, toDisposable } from '../host/lifecycle';

export class StatusBarController implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables = new DisposableStore();
  private timer?: NodeJS.Timeout;
  private pending?: NodeJS.Timeout;

  constructor(
    private readonly engine: Engine,
    private readonly controller: ProxyController,
  ) {
    this.item = vscode.window.createStatusBarItem('kiro.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Kiro Proxy';
    const render = () => this.render();
    const schedule = () => this.scheduleRender();
    this.disposables.add(listen(controller, 'status', render));
    this.disposables.add(listen(engine.pool, 'change', schedule));
    // Requests served only move while this window's proxy runs: listen for that lifetime only.
    this.disposables.add(controller.onSession(() => listen(engine.log, 'entry', schedule)));
    this.disposables.add(toDisposable(() => {
      if (this.timer) clearTimeout(this.timer);
      if (this.pending) clearTimeout(this.pending);
    }));
    this.disposables.add(this.item);
    this.render();
    this.item.show();
  }

  /** Bursts of pool/log events redraw once. */
  private scheduleRender(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.render();
    }, 250);
  }

  private render(): void {
    const now = Date.now();
    const status = this.controller.status;
    const model = statusBarModel({
      status,
      accounts: this.engine.pool.list(),
      requestsServed: status.kind === 'running' ? this.engine.log.stats(now).requests : undefined,
      kiroEndpoint: this.engine.config.kiroEndpoint && shownKiroEndpoint(this.engine.config.kiroEndpoint),
      now,
      t: vscode.l10n.t,
      locale: vscode.env.language,
    });
    this.item.text = model.text;
    this.item.backgroundColor = model.background ? new vscode.ThemeColor(`statusBarItem.${model.background}Background`) : undefined;
    const tooltip = new vscode.MarkdownString(model.tooltip, true);
    tooltip.isTrusted = { enabledCommands: ['kiro.stopProxy', 'kiro.startProxy', 'kiro.openMonitor', 'kiro.copyBaseUrl'] };
    this.item.tooltip = tooltip;
    this.item.command = model.command;
    this.item.accessibilityInformation = { label: model.text.replace(/\$\([^)]*\)\s*/g, '') };

    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (model.nextChangeAt !== undefined) {
      this.timer = setTimeout(() => this.render(), Math.max(1000, model.nextChangeAt - now + 250));
    }
  }

  dispose(): void {
    this.disposables.dispose();
  }
}
