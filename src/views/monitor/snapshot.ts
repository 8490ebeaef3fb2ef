// Turns engine data into the page's view types. Pure; the only place that decides what of an
// entry or account may reach the webview (no tokens, no whole profile ARNs, errors scrubbed).
import type { EngineState } from '../../proxy/engine';
import type { RequestLogEntry, RequestStats } from '../../proxy/log';
import type { AccountView } from '../../proxy/pool/account';
import type { AccountRow, LogDetail, LogRow, MonitorSnapshot, ServiceView, StatsView } from './protocol';
import { sanitizeKiroRequest, scrubString } from './scrub';

export function serviceView(state: EngineState): ServiceView {
  switch (state.status) {
    case 'running':
      return { status: 'running', url: state.url };
    case 'failed':
      return { status: 'failed', error: scrubString(state.error) };
    default:
      return { status: state.status };
  }
}

export function statsView(stats: RequestStats): StatsView {
  const { lastHour, ...totals } = stats;
  return {
    ...totals,
    lastHour: lastHour.map((b) => ({ minute: b.minute, requests: b.requests, errors: b.errors, avgMs: b.requests ? b.totalMs / b.requests : 0 })),
  };
}

export function accountRow(a: AccountView): AccountRow {
  const until = a.cooldownUntil ?? a.exhaustedUntil;
  return {
    id: a.id,
    label: a.label,
    state: a.state,
    ...(a.reason ? { reason: scrubString(a.reason) } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(a.quota ? { quota: { plan: a.quota.plan, used: a.quota.used, limit: a.quota.limit, ...(a.quota.resetAt ? { resetAt: a.quota.resetAt } : {}) } } : {}),
    region: a.apiRegion,
    ...(a.profileArn ? { profile: profileIdOf(a.profileArn) } : {}),
    requests: a.counters.requests,
    errors: a.counters.errors,
    credits: a.counters.credits,
  };
}

/** `arn:aws:codewhisperer:eu-central-1:123456789012:profile/ABCDEF` → `ABCDEF`. */
function profileIdOf(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export function buildSnapshot(state: EngineState, stats: RequestStats, accounts: AccountView[], now: number): MonitorSnapshot {
  return { now, service: serviceView(state), stats: statsView(stats), accounts: accounts.map(accountRow) };
}

export function logRow(e: RequestLogEntry): LogRow {
  const optional = {
    kiroModel: e.kiroModel,
    accountId: e.accountId,
    account: e.accountLabel ?? e.accountId,
    ttfbMs: e.ttfbMs,
    inputTokens: e.inputTokens,
    outputTokens: e.outputTokens,
    cacheReadTokens: e.cacheReadTokens,
    cacheWriteTokens: e.cacheWriteTokens,
    credits: e.credits,
    attempts: e.attempts,
    webSearches: e.webSearches,
    error: e.error === undefined ? undefined : scrubString(e.error),
  };
  const row: LogRow = { id: e.id, time: e.time, endpoint: e.endpoint, clientModel: e.clientModel, status: e.status, stream: e.stream, durationMs: e.durationMs };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(row, { [key]: value });
  return row;
}

/** The page shows at most this much of a Kiro request; the repro export has all of it. */
const DETAIL_REQUEST_CHARS = 20_000;

export function logDetail(e: RequestLogEntry): LogDetail {
  if (!e.kiroRequest) return { row: logRow(e) };
  const pretty = JSON.stringify(sanitizeKiroRequest(e.kiroRequest), null, 2);
  return { row: logRow(e), kiroRequest: pretty.length > DETAIL_REQUEST_CHARS ? `${pretty.slice(0, DETAIL_REQUEST_CHARS)}\n…` : pretty };
}
