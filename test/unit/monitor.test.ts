import { test, mock } from 'node:test';
import * as assert from 'node:assert/strict';
import { createBatcher } from '../../src/views/monitor/batcher';
import { contentSecurityPolicy, monitorHtml } from '../../src/views/monitor/html';
import { parsePageMessage, parsePageState } from '../../src/views/monitor/protocol';
import { logExport, reproBundle } from '../../src/views/monitor/repro';
import { accountRow, buildSnapshot, logDetail, logRow } from '../../src/views/monitor/snapshot';
import { monitorStrings } from '../../src/views/monitor/strings';
import { RequestLog, type RequestLogEntry } from '../../src/proxy/log';
import type { AccountView } from '../../src/proxy/pool/account';

const ARN = 'arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop';

const failed: RequestLogEntry = {
  id: 7,
  time: Date.UTC(2025, 0, 2, 3, 4, 5),
  endpoint: '/v1/messages',
  clientModel: 'claude-sonnet-4-5-20250929',
  kiroModel: 'claude-sonnet-4.5',
  accountId: 'acc1',
  accountLabel: 'alice@example.com',
  stream: true,
  status: 500,
  durationMs: 1234,
  attempts: 2,
  error: `Kiro said 500 for ${ARN} with Bearer aoaAAAAAAAAAAAAAAAAAAAAAAAA`,
  kiroRequest: JSON.stringify({
    profileArn: ARN,
    conversationState: {
      conversationId: 'c1',
      currentMessage: { userInputMessage: { content: `token ${JWT} and aorBBBBBBBBBBBBBBBBBBBBBB`, modelId: 'claude-sonnet-4.5' } },
      history: [{ assistantResponseMessage: { content: 'hi', accessToken: 'leaked' } }],
    },
  }),
};

const secrets = [ARN, JWT, 'aoaAAAAAAAAAAAAAAAAAAAAAAAA', 'aorBBBBBBBBBBBBBBBBBBBBBB', 'leaked', '699475941385'];

test('page messages: only well-formed ones pass', () => {
  assert.deepEqual(parsePageMessage({ type: 'ready', extra: 1 }), { type: 'ready' });
  assert.deepEqual(parsePageMessage({ type: 'selectEntry', id: 3 }), { type: 'selectEntry', id: 3 });
  for (const bad of [null, 'ready', [], { type: 'selectEntry', id: '3' }, { type: 'exportRepro', id: -1 }, { type: 'exportRepro', id: 1.5 }, { type: 'exec', cmd: 'rm' }]) {
    assert.equal(parsePageMessage(bad), undefined, JSON.stringify(bad));
  }
});

test('page state: validated and defaulted for the serializer', () => {
  assert.deepEqual(parsePageState({ tab: 'logs', status: 'errors', account: 'a', model: 'm' }), { tab: 'logs', status: 'errors', account: 'a', model: 'm' });
  assert.deepEqual(parsePageState({ tab: 'logs', status: 'weird', account: 5 }), { tab: 'logs', status: 'all', account: '', model: '' });
  assert.equal(parsePageState({ tab: 'settings' }), undefined);
  assert.equal(parsePageState(undefined), undefined);
});

test('strings: zh-cn for Simplified Chinese, English otherwise', () => {
  assert.equal(monitorStrings('zh-cn').strings.tabLogs, '日志');
  assert.equal(monitorStrings('zh-cn').locale, 'zh-CN');
  assert.equal(monitorStrings('zh-tw').strings.tabLogs, 'Logs');
  assert.equal(monitorStrings('de').strings.tabLogs, 'Logs');
});

test('html: strict CSP, nonce on the script and for the toolkit, no inline code', () => {
  const csp = contentSecurityPolicy('https://x.vscode-cdn.net', 'N0nce');
  assert.equal(csp, "default-src 'none'; script-src 'nonce-N0nce'; style-src https://x.vscode-cdn.net 'nonce-N0nce'; font-src https://x.vscode-cdn.net; img-src https://x.vscode-cdn.net; connect-src 'none'");
  const html = monitorHtml({ cspSource: 'https://x.vscode-cdn.net', nonce: 'N0nce', scriptUri: 'https://a/w.js', styleUri: 'https://a/w.css', lang: 'en"><script>' });
  assert.match(html, /<script nonce="N0nce" src="https:\/\/a\/w.js"><\/script>/);
  assert.match(html, /<meta property="csp-nonce" content="N0nce">/);
  assert.ok(!html.includes('"><script>'), 'attributes are escaped');
  assert.equal((html.match(/<script/g) ?? []).length, 1);
});

test('log rows and details carry no secrets', () => {
  const row = logRow(failed);
  assert.equal(row.account, 'alice@example.com');
  assert.equal('kiroRequest' in row, false);
  const detail = JSON.stringify(logDetail(failed));
  for (const s of secrets) assert.ok(!detail.includes(s), s);
  assert.ok(detail.includes('claude-sonnet-4.5'));
});

test('repro bundle: Kiro request without profileArn or tokens, error and metadata kept', () => {
  const text = reproBundle(failed, '0.1.0', Date.UTC(2025, 0, 3));
  for (const s of secrets) assert.ok(!text.includes(s), s);
  const bundle = JSON.parse(text);
  assert.equal(bundle.kind, 'kiro-proxy-repro');
  assert.equal(bundle.entry.status, 500);
  assert.equal(bundle.entry.time, '2025-01-02T03:04:05.000Z');
  assert.equal(bundle.kiroRequest.profileArn, undefined);
  assert.equal(bundle.kiroRequest.conversationState.currentMessage.userInputMessage.modelId, 'claude-sonnet-4.5');
  assert.match(bundle.error, /Kiro said 500/);
});

test('repro bundle: a truncated (unparseable) Kiro request is still scrubbed', () => {
  const truncated = { ...failed, kiroRequest: failed.kiroRequest!.slice(0, 200) };
  const text = reproBundle(truncated, '0.1.0');
  for (const s of secrets) assert.ok(!text.includes(s), s);
  assert.equal(typeof JSON.parse(text).kiroRequest, 'string');
});

test('log export: all entries oldest first, scrubbed, without Kiro requests', () => {
  const log = new RequestLog(10);
  const { id: _id, ...rest } = failed;
  log.add({ ...rest, status: 200, error: undefined, kiroRequest: undefined });
  log.add(rest);
  const parsed = JSON.parse(logExport(log.recent(100).reverse(), '0.1.0'));
  assert.deepEqual(parsed.entries.map((e: { id: number }) => e.id), [1, 2]);
  const text = JSON.stringify(parsed);
  for (const s of secrets) assert.ok(!text.includes(s), s);
});

test('snapshot: service, stats per minute and account rows', () => {
  const log = new RequestLog(10);
  const now = Date.UTC(2025, 0, 1, 12, 30);
  log.add({ ...failed, time: now - 1000, status: 200, durationMs: 100 });
  log.add({ ...failed, time: now - 500, status: 500, durationMs: 300 });
  const account = {
    id: 'a', label: 'a@x', state: 'cooldown', cooldownUntil: now + 60_000, reason: `throttled ${JWT}`, profileArn: ARN, apiRegion: 'us-east-1',
    quota: { plan: 'KIRO PRO', used: 10, limit: 100, resetAt: now + 1, fetchedAt: now, email: 'a@x' },
    counters: { requests: 3, errors: 1, credits: 0.5 },
  } as unknown as AccountView;
  const snap = buildSnapshot({ status: 'running', host: '127.0.0.1', port: 8080, url: 'http://127.0.0.1:8080' }, log.stats(now), [account], now);
  assert.deepEqual(snap.service, { status: 'running', url: 'http://127.0.0.1:8080' });
  assert.equal(snap.stats.requests, 2);
  const previousMinute = snap.stats.lastHour[snap.stats.lastHour.length - 2];
  assert.deepEqual(previousMinute, { minute: Math.floor(now / 60_000) - 1, requests: 2, errors: 1, avgMs: 200 });
  assert.equal(snap.stats.lastHour.length, 60);
  assert.deepEqual(accountRow(account), {
    id: 'a', label: 'a@x', state: 'cooldown', reason: 'throttled [redacted]', until: now + 60_000,
    quota: { plan: 'KIRO PRO', used: 10, limit: 100, resetAt: now + 1 }, region: 'us-east-1', profile: ARN.slice(ARN.lastIndexOf('/') + 1),
    requests: 3, errors: 1, credits: 0.5,
  });
  assert.ok(!JSON.stringify(snap).includes(ARN));
});

test('batcher: one flush per interval with everything pushed in it', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const flushed: number[][] = [];
  const batcher = createBatcher<number>((items) => flushed.push(items), 250);
  batcher.push(1);
  batcher.push(2);
  mock.timers.tick(249);
  assert.deepEqual(flushed, []);
  batcher.push(3);
  mock.timers.tick(1);
  assert.deepEqual(flushed, [[1, 2, 3]]);
  batcher.push(4);
  batcher.discard();
  mock.timers.tick(250);
  assert.deepEqual(flushed, [[1, 2, 3]]);
  batcher.push(5);
  batcher.dispose();
  mock.timers.tick(250);
  assert.deepEqual(flushed, [[1, 2, 3]]);
});
