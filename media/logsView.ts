// The Logs tab: a filterable, live request log (capped in the DOM), a detail pane for the
// selected request with "Export repro" on failures, and Clear / Export.
import { MAX_LOG_ROWS, type LogDetail, type LogRow, type StatusFilter } from '../src/views/monitor/protocol';
import type { PageContext } from './context';
import { h } from './dom';
import type { ValueElement } from './toolkit';

export interface LogsView {
  element: HTMLElement;
  reset(rows: LogRow[]): void;
  append(rows: LogRow[]): void;
  /** The accounts' current labels (from each snapshot): rows name an account by these. */
  setAccountNames(accounts: Array<{ id: string; label: string }>): void;
  showDetail(id: number, detail: LogDetail | undefined): void;
}

const failed = (row: LogRow) => row.status >= 400;

function dropdown(id: string, label: string, onChange: (value: string) => void): ValueElement {
  const el = h('vscode-dropdown', { id, attrs: { 'aria-label': label, title: label } }) as ValueElement;
  el.addEventListener('change', () => onChange(el.value));
  return el;
}

/** Rebuilds the options only when they differ, and keeps the choice even if no row has it any more. */
function setOptions(el: ValueElement, options: Array<[value: string, label: string]>, selected: string): void {
  if (selected && !options.some(([v]) => v === selected)) options.push([selected, selected]);
  const signature = JSON.stringify(options);
  if (el.dataset.options !== signature) {
    el.dataset.options = signature;
    el.replaceChildren(...options.map(([value, text]) => h('vscode-option', { text, attrs: { value } })));
  }
  if (el.value !== selected) el.value = selected;
}

export function createLogsView(ctx: PageContext): LogsView {
  const { s, fmt, state } = ctx;
  let rows: LogRow[] = [];
  let selectedId: number | undefined;
  let names = new Map<string, string>();
  /** The account's name now; the one it had then only when it is gone. */
  const accountOf = (row: LogRow): string | undefined => (row.accountId !== undefined ? names.get(row.accountId) : undefined) ?? row.account;

  const statusFilter = dropdown('filter-status', s.filterStatus, (value) => applyFilter({ status: value as StatusFilter }));
  const accountFilter = dropdown('filter-account', s.account, (value) => applyFilter({ account: value }));
  const modelFilter = dropdown('filter-model', s.model, (value) => applyFilter({ model: value }));
  setOptions(statusFilter, (['all', 'ok', 'errors'] as const).map((v) => [v, s[`filter.${v}`]]), state.status);

  const clearButton = h('vscode-button', { id: 'log-clear', text: s.clear, attrs: { appearance: 'secondary' } });
  clearButton.addEventListener('click', () => ctx.post({ type: 'clearLog' }));
  const exportButton = h('vscode-button', { id: 'log-export', text: s.export, attrs: { appearance: 'secondary' } });
  exportButton.addEventListener('click', () => ctx.post({ type: 'exportLog' }));
  const count = h('span', { id: 'log-count', className: 'muted' });

  const body = h('tbody', { id: 'log-rows' });
  body.addEventListener('click', (event) => {
    const tr = (event.target as HTMLElement).closest<HTMLElement>('tr[data-id]');
    if (tr) select(Number(tr.dataset.id));
  });
  const header = [s.time, s.endpoint, s.model, s.account, s.status, s.duration, s.tokens, s.credits];
  const table = h('table', { className: 'log-table' }, h('thead', {}, h('tr', {}, ...header.map((text) => h('th', { text })))), body);
  const empty = h('div', { id: 'log-empty', className: 'muted empty' });
  const detail = h('section', { id: 'log-detail', className: 'detail muted', text: s.selectEntry });

  const element = h(
    'div',
    { className: 'logs' },
    h('div', { className: 'toolbar' }, statusFilter, accountFilter, modelFilter, count, h('span', { className: 'spacer' }), clearButton, exportButton),
    h('div', { className: 'log-scroll' }, table, empty),
    detail,
  );

  function matches(row: LogRow): boolean {
    if (state.status === 'ok' && failed(row)) return false;
    if (state.status === 'errors' && !failed(row)) return false;
    if (state.account && accountOf(row) !== state.account) return false;
    return !state.model || row.clientModel === state.model || row.kiroModel === state.model;
  }

  function rowElement(row: LogRow): HTMLElement {
    const model = row.webSearches
      ? `${row.clientModel} · ${s.webSearch}`
      : row.kiroModel && row.kiroModel !== row.clientModel ? `${row.clientModel} → ${row.kiroModel}` : row.clientModel;
    const tokens = row.inputTokens !== undefined || row.outputTokens !== undefined ? `${fmt.compact(row.inputTokens ?? 0)} / ${fmt.compact(row.outputTokens ?? 0)}` : '';
    const tr = h(
      'tr',
      { className: failed(row) ? 'row-error' : '', attrs: { 'data-id': String(row.id), tabindex: '0' } },
      h('td', { text: fmt.time(row.time) }),
      h('td', { text: row.endpoint }),
      h('td', { text: model, attrs: { title: model } }),
      h('td', { text: accountOf(row) ?? '–' }),
      h('td', { className: 'status', text: String(row.status), attrs: row.error ? { title: row.error } : {} }),
      h('td', { className: 'num', text: fmt.ms(row.durationMs) }),
      h('td', { className: 'num', text: tokens }),
      h('td', { className: 'num', text: row.credits !== undefined ? fmt.number(row.credits) : '' }),
    );
    if (row.id === selectedId) tr.classList.add('selected');
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') select(row.id);
    });
    return tr;
  }

  function refreshChrome(): void {
    const distinct = (pick: (r: LogRow) => string | undefined) => [...new Set(rows.map(pick).filter((v): v is string => !!v))].sort();
    setOptions(accountFilter, [['', s.allAccounts], ...distinct(accountOf).map((v): [string, string] => [v, v])], state.account);
    setOptions(modelFilter, [['', s.allModels], ...distinct((r) => r.clientModel).map((v): [string, string] => [v, v])], state.model);
    const shown = body.childElementCount;
    count.textContent = fmt.t(s.shownOf, fmt.int(shown), fmt.int(rows.length));
    empty.textContent = rows.length === 0 ? s.noEntries : shown === 0 ? s.noMatches : '';
    empty.hidden = shown > 0;
  }

  function renderAll(): void {
    body.replaceChildren(...rows.filter(matches).map(rowElement));
    refreshChrome();
  }

  function applyFilter(patch: Partial<typeof state>): void {
    ctx.saveState(patch);
    renderAll();
  }

  function select(id: number): void {
    selectedId = id;
    body.querySelectorAll('tr.selected').forEach((tr) => tr.classList.remove('selected'));
    body.querySelector(`tr[data-id="${id}"]`)?.classList.add('selected');
    ctx.post({ type: 'selectEntry', id });
  }

  function field(label: string, value: string): HTMLElement[] {
    return [h('dt', { text: label }), h('dd', { text: value })];
  }

  function showDetail(id: number, d: LogDetail | undefined): void {
    if (id !== selectedId) return;
    detail.className = 'detail';
    if (!d) {
      detail.replaceChildren(h('p', { className: 'muted', text: s.entryGone }));
      return;
    }
    const r = d.row;
    const request = h(
      'dl',
      {},
      ...field(s.time, fmt.dateTime(r.time)),
      ...field(s.endpoint, r.endpoint),
      ...field(s.model, r.kiroModel ? `${r.clientModel} → ${r.kiroModel}` : r.clientModel),
      ...field(s.account, accountOf(r) ?? '–'),
      ...field(s.stream, r.stream ? s.yes : s.no),
      ...(r.attempts !== undefined ? field(s.attempts, fmt.int(r.attempts)) : []),
    );
    const response = h(
      'dl',
      {},
      ...field(s.status, String(r.status)),
      ...field(s.duration, fmt.ms(r.durationMs)),
      ...(r.ttfbMs !== undefined ? field(s.ttfb, fmt.ms(r.ttfbMs)) : []),
      ...field(s.tokens, fmt.t(s.tokensInOut, fmt.int(r.inputTokens ?? 0), fmt.int(r.outputTokens ?? 0))),
      ...(r.cacheReadTokens !== undefined || r.cacheWriteTokens !== undefined
        ? field(s.cache, fmt.t(s.cacheTokens, fmt.int(r.cacheReadTokens ?? 0), fmt.int(r.cacheWriteTokens ?? 0)))
        : []),
      ...(r.credits !== undefined ? field(s.credits, fmt.number(r.credits)) : []),
    );
    const parts: HTMLElement[] = [
      h('div', { className: 'detail-columns' }, h('div', {}, h('h3', { text: s.request }), request), h('div', {}, h('h3', { text: s.response }), response)),
    ];
    if (r.error) parts.push(h('h3', { text: s.error }), h('pre', { className: 'error-text', text: r.error }));
    if (d.kiroRequest) parts.push(h('details', {}, h('summary', { text: s.kiroRequest }), h('pre', { className: 'code', text: d.kiroRequest })));
    if (failed(r)) {
      const repro = h('vscode-button', { id: 'export-repro', text: s.exportRepro });
      repro.addEventListener('click', () => ctx.post({ type: 'exportRepro', id: r.id }));
      parts.push(h('div', { className: 'toolbar' }, repro));
    }
    detail.replaceChildren(...parts);
  }

  return {
    element,
    reset(next) {
      rows = next.slice(0, MAX_LOG_ROWS);
      if (selectedId !== undefined && !rows.some((r) => r.id === selectedId)) {
        selectedId = undefined;
        detail.className = 'detail muted';
        detail.replaceChildren(s.selectEntry);
      }
      renderAll();
    },
    append(fresh) {
      rows = [...fresh, ...rows].slice(0, MAX_LOG_ROWS);
      body.prepend(...fresh.filter(matches).map(rowElement));
      const oldest = rows[rows.length - 1]?.id ?? 0;
      while (body.lastElementChild && (body.childElementCount > MAX_LOG_ROWS || Number((body.lastElementChild as HTMLElement).dataset.id) < oldest)) {
        body.lastElementChild.remove();
      }
      refreshChrome();
    },
    showDetail,
    setAccountNames(accounts) {
      const next = new Map(accounts.map((a) => [a.id, a.label]));
      if (next.size === names.size && [...next].every(([id, label]) => names.get(id) === label)) return;
      names = next;
      renderAll();
    },
  };
}
