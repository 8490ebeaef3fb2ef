// Tells the user what a start led to, in words, with the next step as a button. Never a raw
// EADDRINUSE: the controller has already found out who holds the port.
import * as vscode from 'vscode';
import type { ProxyStatus } from './proxyStatus';

export function explainStart(status: ProxyStatus, quiet: boolean): void {
  const t = vscode.l10n.t;
  switch (status.kind) {
    case 'remote':
      if (!quiet) {
        void vscode.window.showInformationMessage(
          t('Kiro Proxy is already served by another VS Code window at {0}; this window uses it.', status.url),
        );
      }
      return;
    case 'foreign': {
      // Windows opening together are often too busy to answer; the status bar shows it until they do.
      if (quiet && status.unconfirmed) return;
      const changePort = t('Change Port');
      const retry = t('Retry');
      void vscode.window
        .showWarningMessage(
          t('Port {0} on {1} is used by another program, so Kiro Proxy cannot start. {2} Choose another port or stop that program.', status.port, status.host, status.detail),
          changePort,
          retry,
        )
        .then((choice) => {
          if (choice === changePort) void vscode.commands.executeCommand('workbench.action.openSettings', 'kiroProxy.port');
          if (choice === retry) void vscode.commands.executeCommand('kiro.startProxy');
        });
      return;
    }
    case 'failed': {
      const show = t('Show Output');
      void vscode.window.showErrorMessage(t('Kiro Proxy could not start: {0}', status.error), show).then((choice) => {
        if (choice === show) void vscode.commands.executeCommand('kiro.showOutput');
      });
      return;
    }
    default:
      return;
  }
}
