// The kiro.dev hosts and the legacy fallback (docs/kiro-protocol.md §11.4), through the real CLI
// and the Anthropic SDK against the simulator. The simulator refuses kiro.dev for IdC tokens, as
// the real hosts did in 2026, so `auto` must fall back for that account and remember it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { startProxy, type RunningProxy } from '../helpers/proxy';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const ORG_ARN = 'arn:aws:codewhisperer:eu-central-1:111122223333:profile/ORGPROFILE1';

/** What the simulator saw of the chat calls: host family, region, dialect. */
function chatCalls(proxy: RunningProxy) {
  return proxy.sim
    .chatRequests()
    .map((r: any) => ({ family: r.family, region: r.region, status: r.status, host: r.headers.host, target: r.headers['x-amz-target'], type: r.headers['content-type'], account: r.account, body: r.body, headers: r.headers }));
}

async function ask(client: Anthropic, text: string) {
  const message = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: text }] });
  return message.content[0].type === 'text' ? message.content[0].text : '';
}

describe('kiro.dev endpoints, auto mode', () => {
  let proxy: RunningProxy;
  let client: Anthropic;
  before(async () => {
    proxy = await startProxy({
      simOptions: { kiroDevRefuses: ['idc'] },
      accountSpecs: [{ authMethod: 'idc', provider: 'Enterprise', clientId: 'cid-org', profileArn: ORG_ARN, profiles: [{ arn: ORG_ARN }], startUrl: 'https://d-1234567890.awsapps.com/start' }],
    });
    client = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => proxy.stop());

  test('an account kiro.dev refuses is served by the legacy host, then sent there directly', async () => {
    assert.equal(await ask(client, 'first'), 'Echo: first');
    const [refused, served] = chatCalls(proxy);
    assert.deepEqual([refused.family, refused.status, refused.host], ['kiro.dev', 403, 'runtime.eu-central-1.kiro.dev']);
    assert.deepEqual([served.family, served.status, served.host], ['legacy', 200, 'q.eu-central-1.amazonaws.com']);
    assert.equal(served.type, 'application/json');
    assert.equal(served.body.profileArn, ORG_ARN, 'the profile region decides the host; the ARN goes along');

    assert.equal(await ask(client, 'second'), 'Echo: second');
    const later = chatCalls(proxy).slice(2);
    assert.deepEqual(later.map((c) => c.family), ['legacy'], 'the fallback is remembered: no refused call per request');
  });
});

describe('kiro.dev endpoints, social account', () => {
  let proxy: RunningProxy;
  let client: Anthropic;
  before(async () => {
    proxy = await startProxy({ simOptions: { kiroDevRefuses: ['idc'] } });
    client = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => proxy.stop());

  test('speaks AWS JSON 1.0 at the runtime root, as the Kiro IDE does', async () => {
    const message = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'hello' }],
    });
    assert.deepEqual(message.content, [{ type: 'text', text: 'Echo: hello' }]);
    const [call] = chatCalls(proxy);
    assert.equal(call.family, 'kiro.dev');
    assert.equal(call.status, 200);
    assert.equal(call.host, 'runtime.us-east-1.kiro.dev');
    assert.equal(call.target, 'KiroRuntimeService.GenerateAssistantResponse');
    assert.equal(call.type, 'application/x-amz-json-1.0');
    assert.ok(call.body.profileArn, 'profileArn at the body root');
    assert.equal('systemPrompt' in call.body, false, 'system text travels in history, never as systemPrompt');
    assert.equal(call.headers['x-amzn-kiro-client-attribution'], 'kiro-ide');
    assert.match(call.headers['user-agent'], /api\/kiroruntime#1\.0\.0 .*KiroIDE-1\.0\.437-[0-9a-f]{64}$/);
  });
});

describe('kiro.dev endpoints, forced modes', () => {
  test('legacy sends every call to q.{region}.amazonaws.com', async () => {
    const proxy = await startProxy({ args: ['--kiro-endpoints', 'legacy'] });
    try {
      const client = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
      assert.equal(await ask(client, 'hi'), 'Echo: hi');
      assert.deepEqual(chatCalls(proxy).map((c) => [c.family, c.host]), [['legacy', 'q.us-east-1.amazonaws.com']]);
    } finally {
      await proxy.stop();
    }
  });

  test('kiro.dev never falls back: the refusal reaches the client', async () => {
    const proxy = await startProxy({
      args: ['--kiro-endpoints', 'kiro.dev'],
      simOptions: { kiroDevRefuses: ['social'] },
    });
    try {
      const client = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
      await assert.rejects(ask(client, 'hi'), (err: any) => err instanceof Anthropic.APIError && err.status >= 400);
      assert.ok(chatCalls(proxy).length >= 1);
      assert.ok(chatCalls(proxy).every((c) => c.family === 'kiro.dev'), 'no legacy call');
    } finally {
      await proxy.stop();
    }
  });

  test('an unknown mode is a clear error and the CLI does not start', () => {
    const run = spawnSync(process.execPath, [CLI, '--kiro-endpoints', 'kiro.com', '--port', '0'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--kiro-endpoints must be one of auto, kiro\.dev, legacy, got "kiro\.com"/);
    const version = spawnSync(process.execPath, [CLI, '--kiro-version', 'latest', '--port', '0'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(version.status, 2);
    assert.match(version.stderr, /--kiro-version must look like 1\.0\.437/);
  });
});
