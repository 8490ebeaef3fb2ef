// The Accounts tree (`kiro.accounts`): one row per pool account, rendered by `accountRow`.
// It observes the pool's `change` events and redraws only the changed row. Countdowns are the
// one thing that changes without an event: a single timer redraws just the rows whose text is
// due to change, and only while the view is visible.
import * as vscode from 'vscode';
import type { AccountView } from '../proxy/pool/account';
import type { AccountPool, PoolChange } from '../proxy/pool/pool';
import { accountRow } from './accountItemModel';
import { listen } from '../host/lifecycle';

/** The tree's element: the account id (stable; the row re-reads the pool on every render). */
export type AccountNode = string;

export class AccountsTreeProvider implements vscode.TreeDataProvider<AccountNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<AccountNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** When each visible row's text changes by itself. */
  private readonly dueAt = new Map<AccountNode, number>();
  private timer?: NodeJS.Timeout;
  private visible = false;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly pool: AccountPool) {
    this.subscription = listen(pool, 'change', (change: PoolChange) => this.handleChange(change));
  }

  /** Called by the view wiring; countdowns tick only while someone can see them. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) this.changed.fire(undefined);
    else this.stopTimer();
  }

  refreshAll(): void {
    this.changed.fire(undefined);
  }

  getChildren(element?: AccountNode): AccountNode[] {
    if (element) return [];
    const accounts = this.pool.list();
    const order = (a: AccountView, b: AccountView) => a.priority - b.priority || a.addedAt - b.addedAt;
    const ids = accounts.sort(order).map((a) => a.id);
    for (const id of [...this.dueAt.keys()]) if (!ids.includes(id)) this.dueAt.delete(id);
    return ids;
  }

  getTreeItem(id: AccountNode): vscode.TreeItem {
    const account = this.pool.get(id);
    if (!account) return new vscode.TreeItem(id);
    const now = Date.now();
    const row = accountRow(account, { now, t: vscode.l10n.t, locale: vscode.env.language });
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = row.id;
    item.description = row.description;
    item.contextValue = row.contextValue;
    item.iconPath = new vscode.ThemeIcon(row.icon.id, new vscode.ThemeColor(row.icon.color));
    item.tooltip = new vscode.MarkdownString(row.tooltip);
    item.accessibilityInformation = { label: `${row.label}, ${row.description}` };
    if (row.nextChangeAt !== undefined) this.dueAt.set(id, row.nextChangeAt);
    else this.dueAt.delete(id);
    this.armTimer();
    return item;
  }

  private handleChange(change: PoolChange): void {
    // Added/removed rows change the list itself; an update redraws one row.
    if (change.type === 'updated') this.changed.fire(change.account.id);
    else this.changed.fire(undefined);
  }

  private armTimer(): void {
    if (!this.visible || this.dueAt.size === 0) return;
    const next = Math.min(...this.dueAt.values());
    const delay = Math.max(250, next - Date.now());
    if (this.timer && this.timerAt !== undefined && this.timerAt <= Date.now() + delay) return;
    this.stopTimer();
    this.timerAt = Date.now() + delay;
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private timerAt?: number;

  private tick(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    if (!this.visible) return;
    const now = Date.now();
    for (const [id, at] of [...this.dueAt]) {
      if (at > now + 50) continue;
      this.dueAt.delete(id);
      this.changed.fire(id);
    }
    this.armTimer();
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
  }

  dispose(): void {
    this.stopTimer();
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** Creates the view and wires visibility, the badge and the empty-state message. */
export function createAccountsView(pool: AccountPool): { disposable: vscode.Disposable; refresh(): void; provider: AccountsTreeProvider } {
  const provider = new AccountsTreeProvider(pool);
  const view = vscode.window.createTreeView('kiro.accounts', { treeDataProvider: provider, showCollapseAll: false });
  const updateBadge = () => {
    const accounts = pool.list();
    const blocked = accounts.filter((a) => a.state === 'needs-login' || a.state === 'suspended').length;
    view.badge = blocked
      ? { value: blocked, tooltip: blocked === 1 ? vscode.l10n.t('1 account needs attention') : vscode.l10n.t('{0} accounts need attention', blocked) }
      : undefined;
  };
  updateBadge();
  provider.setVisible(view.visible);
  const disposable = vscode.Disposable.from(
    provider,
    view,
    view.onDidChangeVisibility((e) => provider.setVisible(e.visible)),
    listen(pool, 'change', updateBadge),
  );
  return {
    disposable,
    provider,
    refresh: () => {
      updateBadge();
      provider.refreshAll();
    },
  };
}
