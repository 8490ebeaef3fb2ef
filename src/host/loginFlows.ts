// The sign-in UI: browser sign-in with PKCE (Google/GitHub) and the device code of AWS Builder ID
// or an organisation's IAM Identity Center.
// Both run under a cancellable progress notification; the browser flow also accepts the final
// URL pasted by hand, for when the redirect cannot reach this machine (remote, blocked port).
import * as vscode from 'vscode';
import type { AccountView } from '../proxy/pool/account';
import { awsRegion, identityCenterStartUrl, type SocialProvider } from '../proxy/kiro/login';
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

export function loginBuilderId(pool: AccountPool): Promise<AccountView | undefined> {
  return loginWithDeviceCode(pool, vscode.l10n.t('AWS Builder ID sign-in'));
}

/** An organisation's IAM Identity Center: asks for its start URL and region, then signs in like Builder ID. */
export async function loginIdentityCenter(pool: AccountPool): Promise<AccountView | undefined> {
  const validate = (check: (text: string) => string) => (text: string) => {
    try {
      check(text);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  };
  const startUrl = await vscode.window.showInputBox({
    title: vscode.l10n.t('IAM Identity Center'),
    prompt: vscode.l10n.t("Your organisation's start URL"),
    placeHolder: 'https://d-1234567890.awsapps.com/start',
    ignoreFocusOut: true,
    validateInput: validate(identityCenterStartUrl),
  });
  if (!startUrl) return undefined;
  const region = await vscode.window.showInputBox({
    title: vscode.l10n.t('IAM Identity Center'),
    prompt: vscode.l10n.t('The AWS region of your Identity Center'),
    value: 'us-east-1',
    ignoreFocusOut: true,
    validateInput: validate(awsRegion),
  });
  if (!region) return undefined;
  return loginWithDeviceCode(pool, vscode.l10n.t('IAM Identity Center sign-in'), {
    startUrl: identityCenterStartUrl(startUrl),
    region: awsRegion(region),
  });
}

async function loginWithDeviceCode(
  pool: AccountPool,
  title: string,
  organisation: { startUrl?: string; region?: string } = {},
): Promise<AccountView | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      try {
        return await pool.loginWithBuilderId({
          ...organisation,
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
