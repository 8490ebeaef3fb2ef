// The Kiro simulator as in-process tests of the account pool (and the auth calls under it) use
// it: one simulator and HTTP client per suite, and accounts added as if the user imported them.
import { after, before, beforeEach } from 'node:test';
// @ts-expect-error The simulator is plain JavaScript without type declarations.
import { startSimulator } from '../sim/kiro-sim.mjs';
import { KiroHttp } from '../../src/proxy/kiro/http';
import type { AccountPool } from '../../src/proxy/pool/pool';
import type { Simulator } from './proxy';

export interface SimulatorBench {
  sim: Simulator;
  http: KiroHttp;
}

/**
 * Starts a simulator and an HTTP client before the enclosing suite and closes them after it;
 * every test starts with the simulator's accounts and behaviours reset. The fields are set
 * once the suite's `before` hooks have run, so read them inside hooks and tests.
 */
export function useSimulator(options: Record<string, unknown> = {}): SimulatorBench {
  const bench = {} as SimulatorBench;
  before(async () => {
    bench.sim = (await startSimulator(options)) as Simulator;
    bench.http = new KiroHttp();
  });
  after(async () => {
    await bench.http.close();
    await bench.sim.close();
  });
  beforeEach(() => bench.sim.reset({ accounts: true }));
  return bench;
}

/** Adds a new simulator account to the pool as if imported; `sim` is the simulator's record of it. */
export async function importSimAccount(pool: AccountPool, sim: Simulator, spec: Record<string, unknown> = {}) {
  const account = sim.addAccount(spec);
  const view = await pool.add({
    credentials: {
      accessToken: account.accessToken,
      refreshToken: account.refreshToken,
      expiresAt: account.expiresAt,
      authMethod: account.authMethod,
      provider: account.provider,
      profileArn: account.profileArn ?? undefined,
      region: account.region,
      clientId: account.clientId,
      clientSecret: account.clientSecret,
    },
  });
  return { sim: account, id: view.id };
}
