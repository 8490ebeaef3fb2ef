// The exchange and the pool together against the simulator, with a manual clock for the pool:
// every lease the exchange takes is released on every path (stickiness counts from the end of
// a reply), and a dead access token is refreshed once, not once per request that saw it.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, type ProxyConfig } from '../../src/proxy/config';
import { KiroExchange, type ExchangeResult } from '../../src/proxy/exchange';
import { kiroHosts } from '../../src/proxy/kiro/endpoints';
import { KiroHttp } from '../../src/proxy/kiro/http';
import { RequestLog } from '../../src/proxy/log';
import { ManualClock } from '../../src/proxy/pool/clock';
import { AccountPool } from '../../src/proxy/pool/pool';
import { MemoryAccountStore } from '../../src/proxy/pool/store';
import { importSimAccount, useSimulator } from '../helpers/pool';
import { waitFor } from '../helpers/http';

const WINDOW = 60_000;

/**
 * Holds the chat calls sent with the `dead` token until `count` of them wait, then sends them one
 * at a time, each once the one before came back with another token: every 403 after the first
 * arrives when its account's token was already renewed.
 */
class OneDeadTokenAtATime extends KiroHttp {
  dead = '';
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly count: number) {
    super();
  }

  override async request(url: string, options: Parameters<KiroHttp['request']>[1]): ReturnType<KiroHttp['request']> {
    if (url.endsWith('/generateAssistantResponse')) {
      const authorization = (options.headers as Record<string, string>).authorization;
      if (authorization === `Bearer ${this.dead}`) {
        await new Promise<void>((resolve) => {
          this.waiting.push(resolve);
          if (this.waiting.length === this.count) this.waiting.shift()?.();
        });
      } else {
        this.waiting.shift()?.();
      }
    }
    return super.request(url, options);
  }
}

describe('exchange leases', () => {
  const kiro = useSimulator({ chunking: 'single' });
  let clock: ManualClock;
  let config: ProxyConfig;
  let pool: AccountPool;
  let exchange: KiroExchange;
  let log: RequestLog;

  const build = (http: KiroHttp) => {
    pool = new AccountPool({ config, http, store: new MemoryAccountStore(), clock, scanWhenEmpty: false, watchTokenDir: false });
    log = new RequestLog(100);
    // The legacy REST path: the held-call hook below matches it, and the refresh counting is not
    // about host families (kiro-endpoints.test.ts covers those).
    exchange = new KiroExchange({ config, http, hosts: kiroHosts(kiro.sim.url, { mode: () => 'legacy' }), pool, log });
  };

  beforeEach(() => {
    clock = new ManualClock(Date.now());
    config = defaultConfig({ kiroEndpoint: kiro.sim.url, tokenDir: '/nonexistent', stickinessSeconds: WINDOW / 1000 });
    build(kiro.http);
  });
  afterEach(() => pool.stop());

  const start = (text: string, options: { sessionId?: string; signal?: AbortSignal } = {}): Promise<ExchangeResult> =>
    exchange.start({
      conversation: { model: 'claude-sonnet-4.5', system: '', messages: [{ role: 'user', content: [{ type: 'text', text }] }], tools: [], sessionId: options.sessionId },
      endpoint: '/v1/messages',
      stream: true,
      signal: options.signal ?? new AbortController().signal,
    });

  const drain = async (result: ExchangeResult) => {
    for await (const _event of result.events) {
      // read to the end
    }
  };

  /** Where the last chat call went: the simulator's account and the Kiro conversation. */
  const lastCall = () => {
    const call = kiro.sim.chatRequests().at(-1)!;
    return { account: call.account, conversationId: call.body.conversationState.conversationId as string };
  };

  it('a reply that outlasts the window keeps its session: a parallel request and the next turn join its conversation', async () => {
    await importSimAccount(pool, kiro.sim);
    await importSimAccount(pool, kiro.sim);
    const long = await start('a long answer', { sessionId: 's1' });
    const first = lastCall();
    const events = long.events[Symbol.asyncIterator]();
    await events.next(); // streaming
    await clock.advance(5 * WINDOW);
    await drain(await start('meanwhile', { sessionId: 's1' }));
    assert.deepEqual(lastCall(), first, 'same account, same conversation while the reply runs');
    await clock.advance(WINDOW);
    while (!(await events.next()).done) {
      // the reply ends now
    }
    await clock.advance(WINDOW - 1000);
    await drain(await start('next turn', { sessionId: 's1' }));
    assert.deepEqual(lastCall(), first, 'the window counts from the end of the reply');
  });

  it('every attempt releases its lease: failed and retried, rejected, cancelled, abandoned mid-stream', async () => {
    await importSimAccount(pool, kiro.sim);
    // Had any of these kept its lease, the session would stay live and keep its conversation.
    const endsItsSession = async (session: string, run: () => Promise<unknown>) => {
      await run().catch(() => undefined);
      const before = lastCall().conversationId;
      await clock.advance(WINDOW);
      await drain(await start('later', { sessionId: session }));
      assert.notEqual(lastCall().conversationId, before, session);
    };
    await endsItsSession('retried', async () => {
      kiro.sim.enqueue({ error: 'internal' });
      await drain(await start('x', { sessionId: 'retried' }));
    });
    await endsItsSession('rejected', async () => {
      kiro.sim.enqueue({ error: 'improperlyFormed' });
      await start('x', { sessionId: 'rejected' });
    });
    await endsItsSession('cancelled', async () => {
      kiro.sim.enqueue({ text: 'slow', firstByteDelayMs: 2000 });
      await start('x', { sessionId: 'cancelled', signal: AbortSignal.timeout(100) });
    });
    await endsItsSession('abandoned', async () => {
      for await (const _event of (await start('x', { sessionId: 'abandoned' })).events) break;
    });
  });

  it('a client that leaves before its reply was read is logged as cancelled (499) with the Kiro request, though Kiro finished', async () => {
    await importSimAccount(pool, kiro.sim);
    kiro.sim.enqueue({ text: 'the whole answer arrives in one chunk' });
    const client = new AbortController();
    const result = await start('x', { sessionId: 'left', signal: client.signal });
    let events = 0;
    try {
      for await (const _event of result.events) {
        if (++events === 1) client.abort(); // the socket closed while the adapter was writing
      }
    } catch {
      // the rest may fail as cancelled: nobody is there to tell
    }
    const entry = log.recent(1)[0];
    assert.equal(entry.status, 499);
    assert.match(entry.kiroRequest ?? '', /"conversationState"/);
  });

  it('a reply nobody reads: the end of the request lets the account and the Kiro call go', async () => {
    await importSimAccount(pool, kiro.sim);
    kiro.sim.enqueue({ text: 'never read', stallAfterFrames: 2 });
    const request = new AbortController();
    const repliesBefore = kiro.sim.replies.length;
    await start('x', { sessionId: 'unread', signal: request.signal }); // the adapter failed before reading
    const before = lastCall().conversationId;
    request.abort(); // what the server does when a request ends
    await waitFor(() => kiro.sim.replies.length > repliesBefore, 3000, 'the Kiro call closed');
    await clock.advance(WINDOW);
    await drain(await start('later', { sessionId: 'unread' }));
    assert.notEqual(lastCall().conversationId, before, 'the lease was released');
  });

  it('a dead access token is refreshed once, though each request in flight gets its 403 after the refresh', async () => {
    const http = new OneDeadTokenAtATime(3);
    build(http);
    try {
      const { sim: account } = await importSimAccount(pool, kiro.sim);
      http.dead = account.accessToken;
      kiro.sim.revokeAccessTokens(account.id);
      await Promise.all(['one', 'two', 'three'].map(async (text) => drain(await start(text))));
      assert.equal(kiro.sim.refreshCount(account.id), 1);
      assert.equal(kiro.sim.chatRequests().length, 6, 'each request: one 403, one answer');
    } finally {
      await http.close();
    }
  });
});
