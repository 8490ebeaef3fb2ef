// Reads `kiroProxy.*` into the engine's ProxyConfig and applies changes: live where the engine
// reads its config per use (it shares this object), a restart offer for port/host.
import * as vscode from 'vscode';
import type { ProxyConfig } from '../proxy/config';
import { registerSecret, type Logger } from '../proxy/logger';
import { isLoopbackHost } from '../proxy/local-host';
import { changeImpact, readProxySettings, SECTION, toProxyConfig, type ProxySettings, type SettingsSource } from './settingsModel';

export function readSettings(logger?: Logger): ProxySettings {
  const { settings, problems } = readProxySettings(sectionSettings(SECTION));
  for (const p of problems) logger?.warn(p);
  return settings;
}

/**
 * A section's settings, its user and default values from ONE `inspect` of the whole section:
 * the extension host's `inspect` costs 0.2–0.7 ms a call, and reading the proxy's settings key
 * by key was most of activation. `get` (the window's value, for the few window-scoped keys)
 * stays per key: it is cheap.
 */
export function sectionSettings(section: string): SettingsSource {
  const whole = vscode.workspace.getConfiguration().inspect<Record<string, unknown>>(section);
  return {
    get: <T>(key: string) => vscode.workspace.getConfiguration(section).get<T>(key),
    inspect: <T>(key: string) => ({ defaultValue: whole?.defaultValue?.[key] as T | undefined, globalValue: whole?.globalValue?.[key] as T | undefined }),
  };
}

export function buildConfig(settings: ProxySettings, apiKey: string | undefined, base?: ProxyConfig): ProxyConfig {
  const httpProxy = vscode.workspace.getConfiguration('http').get<string>('proxy');
  return toProxyConfig(settings, { httpProxy }, apiKey, base);
}

export interface SettingsWatcherHooks {
  /** The engine's live config object; updated in place. */
  config: ProxyConfig;
  apiKey(): Promise<string>;
  logger: Logger;
  setLogRetention(n: number): void;
  restart(): Promise<unknown>;
  isLocalRunning(): boolean;
  /** The last start failed on the address (port taken, bad host): a new one is worth a try at once. */
  isBlockedOnAddress(): boolean;
  start(): Promise<unknown>;
  /** `tokenCacheDir` changed: the folder watch follows it. */
  tokenDirChanged(): void;
}

export function watchSettings(hooks: SettingsWatcherHooks): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration(async (e) => {
    if (!e.affectsConfiguration(SECTION) && !e.affectsConfiguration('http.proxy')) return;
    const settings = readSettings(hooks.logger);
    const key = await hooks.apiKey();
    registerSecret(key);
    const next = buildConfig(settings, key, hooks.config);
    const impact = changeImpact((k) => e.affectsConfiguration(`${SECTION}.${k}`));
    // Port/host take effect on the next listen; everything else is read per request.
    Object.assign(hooks.config, next);
    if (!next.apiKey) delete hooks.config.apiKey;
    if (!next.outboundProxy) delete hooks.config.outboundProxy;
    hooks.setLogRetention(next.logRetention);
    if (e.affectsConfiguration(`${SECTION}.tokenCacheDir`)) hooks.tokenDirChanged();
    hooks.logger.info('Settings changed; applied.');

    if (e.affectsConfiguration(`${SECTION}.host`) && !isLoopbackHost(settings.host)) warnNonLoopback(settings.host);
    // "Change Port" after a conflict: the new address is what the user was asked for.
    if (impact.restart && hooks.isBlockedOnAddress()) await hooks.start();
    else if (impact.restart && hooks.isLocalRunning()) {
      const restart = vscode.l10n.t('Restart Proxy');
      const choice = await vscode.window.showInformationMessage(
        vscode.l10n.t('The proxy listens on {0}:{1} after a restart.', settings.host, settings.port),
        restart,
      );
      if (choice === restart) await hooks.restart();
    }
    if (impact.reload || e.affectsConfiguration('http.proxy')) {
      const reload = vscode.l10n.t('Reload Window');
      const choice = await vscode.window.showInformationMessage(
        vscode.l10n.t('The outbound proxy setting applies after the window reloads.'),
        reload,
      );
      if (choice === reload) await vscode.commands.executeCommand('workbench.action.reloadWindow');
    }
  });
}

export function warnNonLoopback(host: string): void {
  void vscode.window.showWarningMessage(
    vscode.l10n.t(
      'Kiro Proxy listens on {0}, reachable from other machines. The API key is required for every request; share it only with clients you trust.',
      host,
    ),
  );
}
