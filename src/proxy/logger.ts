// Diagnostics sink for the engine. The CLI prints to stderr, the extension writes to a
// LogOutputChannel. Every message passes through `redact` first, so a token that slips into
// an error from a library still never reaches a log.

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

// Kiro access/refresh tokens (aoa…/aor…), Kiro API keys (ksk_…), JWTs, bearer headers, secret-named JSON fields,
// secret-named form/query parameters and `x-api-key:` header lines.
const SECRET_FIELDS =
  'accessToken|refreshToken|clientSecret|kiroApiKey|access_token|refresh_token|client_secret|id_token|idToken|apiKey|api_key|x-api-key|authorization|password|code_verifier|token';
const SECRET_PATTERNS: RegExp[] = [
  /\bao[ar][A-Za-z0-9_\-:.+/=]{16,}/g,
  /\bksk_[A-Za-z0-9._~+/=-]{8,}/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,}/g,
  /(bearer\s+)[^\s"',]+/gi,
  new RegExp(`("(?:${SECRET_FIELDS})"\\s*:\\s*")[^"]*`, 'gi'),
  new RegExp(`([?&](?:${SECRET_FIELDS})=)[^&\\s"']+`, 'gi'),
  /((?:^|[\s,{])x-api-key\s*:\s*)[^\s"',}]+/gim,
  // Credentials in a URL (an outbound proxy's user:password@).
  /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:"']+:[^\s/@"']+(?=@)/gi,
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

/**
 * A thrown value as one printable line with secrets removed. Library errors (undici, fs, JSON)
 * can quote a URL, a header or a body; their `cause` chain is included and scrubbed too.
 */
export function redactError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? (current as Error & { cause?: unknown }).cause : undefined;
  }
  return redact(parts.filter(Boolean).join(': '));
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
