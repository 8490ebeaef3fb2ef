// Model discovery: `/v1/models` and the Gemini list follow what Kiro's ListAvailableModels
// told the pool about each account, with stable client-facing ids.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, type RunningProxy } from '../helpers/proxy';

describe('model lists from ListAvailableModels', () => {
  let proxy: RunningProxy;
  before(async () => {
    proxy = await startProxy();
    // Before the pool's first maintenance pass (1 s after start) asks Kiro for the models.
    proxy.sim.setAccount(proxy.sim.accounts.list()[0].id, { models: ['claude-haiku-4.5'] });
  });
  after(() => proxy.stop());

  test('built-in names an account cannot use disappear once the models are known', async () => {
    const ids = async () => ((await (await fetch(`${proxy.url}/v1/models`)).json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    const deadline = Date.now() + 10_000;
    let listed = await ids();
    while (listed.includes('claude-sonnet-4-5') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      listed = await ids();
    }
    assert.ok(!listed.includes('claude-sonnet-4-5'), `still listed: ${listed.join()}`);
    assert.ok(listed.includes('claude-haiku-4-5') && listed.includes('gpt-4o-mini'), listed.join());
    // REST on the legacy hosts, AWS JSON at management.kiro.dev's root (§11.4).
    assert.ok(proxy.sim.requests.some((r) => r.path.includes('ListAvailableModels') || String(r.headers['x-amz-target'] ?? '').endsWith('.ListAvailableModels')));
    const gemini = (await (await fetch(`${proxy.url}/v1beta/models`)).json()) as { models: Array<{ name: string }> };
    assert.deepEqual(gemini.models.map((m) => m.name), listed.map((id) => `models/${id}`));
  });
});
