// Scrubbing for anything that leaves the extension host as text (details, exports, repros):
// `redact()` for token-shaped strings, plus removal of profile ARNs and of any secret-named
// field, because a repro is meant to be attached to a public issue.
import { redact } from '../../proxy/logger';

const SECRET_FIELD = /^(profileArn|accessToken|refreshToken|kiroApiKey|idToken|clientSecret|clientId|authorization|apiKey|api_key|access_token|refresh_token|client_secret|token|password|cookie)$/i;
const ARN = /\barn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:\d{12}:[^\s"',]+/g;

export function scrubString(text: string): string {
  return redact(text).replace(ARN, '[redacted-arn]');
}

export function scrub(value: unknown): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (Array.isArray(value)) return value.map(scrub);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) if (!SECRET_FIELD.test(key)) out[key] = scrub(v);
    return out;
  }
  return value;
}

/** The stored Kiro request as an object when it parses (truncated ones do not), scrubbed either way. */
export function sanitizeKiroRequest(text: string): unknown {
  try {
    return scrub(JSON.parse(text));
  } catch {
    return scrubString(text).replace(/("profileArn"\s*:\s*")[^"]*/g, '$1[redacted]');
  }
}
