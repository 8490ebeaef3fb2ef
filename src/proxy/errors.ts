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

  constructor(
    readonly kind: ProxyErrorKind,
    message: string,
    options: { status?: number; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProxyError';
    this.status = options.status ?? STATUS[kind];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const TOO_LONG_MESSAGE =
  'The conversation is too long for Kiro (Input is too long / CONTENT_LENGTH_EXCEEDS_THRESHOLD). ' +
  'Start a new conversation or run /clear, then tell the assistant what you were doing.';

export function invalidRequest(message: string): ProxyError {
  return new ProxyError('invalid_request', message);
}

export function asProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  return new ProxyError('internal', 'Internal proxy error', { cause: err });
}
