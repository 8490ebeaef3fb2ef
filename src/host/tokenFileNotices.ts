// While the proxy runs the pool watches the Kiro IDE's token folder. Fresher tokens for an
// account we already have are taken silently; a new sign-in is offered for import.
import * as vscode from 'vscode';
import type { Logger } from '../proxy/logger';
import type { AccountPool, TokenFileNotice } from '../proxy/pool/pool';
import { listen, type Disposable } from './lifecycle';

export function watchTokenFileNotices(pool: AccountPool, logger: Logger): Disposable {
  const offered = new Set<string>();
  const onNotice = async (notice: TokenFileNotice) => {
    try {
      if (notice.kind === 'updated') {
        await pool.importTokenFile(notice.path);
        logger.info(`Took fresher tokens for ${notice.label ?? notice.accountId ?? notice.path} from the Kiro IDE.`);
        return;
      }
      if (offered.has(notice.path)) return;
      offered.add(notice.path);
      const importNow = vscode.l10n.t('Import');
      const choice = await vscode.window.showInformationMessage(
        vscode.l10n.t('The Kiro IDE signed in to an account Kiro Proxy does not have yet. Import it?'),
        importNow,
      );
      if (choice === importNow) await pool.importTokenFile(notice.path);
    } catch (err) {
      logger.warn(`Token file ${notice.path}: ${(err as Error).message}`);
    }
  };
  return listen(pool, 'token-file', (notice) => void onNotice(notice));
}
