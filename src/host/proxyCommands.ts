// Commands about the proxy itself: start/stop/restart (and the status bar toggle), cooldowns,
// the base URL and API key, the output channel and the monitor panel.
import * as vscode from 'vscode';
import type { Engine } from '../proxy/engine';
import type { ApiKeyService } from './apiKeyService';
import type { ProxyController } from './proxyController';
import { baseUrlOf, type ProxyStatus } from './proxyStatus';
import { apiKeyRequired, type ProxySettings } from './settingsModel';

export interface ProxyCommandDeps {
  engine: Engine;
  controller: ProxyController;
  apiKeys: ApiKeyService;
  output: vscode.LogOutputChannel;
  settings(): ProxySettings;
  /** Starts (or adopts another window's proxy) and explains a failure to the user. */
  start(): Promise<ProxyStatus>;
  openMonitor(tab: 'monitor' | 'logs'): void;
}

export function registerProxyCommands(deps: ProxyCommandDeps): vscode.Disposable[] {
  const { controller, engine, apiKeys } = deps;
  const t = vscode.l10n.t;

  /** Commands that change the serving pool's live state need this window to be the server. */
  const needsLocalProxy = (): boolean => {
    const status = controller.status;
    if (status.kind === 'running') return true;
    if (status.kind === 'remote') {
      void vscode.window.showInformationMessage(
        t('The proxy is served by another VS Code window. Run this command in that window, or stop it there and this window takes over.'),
      );
    } else {
      const start = t('Start Proxy');
      void vscode.window.showInformationMessage(t('The Kiro proxy is not running.'), start).then((c) => {
        if (c === start) void deps.start();
      });
    }
    return false;
  };

  // This window's engine is idle while another window serves: its monitor would show nothing.
  const openMonitor = (tab: 'monitor' | 'logs') => {
    if (controller.status.kind === 'remote') {
      void vscode.window.showInformationMessage(t('The proxy runs in another VS Code window: its monitor and logs are there.'));
      return;
    }
    deps.openMonitor(tab);
  };

  const stop = async () => {
    const wasRemote = controller.status.kind === 'remote';
    await controller.stop();
    if (wasRemote) void vscode.window.setStatusBarMessage(t('Kiro: this window no longer uses the proxy of the other window.'), 4000);
  };

  return [
    vscode.commands.registerCommand('kiro.startProxy', () => deps.start()),
    vscode.commands.registerCommand('kiro.stopProxy', stop),
    vscode.commands.registerCommand('kiro.restartProxy', async () => {
      if (controller.status.kind === 'remote') return void needsLocalProxy();
      await controller.stop({ restarting: true });
      await deps.start();
    }),
    vscode.commands.registerCommand('kiro.toggleProxy', async () => {
      const kind = controller.status.kind;
      if (kind === 'running' || kind === 'remote') await stop();
      else if (kind !== 'starting') await deps.start();
    }),
    vscode.commands.registerCommand('kiro.clearCooldowns', () => {
      if (!needsLocalProxy()) return;
      const cleared = engine.pool.clearCooldowns();
      void vscode.window.showInformationMessage(
        cleared === 0
          ? t('No account was cooling down.')
          : cleared === 1
            ? t('Cleared the cooldown of 1 account.')
            : t('Cleared the cooldown of {0} accounts.', cleared),
      );
    }),
    vscode.commands.registerCommand('kiro.copyBaseUrl', async () => {
      const url = baseUrlOf(controller.status);
      if (!url) return void needsLocalProxy();
      // As is, also in a remote window: clients run beside the proxy (the integrated terminal),
      // and a forwarded address would fail the proxy's Host check (DNS rebinding protection).
      await vscode.env.clipboard.writeText(url);
      void vscode.window.setStatusBarMessage(t('Copied {0}', url), 3000);
    }),
    vscode.commands.registerCommand('kiro.copyApiKey', async () => {
      const key = await apiKeys.get();
      await vscode.env.clipboard.writeText(key);
      const note = apiKeyRequired(deps.settings())
        ? t('API key copied.')
        : t('API key copied. The proxy does not require it until you turn on "kiroProxy.requireApiKey".');
      void vscode.window.showInformationMessage(note);
    }),
    vscode.commands.registerCommand('kiro.regenerateApiKey', async () => {
      const regenerate = t('Regenerate');
      const choice = await vscode.window.showWarningMessage(
        t('Regenerate the API key? Clients configured with the old key stop working until you update them.'),
        { modal: true },
        regenerate,
      );
      if (choice !== regenerate) return;
      const key = await apiKeys.regenerate();
      if (engine.config.apiKey !== undefined) engine.config.apiKey = key;
      await vscode.env.clipboard.writeText(key);
      void vscode.window.showInformationMessage(t('New API key generated and copied.'));
    }),
    vscode.commands.registerCommand('kiro.showOutput', () => deps.output.show(true)),
    vscode.commands.registerCommand('kiro.openMonitor', () => openMonitor('monitor')),
    vscode.commands.registerCommand('kiro.openLogs', () => openMonitor('logs')),
  ];
}
