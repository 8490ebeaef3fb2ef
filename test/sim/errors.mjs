// Kiro error bodies. Texts are verbatim from fixtures/errors/observed-error-bodies.json
// where a capture exists; the rest follow the official enums (docs/kiro-protocol.md §5).

/** @typedef {{status: number, errorType: string, message: string, reason: string|null, headers?: Record<string,string>}} KiroError */

export const MSG = {
  improperlyFormed: 'Improperly formed request.',
  profileArnRequired: 'profileArn is required for this request.',
  inputTooLong: 'Input is too long.',
  invalidModel: 'Invalid model. Please select a different model to continue.',
  monthlyLimit: 'You have reached the limit.',
  bearerInvalid: 'The bearer token included in the request is invalid.',
  throttled: 'Too many requests, please wait before trying again.',
  notAuthorized: 'User is not authorized to make this call.',
  internal: 'Encountered an unexpected error when processing the request, please try again.',
  overloaded: 'The model you selected is temporarily unavailable due to unexpectedly high load. Please try again later.',
  unavailable: 'Service Unavailable',
};

/** 2025–2026 variant ("temporarily is suspended"); userId looks like `d-<10 hex>.<uuid>` or a bare uuid. */
export const suspendedMessage = (userId) =>
  `Your User ID (${userId}) temporarily is suspended. We've locked your account as a security precaution. To restore access, please contact our support team to verify your identity: https://support.aws.amazon.com/#/contacts/kiro`;
/** 2026-08 variant without the id. */
export const suspendedMessageNew = () =>
  'Your User ID is temporarily suspended. We detected unusual user activity and locked it as a security precaution. To restore access, please contact our support team to verify your identity: https://support.aws.amazon.com/#/contacts/kiro';
/** Verbatim 429 body from decolua/9router issue #1389 (2026-05). */
export const suspiciousMessage = (userId) =>
  `Due to suspicious activity, we are imposing temporary limits on how frequently your account (${userId}) can send a request to Kiro while we investigate. If you need assistance, please contact support at https://app.kiro.dev/account/usage?support_form.`;

/**
 * Named error presets, usable as `{error: '<name>'}` in a reply script.
 * @type {Record<string, (ctx: {userId?: string}) => KiroError>}
 */
export const ERROR_PRESETS = {
  improperlyFormed: () => ({ status: 400, errorType: 'ValidationException', message: MSG.improperlyFormed, reason: null }),
  profileArnRequired: () => ({ status: 400, errorType: 'ValidationException', message: MSG.profileArnRequired, reason: null }),
  inputTooLong: () => ({ status: 400, errorType: 'ValidationException', message: MSG.inputTooLong, reason: 'CONTENT_LENGTH_EXCEEDS_THRESHOLD' }),
  invalidModel: () => ({ status: 400, errorType: 'ValidationException', message: MSG.invalidModel, reason: 'INVALID_MODEL_ID' }),
  monthlyLimit: () => ({ status: 402, errorType: 'ServiceQuotaExceededException', message: MSG.monthlyLimit, reason: 'MONTHLY_REQUEST_COUNT' }),
  bearerInvalid: () => ({ status: 403, errorType: 'AccessDeniedException', message: MSG.bearerInvalid, reason: null }),
  // `/mcp` with a profileArn that is not the account's, or IdC on the wrong host (kiro-gateway PR #213/#237).
  notAuthorized: () => ({ status: 403, errorType: 'AccessDeniedException', message: MSG.notAuthorized, reason: null }),
  suspended: ({ userId = 'd-9067c98495.00000000-0000-4000-8000-000000000000' }) =>
    ({ status: 403, errorType: 'AccessDeniedException', message: suspendedMessage(userId), reason: 'TEMPORARILY_SUSPENDED' }),
  suspendedNew: () => ({ status: 403, errorType: 'AccessDeniedException', message: suspendedMessageNew(), reason: 'TEMPORARILY_SUSPENDED' }),
  throttled: () => ({ status: 429, errorType: 'ThrottlingException', message: MSG.throttled, reason: null }),
  dailyLimit: () => ({ status: 429, errorType: 'ThrottlingException', message: MSG.throttled, reason: 'DAILY_REQUEST_COUNT' }),
  capacity: () => ({ status: 429, errorType: 'ThrottlingException', message: MSG.throttled, reason: 'INSUFFICIENT_MODEL_CAPACITY' }),
  suspicious: ({ userId = 'd-9067c98495.00000000-0000-4000-8000-000000000000' }) =>
    ({ status: 429, errorType: 'ThrottlingException', message: suspiciousMessage(userId), reason: null }),
  internal: () => ({ status: 500, errorType: 'InternalServerException', message: MSG.internal, reason: null }),
  overloaded: () => ({ status: 500, errorType: 'InternalServerException', message: MSG.overloaded, reason: 'MODEL_TEMPORARILY_UNAVAILABLE' }),
  unavailable: () => ({ status: 503, errorType: 'ServiceUnavailableException', message: MSG.unavailable, reason: null }),
};

/** Preset used when a script gives only `status`. */
const BY_STATUS = { 400: 'improperlyFormed', 402: 'monthlyLimit', 403: 'bearerInvalid', 429: 'throttled', 500: 'internal', 503: 'unavailable' };

/**
 * Resolve a script's error fields to a full error.
 * @param {{error?: string, status?: number, errorType?: string, message?: string, reason?: string|null, retryAfter?: number}} script
 * @param {{userId?: string}} ctx
 * @returns {KiroError}
 */
export function resolveError(script, ctx = {}) {
  const name = script.error ?? BY_STATUS[/** @type {keyof typeof BY_STATUS} */ (script.status ?? 500)];
  const preset = name && ERROR_PRESETS[name];
  if (script.error && !preset) throw new Error(`unknown error preset: ${script.error}`);
  const base = preset ? preset(ctx) : { status: script.status ?? 500, errorType: 'InternalServerException', message: MSG.internal, reason: null };
  return {
    status: script.status ?? base.status,
    errorType: script.errorType ?? base.errorType,
    message: script.message ?? base.message,
    reason: script.reason !== undefined ? script.reason : base.reason,
  };
}
