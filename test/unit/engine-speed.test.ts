// The monitor's speed test, through the engine against the simulator: every enabled account
// at once, each result reported as it comes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../src/proxy/config';
import { Engine, type SpeedTestResult } from '../../src/proxy/engine';
import { MemoryAccountStore } from '../../src/proxy/pool/store';
import { importSimAccount, useSimulator } from '../helpers/pool';

describe('Engine.speedTest', () => {
  const kiro = useSimulator({ accounts: 0 });
  let engine: Engine;
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiro-speed-'));
  });
  after(async () => {
    await engine?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('measures every enabled account at once and reports each as it finishes', async () => {
    const config = defaultConfig({ port: 0, kiroEndpoint: kiro.sim.url, tokenDir: join(dir, 'cache'), dataDir: join(dir, 'data') });
    engine = new Engine({ config, store: new MemoryAccountStore(), version: 'test', scanTokenDirWhenEmpty: false });
    await engine.init();
    const slow = await importSimAccount(engine.pool, kiro.sim);
    const fast = await importSimAccount(engine.pool, kiro.sim);
    const suspended = await importSimAccount(engine.pool, kiro.sim);
    const disabled = await importSimAccount(engine.pool, kiro.sim);
    await engine.pool.setEnabled(disabled.id, false);
    // Slow by far more than the others take even on a loaded machine, so the order heard is certain.
    kiro.sim.setBehavior(slow.sim.id, { text: 'pong', firstByteDelayMs: 3000 });
    kiro.sim.setBehavior(suspended.sim.id, { error: 'suspended' });
    await engine.start();

    const heard: SpeedTestResult[] = [];
    const results = await engine.speedTest((r) => heard.push(r));

    assert.deepEqual(results.map((r) => [r.accountId, r.ok]), [[slow.id, true], [fast.id, true], [suspended.id, false]], 'account order, the disabled one left out');
    assert.ok(results[0].ms! >= 3000, `the slow account took its delay (${results[0].ms} ms)`);
    assert.match(results[2].error ?? '', /suspend/i);
    // Run at once, not one after another: the slow first account is heard of last.
    assert.equal(heard.at(-1)?.accountId, slow.id, JSON.stringify(heard.map((r) => r.accountId)));
    assert.deepEqual(heard.map((r) => r.accountId).sort(), results.map((r) => r.accountId).sort());
    const pinned = kiro.sim.chatRequests().map((r) => r.account?.id ?? r.account);
    assert.equal(pinned.filter((id) => id === disabled.sim.id).length, 0, 'nothing sent through the disabled account');
  });
});
