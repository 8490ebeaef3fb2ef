// Errors in Google's shape: `{error: {code, message, status}}`.
import type { ProxyError, ProxyErrorKind } from '../../errors';

const STATUS: Record<ProxyErrorKind, string> = {
  invalid_request: 'INVALID_ARGUMENT',
  authentication: 'UNAUTHENTICATED',
  permission: 'PERMISSION_DENIED',
  not_found: 'NOT_FOUND',
  request_too_large: 'INVALID_ARGUMENT',
  unsupported_media_type: 'INVALID_ARGUMENT',
  rate_limit: 'RESOURCE_EXHAUSTED',
  overloaded: 'UNAVAILABLE',
  upstream: 'INTERNAL',
  timeout: 'DEADLINE_EXCEEDED',
  internal: 'INTERNAL',
};

export function errorBody(error: ProxyError): unknown {
  return { error: { code: error.status, message: error.message, status: STATUS[error.kind] } };
}
