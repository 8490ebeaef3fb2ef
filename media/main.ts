// The monitor page: registers the toolkit, says `ready`, builds the tabs from the host's `init`
// and routes the host's messages to the views. It never talks to the proxy itself.
import './monitor.css';
import type { HostMessage, MonitorTab } from '../src/views/monitor/protocol';
import { isMonitorTab } from '../src/views/monitor/protocol';
import { createContext, loadState, type PageContext } from './context';
import { startCountdowns } from './countdowns';
import { h } from './dom';
import { Formatter } from './format';
import { createLogsView, type LogsView } from './logsView';
import { createMonitorView, type MonitorView } from './monitorView';
import { registerToolkit, type TabsElement } from './toolkit';
import { vscode } from './vscodeApi';

registerToolkit();

interface Page {
  ctx: PageContext;
  tabs: TabsElement;
  monitor: MonitorView;
  logs: LogsView;
}

const app = document.getElementById('app') as HTMLElement;
let page: Page | undefined;

function build(message: Extract<HostMessage, { type: 'init' }>): Page {
  const ctx = createContext(message.strings, new Formatter(message.locale), loadState());
  document.title = ctx.s.title;
  const monitor = createMonitorView(ctx);
  const logs = createLogsView(ctx);
  const tabs = h(
    'vscode-panels',
    { id: 'panels', attrs: { 'aria-label': ctx.s.title } },
    h('vscode-panel-tab', { id: 'tab-monitor', text: ctx.s.tabMonitor }),
    h('vscode-panel-tab', { id: 'tab-logs', text: ctx.s.tabLogs }),
    h('vscode-panel-view', { id: 'view-monitor' }, monitor.element),
    h('vscode-panel-view', { id: 'view-logs' }, logs.element),
  ) as TabsElement;
  tabs.addEventListener('change', () => {
    const tab = tabs.activeid?.replace(/^tab-/, '');
    if (isMonitorTab(tab) && tab !== ctx.state.tab) ctx.saveState({ tab });
  });
  app.replaceChildren(tabs);
  app.removeAttribute('aria-busy');
  startCountdowns(app);
  return { ctx, tabs, monitor, logs };
}

function showTab(p: Page, tab: MonitorTab): void {
  p.ctx.saveState({ tab });
  p.tabs.activeid = `tab-${tab}`;
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const message = event.data;
  if (message.type === 'init') {
    page ??= build(message);
    showTab(page, message.tab ?? page.ctx.state.tab);
    return;
  }
  if (!page) return;
  switch (message.type) {
    case 'snapshot':
      page.logs.setAccountNames(message.snapshot.accounts);
      return page.monitor.update(message.snapshot);
    case 'speedTest':
      return page.monitor.updateSpeed(message.test);
    case 'logReset':
      return page.logs.reset(message.rows);
    case 'logAppend':
      return page.logs.append(message.rows);
    case 'logDetail':
      return page.logs.showDetail(message.id, message.detail);
    case 'showTab':
      return showTab(page, message.tab);
  }
});

vscode.postMessage({ type: 'ready' });
