// The one status bar item as a pure function of the proxy status and the accounts.
import type { AccountView } from '../proxy/pool/account';
import type { ProxyStatus } from '../host/proxyStatus';
import { isUsable } from './accountItemModel';
import { formatClockTime } from './timeModel';
import { escapeMarkdown, type Translate } from './translate';

export interface StatusBarInput {
  status: ProxyStatus;
  accounts: AccountView[];
  /** Requests this window's proxy served; undefined when it does not serve (remote, stopped). */
  requestsServed?: number;
  /** `KIRO_PROXY_ENDPOINT` as shown, when set: the Kiro calls and their tokens go there. */
  kiroEndpoint?: string;
  now: number;
  t: Translate;
  locale: string;
  timeZone?: string;
}

export interface StatusBarModel {
  text: string;
  /** Only the two status bar colours themes define for items. */
  background?: 'warning' | 'error';
  /** Trusted Markdown: it carries `command:` links. */
  tooltip: string;
  /** The click toggles start/stop. */
  command: 'kiro.toggleProxy';
  /** When the text or colour changes by itself (a cooldown ends), epoch ms. */
  nextChangeAt?: number;
}

export function accountCounts(accounts: AccountView[]): { usable: number; total: number; cooling: number } {
  return {
    usable: accounts.filter(isUsable).length,
    total: accounts.length,
    cooling: accounts.filter((a) => a.state === 'cooldown').length,
  };
}

export function nextCooldownEnd(accounts: AccountView[], now: number): number | undefined {
  const ends = accounts
    .filter((a) => a.state === 'cooldown' && a.cooldownUntil !== undefined && a.cooldownUntil > now)
    .map((a) => a.cooldownUntil as number);
  return ends.length ? Math.min(...ends) : undefined;
}

export function statusBarModel(input: StatusBarInput): StatusBarModel {
  const { status, t } = input;
  const counts = accountCounts(input.accounts);
  const tally = `${counts.usable}/${counts.total}`;
  const nextEnd = nextCooldownEnd(input.accounts, input.now);
  const accountTrouble = counts.usable === 0 || counts.cooling > 0;

  let text: string;
  let background: StatusBarModel['background'];
  switch (status.kind) {
    case 'running':
      text = `$(radio-tower) Kiro :${status.port} · ${tally}`;
      if (accountTrouble) background = 'warning';
      break;
    case 'remote':
      text = `$(radio-tower) Kiro :${status.port} · ${t('other window')}`;
      if (accountTrouble) background = 'warning';
      break;
    case 'starting':
      text = `$(loading~spin) Kiro :${status.port}`;
      break;
    case 'stopped':
      text = `$(debug-disconnect) Kiro · ${t('off')} · ${tally}`;
      break;
    case 'foreign':
      text = `$(warning) Kiro :${status.port} ${t('in use')}`;
      background = 'error';
      break;
    case 'failed':
      text = `$(error) Kiro`;
      background = 'error';
      break;
  }
  return {
    text,
    ...(background ? { background } : {}),
    tooltip: statusTooltip(input, counts, nextEnd),
    command: 'kiro.toggleProxy',
    ...(nextEnd !== undefined ? { nextChangeAt: nextEnd } : {}),
  };
}

function statusTooltip(input: StatusBarInput, counts: ReturnType<typeof accountCounts>, nextEnd: number | undefined): string {
  const { status, t } = input;
  const lines: string[] = [];
  switch (status.kind) {
    case 'running':
      lines.push(`**Kiro Proxy** — ${t('running')}`, t('Base URL: {0}', `\`${status.url}\``));
      break;
    case 'remote':
      lines.push(`**Kiro Proxy** — ${t('served by another window')}`, t('Base URL: {0}', `\`${status.url}\``));
      lines.push(t('This window uses it; it takes over when that window closes.'));
      break;
    case 'starting':
      lines.push(`**Kiro Proxy** — ${t('starting…')}`);
      break;
    case 'stopped':
      lines.push(`**Kiro Proxy** — ${t('stopped')}`);
      break;
    case 'foreign':
      lines.push(`**Kiro Proxy** — ${t('port {0} is used by another program', status.port)}`, escapeMarkdown(status.detail));
      break;
    case 'failed':
      lines.push(`**Kiro Proxy** — ${t('failed to start')}`, escapeMarkdown(status.error));
      break;
  }
  if (counts.total === 0) lines.push(t('No accounts yet: add one in the Kiro view.'));
  else if (counts.cooling > 0) lines.push(t('Accounts: {0} usable of {1}, {2} cooling down', counts.usable, counts.total, counts.cooling));
  else lines.push(t('Accounts: {0} usable of {1}', counts.usable, counts.total));
  if (input.requestsServed !== undefined) lines.push(t('Requests served: {0}', input.requestsServed));
  if (input.kiroEndpoint) lines.push(`$(warning) ${t('Kiro calls and your tokens go to {0} (KIRO_PROXY_ENDPOINT), not to Kiro.', `\`${input.kiroEndpoint}\``)}`);
  if (nextEnd !== undefined) lines.push(t('Next cooldown ends at {0}', formatClockTime(nextEnd, input.locale, input.timeZone)));

  const links: string[] = [];
  const link = (title: string, command: string) => links.push(`[${title}](command:${command})`);
  if (status.kind === 'running') link(t('Stop'), 'kiro.stopProxy');
  else if (status.kind === 'remote') link(t('Stop Using'), 'kiro.stopProxy');
  else if (status.kind !== 'starting') link(t('Start'), 'kiro.startProxy');
  link(t('Open Monitor'), 'kiro.openMonitor');
  if (status.kind === 'running' || status.kind === 'remote') link(t('Copy Base URL'), 'kiro.copyBaseUrl');
  return [...lines, '', '---', '', links.join(' · ')].join('\n\n');
}
