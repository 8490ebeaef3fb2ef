// The webview's handle to its host. `acquireVsCodeApi` may be called once per page load.
import type { PageMessage } from '../src/views/monitor/protocol';

interface VsCodeApi {
  postMessage(message: PageMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const vscode = acquireVsCodeApi();
