// Diagnostics sink for the engine. The CLI prints to stderr, the extension writes to a
// LogOutputChannel. Every message passes through `redact` first, so a token that slips into
// an error from a library still never reaches a log.

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

// Kiro access/refresh tokens (aoa…/aor…), JWTs, bearer headers, and secret-named JSON fields.
const SECRET_PATTERNS: RegExp[] = [
  /\bao[ar][A-Za-z0-9_\-:.+/=]{16,}/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,}/g,
  /(bearer\s+)[^\s"',]+/gi,
  /("(?:accessToken|refreshToken|clientSecret|access_token|refresh_token|client_secret|apiKey|api_key)"\s*:\s*")[^"]*/g,
];

const knownSecrets = new Set<string>();

/** Registers values that must never be printed, whatever their shape (API key, client secret). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) knownSecrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match, prefix: string | undefined) =>
      typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}[redacted]` : '[redacted]',
    );
  }
  return out;
}

export function redactingLogger(sink: Logger): Logger {
  return {
    debug: (m) => sink.debug(redact(m)),
    info: (m) => sink.info(redact(m)),
    warn: (m) => sink.warn(redact(m)),
    error: (m) => sink.error(redact(m)),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
