// Kiro API keys (`ksk_…`, docs/kiro-protocol.md §11.3): the key itself is the bearer, with the
// `tokentype: API_KEY` header (§11.1.1); no token exchange, no refresh, no expiry. They are
// issued in us-east-1 and carry no profile ARN (never attach an unrelated one, §11.3).
import type { KiroCredentials } from './credentials';

/** What every key starts with; the scrubber knows it too. */
export const API_KEY_PREFIX = 'ksk_';

// The key's body is not documented; token68 characters (what a bearer may hold) of some length.
const API_KEY_SHAPE = /^ksk_[A-Za-z0-9._~+/=-]{16,1024}$/;

/** The region API keys are issued in, where their calls go. */
export const API_KEY_REGION = 'us-east-1';

/** Shown on an API-key account Kiro refused (401/403): a key is never refreshed, only replaced. */
export const API_KEY_REFUSED = 'Kiro refused this API key (revoked, expired or no longer allowed by the plan); create a new one at app.kiro.dev and add it again.';

/** Whether `text` (blanks around it aside) has the shape of a key, for input boxes that check as the user types. */
export function looksLikeApiKey(text: string): boolean {
  return API_KEY_SHAPE.test(text.trim());
}

/** The key from what the user gave (surrounding blanks and newlines dropped); throws a message that never quotes it. */
export function parseApiKey(text: string): string {
  const key = text.trim();
  if (!key) throw new Error('No Kiro API key given: set KIRO_API_KEY or pass the key on standard input.');
  if (!looksLikeApiKey(key)) {
    throw new Error(`That is not a Kiro API key: a key starts with "${API_KEY_PREFIX}" followed by at least 16 letters, digits or -._~+/= and nothing else.`);
  }
  return key;
}

export function apiKeyCredentials(key: string): Omit<KiroCredentials, 'machineId'> {
  return { accessToken: key, authMethod: 'api_key', provider: 'API key', region: API_KEY_REGION };
}

export function isApiKey(credentials: Pick<KiroCredentials, 'authMethod'>): boolean {
  return credentials.authMethod === 'api_key';
}
