// One error type for the whole engine. Adapters render it in their own protocol's shape;
// the kind decides the shape's `type`, the status is the HTTP status the client sees.

export type ProxyErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'request_too_large'
  | 'unsupported_media_type'
  | 'rate_limit'
  | 'overloaded'
  | 'upstream'
  | 'timeout'
  | 'internal';

const STATUS: Record<ProxyErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  request_too_large: 413,
  unsupported_media_type: 415,
  rate_limit: 429,
  overloaded: 529,
  upstream: 502,
  timeout: 504,
  internal: 500,
};

export class ProxyError extends Error {
  readonly status: number;
  /** Seconds the client should wait, sent as `Retry-After` on 429/503. */
  readonly retryAfterSeconds?: number;
  /** A machine-readable code and the offending field, for protocols whose errors carry them (OpenAI). */
  readonly code?: string;
  readonly param?: string;

  constructor(
    readonly kind: ProxyErrorKind,
    message: string,
    options: { status?: number; retryAfterSeconds?: number; cause?: unknown; code?: string; param?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProxyError';
    this.status = options.status ?? STATUS[kind];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.code = options.code;
    this.param = options.param;
  }

  /** The same error with another message (a scrubbed one); the original is its cause. */
  withMessage(message: string): ProxyError {
    return new ProxyError(this.kind, message, { status: this.status, retryAfterSeconds: this.retryAfterSeconds, code: this.code, param: this.param, cause: this });
  }
}

// Claude Code compacts the conversation and retries when an error says "prompt is too long"
// (as Anthropic's own does); other clients read the rest.
export const TOO_LONG_MESSAGE =
  'prompt is too long: the conversation is more than Kiro accepts (Input is too long / CONTENT_LENGTH_EXCEEDS_THRESHOLD). ' +
  'Compact it or start a new one (Claude Code: /compact or /clear), then tell the assistant what you were doing.';

/** Kiro refused the conversation as too long; OpenAI clients (Codex) compact on the code. */
export function tooLongError(): ProxyError {
  return new ProxyError('invalid_request', TOO_LONG_MESSAGE, { code: 'context_length_exceeded' });
}

export function invalidRequest(message: string): ProxyError {
  return new ProxyError('invalid_request', message);
}

export function asProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  return new ProxyError('internal', 'Internal proxy error', { cause: err });
}

/** The client went away before its reply was done: logged as nginx's 499, never sent anywhere. */
export function clientClosedError(): ProxyError {
  return new ProxyError('internal', 'Client closed the request', { status: 499 });
}

/** The message of anything thrown, for logs (which scrub it). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
