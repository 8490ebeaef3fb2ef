// Fuzzes every protocol endpoint (table in ./endpoints.ts) with fast-check bodies (./arbitraries.ts).
//
// Split, per endpoint:
//   - FUZZ_PURE_RUNS (default 10,000) bodies go through the pure pipeline in process: strict
//     UTF-8 + depth-checked JSON parse → protocol parse → token estimate → Kiro request build.
//     Each must succeed or throw a ProxyError with a 4xx status; fast-check shrinks a failure.
//   - FUZZ_HTTP_RUNS (default 1,000) bodies are POSTed to the real CLI (dist/cli.js) over HTTP
//     with the simulator behind it. Each must get a 4xx in the protocol's error shape or a 200
//     (a mutation that happens to be valid); never a 5xx, a hung socket or a crash. Afterwards
//     the process is alive, printed no unhandled error, its RSS grew by less than 150 MB and its
//     socket count is back to where it started.
// scripts/fuzz-long.mjs runs the same with larger counts and a fresh seed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ENDPOINTS } from './endpoints';
import { bodyArbitrary, type FuzzBody } from './arbitraries';
import { ProxyError } from '../../src/proxy/errors';
import { startProxy, type RunningProxy } from '../helpers/proxy';
import { postJson, rssBytes, socketCount, sleep, waitFor } from '../helpers/http';

const PURE_RUNS = Number(process.env.FUZZ_PURE_RUNS ?? 10_000);
const HTTP_RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 1_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_101);
const HTTP_CONCURRENCY = 8;

function describeBody(b: FuzzBody): string {
  return `${b.kind} (${b.bytes.length} bytes): ${b.bytes.subarray(0, 300).toString('latin1')}`;
}

describe(`fuzz: pure request pipeline (${PURE_RUNS} bodies per endpoint, seed ${SEED})`, () => {
  for (const endpoint of ENDPOINTS) {
    it(endpoint.path, () => {
      fc.assert(
        fc.property(bodyArbitrary(endpoint.seeds), (body) => {
          try {
            endpoint.pure(body.bytes);
          } catch (err) {
            if (err instanceof ProxyError && err.status >= 400 && err.status < 500) return;
            throw new Error(`${endpoint.path}: ${describeBody(body)}\n→ ${(err as Error)?.stack ?? String(err)}`);
          }
        }),
        { numRuns: PURE_RUNS, seed: SEED, endOnFailure: false },
      );
    });
  }
});

describe(`fuzz: over HTTP against the CLI (${HTTP_RUNS} bodies per endpoint)`, () => {
  let proxy: RunningProxy;
  let baseline: { rss: number; sockets: number };

  before(async () => {
    // The simulator answers fast and never stalls; a slow reply must not look like a hang.
    proxy = await startProxy({ accounts: 2, simOptions: { chunking: 'frame', maxRecordedRequests: 0 } });
    // Warm up (JIT, undici pool, first refresh) before the baseline.
    for (const endpoint of ENDPOINTS) await postJson(proxy.url, endpoint.path, endpoint.seeds[0]);
    await sleep(200);
    baseline = { rss: rssBytes(proxy.child.pid!), sockets: socketCount(proxy.child.pid!) };
  });
  after(() => proxy.stop());

  for (const [index, endpoint] of ENDPOINTS.entries()) {
    it(endpoint.path, async () => {
      const bodies = fc.sample(bodyArbitrary(endpoint.seeds), { numRuns: HTTP_RUNS, seed: SEED + 1 + index });
      const counts: Record<string, number> = {};
      const failures: string[] = [];
      let next = 0;
      const worker = async () => {
        while (next < bodies.length && failures.length < 5) {
          const body = bodies[next++];
          let res;
          try {
            res = await postJson(proxy.url, endpoint.path, body.bytes, { timeoutMs: 15_000 });
          } catch (err) {
            failures.push(`${(err as Error).message} for ${describeBody(body)}`);
            continue;
          }
          counts[res.status] = (counts[res.status] ?? 0) + 1;
          if (res.status === 200) continue;
          let json: unknown;
          try {
            json = res.json();
          } catch {
            json = undefined;
          }
          if (res.status < 400 || res.status >= 500 || !endpoint.isError(json)) {
            failures.push(`${res.status} ${res.text.slice(0, 300)} for ${describeBody(body)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, worker));
      assert.deepEqual(failures, [], `status counts so far: ${JSON.stringify(counts)}`);
      assert.equal(proxy.child.exitCode, null, 'the CLI is still running');
      assert.ok(counts[400] > 0, `some bodies must be refused: ${JSON.stringify(counts)}`);
    });
  }

  it('leaves no crash, no unhandled error, bounded memory and no leaked socket', async () => {
    assert.equal(proxy.child.exitCode, null);
    assert.doesNotMatch(proxy.output(), /Unhandled|TypeError|RangeError|ReferenceError|at .*\.js:\d+/);
    const pid = proxy.child.pid!;
    await waitFor(() => socketCount(pid) <= baseline.sockets + 2, 5000, `sockets back to ${baseline.sockets} (now ${socketCount(pid)})`);
    const grown = rssBytes(pid) - baseline.rss;
    assert.ok(grown < 150 * 1024 * 1024, `RSS grew by ${Math.round(grown / 1024 / 1024)} MB`);
  });
});
