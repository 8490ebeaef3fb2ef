// Composition root: builds the engine, storage, views and commands and registers every
// disposable. Two lifetimes: the extension's (context.subscriptions) and the running proxy's
// (ProxyController.onSession, undone on stop). Activation stays cheap: loading accounts and
// auto-starting happen after `activate` returns.
import * as vscode from 'vscode';
import { Engine } from './proxy/engine';
import { registerAccountCommands, offerTokenCacheImport } from './host/accountCommands';
import { ApiKeyService } from './host/apiKeyService';
import { probeHealth } from './host/healthProbe';
import { createOutputLogger } from './host/outputLogger';
import { ProxyController } from './host/proxyController';
import { registerProxyCommands } from './host/proxyCommands';
import { baseUrlOf } from './host/proxyStatus';
import { SecretAccountStore } from './host/secretAccountStore';
import { stoppedByUserFlag } from './host/stoppedByUser';
import { TypedSecrets } from './host/secrets';
import { buildConfig, readSettings, warnNonLoopback, watchSettings } from './host/settings';
import { apiKeyRequired, type ProxySettings } from './host/settingsModel';
import { isLoopbackHost } from './proxy/local-host';
import { explainStart } from './host/startFeedback';
import { watchTokenFileNotices } from './host/tokenFileNotices';
import { askForProfiles } from './host/profileChoice';
import { listen, toDisposable } from './host/lifecycle';
import { createAccountsView, type AccountsTreeProvider } from './views/accountsTree';
import { StatusBarController } from './views/statusBar';
import { MonitorPanel } from './views/monitor/monitorPanel';
import { registerClientConfigCommands } from './host/clientConfigCommands';
import { registerChatModels } from './host/chatModels/register';

let shutdown: (() => Promise<void>) | undefined;

/** Returned from `activate` only outside production (extension tests, development host): the test seam. */
export interface KiroTestApi {
  engine: Engine;
  accountsTree: AccountsTreeProvider;
  context: vscode.ExtensionContext;
}

export async function activate(context: vscode.ExtensionContext): Promise<KiroTestApi | undefined> {
  const activateStart = performance.now();
  const output = vscode.window.createOutputChannel('Kiro Proxy', { log: true });
  context.subscriptions.push(output);
  const logger = createOutputLogger(output);

  const secrets = new TypedSecrets(context.secrets);
  const apiKeys = new ApiKeyService(secrets);
  const store = new SecretAccountStore(secrets);

  let settings: ProxySettings = readSettings(logger);
  // The first-run offer below asks before importing the IDE's accounts, so the pool must not do it silently.
  const engine = new Engine({ config: buildConfig(settings, undefined), store, version: String(context.extension.packageJSON.version ?? '0.0.0'), logger, scanTokenDirWhenEmpty: false });
  // The key is read in the background: a keychain round trip took 23–136 ms of activation in
  // code-server. Reading it registers it for scrubbing; the keychain is only touched for it when
  // it is needed (or already exists). `start` makes sure of it when one is required.
  void (apiKeyRequired(settings) ? apiKeys.get() : apiKeys.peek()).catch(() => undefined);

  const controller = new ProxyController({
    engine,
    probe: async (host, port) => probeHealth(host, port, engine.config.apiKey ?? (await apiKeys.peek())),
    logger,
    stoppedByUser: stoppedByUserFlag(context.globalState),
  });

  // Accounts load in the background; everything that needs them waits for this.
  const ready = engine.init().catch((err: Error) => {
    logger.error(`Could not load the Kiro accounts: ${err.message}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Kiro Proxy could not load its accounts: {0}', err.message));
  });

  const start = async (quiet = false) => {
    await ready;
    // Nothing serves without the key when one is required: the setting may have been turned on
    // since activation, or a read failed (then each start tries again, and says why not).
    const loopback = isLoopbackHost(engine.config.host);
    if (apiKeyRequired(settings) || !loopback) {
      try {
        engine.config.apiKey ??= await apiKeys.get();
      } catch (err) {
        logger.error(`Could not read the proxy's API key: ${(err as Error).message}`);
        void vscode.window.showErrorMessage(vscode.l10n.t('Kiro Proxy could not read its API key: {0}', (err as Error).message));
        return controller.status;
      }
    }
    if (!loopback) warnNonLoopback(engine.config.host);
    const status = await controller.start();
    explainStart(status, quiet);
    return status;
  };

  const views = createAccountsView(engine.pool);
  const statusBar = new StatusBarController(engine, controller);
  const updateContext = () => void vscode.commands.executeCommand('setContext', 'kiro.proxyState', controller.status.kind);
  updateContext();

  context.subscriptions.push(
    views.disposable,
    statusBar,
    listen(controller, 'status', updateContext),
    controller.onSession(() => watchTokenFileNotices(engine.pool, logger)),
    askForProfiles(engine.pool, logger),
    ...registerProxyCommands({
      engine,
      controller,
      apiKeys,
      output,
      settings: () => settings,
      start: () => start(false),
      openMonitor: (tab) => MonitorPanel.show(context, engine, tab),
    }),
    ...registerAccountCommands(engine.pool, logger, () => engine.config.tokenDir, ready),
    MonitorPanel.registerSerializer(context, engine),
    registerChatModels(engine, logger),
    ...registerClientConfigCommands(context, {
      baseUrl: () => baseUrlOf(controller.status),
      apiKey: async () => (engine.config.apiKey ? engine.config.apiKey : apiKeys.peek()),
    }),
    watchSettings({
      config: engine.config,
      apiKey: () => apiKeys.get(),
      logger,
      setLogRetention: (n) => engine.log.setCapacity(n),
      restart: () => controller.restart().then((s) => explainStart(s, false)),
      isLocalRunning: () => controller.isLocal,
      isBlockedOnAddress: () => controller.status.kind === 'foreign' || controller.status.kind === 'failed',
      start: () => start(false),
      tokenDirChanged: () => engine.pool.rewatchTokenDir(),
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('kiroProxy')) settings = readSettings();
    }),
    // Another window saved the accounts (or the key): follow it.
    store.onDidChangeExternally(() => void reloadPool(engine, logger).then(() => views.refresh())),
    apiKeys.onDidChange((key) => {
      if (key && engine.config.apiKey !== undefined) engine.config.apiKey = key;
    }),
  );

  shutdown = async () => {
    await controller.dispose();
    await engine.dispose();
  };
  context.subscriptions.push(toDisposable(() => void shutdown?.()));

  // After activation returns: offer the IDE's accounts once, then auto-start.
  void ready.then(async () => {
    await offerTokenCacheImport(context, engine.pool, engine.config.tokenDir, logger).catch((err: Error) => logger.warn(err.message));
  });
  if (settings.autoStart) void start(true);
  // The e2e tests read this line for the activation time.
  logger.info(`Activated in ${(performance.now() - activateStart).toFixed(1)} ms`);
  return context.extensionMode === vscode.ExtensionMode.Production ? undefined : { engine, accountsTree: views.provider, context };
}

export async function deactivate(): Promise<void> {
  // Closing the server before the host exits frees the port for the next window at once.
  const run = shutdown;
  shutdown = undefined;
  await run?.();
}

/** Another window changed the shared accounts: the pool re-reads the store (`AccountPool.reload`). */
async function reloadPool(engine: Engine, logger: { info(m: string): void }): Promise<void> {
  await engine.pool.reload();
  logger.info('Accounts changed in another window; reloaded.');
}
