// The monitor and logs panel: one webview panel, revealed if open, restored after a reload by
// its serializer. It observes the engine and pushes view data to the page; the page only asks
// (typed, validated messages) and never reaches the proxy itself.
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { Engine } from '../../proxy/engine';
import type { RequestLogEntry } from '../../proxy/log';
import { DisposableStore, listen } from '../../host/lifecycle';
import { createBatcher } from './batcher';
import { monitorHtml } from './html';
import { MAX_LOG_ROWS, parsePageMessage, parsePageState, type HostMessage, type MonitorTab, type PageMessage, type SpeedResult, type SpeedTestView } from './protocol';
import { logExport, reproBundle } from './repro';
import { buildSnapshot, logDetail, logRow } from './snapshot';
import { monitorStrings } from './strings';

/** The part of the engine the panel observes; `Engine` satisfies it, tests can fake it. */
export type MonitorEngine = Pick<Engine, 'state' | 'log' | 'pool' | 'speedTest' | 'on' | 'off'>;

const LOG_BATCH_MS = 250;
/** Rolls the per-minute charts and quota figures forward while nothing else happens. */
const REFRESH_MS = 5_000;

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')] };
}

export class MonitorPanel {
  static readonly viewType = 'kiro.monitor';
  private static current: MonitorPanel | undefined;

  private readonly disposables = new DisposableStore();
  private readonly batcher = createBatcher<RequestLogEntry>((entries) => this.onEntries(entries), LOG_BATCH_MS);
  private ready = false;
  /** A tab asked for by `show`, sent with the next `init`; otherwise the page restores its own. */
  private requestedTab: MonitorTab | undefined;
  private speed: SpeedTestView | undefined;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;

  static show(context: vscode.ExtensionContext, engine: MonitorEngine, tab: MonitorTab): void {
    const open = MonitorPanel.current;
    if (open) {
      open.panel.reveal();
      open.showTab(tab);
      return;
    }
    const { strings } = monitorStrings(vscode.env.language);
    const panel = vscode.window.createWebviewPanel(MonitorPanel.viewType, strings.title, vscode.ViewColumn.Active, webviewOptions(context.extensionUri));
    MonitorPanel.current = new MonitorPanel(panel, context, engine, tab);
  }

  static registerSerializer(context: vscode.ExtensionContext, engine: MonitorEngine): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(MonitorPanel.viewType, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        if (MonitorPanel.current) {
          // Opened by a command before the restore got here: keep a single panel.
          panel.dispose();
          return;
        }
        panel.webview.options = webviewOptions(context.extensionUri);
        MonitorPanel.current = new MonitorPanel(panel, context, engine, parsePageState(state)?.tab);
      },
    });
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly engine: MonitorEngine,
    tab: MonitorTab | undefined,
  ) {
    this.requestedTab = tab;
    const { strings } = monitorStrings(vscode.env.language);
    panel.title = strings.title;
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'kiro.svg');
    panel.webview.html = this.html();

    const onEntry = (entry: RequestLogEntry) => this.batcher.push(entry);
    const onCleared = () => {
      this.batcher.discard();
      this.post({ type: 'logReset', rows: [] });
      this.postSnapshot();
    };
    const onChange = () => this.postSnapshot();
    this.disposables.add(listen(engine.log, 'entry', onEntry));
    this.disposables.add(listen(engine.log, 'cleared', onCleared));
    this.disposables.add(listen(engine.pool, 'change', onChange));
    this.disposables.add(listen(engine, 'state', onChange));
    this.disposables.add(
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parsePageMessage(raw);
        if (message) this.handle(message).catch((err: Error) => void vscode.window.showErrorMessage(vscode.l10n.t('Kiro: {0}', err.message)));
      }),
    );
    // Without retainContextWhenHidden the page is torn down when hidden and says `ready` again when shown.
    this.disposables.add(
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.setReady(false);
      }),
    );
    this.disposables.add(panel.onDidDispose(() => this.dispose()));
  }

  private html(): string {
    const webview = this.panel.webview;
    const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', file)).toString();
    return monitorHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: asset('webview.js'),
      styleUri: asset('webview.css'),
      lang: vscode.env.language,
    });
  }

  private showTab(tab: MonitorTab): void {
    if (this.ready) this.post({ type: 'showTab', tab });
    else this.requestedTab = tab;
  }

  private setReady(ready: boolean): void {
    this.ready = ready;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = ready ? setInterval(() => this.postSnapshot(), REFRESH_MS) : undefined;
    if (!ready) this.batcher.discard();
  }

  private async handle(message: PageMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        return this.onReady();
      case 'selectEntry': {
        const entry = this.engine.log.get(message.id);
        this.post({ type: 'logDetail', id: message.id, ...(entry ? { detail: logDetail(entry) } : {}) });
        return;
      }
      case 'speedTest':
        return this.runSpeedTest();
      case 'clearLog':
        this.engine.log.clear();
        return;
      case 'exportLog':
        return this.exportLog();
      case 'exportRepro':
        return this.exportRepro(message.id);
    }
  }

  private onReady(): void {
    const { strings, locale } = monitorStrings(vscode.env.language);
    this.setReady(true);
    this.post({ type: 'init', strings, locale, ...(this.requestedTab ? { tab: this.requestedTab } : {}) });
    this.requestedTab = undefined;
    this.postSnapshot();
    this.post({ type: 'logReset', rows: this.engine.log.recent(MAX_LOG_ROWS).map(logRow) });
    if (this.speed) this.post({ type: 'speedTest', test: this.speed });
  }

  private onEntries(entries: RequestLogEntry[]): void {
    // Newest first, like `recent()`.
    this.post({ type: 'logAppend', rows: entries.slice(-MAX_LOG_ROWS).reverse().map(logRow) });
    this.postSnapshot();
  }

  private postSnapshot(): void {
    const now = Date.now();
    this.post({ type: 'snapshot', snapshot: buildSnapshot(this.engine.state, this.engine.log.stats(now), this.engine.pool.list(), now) });
  }

  private async runSpeedTest(): Promise<void> {
    if (this.speed?.state === 'running') return;
    const accounts = this.engine.pool.list().filter((a) => a.enabled).map((a) => ({ accountId: a.id, label: a.label }));
    const finished: SpeedResult[] = [];
    this.setSpeed({ state: 'running', accounts, results: [] });
    try {
      const results = await this.engine.speedTest((result) => {
        finished.push(result);
        this.setSpeed({ state: 'running', accounts, results: [...finished] });
      });
      this.setSpeed({ state: 'done', results });
    } catch (err) {
      this.setSpeed({ state: 'failed', error: (err as Error).message });
    }
  }

  private setSpeed(test: SpeedTestView): void {
    this.speed = test;
    this.post({ type: 'speedTest', test });
  }

  private async exportLog(): Promise<void> {
    const entries = this.engine.log.recent(Number.MAX_SAFE_INTEGER).reverse();
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    await this.save(`kiro-proxy-log-${stamp}.json`, logExport(entries, this.version()));
  }

  private async exportRepro(id: number): Promise<void> {
    const entry = this.engine.log.get(id);
    if (!entry || entry.status < 400) return;
    await this.save(`kiro-proxy-repro-${id}.json`, reproBundle(entry, this.version()));
  }

  private async save(fileName: string, text: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(folder, fileName), filters: { JSON: ['json'] } });
    if (!target) return;
    try {
      await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    } catch (err) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Kiro: could not save {0}: {1}', target.fsPath, (err as Error).message));
    }
  }

  private version(): string {
    return String(this.context.extension.packageJSON.version ?? '0.0.0');
  }

  /** Hidden webviews drop messages; the page asks for everything again with `ready`. */
  private post(message: HostMessage): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private dispose(): void {
    if (MonitorPanel.current === this) MonitorPanel.current = undefined;
    this.setReady(false);
    this.batcher.dispose();
    this.disposables.dispose();
  }
}
