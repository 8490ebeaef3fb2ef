// Organisation (IAM Identity Center) accounts find their Kiro profile (docs/kiro-protocol.md §11.2),
// through the real CLI against the simulator, which lists profiles per region and refuses calls
// without the right ARN.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { startProxy, type RunningProxy } from '../helpers/proxy';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const EU_ARN = 'arn:aws:codewhisperer:eu-central-1:444455556666:profile/EUPROFILE01';
const US_ARN = 'arn:aws:codewhisperer:us-east-1:777788889999:profile/USPROFILE01';
const ORG = { authMethod: 'idc', provider: 'Enterprise', profileArn: null, startUrl: 'https://d-1234567890.awsapps.com/start' };

interface AdminAccount {
  id: string;
  profileArn?: string;
  apiRegion: string;
  profileChoices?: Array<{ arn: string; region: string }>;
}

async function accountsOf(proxy: RunningProxy): Promise<AdminAccount[]> {
  return ((await (await fetch(`${proxy.url}/admin/accounts`)).json()) as { accounts: AdminAccount[] }).accounts;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function cli(proxy: RunningProxy, ...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args, '--data-dir', proxy.dataDir, '--token-dir', proxy.tokenDir], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, KIRO_PROXY_ENDPOINT: proxy.sim.url },
  });
}

describe('an organisation account with one profile, in eu-central-1', () => {
  let proxy: RunningProxy;
  before(async () => {
    proxy = await startProxy({ simOptions: { kiroDevRefuses: ['idc'] }, accountSpecs: [{ ...ORG, profiles: [{ arn: EU_ARN }] }] });
  });
  after(() => proxy.stop());

  test('is found in its region, taken without asking, and its calls go there with the ARN', async () => {
    const account = await waitFor('the profile', async () => (await accountsOf(proxy)).find((a) => a.profileArn));
    assert.equal(account.profileArn, EU_ARN);
    assert.equal(account.apiRegion, 'eu-central-1');
    const asked = proxy.sim.requests.filter((r: any) => r.headers['x-amz-target'] === 'AmazonCodeWhispererService.ListAvailableProfiles');
    assert.deepEqual([...new Set(asked.map((r: any) => r.region))].sort(), ['eu-central-1', 'us-east-1'], 'both regions asked');

    const client = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
    const message = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hello' }] });
    assert.deepEqual(message.content, [{ type: 'text', text: 'Echo: hello' }]);
    const served = proxy.sim.chatRequests().filter((r: any) => r.status === 200).at(-1) as any;
    assert.equal(served.body.profileArn, EU_ARN);
    assert.equal(served.headers.host, 'q.eu-central-1.amazonaws.com');
    const health = (await (await fetch(`${proxy.url}/health`)).json()) as { accounts: AdminAccount[] };
    assert.deepEqual([health.accounts[0].profileArn, health.accounts[0].apiRegion], [EU_ARN, 'eu-central-1']);
  });
});

describe('an organisation account with several profiles', () => {
  let proxy: RunningProxy;
  before(async () => {
    proxy = await startProxy({ accountSpecs: [{ ...ORG, profiles: [{ arn: US_ARN }, { arn: EU_ARN }] }] });
  });
  after(() => proxy.stop());

  test('none is picked silently: accounts lists them, --set-profile chooses, an unknown ARN changes nothing', async () => {
    const account = await waitFor('the choices', async () => (await accountsOf(proxy)).find((a) => a.profileChoices));
    assert.equal(account.profileArn, undefined);
    assert.deepEqual(account.profileChoices!.map((p) => [p.arn, p.region]), [[US_ARN, 'us-east-1'], [EU_ARN, 'eu-central-1']]);

    const listed = cli(proxy, 'accounts');
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /has several Kiro profiles; choose one with/);
    assert.match(listed.stdout, new RegExp(`kiro-proxy accounts --set-profile ${account.id} <arn>`));
    assert.ok(listed.stdout.includes(US_ARN) && listed.stdout.includes(EU_ARN), listed.stdout);

    const malformed = cli(proxy, 'accounts', '--set-profile', account.id, 'arn:aws:codewhisperer:us-east-1:...');
    assert.equal(malformed.status, 2);
    assert.match(malformed.stderr, /is not a Kiro profile ARN/);
    const unknown = cli(proxy, 'accounts', '--set-profile', account.id, 'arn:aws:codewhisperer:us-east-1:123456789012:profile/NOTMINE');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /is not a profile of this account\. Kiro lists: /);
    assert.ok(unknown.stderr.includes(EU_ARN));
    assert.match(cli(proxy, 'accounts').stdout, /choose one \(below\)/, 'nothing changed');

    const chosen = cli(proxy, 'accounts', '--set-profile', account.id, EU_ARN);
    assert.equal(chosen.status, 0, chosen.stderr);
    assert.match(chosen.stdout, /now uses profile arn:aws:codewhisperer:eu-central-1:444455556666:profile\/EUPROFILE01 in eu-central-1/);
    const after = cli(proxy, 'accounts');
    assert.match(after.stdout, /EUPROFILE01 \(eu-central-1\)/);
    assert.doesNotMatch(after.stdout, /several Kiro profiles/);
  });
});
