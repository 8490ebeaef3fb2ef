// The Kiro web search client (src/proxy/kiro/web-search.ts) against the simulator's `/mcp`, which
// validates the call as strictly as Kiro: id format, method, params, bearer, profileArn placement.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kiroHosts } from '../../src/proxy/kiro/endpoints';
import { KiroCallError } from '../../src/proxy/kiro/errors';
import type { KiroCredentials } from '../../src/proxy/kiro/credentials';
import { kiroWebSearch, parseWebSearchResponse, webSearchRequestId, webSearchTarget } from '../../src/proxy/kiro/web-search';
import { useSimulator } from '../helpers/pool';
// @ts-expect-error The simulator is plain JavaScript without type declarations.
import { CANNED_SEARCH_PHRASE, SEARCH_ID_PATTERN } from '../sim/web-search.mjs';

const bench = useSimulator();

function credentialsOf(account: Record<string, any>): KiroCredentials {
  return {
    accessToken: account.accessToken,
    authMethod: account.authMethod,
    profileArn: account.profileArn ?? undefined,
    region: account.region,
    machineId: 'a'.repeat(64),
  };
}

async function failureOf(promise: Promise<unknown>): Promise<KiroCallError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof KiroCallError, `expected a KiroCallError, got ${String(err)}`);
    return err;
  }
  assert.fail('the search succeeded');
}

describe('Kiro web search client', () => {
  it('sends a JSON-RPC tools/call with the id format, the ARN header and the IDE headers, and reads the double-JSON result', async () => {
    const account = bench.sim.addAccount({});
    // The legacy host reads the ARN from a header (§11.1.1); the next test covers kiro.dev.
    const answer = await kiroWebSearch(bench.http, kiroHosts(bench.sim.url, { mode: () => 'legacy' }), credentialsOf(account), 'tide tables');
    assert.equal(answer.query, 'tide tables');
    assert.equal(answer.results.length, 3);
    assert.match(answer.results[0].snippet, new RegExp(`${CANNED_SEARCH_PHRASE}-1`));
    assert.match(answer.results[0].url, /^https:\/\/docs\.example\.com\//);
    assert.equal(answer.results[0].publishedAt, 1767225600000);
    assert.equal(answer.results[0].domain, 'docs.example.com');
    const [call] = bench.sim.searchRequests();
    assert.equal(call.status, 200);
    assert.equal(call.validation, undefined);
    assert.match(call.body.id, SEARCH_ID_PATTERN);
    assert.deepEqual(call.body.params, { name: 'web_search', arguments: { query: 'tide tables' } });
    assert.equal(call.headers['x-amzn-kiro-profile-arn'], account.profileArn);
    assert.equal(call.body.profileArn, undefined);
    assert.match(call.headers['user-agent'], /KiroIDE-/);
  });

  it('on runtime.*.kiro.dev (auto, an account with a profile) the ARN goes at the body root', async () => {
    const account = bench.sim.addAccount({});
    const before = bench.sim.searchRequests().length;
    await kiroWebSearch(bench.http, kiroHosts(bench.sim.url), credentialsOf(account), 'tide tables');
    const call = bench.sim.searchRequests()[before];
    assert.equal(call.headers.host, 'runtime.us-east-1.kiro.dev');
    assert.equal(call.body.profileArn, account.profileArn);
    assert.equal(call.headers['x-amzn-kiro-profile-arn'], undefined);
  });

  it('makes ids of the documented shape, different each time', () => {
    const a = webSearchRequestId(1767225600000);
    assert.match(a, SEARCH_ID_PATTERN);
    assert.notEqual(a, webSearchRequestId(1767225600000));
  });

  it('an HTTP error is a classified failure (throttled, profileArn missing, not authorized)', async () => {
    const account = bench.sim.addAccount({});
    const creds = credentialsOf(account);
    bench.sim.enqueueSearch({ error: 'throttled' });
    assert.equal((await failureOf(kiroWebSearch(bench.http, kiroHosts(bench.sim.url), creds, 'q'))).failure.kind, 'throttled');

    const noArn = await failureOf(kiroWebSearch(bench.http, kiroHosts(bench.sim.url), { ...creds, profileArn: undefined }, 'q'));
    assert.equal(noArn.failure.kind, 'bad_request');
    assert.match(noArn.message, /profileArn is required/);

    const other = bench.sim.addAccount({});
    const wrongArn = await failureOf(kiroWebSearch(bench.http, kiroHosts(bench.sim.url), { ...creds, profileArn: other.profileArn }, 'q'));
    assert.equal(wrongArn.failure.kind, 'auth');
  });

  it('a JSON-RPC error, an isError result and an error inside the document are failures, never an empty list', async () => {
    const account = bench.sim.addAccount({});
    const search = () => kiroWebSearch(bench.http, kiroHosts(bench.sim.url), credentialsOf(account), 'q');
    bench.sim.enqueueSearch({ rpcError: { code: -32603, message: 'Internal error' } });
    const rpc = await failureOf(search());
    assert.equal(rpc.failure.kind, 'transient');
    assert.match(rpc.message, /JSON-RPC -32603/);
    bench.sim.enqueueSearch({ isError: true, text: 'backend down' });
    assert.match((await failureOf(search())).message, /backend down/);
    bench.sim.enqueueSearch({ searchError: 'quota' });
    assert.match((await failureOf(search())).message, /quota/);
  });

  it('an unreadable answer is a failure with the reason', () => {
    assert.throws(() => parseWebSearchResponse({ result: { content: [{ type: 'text', text: 'not json' }] } }, 'q'), /not JSON/);
    assert.throws(() => parseWebSearchResponse([], 'q'), /not a JSON object/);
    assert.throws(() => parseWebSearchResponse({ error: { code: -32602, message: 'Invalid params' } }, 'q'), (err: KiroCallError) => err.failure.kind === 'bad_request');
  });

  it('the simulator refuses a call that breaks the protocol, with a JSON-RPC error', async () => {
    const account = bench.sim.addAccount({});
    const post = (body: Record<string, unknown>) =>
      bench.http.json(`${bench.sim.url}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${account.accessToken}`,
          'x-amzn-kiro-profile-arn': account.profileArn,
          'user-agent': 'aws-sdk-js/1.0.34 KiroIDE-0.11.107-x',
          'x-amz-user-agent': 'aws-sdk-js/1.0.34 KiroIDE-0.11.107-x',
          'amz-sdk-invocation-id': 'b1c0e5c2-3f00-4c1a-9d7e-1f2a3b4c5d6e',
        },
        body,
      });
    const good = { id: webSearchRequestId(), jsonrpc: '2.0', method: 'tools/call', params: { name: 'web_search', arguments: { query: 'q' } } };
    assert.equal(((await post(good)).body as any).result.isError, false);
    for (const [bad, code] of [
      [{ ...good, id: 'req-1' }, -32600],
      [{ ...good, method: 'tools/list' }, -32601],
      [{ ...good, params: { name: 'fetch', arguments: { query: 'q' } } }, -32602],
      [{ ...good, params: { name: 'web_search', arguments: { query: '' } } }, -32602],
    ] as const) {
      const res = await post(bad);
      assert.equal((res.body as any).error.code, code, JSON.stringify(bad));
    }
  });
});

describe('web search host', () => {
  it('the ARN goes in a header on q.*.amazonaws.com and at the body root on runtime.*.kiro.dev (§11.1.1)', () => {
    const creds = { accessToken: 't', authMethod: 'social', profileArn: 'arn:aws:codewhisperer:eu-central-1:1:profile/X', region: 'us-east-1', machineId: 'm' } as const;
    const pick = ({ url, profileArnIn }: { url: string; profileArnIn: string }) => ({ url, profileArnIn });
    assert.deepEqual(pick(webSearchTarget(kiroHosts(), creds, 'legacy')), { url: 'https://q.eu-central-1.amazonaws.com/mcp', profileArnIn: 'header' });
    assert.deepEqual(pick(webSearchTarget(kiroHosts(), creds, 'kiro.dev')), { url: 'https://runtime.eu-central-1.kiro.dev/mcp', profileArnIn: 'body' });
    // Where the account's calls go now: kiro.dev first in auto, the legacy host when forced.
    assert.equal(webSearchTarget(kiroHosts(), creds).url, 'https://runtime.eu-central-1.kiro.dev/mcp');
    assert.equal(webSearchTarget(kiroHosts(undefined, { mode: () => 'legacy' }), creds).url, 'https://q.eu-central-1.amazonaws.com/mcp');
  });
});
