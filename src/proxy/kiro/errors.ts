// Turns a failed Kiro call into one of a few kinds the pool and the exchange act on
// (docs/kiro-protocol.md §5). Kiro's error type header is unreliable, so like every reference
// proxy we classify by status, `reason` and message text.
import type { KiroHttp } from './http';
import { OutboundProxyError } from './outbound-proxy';
import type { ResponseHeaders } from './response-body';

export type KiroFailureKind =
  /** 429: rate limit or capacity; cool the account down and fail over. */
  | 'throttled'
  /** 429 "suspicious activity": Kiro is investigating the account; long cooldown and a warning. */
  | 'suspicious'
  /** Monthly credits used up (402 MONTHLY_REQUEST_COUNT); parked until the reset date. */
  | 'exhausted'
  /** 403 TEMPORARILY_SUSPENDED: banned until the user contacts support. */
  | 'suspended'
  /** 401, or 403 "bearer token is invalid": force one refresh and retry once. */
  | 'bearer_invalid'
  /** Another 403 (e.g. FEATURE_NOT_SUPPORTED): this account cannot serve it; fail over. */
  | 'auth'
  /** 400 CONTENT_LENGTH_EXCEEDS_THRESHOLD: the client must shorten its conversation. */
  | 'too_long'
  /** Any other 4xx: the request itself is wrong; returned as is, never cools an account. */
  | 'bad_request'
  /** 5xx or network: retry with backoff, then fail over. */
  | 'transient'
  /** The account's outbound proxy is unreachable or refused the tunnel: that account rests, the next one serves. */
  | 'proxy';

export interface KiroFailure {
  kind: KiroFailureKind;
  /** HTTP status, 0 for network failures. */
  status: number;
  /** Kiro's own message with anything token-like removed; safe for logs and clients. */
  message: string;
  reason?: string;
  retryAfterSeconds?: number;
}

/** A Kiro control-plane call (usage, models) that failed; carries the classified failure. */
export class KiroCallError extends Error {
  constructor(readonly failure: KiroFailure) {
    super(failure.message);
    this.name = 'KiroCallError';
  }
}

const MAX_MESSAGE_CHARS = 500;

type JsonInit = Parameters<KiroHttp['json']>[1];
export type JsonResponse = Awaited<ReturnType<KiroHttp['json']>>;

/** A control-plane JSON call that throws `KiroCallError` for network failures and non-2xx answers. */
export async function kiroJson(http: KiroHttp, url: string, init: JsonInit): Promise<JsonResponse> {
  let res: JsonResponse;
  try {
    res = await http.json(url, init);
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new KiroCallError(networkFailure(err));
  }
  if (res.status >= 200 && res.status < 300) return res;
  throw new KiroCallError(classifyKiroFailure(res.status, res.text, res.headers));
}

export function classifyKiroFailure(status: number, bodyText: string, headers: ResponseHeaders = {}): KiroFailure {
  const { message, reason } = parseEnvelope(bodyText);
  const base = { status, message: safeMessage(message || `Kiro answered HTTP ${status}`), ...(reason ? { reason } : {}) };
  const text = `${message} ${reason ?? ''}`;

  // The account's paid overage is used up too: nothing more until the reset, like the monthly quota.
  if (reason === 'MONTHLY_REQUEST_COUNT' || reason === 'OVERAGE_REQUEST_LIMIT_EXCEEDED' || status === 402) return { kind: 'exhausted', ...base };
  // Kiro is short of capacity for the model, not this account: retry, but cool no account down
  // (all of them would go, and every client with them, for five minutes).
  if (reason === 'INSUFFICIENT_MODEL_CAPACITY') return { kind: 'transient', ...base };
  if (status === 429) {
    const retryAfterSeconds = parseRetryAfter(header(headers, 'retry-after'));
    const kind = /suspicious activity/i.test(text) ? 'suspicious' : 'throttled';
    return { kind, ...base, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
  }
  if (reason === 'TEMPORARILY_SUSPENDED' || (status === 403 && /suspended/i.test(text))) return { kind: 'suspended', ...base };
  if (status === 401 || (status === 403 && /bearer token|token .*(invalid|expired)/i.test(text))) {
    return { kind: 'bearer_invalid', ...base };
  }
  if (status === 403) return { kind: 'auth', ...base };
  if (reason === 'CONTENT_LENGTH_EXCEEDS_THRESHOLD' || /input is too long/i.test(text)) return { kind: 'too_long', ...base };
  if (status === 408 || status >= 500) return { kind: 'transient', ...base };
  return { kind: 'bad_request', ...base };
}

/** A connection reset, DNS failure or timeout before Kiro answered. */
export function networkFailure(err: unknown): KiroFailure {
  if (err instanceof OutboundProxyError) return { kind: 'proxy', status: 0, message: safeMessage(err.message) };
  const code = (err as { code?: unknown })?.code;
  const detail = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  return { kind: 'transient', status: 0, message: safeMessage(`Network error talking to Kiro: ${detail}`) };
}

/** Remove bearer/refresh tokens and other long opaque strings before text leaves the engine. */
export function safeMessage(text: string): string {
  const cleaned = text
    .replace(/Bearer\s+\S+/gi, 'Bearer [redacted]')
    .replace(/\b(aoa|aor|ksk_)[A-Za-z0-9+/=_.:~-]{8,}/g, '[redacted]')
    .replace(/[A-Za-z0-9+/=_-]{64,}/g, '[redacted]');
  return cleaned.length > MAX_MESSAGE_CHARS ? `${cleaned.slice(0, MAX_MESSAGE_CHARS)}…` : cleaned;
}

function parseEnvelope(bodyText: string): { message: string; reason?: string } {
  try {
    const body = JSON.parse(bodyText) as Record<string, unknown>;
    const message = [body.message, body.Message, body.error_description, body.error].find((v) => typeof v === 'string');
    // OIDC answers `{error, error_description}`: the error code plays the part of Kiro's reason.
    const reason = [body.reason, body.error].find((v): v is string => typeof v === 'string');
    return { message: (message as string | undefined) ?? '', reason };
  } catch {
    return { message: bodyText.trim() };
  }
}

function header(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Retry-After is either delta-seconds or an HTTP date. */
function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
