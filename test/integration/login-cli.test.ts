// `kiro-proxy login --idc`: an organisation's IAM Identity Center account signed in by device
// code with the built CLI, the user's part (opening the page with the code) played by the test.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulatorOnly, type Simulator } from '../helpers/proxy';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

describe('kiro-proxy login --idc', { timeout: 60_000 }, () => {
  let sim: Simulator;
  let dir: string;
  const args = () => ['--data-dir', join(dir, 'data'), '--token-dir', join(dir, 'cache')];
  const env = () => ({ ...process.env, KIRO_PROXY_ENDPOINT: sim.url });

  before(async () => {
    sim = await startSimulatorOnly({ accounts: 0, device: { pendingPolls: 100 } });
    dir = mkdtempSync(join(tmpdir(), 'kiro-login-'));
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("signs in at the organisation's start URL and region, once the code is approved in the browser", async () => {
    const child = spawn(process.execPath, [CLI, 'login', '--idc', 'https://d-1234567890.awsapps.com/start/', '--region', 'eu-west-1', ...args()], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    // The CLI shows where to go and which code to enter; the "user" does so.
    for (let i = 0; i < 100 && !/enter the code/.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
    const shown = /Open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4})/.exec(stdout);
    assert.ok(shown, `the CLI asked for the code: ${stdout} ${stderr}`);
    const page = await fetch(`${shown[1]}?user_code=${shown[2]}`);
    assert.equal(page.status, 200);

    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /^Signed in: .+ \([0-9a-f-]{36}\)$/m);
    const [account] = sim.accounts.list();
    assert.equal(account.startUrl, 'https://d-1234567890.awsapps.com/start', 'the device authorization named the start URL');
    assert.equal(account.provider, 'Enterprise');
    const [stored] = JSON.parse(readFileSync(join(dir, 'data', 'accounts.json'), 'utf8')).accounts;
    assert.deepEqual(
      [stored.credentials.authMethod, stored.credentials.provider, stored.credentials.region],
      ['idc', 'Enterprise', 'eu-west-1'],
      'kept as an IdC account of that region, refreshed there',
    );
    assert.equal(stored.credentials.refreshToken, account.refreshToken);
    assert.doesNotMatch(stdout + stderr, new RegExp(account.refreshToken));
  });

  it('refuses a start URL or region that cannot be right, saying why', () => {
    for (const [flags, message] of [
      [['--idc', 'http://d-1234567890.awsapps.com/start'], /must begin with https/],
      [['--idc', 'd-1234567890'], /not a URL/],
      [['--idc', 'https://d-1234567890.awsapps.com/start', '--region', 'mars'], /not an AWS region/],
    ] as const) {
      const run = spawnSync(process.execPath, [CLI, 'login', ...flags, ...args()], { env: env(), encoding: 'utf8', timeout: 15_000 });
      assert.notEqual(run.status, 0, flags.join(' '));
      assert.match(run.stderr, message);
    }
  });
});
