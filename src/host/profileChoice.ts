// An organisation account with several Kiro profiles (docs/kiro-protocol.md §11.2): the pool picks
// none silently, so VS Code asks once per account and window with a quick pick of the profiles.
import * as vscode from 'vscode';
import type { Logger } from '../proxy/logger';
import type { AccountView } from '../proxy/pool/account';
import type { AccountPool, PoolChange } from '../proxy/pool/pool';
import { listen, type Disposable } from './lifecycle';

export function askForProfiles(pool: AccountPool, logger: Logger): Disposable {
  const asked = new Set<string>();
  const ask = async (account: AccountView) => {
    if (!account.profileChoices || asked.has(account.id)) return;
    asked.add(account.id);
    const picked = await vscode.window.showQuickPick(
      account.profileChoices.map((p) => ({ label: p.name ?? p.arn.split('/').pop() ?? p.arn, description: p.region, detail: p.arn, arn: p.arn })),
      { title: vscode.l10n.t('Kiro profile for {0}', account.label), placeHolder: vscode.l10n.t('This account has several Kiro profiles; they may offer different models.'), ignoreFocusOut: true },
    );
    if (!picked) return;
    try {
      await pool.setProfile(account.id, picked.arn);
      logger.info(`${account.label} now uses the Kiro profile ${picked.arn}.`);
    } catch (err) {
      void vscode.window.showErrorMessage((err as Error).message);
    }
  };
  for (const account of pool.list()) void ask(account);
  return listen(pool, 'change', (change: PoolChange) => {
    if (change.type !== 'removed') void ask(change.account);
  });
}
