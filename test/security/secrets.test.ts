// Secrets never leave the places that must hold them. One full CLI session with sentinel
// credentials (social + IdC accounts, an API key) goes through successes, failures, a forced
// refresh, a failing refresh whose upstream error echoes the refresh token, a stream exception,
// every admin endpoint and the `accounts` command. Then every output (stdout, stderr, each HTTP
// response's headers and body) and every written file is searched for every token the
// simulator ever issued. accounts.json must hold them (mode 0600, written atomically: no temp
// files left); the Kiro IDE's token files must be byte-for-byte untouched.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, startSimulatorOnly } from '../helpers/proxy';
import { postJson, request, sleep, type RawResponse } from '../helpers/http';
import { redact, redactError, redactingLogger, registerSecret } from '../../src/proxy/logger';
import { reproBundle, logExport } from '../../src/views/monitor/repro';

const rand = (n: number) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[Math.floor(Math.random() * 62)]).join('');
const API_KEY = `kp-SENTINEL-APIKEY-${rand(16)}`;
const SENTINELS = {
  accessA: `aoaSENTINELACCESSA${rand(40)}`,
  refreshA: `aorSENTINELREFRESHA${rand(40)}`,
  accessB: `aoaSENTINELACCESSB${rand(40)}`,
  refreshB: `aorSENTINELREFRESHB${rand(40)}`,
  accessC: `aoaSENTINELACCESSC${rand(40)}`,
  refreshC: `aorSENTINELREFRESHC${rand(40)}`,
  secretC: `eyJSENTINELCLIENTSECRET${rand(60)}`,
};
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const MESSAGE = (stream: boolean, text = 'hi') => ({ model: 'claude-sonnet-4-5', max_tokens: 50, stream, messages: [{ role: 'user', content: text }] });

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

function snapshot(dir: string): Map<string, Buffer> {
  return new Map(filesUnder(dir).map((f) => [f, readFileSync(f)]));
}

describe('secrets', { timeout: 120_000 }, () => {
  it('never appear in any output or file of a full session', async () => {
    const sim = await startSimulatorOnly({ rotateRefreshTokens: true });
    const tokenDir = mkdtempSync(join(tmpdir(), 'kiro-secret-tokens-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'kiro-secret-data-'));
    const responses: Array<{ what: string; res: RawResponse }> = [];
    const keep = (what: string, res: RawResponse) => (responses.push({ what, res }), res);
    const key = { 'x-api-key': API_KEY };
    try {
      const a = sim.addAccount({ email: 'a@example.com', accessToken: SENTINELS.accessA, refreshToken: SENTINELS.refreshA });
      // B's token is about to expire: the proxy refreshes it at once.
      const b = sim.addAccount({ email: 'b@example.com', accessToken: SENTINELS.accessB, refreshToken: SENTINELS.refreshB, expiresInSec: 30 });
      const c = sim.addAccount({ email: 'c@example.com', authMethod: 'idc', accessToken: SENTINELS.accessC, refreshToken: SENTINELS.refreshC, clientSecret: SENTINELS.secretC });
      sim.makeTokenFile(tokenDir, a, { fileName: 'kiro-auth-token.json' });
      sim.makeTokenFile(tokenDir, b, { fileName: 'kiro-account-b.json' });
      sim.makeTokenFile(tokenDir, c, { fileName: 'kiro-account-c.json' });
      const ideFiles = snapshot(tokenDir);

      const proxy = await startProxy({ reuse: { sim, tokenDir, dataDir }, accounts: 0, args: ['--api-key', API_KEY], env: { KIRO_PROXY_DEBUG: '1' } });
      let stopped = false;
      try {
        const url = proxy.url;
        keep('health', await request(url, '/health'));
        keep('health+key', await request(url, '/health', { headers: key }));
        keep('models', await request(url, '/v1/models', { headers: { authorization: `Bearer ${API_KEY}` } }));
        for (const stream of [false, true]) {
          keep('message', await postJson(url, '/v1/messages', MESSAGE(stream), { headers: key }));
          keep('chat', await postJson(url, '/v1/chat/completions', { model: 'gpt-4o', stream, messages: [{ role: 'user', content: 'hi' }] }, { headers: key }));
          keep('count', await postJson(url, '/v1/messages/count_tokens', MESSAGE(stream), { headers: key }));
        }
        // Refused requests, including ones that try to make the proxy echo the key.
        keep('no key', await postJson(url, '/v1/messages', MESSAGE(false)));
        keep('key in wrong header', await postJson(url, '/v1/messages', MESSAGE(false), { headers: { 'x-api-key': `${API_KEY}0` } }));
        keep('key as host', await request(url, '/health', { host: API_KEY }));
        keep('key as path', await request(url, `/${API_KEY}`, { headers: key }));
        keep('token as path', await request(url, `/v1/${SENTINELS.accessA}`, { headers: key }));
        keep('bad json', await request(url, '/v1/messages', { method: 'POST', headers: { ...key, 'content-type': 'application/json' }, body: `{"x": "${SENTINELS.refreshA}"` }));

        // Upstream failures: bearer invalid (forced refresh), 500s, a stream exception, a
        // refresh that fails with a body quoting the refresh token.
        for (const acct of [a, b, c]) sim.setBehavior(acct.id, { error: 'bearerInvalid' }, { times: 1 });
        keep('after bearer invalid', await postJson(url, '/v1/messages', MESSAGE(false, 'q1'), { headers: key }));
        for (const acct of [a, b, c]) sim.setBehavior(acct.id, { error: 'internal' });
        keep('5xx', await postJson(url, '/v1/messages', MESSAGE(true, 'q2'), { headers: key }));
        for (const acct of [a, b, c]) sim.setBehavior(acct.id, { text: 'partial answer', exception: { afterFrames: 2, message: `boom ${SENTINELS.accessA}` } });
        keep('exception', await postJson(url, '/v1/chat/completions', { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'q3' }] }, { headers: key }));
        for (const acct of [a, b, c]) sim.setBehavior(acct.id, null);
        sim.setAccount(b.id, { refreshFailure: { status: 400, body: { error: 'invalid_grant', error_description: `refresh token ${sim.account(b.id).refreshToken} is revoked`, token: sim.account(b.id).refreshToken } } });
        sim.revokeAccessTokens(b.id);

        const { accounts } = keep('admin accounts', await request(url, '/admin/accounts', { headers: key })).json();
        for (const acct of accounts) {
          keep(`refresh ${acct.label}`, await request(url, `/admin/accounts/${acct.id}/refresh`, { method: 'POST', headers: key }));
        }
        for (let i = 0; i < 4; i++) keep('after refresh failure', await postJson(url, '/v1/messages', MESSAGE(false, `q4-${i}`), { headers: key }));
        keep('disable', await request(url, `/admin/accounts/${accounts[0].id}/disable`, { method: 'POST', headers: key }));
        keep('enable', await request(url, `/admin/accounts/${accounts[0].id}/enable`, { method: 'POST', headers: key }));
        keep('cooldowns', await request(url, '/admin/cooldowns', { method: 'DELETE', headers: key }));
        keep('logs', await request(url, '/admin/logs?limit=1000', { headers: key }));
        keep('stats', await request(url, '/admin/stats', { headers: key }));
        keep('accounts again', await request(url, '/admin/accounts', { headers: key }));
        keep('health again', await request(url, '/health', { headers: key }));
        await sleep(300); // let the last saves land
        const code = await proxy.stop();
        stopped = true;
        assert.equal(code, 0);
        assert.ok(sim.refreshCount(b.id) >= 1 && sim.refreshCount(a.id) >= 1, 'refreshes happened (success and failure)');

        const accountsCmd = spawnSync(process.execPath, [CLI, 'accounts', '--token-dir', tokenDir, '--data-dir', dataDir, '--api-key', API_KEY], {
          encoding: 'utf8',
          timeout: 20_000,
          env: { ...process.env, KIRO_PROXY_ENDPOINT: sim.url },
        });
        assert.equal(accountsCmd.status, 0, accountsCmd.stderr);

        // Every token ever issued, live or dead, plus the originals, the client secret and the key.
        const secrets = new Set<string>([...Object.values(SENTINELS), API_KEY]);
        for (const t of sim.accounts.accessTokens.keys()) secrets.add(t);
        for (const t of sim.accounts.refreshTokens.keys()) secrets.add(t);
        for (const acct of sim.accounts.list()) for (const t of [acct.accessToken, acct.refreshToken, acct.clientSecret]) if (t) secrets.add(t);
        assert.ok(secrets.size > Object.keys(SENTINELS).length + 1, 'refreshes issued new tokens');

        const outputs: Array<[string, string]> = [
          ['CLI stdout+stderr', proxy.output()],
          ['accounts command', accountsCmd.stdout + accountsCmd.stderr],
          ...responses.map(({ what, res }) => [`response "${what}"`, JSON.stringify(res.headers) + res.text] as [string, string]),
        ];
        const files = filesUnder(dataDir);
        assert.deepEqual(files.map((f) => f.slice(dataDir.length + 1)), ['accounts.json'], 'only accounts.json in the data folder (no temp files left)');
        for (const f of files) if (!f.endsWith('accounts.json')) outputs.push([`file ${f}`, readFileSync(f, 'latin1')]);
        for (const [where, text] of outputs) {
          for (const secret of secrets) {
            assert.ok(!text.includes(secret), `${where} contains a secret (${secret.slice(0, 12)}…)`);
            // Not even a recognisable half of one.
            assert.ok(!text.includes(secret.slice(0, 24)), `${where} contains the start of a secret (${secret.slice(0, 12)}…)`);
          }
        }
        // The session really went through the failure paths we meant to search.
        const all = outputs.map(([, t]) => t).join('\n');
        assert.match(all, /invalid_grant/);
        const statuses = new Set(responses.map(({ res }) => res.status));
        for (const status of [200, 400, 401, 403, 404]) assert.ok(statuses.has(status), `no ${status} response in the session: ${[...statuses]}`);
        assert.ok(responses.some(({ res }) => res.status >= 500 || /event: error|"error"/.test(res.text)), 'upstream failures were exercised');

        // accounts.json holds the tokens, readable by the owner only, in an owner-only folder.
        const store = join(dataDir, 'accounts.json');
        assert.equal(statSync(store).mode & 0o777, 0o600);
        assert.equal(statSync(dataDir).mode & 0o077, 0, 'data folder not group/world accessible');
        const stored = readFileSync(store, 'utf8');
        assert.ok(stored.includes(sim.account(a.id).refreshToken), 'accounts.json keeps the refresh token');

        // The Kiro IDE's files: same names, same bytes.
        const after = snapshot(tokenDir);
        assert.deepEqual([...after.keys()].sort(), [...ideFiles.keys()].sort());
        for (const [f, bytes] of ideFiles) assert.ok(after.get(f)!.equals(bytes), `${f} was modified`);
      } finally {
        if (!stopped) await proxy.stop().catch(() => undefined);
      }
    } finally {
      await sim.close();
      rmSync(tokenDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('the logger, error scrubbing and the repro bundle remove tokens, library errors included', () => {
    const key = `kp-unit-${rand(20)}`;
    registerSecret(key);
    const lines: string[] = [];
    const sink = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const logger = redactingLogger(sink);
    logger.error(`refresh failed: {"refreshToken":"${SENTINELS.refreshA}","clientSecret":"whatever-123"} key=${key}`);
    logger.warn(`GET https://oidc.example/token?refresh_token=plainvalue123&x=1 Authorization: Bearer ${SENTINELS.accessA}`);
    logger.info(`x-api-key: ${key} header`);
    // An undici-style error whose cause quotes the request.
    const libraryError = new TypeError('fetch failed', { cause: new Error(`connect ECONNREFUSED while sending {"access_token":"zzz-secret-zzz"} Bearer ${SENTINELS.accessB}`) });
    lines.push(redactError(libraryError));
    const joined = lines.join('\n');
    for (const s of [SENTINELS.refreshA, SENTINELS.accessA, SENTINELS.accessB, key, 'whatever-123', 'plainvalue123', 'zzz-secret-zzz']) {
      assert.ok(!joined.includes(s), `leaked ${s}`);
    }
    assert.match(joined, /ECONNREFUSED/, 'the useful part of the message stays');
    assert.equal(redact('input_tokens: 5, max_tokens: 7'), 'input_tokens: 5, max_tokens: 7', 'ordinary words survive');

    const entry = {
      id: 1, time: Date.now(), endpoint: '/v1/messages', clientModel: 'm', kiroModel: 'm', stream: false, status: 502, durationMs: 1, attempts: 1,
      error: `Kiro said: bearer ${SENTINELS.accessA} refresh ${SENTINELS.refreshA}`,
      kiroRequest: JSON.stringify({ conversationState: { currentMessage: { userInputMessage: { content: `token ${SENTINELS.accessC}` } } }, profileArn: 'arn:x' }),
    };
    const bundle = reproBundle(entry as never, '0.0.0') + logExport([entry as never], '0.0.0');
    for (const s of [SENTINELS.accessA, SENTINELS.refreshA, SENTINELS.accessC]) assert.ok(!bundle.includes(s), `repro bundle leaked ${s.slice(0, 12)}`);
  });
});
