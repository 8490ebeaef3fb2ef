// The sign-in UI: browser sign-in with PKCE (Google/GitHub) and the AWS Builder ID device code.
// Both run under a cancellable progress notification; the browser flow also accepts the final
// URL pasted by hand, for when the redirect cannot reach this machine (remote, blocked port).
import * as vscode from 'vscode';
import type { AccountView } from '../proxy/pool/account';
import type { SocialProvider } from '../proxy/kiro/login';
import type { AccountPool } from '../proxy/pool/pool';

export async function loginSocial(pool: AccountPool, provider: SocialProvider): Promise<AccountView | undefined> {
  const providerName = provider === 'Github' ? 'GitHub' : 'Google';
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Signing in with {0}…', providerName), cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      try {
        return await pool.loginWithSocial(provider, {
          signal: abort.signal,
          onLoginUrl: (url) => {
            progress.report({ message: vscode.l10n.t('Finish the sign-in in your browser.') });
            void vscode.env.openExternal(vscode.Uri.parse(url, true));
          },
          pastedRedirect: askForPastedUrl(abort.signal),
        });
      } catch (err) {
        if (abort.signal.aborted) return undefined;
        throw err;
      } finally {
        abort.abort(); // the sign-in is over: no more paste offer
      }
    },
  );
}

/** Offers to paste the final browser URL; never settles if dismissed (the browser may still finish). */
function askForPastedUrl(signal: AbortSignal): Promise<string> {
  return new Promise<string>((resolve) => {
    const paste = vscode.l10n.t('Paste Final URL…');
    void vscode.window
      .showInformationMessage(
        vscode.l10n.t('Waiting for the browser. If it cannot reach VS Code, copy the address of the final page and paste it here.'),
        paste,
      )
      .then(async (choice) => {
        if (choice !== paste || signal.aborted) return;
        const url = await vscode.window.showInputBox({
          title: vscode.l10n.t('Paste the final sign-in URL'),
          placeHolder: 'http://127.0.0.1:…/oauth/callback?code=…&state=…',
          ignoreFocusOut: true,
          validateInput: (v) => (/[?&]code=/.test(v) ? undefined : vscode.l10n.t('The URL must contain a "code" parameter.')),
        });
        if (url && !signal.aborted) resolve(url.trim());
      });
  });
}

export async function loginBuilderId(pool: AccountPool): Promise<AccountView | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('AWS Builder ID sign-in'), cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      try {
        return await pool.loginWithBuilderId({
          signal: abort.signal,
          onUserCode: (code) => {
            progress.report({
              message: vscode.l10n.t('Enter the code {0} in your browser (it is on your clipboard).', code.userCode),
            });
            void vscode.env.clipboard.writeText(code.userCode);
            void vscode.env.openExternal(vscode.Uri.parse(code.verificationUriComplete ?? code.verificationUri, true));
          },
        });
      } catch (err) {
        if (abort.signal.aborted) return undefined;
        throw err;
      }
    },
  );
}
