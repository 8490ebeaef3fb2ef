// What a Kiro call needs to know about the account it runs as.

export type AuthMethod = 'social' | 'idc';

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
