// kiro-cli's SQLite store as an account source (docs/kiro-protocol.md §6.1): how its `auth_kv`
// rows become accounts. The import from a real database, which needs Node 24's `node:sqlite` and
// the built CLI, is test/integration/kiro-cli-import.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultKiroCliDbPaths, extractAccounts, loadSqlite } from '../../src/proxy/pool/kiro-cli-store';
import { FUTURE, IDC_CREDENTIALS, PROFILE, ROWS, rowsOf } from '../helpers/kiro-cli-rows';

describe('kiro-cli store: mapping the auth_kv rows', () => {
  it('social → social with the provider and profile; odic + registration → idc with the client', () => {
    const { accounts, skipped, notes } = extractAccounts(rowsOf(ROWS), PROFILE);
    assert.deepEqual(skipped, []);
    assert.deepEqual(notes, []);
    assert.deepEqual(
      accounts.map((a) => a.key),
      ['kirocli:social:token', 'kirocli:odic:token'],
    );
    const [social, idc] = accounts.map((a) => a.credentials);
    assert.deepEqual(social, {
      accessToken: 'social-access',
      refreshToken: 'social-refresh',
      expiresAt: Date.parse('2099-01-01T00:00:00.123Z'),
      authMethod: 'social',
      provider: 'Github',
      region: 'us-east-1',
      // The token's own profile wins over the state table's.
      profileArn: 'arn:aws:codewhisperer:us-east-1:111111111111:profile/SOCIAL',
    });
    assert.deepEqual(idc, IDC_CREDENTIALS);
  });

  it('the Amazon Q CLI keys, Builder ID, and the registration region when the token has none', () => {
    const { accounts } = extractAccounts(
      rowsOf({
        'codewhisperer:odic:token': { access_token: 'a', expires_at: FUTURE, refresh_token: 'r', region: null, start_url: 'https://view.awsapps.com/start', oauth_flow: 'DeviceCode' },
        'codewhisperer:odic:device-registration': { client_id: 'c', client_secret: 's', region: 'us-west-2', oauth_flow: 'DeviceCode' },
      }),
    );
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0].key, 'codewhisperer:odic:token');
    assert.equal(accounts[0].credentials.provider, 'BuilderId');
    assert.equal(accounts[0].credentials.region, 'us-west-2');
    assert.equal(accounts[0].credentials.clientId, 'c');
  });

  it('skips what cannot be used, with reasons, and dedupes the same login under two keys', () => {
    const { accounts, skipped, notes } = extractAccounts(
      rowsOf({
        'kirocli:external-idp:token': { access_token: 'x', refresh_token: 'y', expires_at: FUTURE },
        'kirocli:odic:token': { access_token: 'a', refresh_token: 'r', expires_at: FUTURE, region: 'us-east-1' },
        'kirocli:social:token': 'not json',
        'codewhisperer:social:token': { access_token: 'old', expires_at: '2001-01-01T00:00:00Z', provider: 'google' },
      }),
    );
    assert.deepEqual(accounts, []);
    assert.deepEqual(
      skipped.map((s) => s.path),
      ['kirocli:external-idp:token', 'kirocli:social:token', 'kirocli:odic:token', 'codewhisperer:social:token'],
    );
    assert.match(skipped[0].reason, /external identity-provider/);
    assert.match(skipped[1].reason, /not a JSON object/);
    assert.match(skipped[2].reason, /no client registration/);
    assert.match(skipped[3].reason, /expired and there is no refresh token/);
    assert.deepEqual(notes, []);

    const twice = extractAccounts(
      rowsOf({
        ...ROWS,
        'codewhisperer:odic:token': ROWS['kirocli:odic:token'],
        'kirocli:odic:device-registration': { ...(ROWS['kirocli:odic:device-registration'] as object), client_secret_expires_at: '2001-01-01T00:00:00Z' },
      }),
    );
    assert.deepEqual(
      twice.accounts.map((a) => a.key),
      ['kirocli:social:token', 'kirocli:odic:token'],
    );
    assert.match(twice.notes.join('\n'), /client registration expired/);
    assert.match(extractAccounts(new Map()).notes.join('\n'), /not signed in/);
  });

  it('default locations per platform', () => {
    assert.deepEqual(defaultKiroCliDbPaths('linux', {}, '/home/u'), [
      '/home/u/.local/share/kiro-cli/data.sqlite3',
      '/home/u/.local/share/amazon-q/data.sqlite3',
    ]);
    assert.deepEqual(defaultKiroCliDbPaths('linux', { XDG_DATA_HOME: '/xdg' }, '/home/u'), [
      '/xdg/kiro-cli/data.sqlite3',
      '/home/u/.local/share/kiro-cli/data.sqlite3',
      '/xdg/amazon-q/data.sqlite3',
      '/home/u/.local/share/amazon-q/data.sqlite3',
    ]);
    assert.deepEqual(defaultKiroCliDbPaths('darwin', {}, '/Users/u'), [
      '/Users/u/Library/Application Support/kiro-cli/data.sqlite3',
      '/Users/u/Library/Application Support/amazon-q/data.sqlite3',
    ]);
    assert.deepEqual(defaultKiroCliDbPaths('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'C:\\Users\\u'), [
      'C:\\Users\\u\\AppData\\Roaming\\kiro-cli\\data.sqlite3',
      'C:\\Users\\u\\AppData\\Local\\kiro-cli\\data.sqlite3',
      'C:\\Users\\u\\AppData\\Roaming\\amazon-q\\data.sqlite3',
      'C:\\Users\\u\\AppData\\Local\\amazon-q\\data.sqlite3',
    ]);
  });

  it('Node versions without a read-only node:sqlite get a note naming the version', async () => {
    for (const v of ['20.20.2', '22.5.0', '22.11.0', '23.0.0']) {
      const note = await loadSqlite(v);
      assert.equal(typeof note, 'string', v);
      assert.match(note as string, new RegExp(`needs Node 22\\.12\\+.*found Node ${v.replace(/\./g, '\\.')}`));
    }
  });
});
