// The user's stop of the serving window's proxy, shared by all windows through globalState, so
// another window does not take the port over behind the user's back (see ProxyController).
import type * as vscode from 'vscode';

const KEY = 'kiro.proxyStoppedByUser';

export function stoppedByUserFlag(state: vscode.Memento): { get(): boolean; set(stopped: boolean): Thenable<void> } {
  return {
    get: () => state.get<boolean>(KEY) === true,
    set: (stopped) => state.update(KEY, stopped),
  };
}
