// Errors in OpenAI's shape, `{error: {message, type, code, param}}`: Chat Completions and Responses alike.
import type { ProxyError, ProxyErrorKind } from '../errors';

/** OpenAI's own `type`/`code` values, so clients' special cases (context length, rate limits) apply. */
const ERRORS: Record<ProxyErrorKind, { type: string; code: string | null }> = {
  invalid_request: { type: 'invalid_request_error', code: null },
  authentication: { type: 'invalid_request_error', code: 'invalid_api_key' },
  permission: { type: 'invalid_request_error', code: 'permission_denied' },
  not_found: { type: 'invalid_request_error', code: 'not_found' },
  request_too_large: { type: 'invalid_request_error', code: 'request_too_large' },
  unsupported_media_type: { type: 'invalid_request_error', code: 'unsupported_media_type' },
  rate_limit: { type: 'requests', code: 'rate_limit_exceeded' },
  overloaded: { type: 'server_error', code: 'server_overloaded' },
  upstream: { type: 'server_error', code: null },
  timeout: { type: 'server_error', code: 'timeout' },
  internal: { type: 'server_error', code: null },
};

export function openaiErrorBody(error: ProxyError): unknown {
  const { type, code } = ERRORS[error.kind];
  // An error's own code first: Codex and others compact the conversation on context_length_exceeded.
  return { error: { message: error.message, type, code: error.code ?? code, param: error.param ?? null } };
}
