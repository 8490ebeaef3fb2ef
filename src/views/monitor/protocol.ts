// The typed messages between the monitor panel (extension host) and its page (webview), shared
// by both bundles. Everything the page sends is untrusted: the host only acts on what
// `parsePageMessage` accepts, and the serializer only on what `parsePageState` accepts.
import type { RequestLogEntry, RequestStats } from '../../proxy/log-entry';
import type { MonitorStrings } from './strings';
import { isRecord } from '../../proxy/records';

export type MonitorTab = 'monitor' | 'logs';
export type StatusFilter = 'all' | 'ok' | 'errors';

export interface ServiceView {
  status: 'stopped' | 'starting' | 'running' | 'failed';
  url?: string;
  error?: string;
}

export interface MinuteView {
  /** Epoch minute (ms / 60 000). */
  minute: number;
  requests: number;
  errors: number;
  avgMs: number;
}

/** The engine's totals, with per-minute averages instead of sums and no session list. */
export type StatsView = Omit<RequestStats, 'lastHour' | 'sessions'> & { lastHour: MinuteView[] };

export interface AccountRow {
  id: string;
  label: string;
  state: string;
  reason?: string;
  /** End of a cooldown or exhaustion, epoch ms (host clock). */
  until?: number;
  quota?: { plan: string; used: number; limit: number; resetAt?: number };
  /** Where its calls go, and its organisation profile's id (the ARN's last part: the ARN names the AWS account). */
  region: string;
  profile?: string;
  requests: number;
  errors: number;
  credits: number;
}

export interface MonitorSnapshot {
  /** Host clock, so countdowns stay right when the page's clock differs (remote hosts). */
  now: number;
  service: ServiceView;
  stats: StatsView;
  accounts: AccountRow[];
}

/**
 * A log entry as the page shows it: no repro payload, no session key. `accountId` is how the page
 * names the account (its current label, from the snapshot); `account` is the label it had when the
 * request ran, for an account removed since.
 */
export type LogRow = Omit<RequestLogEntry, 'accountLabel' | 'kiroRequest' | 'sessionId'> & { account?: string };

export interface LogDetail {
  row: LogRow;
  /** The translated Kiro request of a failed entry, redacted and pretty-printed. */
  kiroRequest?: string;
}

export interface SpeedResult {
  accountId: string;
  label: string;
  ok: boolean;
  ms?: number;
  error?: string;
}

export type SpeedTestView =
  /** `results`: the accounts that finished so far. */
  | { state: 'running'; accounts: Array<{ accountId: string; label: string }>; results: SpeedResult[] }
  | { state: 'done'; results: SpeedResult[] }
  | { state: 'failed'; error: string };

export type HostMessage =
  | { type: 'init'; strings: MonitorStrings; locale: string; tab?: MonitorTab }
  | { type: 'snapshot'; snapshot: MonitorSnapshot }
  | { type: 'logReset'; rows: LogRow[] }
  | { type: 'logAppend'; rows: LogRow[] }
  | { type: 'logDetail'; id: number; detail?: LogDetail }
  | { type: 'showTab'; tab: MonitorTab }
  | { type: 'speedTest'; test: SpeedTestView };

export type PageMessage =
  | { type: 'ready' }
  | { type: 'selectEntry'; id: number }
  | { type: 'exportRepro'; id: number }
  | { type: 'speedTest' }
  | { type: 'clearLog' }
  | { type: 'exportLog' };

/** What the page keeps with `setState`; VS Code hands it to the serializer after a reload. */
export interface PageState {
  tab: MonitorTab;
  status: StatusFilter;
  /** '' means all. */
  account: string;
  model: string;
}

/** Rows the page keeps (and the host sends on reset); older rows drop off the end. */
export const MAX_LOG_ROWS = 500;

const isEntryId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isShortString = (v: unknown): v is string => typeof v === 'string' && v.length <= 500;

export function isMonitorTab(v: unknown): v is MonitorTab {
  return v === 'monitor' || v === 'logs';
}

export function parsePageMessage(raw: unknown): PageMessage | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case 'ready':
    case 'speedTest':
    case 'clearLog':
    case 'exportLog':
      return { type: raw.type };
    case 'selectEntry':
    case 'exportRepro':
      return isEntryId(raw.id) ? { type: raw.type, id: raw.id } : undefined;
    default:
      return undefined;
  }
}

export function parsePageState(raw: unknown): PageState | undefined {
  if (!isRecord(raw) || !isMonitorTab(raw.tab)) return undefined;
  const status = raw.status === 'ok' || raw.status === 'errors' ? raw.status : 'all';
  return {
    tab: raw.tab,
    status,
    account: isShortString(raw.account) ? raw.account : '',
    model: isShortString(raw.model) ? raw.model : '',
  };
}
