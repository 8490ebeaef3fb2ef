// What every view of the page shares: the strings, the formatter, the persisted UI state and
// the channel to the host.
import type { MonitorStrings } from '../src/views/monitor/strings';
import { parsePageState, type PageMessage, type PageState } from '../src/views/monitor/protocol';
import type { Formatter } from './format';
import { vscode } from './vscodeApi';

export interface PageContext {
  s: MonitorStrings;
  fmt: Formatter;
  state: PageState;
  saveState(patch: Partial<PageState>): void;
  post(message: PageMessage): void;
}

const DEFAULT_STATE: PageState = { tab: 'monitor', status: 'all', account: '', model: '' };

/** Survives hiding the panel and reloading the window (the serializer hands it back). */
export function loadState(): PageState {
  return parsePageState(vscode.getState()) ?? { ...DEFAULT_STATE };
}

export function createContext(s: MonitorStrings, fmt: Formatter, state: PageState): PageContext {
  return {
    s,
    fmt,
    state,
    saveState(patch) {
      Object.assign(this.state, patch);
      vscode.setState(this.state);
    },
    post: (message) => vscode.postMessage(message),
  };
}
