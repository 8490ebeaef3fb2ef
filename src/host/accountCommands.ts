// Commands that manage accounts: add (scan, sign in, import), refresh, enable/disable, remove.
// They work in every window: the pool saves to SecretStorage, the window that serves reloads.
import * as vscode from 'vscode';
import { looksLikeApiKey } from '../proxy/kiro/api-key';
import { parseOutboundProxy } from '../proxy/kiro/outbound-proxy';
import type { AccountPool, ImportResult } from '../proxy/pool/pool';
import type { Logger } from '../proxy/logger';
import { scanTokenDir } from '../proxy/pool/token-files';
import { loginBuilderId, loginIdentityCenter, loginSocial } from './loginFlows';

/** A row's element is its account id; palette invocations pass nothing. */
type ItemArg = string | { id?: string } | undefined;

function accountIdOf(arg: ItemArg): string | undefined {
  if (typeof arg === 'string') return arg;
  return arg?.id?.replace(/^account:/, '');
}

/**
 * `loaded` settles when the pool has read its store: a command that ran before would see no
 * accounts, and accounts it added would be dropped when the store's (older) contents arrive.
 */
export function registerAccountCommands(pool: AccountPool, logger: Logger, tokenDir: () => string, loaded: Promise<unknown> = Promise.resolve()): vscode.Disposable[] {
  const t = vscode.l10n.t;
  const guarded = (fn: (...args: never[]) => Promise<unknown>) => async (...args: never[]) => {
    try {
      await loaded;
      await fn(...args);
    } catch (err) {
      const message = (err as Error).message;
      logger.error(message);
      void vscode.window.showErrorMessage(message);
    }
  };
  const withAccount = (fn: (id: string) => Promise<unknown>) =>
    guarded(async (arg: ItemArg) => {
      const id = accountIdOf(arg) ?? (await pickAccount(pool));
      if (id) await fn(id);
    });

  const scan = async () => {
    const dir = tokenDir();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: t('Scanning {0}…', dir) },
      () => pool.importFromTokenDir(dir),
    );
    reportImport(result, t('No Kiro token files found in {0}. Sign in with the Kiro IDE first, or use another way to add an account.', dir));
  };

  const importToken = async () => {
    const text = await vscode.window.showInputBox({
      title: t('Import Kiro Token'),
      prompt: t('Paste a Kiro token JSON (kiro-auth-token.json, one object or a list) or a bare refresh token.'),
      password: true,
      ignoreFocusOut: true,
    });
    if (!text) return;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: t('Importing…') },
      () => pool.importJson(text),
    );
    reportImport(result, t('Nothing was imported.'));
  };

  const importApiKey = async () => {
    const key = await vscode.window.showInputBox({
      title: t('Add Kiro API Key'),
      prompt: t('Paste a Kiro API key (ksk_…), created at app.kiro.dev. It is kept in VS Code\'s secret storage and never refreshed.'),
      password: true,
      ignoreFocusOut: true,
      validateInput: (text) => (!text.trim() || looksLikeApiKey(text) ? undefined : t('A Kiro API key starts with "ksk_" followed by at least 16 letters, digits or -._~+/=.')),
    });
    if (!key?.trim()) return;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: t('Checking the API key with Kiro…') },
      () => pool.importApiKey(key),
    );
    reportImport(result, t('Nothing was imported.'));
  };

  const importKiroCli = async () => {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: t("Reading kiro-cli's sign-in…") },
      () => pool.importFromKiroCli(),
    );
    reportImport(result, t('Nothing was imported.'));
  };

  const afterLogin = (view: { label: string } | undefined) => {
    if (view) void vscode.window.showInformationMessage(t('Signed in: {0}', view.label));
  };

  const addAccount = async () => {
    type Choice = vscode.QuickPickItem & { run: () => Promise<unknown> };
    const items: Choice[] = [
      { label: `$(search) ${t('Scan Token Cache')}`, detail: t('Import the accounts the Kiro IDE signed in to ({0})', tokenDir()), run: scan },
      { label: `$(globe) ${t('Login with Google')}`, run: async () => afterLogin(await loginSocial(pool, 'Google')) },
      { label: `$(github) ${t('Login with GitHub')}`, run: async () => afterLogin(await loginSocial(pool, 'Github')) },
      { label: `$(key) ${t('AWS Builder ID')}`, detail: t('Device code sign-in'), run: async () => afterLogin(await loginBuilderId(pool)) },
      {
        label: `$(organization) ${t('IAM Identity Center')}`,
        detail: t("Your organisation's AWS sign-in (start URL and region)"),
        run: async () => afterLogin(await loginIdentityCenter(pool)),
      },
      { label: `$(key) ${t('Kiro API key')}`, detail: t('A key (ksk_…) for headless use, created at app.kiro.dev'), run: importApiKey },
      { label: `$(json) ${t('Import JSON')}`, detail: t('Paste a token JSON or a refresh token'), run: importToken },
      { label: `$(terminal) ${t('Import from kiro-cli')}`, detail: t('Import the account kiro-cli is signed in with (from its SQLite store)'), run: importKiroCli },
    ];
    const choice = await vscode.window.showQuickPick(items, { title: t('Add Kiro Account'), placeHolder: t('How do you want to add the account?') });
    if (choice) await choice.run();
  };

  const refreshAll = async () => {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: t('Refreshing all Kiro tokens…') },
      () => pool.refreshAll(),
    );
    if (result.failed.length === 0) {
      void vscode.window.showInformationMessage(result.refreshed === 1 ? t('Refreshed 1 account.') : t('Refreshed {0} accounts.', result.refreshed));
    }
    else {
      for (const f of result.failed) logger.warn(`Refresh of ${f.label} failed: ${f.reason}`);
      const failedLabels = result.failed.map((f) => f.label).join(', ');
      void vscode.window.showWarningMessage(
        result.refreshed === 1
          ? t('Refreshed 1 account; {0} failed: {1}', result.failed.length, failedLabels)
          : t('Refreshed {0} accounts; {1} failed: {2}', result.refreshed, result.failed.length, failedLabels),
      );
    }
  };

  return [
    vscode.commands.registerCommand('kiro.addAccount', guarded(addAccount)),
    vscode.commands.registerCommand('kiro.scanTokenCache', guarded(scan)),
    vscode.commands.registerCommand('kiro.importToken', guarded(importToken)),
    vscode.commands.registerCommand('kiro.loginGoogle', guarded(async () => afterLogin(await loginSocial(pool, 'Google')))),
    vscode.commands.registerCommand('kiro.loginGithub', guarded(async () => afterLogin(await loginSocial(pool, 'Github')))),
    vscode.commands.registerCommand('kiro.loginBuilderId', guarded(async () => afterLogin(await loginBuilderId(pool)))),
    vscode.commands.registerCommand('kiro.refreshAllTokens', guarded(refreshAll)),
    vscode.commands.registerCommand(
      'kiro.account.refreshToken',
      withAccount((id) =>
        withViewProgress(async () => {
          await pool.refresh(id);
          void vscode.window.setStatusBarMessage(t('Token refreshed: {0}', pool.view(id).label), 3000);
        }),
      ),
    ),
    vscode.commands.registerCommand(
      'kiro.account.refreshQuota',
      withAccount((id) => withViewProgress(() => pool.refreshQuota(id))),
    ),
    vscode.commands.registerCommand('kiro.account.enable', withAccount((id) => pool.setEnabled(id, true))),
    vscode.commands.registerCommand('kiro.account.disable', withAccount((id) => pool.setEnabled(id, false))),
    vscode.commands.registerCommand(
      'kiro.account.setProxy',
      withAccount(async (id) => {
        const account = pool.view(id);
        const url = await vscode.window.showInputBox({
          title: t('Outbound Proxy of {0}', account.label),
          prompt: t('Every Kiro call of this account goes through this proxy: http://, https://, socks5:// or socks5h://[user:password@]host:port. Empty: the global proxy (kiroProxy.outboundProxy or http.proxy).'),
          value: account.proxy ?? '',
          ignoreFocusOut: true,
          validateInput: (text) => {
            if (!text.trim()) return undefined;
            try {
              parseOutboundProxy(text);
              return undefined;
            } catch {
              return t('Use http://, https://, socks5:// or socks5h://[user:password@]host:port.');
            }
          },
        });
        if (url === undefined || url.trim() === (account.proxy ?? '')) return;
        await pool.setProxy(id, url);
      }),
    ),
    vscode.commands.registerCommand(
      'kiro.account.copyId',
      withAccount(async (id) => {
        await vscode.env.clipboard.writeText(id);
        void vscode.window.setStatusBarMessage(t('Account id copied'), 3000);
      }),
    ),
    vscode.commands.registerCommand(
      'kiro.account.remove',
      withAccount(async (id) => {
        const label = pool.view(id).label;
        const remove = t('Remove');
        const choice = await vscode.window.showWarningMessage(
          t('Remove the account {0} from Kiro Proxy?', label),
          { modal: true, detail: t('Its tokens are deleted from VS Code. Files of the Kiro IDE are not touched.') },
          remove,
        );
        if (choice === remove) await pool.remove(id);
      }),
    ),
  ];
}

function reportImport(result: ImportResult, emptyMessage: string): void {
  const t = vscode.l10n.t;
  const { added, updated, skipped, notes } = result;
  if (added.length === 0 && updated.length === 0) {
    // A source's notes (e.g. kiro-cli's store needing a newer Node) say why better than a generic message.
    const empty = notes.length ? notes.join(' ') : emptyMessage;
    void vscode.window.showInformationMessage(skipped.length ? t('Nothing imported; {0} skipped: {1}', skipped.length, skipped.map((s) => s.reason).join('; ')) : empty);
    return;
  }
  const parts = [t('{0} added', added.length), t('{0} updated', updated.length)];
  if (skipped.length) parts.push(t('{0} skipped', skipped.length));
  void vscode.window.showInformationMessage(t('Kiro accounts: {0}', parts.join(', ')));
}

async function pickAccount(pool: AccountPool): Promise<string | undefined> {
  const accounts = pool.list();
  if (accounts.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('There are no Kiro accounts yet.'));
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    accounts.map((a) => ({ label: a.label, description: a.state, id: a.id })),
    { placeHolder: vscode.l10n.t('Choose an account') },
  );
  return pick?.id;
}

/** On first run, offers the accounts the Kiro IDE left in the token cache. Asked once per machine. */
export async function offerTokenCacheImport(context: vscode.ExtensionContext, pool: AccountPool, tokenDir: string, logger: Logger): Promise<void> {
  const FLAG = 'kiro.tokenCacheOffered';
  if (context.globalState.get<boolean>(FLAG) || pool.list().length > 0) return;
  const { found } = await scanTokenDir(tokenDir).catch(() => ({ found: [] as unknown[] }));
  if (found.length === 0) return;
  await context.globalState.update(FLAG, true);
  const t = vscode.l10n.t;
  const importNow = t('Import');
  const choice = await vscode.window.showInformationMessage(
    found.length === 1
      ? t('Kiro Proxy found a Kiro account signed in by the Kiro IDE in {0}. Import it?', tokenDir)
      : t('Kiro Proxy found {0} Kiro accounts signed in by the Kiro IDE in {1}. Import them?', found.length, tokenDir),
    importNow,
    t('Not Now'),
  );
  if (choice !== importNow) return;
  try {
    const result = await pool.importFromTokenDir(tokenDir);
    reportImport(result, t('Nothing was imported.'));
  } catch (err) {
    logger.error((err as Error).message);
    void vscode.window.showErrorMessage((err as Error).message);
  }
}

/** Shows the tree's own progress bar while a row action runs. */
async function withViewProgress<T>(fn: () => Promise<T>): Promise<T> {
  return vscode.window.withProgress({ location: { viewId: 'kiro.accounts' } }, fn);
}
