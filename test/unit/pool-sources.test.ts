// Where accounts come from: the IDE's token folder, pasted JSON or refresh tokens, the Python
// reference tool's config, and the folder watch.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { request } from 'undici';
import { defaultConfig } from '../../src/proxy/config';
import { ManualClock } from '../../src/proxy/pool/clock';
import { AccountPool, type TokenFileNotice } from '../../src/proxy/pool/pool';
import { MemoryAccountStore } from '../../src/proxy/pool/store';
import { parsePastedCredentials, scanTokenDir } from '../../src/proxy/pool/token-files';
import { useSimulator } from '../helpers/pool';

const none = new Set<string>();

describe('account sources', () => {
  const kiro = useSimulator();
  let dir: string;
  let sso: string;
  let pool: AccountPool;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kp-src-'));
    sso = join(dir, 'sso');
    mkdirSync(sso);
    pool = new AccountPool({
      config: defaultConfig({ kiroEndpoint: kiro.sim.url, tokenDir: sso, dataDir: join(dir, 'data') }),
      http: kiro.http,
      store: new MemoryAccountStore(),
      clock: new ManualClock(Date.now()),
      scanWhenEmpty: false,
    });
  });
  afterEach(() => {
    pool.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The IDE's social token, an IdC token + registration, and AWS files that are not Kiro's. */
  function populateSsoCache() {
    const social = kiro.sim.addAccount({ authMethod: 'social', provider: 'Github' });
    const idc = kiro.sim.addAccount({ authMethod: 'idc' });
    kiro.sim.makeTokenFile(sso, social);
    const { registrationPath } = kiro.sim.makeTokenFile(sso, idc, { fileName: 'kiro-idc-token.json' });
    // AWS CLI `aws sso login` token and botocore's client registration: not Kiro's.
    writeFileSync(join(sso, '0123456789abcdef0123456789abcdef01234567.json'), JSON.stringify({ startUrl: 'https://d-123.awsapps.com/start', region: 'us-east-1', accessToken: 'aws-cli-token', expiresAt: '2030-01-01T00:00:00Z' }));
    writeFileSync(join(sso, 'botocore-client-id-us-east-1.json'), JSON.stringify({ clientId: 'c', clientSecret: 's', expiresAt: '2030-01-01T00:00:00Z' }));
    writeFileSync(join(sso, 'broken.json'), '{not json');
    writeFileSync(join(sso, 'notes.txt'), 'hello');
    return { social, idc, registrationPath };
  }

  it('the scan picks only Kiro token files and merges the IdC registration', async () => {
    const { social, idc } = populateSsoCache();
    const { found } = await scanTokenDir(sso);
    assert.deepEqual(found.map((f) => f.path.split('/').pop()), ['kiro-auth-token.json', 'kiro-idc-token.json']);
    const [s, i] = found.map((f) => f.credentials);
    assert.equal(s.authMethod, 'social');
    assert.equal(s.provider, 'Github');
    assert.equal(s.refreshToken, social.refreshToken);
    assert.equal(i.authMethod, 'idc');
    assert.equal(i.clientId, idc.clientId);
    assert.equal(i.clientSecret, idc.clientSecret);
    assert.equal(i.expiresAt, idc.expiresAt);
  });

  it('imports from the token folder; both accounts refresh; a second scan updates instead of duplicating', async () => {
    const { idc } = populateSsoCache();
    const first = await pool.importFromTokenDir();
    assert.equal(first.added.length, 2);
    await pool.refreshAll();
    assert.equal(kiro.sim.refreshCount(idc.id), 1);
    const second = await pool.importFromTokenDir();
    assert.deepEqual([second.added.length, second.updated.length], [0, 2]);
    assert.equal(pool.list().length, 2);
  });

  it('init scans the token folder when the store is empty', async () => {
    populateSsoCache();
    const fresh = new AccountPool({ config: defaultConfig({ kiroEndpoint: kiro.sim.url, tokenDir: sso }), http: kiro.http, store: new MemoryAccountStore(), watchTokenDir: false });
    await fresh.init();
    assert.equal(fresh.list().length, 2);
  });

  it('imports pasted JSON and a bare refresh token (refreshed at once); rejects a dead one', async () => {
    const a = kiro.sim.addAccount({});
    const b = kiro.sim.addAccount({});
    const dead = kiro.sim.addAccount({});
    kiro.sim.revokeRefreshToken(dead.id);
    const pasted = JSON.stringify({ accessToken: a.accessToken, refreshToken: a.refreshToken, profileArn: a.profileArn, expiresAt: new Date(a.expiresAt).toISOString(), authMethod: 'social', provider: 'Google' });
    const one = await pool.importJson(pasted);
    assert.equal(one.added.length, 1);
    const two = await pool.importJson(b.refreshToken);
    assert.equal(two.added.length, 1);
    assert.equal(two.added[0].profileArn, b.profileArn);
    const lease = await pool.acquire({ exclude: new Set([one.added[0].id]) });
    assert.equal(lease.credentials.accessToken, kiro.sim.account(b.id).accessToken);
    const three = await pool.importJson(dead.refreshToken);
    assert.equal(three.added.length, 0);
    assert.match(three.skipped[0].reason, /invalid_grant/);
    assert.equal((await pool.importJson(pasted)).updated.length, 1);
    assert.equal(pool.list().length, 2);
    assert.throws(() => parsePastedCredentials('{"foo": 1}'), /accessToken or a refreshToken/);
  });

  it('migrates accounts from the reference tool config', async () => {
    const a = kiro.sim.addAccount({});
    const b = kiro.sim.addAccount({ authMethod: 'idc' });
    const { tokenPath: pa } = kiro.sim.makeTokenFile(join(dir, 'ref'), a, { fileName: 'a.json' });
    const { tokenPath: pb } = kiro.sim.makeTokenFile(join(dir, 'ref'), b, { fileName: 'b.json' });
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({
      accounts: [
        { id: '1', name: 'Work', token_path: pa, enabled: true, proxy_url: 'http://proxy:3128' },
        { id: '2', name: 'Spare', token_path: pb, enabled: false },
        { id: '3', name: 'Gone', token_path: join(dir, 'missing.json'), enabled: true },
      ],
    }));
    const result = await pool.migrateFromReferenceTool(config);
    assert.deepEqual(result.added.map((v) => [v.label, v.enabled, v.authMethod]), [['Work', true, 'social'], ['Spare', false, 'idc']]);
    assert.equal(result.skipped.length, 1);
    assert.match(result.notes[0], /proxy_url ignored/);
    assert.equal((await pool.acquire({ exclude: none })).label, 'Work');
  });

  it('signs in with Google through the localhost callback, and with Builder ID by device code', async () => {
    const social = await pool.loginWithSocial('Google', {
      onLoginUrl: (url) =>
        void (async () => {
          const portal = await request(url); // the "browser" follows the portal's redirect
          await portal.body.dump();
          await (await request(String(portal.headers.location))).body.dump();
        })(),
    });
    assert.equal(social.authMethod, 'social');
    assert.match(social.label, /@example\.com$/);
    assert.equal(social.source?.kind, 'login');

    kiro.sim.configure({ device: { pendingPolls: 0 } });
    const codes: string[] = [];
    const idc = await pool.loginWithBuilderId({ onUserCode: (c) => void codes.push(c.userCode) });
    kiro.sim.configure({ device: { pendingPolls: 2 } });
    assert.equal(codes.length, 1);
    assert.equal(idc.authMethod, 'idc');
    assert.equal(idc.provider, 'BuilderId');
    await pool.refresh(idc.id);
    assert.equal(pool.list().length, 2);
  });

  it('a social sign-in also finishes with a pasted final URL', async () => {
    let pasteUrl!: (url: string) => void;
    const pastedRedirect = new Promise<string>((resolve) => (pasteUrl = resolve));
    const view = await pool.loginWithSocial('Github', {
      onLoginUrl: (url) =>
        void (async () => {
          const portal = await request(url);
          await portal.body.dump();
          pasteUrl(String(portal.headers.location)); // the user copies the address instead of loading it
        })(),
      pastedRedirect,
    });
    assert.equal(view.provider, 'Github');
  });

  it('the folder watch follows the token folder setting when it changes', { timeout: 5_000 }, async () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    const config = defaultConfig({ kiroEndpoint: kiro.sim.url, tokenDir: sso, dataDir: join(dir, 'data2') });
    const moving = new AccountPool({ config, http: kiro.http, store: new MemoryAccountStore(), clock: new ManualClock(Date.now()), scanWhenEmpty: false });
    moving.start();
    try {
      config.tokenDir = other; // what the settings watch does
      moving.rewatchTokenDir();
      const { tokenPath } = kiro.sim.makeTokenFile(other, kiro.sim.addAccount({}));
      const [notice] = await once(moving, 'token-file');
      assert.deepEqual(notice, { kind: 'new', path: tokenPath });
    } finally {
      moving.stop();
    }
  });

  it('the folder watch offers new token files and fresher tokens for imported accounts', async () => {
    pool.start();
    const account = kiro.sim.addAccount({});
    const notices: TokenFileNotice[] = [];
    pool.on('token-file', (n) => notices.push(n));
    const { tokenPath } = kiro.sim.makeTokenFile(sso, account);
    await once(pool, 'token-file');
    assert.deepEqual(notices[0], { kind: 'new', path: tokenPath });
    const { added } = await pool.importTokenFile(tokenPath);
    // The IDE refreshes its own copy and rewrites the file.
    kiro.sim.setAccount(account.id, {});
    kiro.sim.accounts.issueAccessToken(kiro.sim.account(account.id), 7200);
    kiro.sim.makeTokenFile(sso, account);
    await once(pool, 'token-file');
    assert.deepEqual(notices.at(-1), { kind: 'updated', path: tokenPath, accountId: added[0].id, label: added[0].label });
    await pool.importTokenFile(tokenPath);
    assert.equal((await pool.acquire({ exclude: none })).credentials.accessToken, kiro.sim.account(account.id).accessToken);
  });
});
