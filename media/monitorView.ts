// The Monitor tab: service state, totals, the last-hour charts, accounts with quota bars and
// countdowns, and the speed test.
import type { AccountRow, MonitorSnapshot, SpeedResult, SpeedTestView } from '../src/views/monitor/protocol';
import type { MonitorStrings } from '../src/views/monitor/strings';
import { latencyChart, requestsChart } from './charts';
import type { PageContext } from './context';
import { countdown, syncClock } from './countdowns';
import { h } from './dom';
import type { ButtonElement } from './toolkit';

export interface MonitorView {
  element: HTMLElement;
  update(snapshot: MonitorSnapshot): void;
  updateSpeed(test: SpeedTestView): void;
}

function stat(label: string, id?: string): { card: HTMLElement; value: HTMLElement; sub: HTMLElement } {
  const value = h('div', { className: 'stat-value', id, text: '–' });
  const sub = h('div', { className: 'stat-sub muted' });
  return { card: h('div', { className: 'stat' }, h('div', { className: 'stat-label muted', text: label }), value, sub), value, sub };
}

/** A horizontal bar; the width goes through CSSOM (`style.width`), which a strict CSP allows. */
function meter(ratio: number, className = ''): HTMLElement {
  const fill = h('div', { className: `meter-fill ${className}` });
  fill.style.width = `${Math.max(0, Math.min(1, ratio)) * 100}%`;
  return h('div', { className: 'meter' }, fill);
}

const stateKey = (state: string) => `state.${state}` as keyof MonitorStrings;

function accountItem(a: AccountRow, ctx: PageContext): HTMLElement {
  const { s, fmt } = ctx;
  const stateText = s[stateKey(a.state)] ?? a.state;
  const head = h(
    'div',
    { className: 'account-head' },
    h('span', { className: 'account-label', text: a.label }),
    // A styled span, not <vscode-badge>: its template binds a style attribute, which the CSP blocks.
    h('span', { className: `state-badge state-${a.state}`, text: stateText }),
  );
  const lines: HTMLElement[] = [head];
  if (a.until !== undefined) lines.push(countdown(h('div', { className: 'countdown' }), a.until, s.availableIn));
  if (a.reason) lines.push(h('div', { className: 'muted reason', text: a.reason }));
  if (a.quota && a.quota.limit > 0) {
    const ratio = a.quota.used / a.quota.limit;
    const level = ratio >= 1 ? 'full' : ratio >= 0.8 ? 'high' : '';
    const caption = h('div', { className: 'quota-caption muted' }, h('span', { text: `${a.quota.plan} · ${fmt.t(s.quotaOf, fmt.number(a.quota.used), fmt.number(a.quota.limit))}` }));
    if (a.quota.resetAt) caption.append(countdown(h('span'), a.quota.resetAt, s.resetsIn));
    lines.push(meter(ratio, level), caption);
  }
  const where = a.profile ? fmt.t(s.accountProfile, a.region, a.profile) : fmt.t(s.accountRegion, a.region);
  lines.push(h('div', { className: 'muted account-region', text: where }));
  lines.push(h('div', { className: 'muted', text: fmt.t(s.accountUsage, fmt.int(a.requests), fmt.int(a.errors), fmt.number(a.credits)) }));
  return h('li', { className: `account account-${a.state}`, attrs: { 'data-account': a.id } }, ...lines);
}

export function createMonitorView(ctx: PageContext): MonitorView {
  const { s, fmt } = ctx;
  const serviceState = h('span', { id: 'service-state', className: 'service-state', text: '–' });
  const baseUrl = h('code', { id: 'base-url', className: 'base-url' });
  const serviceError = h('div', { className: 'error-text' });
  const totals = {
    requests: stat(s.requests, 'total-requests'),
    success: stat(s.successRate, 'success-rate'),
    avg: stat(s.avgLatency, 'avg-latency'),
    p95: stat(s.p95Latency, 'p95-latency'),
    ttfb: stat(s.ttfb, 'ttfb'),
    tokens: stat(s.tokens, 'total-tokens'),
    credits: stat(s.credits, 'total-credits'),
    webSearches: stat(s.webSearches, 'total-web-searches'),
  };
  const charts = h('div', { className: 'charts' });
  const accountList = h('ul', { id: 'accounts', className: 'accounts' });

  const speedButton = h('vscode-button', { id: 'speed-test', text: s.speedTest }) as ButtonElement;
  speedButton.addEventListener('click', () => ctx.post({ type: 'speedTest' }));
  const speedStatus = h('span', { className: 'muted', text: s.speedTestHint });
  const speedList = h('ul', { id: 'speed-results', className: 'speed-results' });

  const element = h(
    'div',
    { className: 'monitor' },
    h('section', { className: 'service' }, h('span', { className: 'muted', text: `${s.service}:` }), serviceState, h('span', { className: 'muted', text: `${s.baseUrl}:` }), baseUrl, serviceError),
    h('section', { className: 'stats' }, ...Object.values(totals).map((t) => t.card)),
    charts,
    h('section', {}, h('h2', { text: s.accounts }), accountList),
    h('section', {}, h('div', { className: 'toolbar' }, h('h2', { text: s.speedTest }), speedButton, speedStatus), speedList),
  );

  function update(snap: MonitorSnapshot): void {
    syncClock(snap.now);
    const { service, stats } = snap;
    serviceState.textContent = s[`service.${service.status}`];
    serviceState.className = `service-state service-${service.status}`;
    baseUrl.textContent = service.url ?? s.notListening;
    serviceError.textContent = service.error ?? '';
    totals.requests.value.textContent = fmt.int(stats.requests);
    totals.requests.sub.textContent = stats.errors ? `${fmt.int(stats.errors)} ✕` : '';
    totals.success.value.textContent = stats.requests ? fmt.percent(stats.successRate) : '–';
    totals.avg.value.textContent = stats.requests ? fmt.ms(stats.avgMs) : '–';
    totals.p95.value.textContent = stats.requests ? fmt.ms(stats.p95Ms) : '–';
    totals.ttfb.value.textContent = stats.avgTtfbMs ? fmt.ms(stats.avgTtfbMs) : '–';
    totals.tokens.value.textContent = fmt.compact(stats.inputTokens + stats.outputTokens);
    const inOut = fmt.t(s.tokensInOut, fmt.compact(stats.inputTokens), fmt.compact(stats.outputTokens));
    // Prompt-cache hits, when Kiro served any: what the client's cache_control saved.
    totals.tokens.sub.textContent = stats.cacheHits ? `${inOut} · ${fmt.t(s.cacheHits, fmt.int(stats.cacheHits), fmt.compact(stats.cacheReadTokens))}` : inOut;
    totals.credits.value.textContent = fmt.number(stats.credits);
    totals.webSearches.value.textContent = fmt.int(stats.webSearches);
    charts.replaceChildren(
      requestsChart(stats.lastHour, { caption: s.requestsChart, empty: s.chartEmpty, peak: s.chartPeak }, fmt),
      latencyChart(stats.lastHour, { caption: s.latencyChart, empty: s.chartEmpty, peak: s.chartPeak }, fmt),
    );
    accountList.replaceChildren(...(snap.accounts.length ? snap.accounts.map((a) => accountItem(a, ctx)) : [h('li', { className: 'muted', text: s.noAccounts })]));
  }

  function updateSpeed(test: SpeedTestView): void {
    speedButton.disabled = test.state === 'running';
    if (test.state === 'failed') {
      speedStatus.textContent = fmt.t(s.speedTestFailed, test.error);
      return;
    }
    const running = test.state === 'running';
    speedStatus.textContent = running ? fmt.t(s.speedTestRunning, test.accounts.length) : fmt.t(s.speedTestDone, test.results.length);
    // While running, finished accounts show their result and the others a spinner.
    const rows = running
      ? test.accounts.map((a) => ({ label: a.label, result: test.results.find((r) => r.accountId === a.accountId) }))
      : test.results.map((r) => ({ label: r.label, result: r }));
    const slowest = Math.max(1, ...test.results.map((r) => r.ms ?? 0));
    speedList.replaceChildren(...rows.map(({ label, result }) => (result ? speedResultRow(result, slowest) : speedPendingRow(label))));
  }

  function speedPendingRow(label: string): HTMLElement {
    return h('li', { className: 'speed-row' }, h('span', { className: 'speed-label', text: label }), h('vscode-progress-ring', { className: 'speed-ring' }));
  }

  function speedResultRow(r: SpeedResult, slowest: number): HTMLElement {
    return h(
      'li',
      { className: `speed-row ${r.ok ? '' : 'speed-failed'}` },
      h('span', { className: 'speed-label', text: r.label }),
      r.ok ? meter((r.ms ?? 0) / slowest) : h('span', { className: 'error-text', text: r.error ?? '' }),
      h('span', { className: 'speed-ms', text: r.ok && r.ms !== undefined ? fmt.ms(r.ms) : '✕' }),
    );
  }

  return { element, update, updateSpeed };
}
