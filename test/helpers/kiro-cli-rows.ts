// The rows kiro-cli writes to its SQLite `auth_kv` table (docs/kiro-protocol.md §6.1), shared by the
// mapping unit tests and the real-database integration test.
export const FUTURE = '2099-01-01T00:00:00.123456789Z';

/** What kiro-cli writes (snake_case, serde `None` as null, RFC 3339 with nanoseconds). */
export const ROWS: Record<string, unknown> = {
  'kirocli:social:token': {
    access_token: 'social-access',
    expires_at: FUTURE,
    refresh_token: 'social-refresh',
    provider: 'github',
    profile_arn: 'arn:aws:codewhisperer:us-east-1:111111111111:profile/SOCIAL',
  },
  'kirocli:odic:token': {
    access_token: 'idc-access',
    expires_at: '2099-01-01T00:00:00Z',
    refresh_token: 'idc-refresh',
    region: 'eu-west-1',
    start_url: 'https://d-1234567890.awsapps.com/start',
    oauth_flow: 'DeviceCode',
    scopes: ['codewhisperer:completions', 'codewhisperer:conversations'],
  },
  'kirocli:odic:device-registration': {
    client_id: 'client-id',
    client_secret: 'client-secret',
    client_secret_expires_at: '2099-01-01T00:00:00Z',
    region: 'eu-west-1',
    oauth_flow: 'DeviceCode',
    scopes: null,
  },
};
export const PROFILE = { arn: 'arn:aws:codewhisperer:eu-central-1:222222222222:profile/IDC', profile_name: 'idc' };

/** The credentials the odic rows and the state table's profile become. */
export const IDC_CREDENTIALS = {
  accessToken: 'idc-access',
  refreshToken: 'idc-refresh',
  expiresAt: Date.parse('2099-01-01T00:00:00Z'),
  authMethod: 'idc',
  provider: 'Enterprise',
  region: 'eu-west-1',
  profileArn: PROFILE.arn,
  clientId: 'client-id',
  clientSecret: 'client-secret',
};

export function rowsOf(rows: Record<string, unknown>): Map<string, string> {
  return new Map(Object.entries(rows).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}
