// What a Kiro call needs to know about the account it runs as.

/** `api_key`: a Kiro API key (`ksk_…`, §11.3) in `accessToken`, never refreshed. */
export type AuthMethod = 'social' | 'idc' | 'api_key';

export interface KiroCredentials {
  accessToken: string;
  refreshToken?: string;
  /** Access token expiry, epoch milliseconds. */
  expiresAt?: number;
  authMethod: AuthMethod;
  /** `Google`, `Github`, `BuilderId`, `Enterprise`… */
  provider?: string;
  profileArn?: string;
  /** The token's own (auth/OIDC) region; the API region comes from the profileArn. */
  region: string;
  clientId?: string;
  clientSecret?: string;
  /** 64 hex chars, stable per account, sent in the user agent. */
  machineId: string;
}
