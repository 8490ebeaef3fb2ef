// Errors in Anthropic's shape: `{type: "error", error: {type, message}}`.
import type { ProxyError, ProxyErrorKind } from '../../errors';

const ERROR_TYPES: Record<ProxyErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  request_too_large: 'request_too_large',
  unsupported_media_type: 'invalid_request_error',
  rate_limit: 'rate_limit_error',
  overloaded: 'overloaded_error',
  upstream: 'api_error',
  timeout: 'timeout_error',
  internal: 'api_error',
};

export function errorBody(error: ProxyError): unknown {
  return { type: 'error', error: { type: ERROR_TYPES[error.kind], message: error.message } };
}
