import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { StoredAccount } from '../../src/proxy/pool/account';
import { redact } from '../../src/proxy/logger';
import { ApiKeyService, generateApiKey } from '../../src/host/apiKeyService';
import { SecretAccountStore } from '../../src/host/secretAccountStore';
import { TypedSecrets, type SecretStorageLike } from '../../src/host/secrets';

/** One keychain shared by several "windows", like VS Code's SecretStorage. */
class FakeKeychain {
  readonly values = new Map<string, string>();
  readonly events = new EventEmitter();
  window(): SecretStorageLike {
    return {
      get: async (k) => this.values.get(k),
      store: async (k, v) => {
        this.values.set(k, v);
        this.events.emit('change', { key: k });
      },
      delete: async (k) => {
        this.values.delete(k);
        this.events.emit('change', { key: k });
      },
      onDidChange: (listener) => {
        this.events.on('change', listener);
        return { dispose: () => this.events.off('change', listener) };
      },
    };
  }
}

const account = (id: string): StoredAccount => ({
  id,
  credentials: { accessToken: 'aoa' + 'x'.repeat(30), refreshToken: 'aor' + 'y'.repeat(30), authMethod: 'social', region: 'us-east-1', machineId: '0'.repeat(64) },
  enabled: true,
  priority: 0,
  status: 'ok',
  counters: { requests: 0, errors: 0, credits: 0 },
  addedAt: 1,
});

const tick = () => new Promise((r) => setImmediate(r));

test('accounts round-trip through one secret', async () => {
  const keychain = new FakeKeychain();
  const store = new SecretAccountStore(new TypedSecrets(keychain.window()));
  assert.deepEqual(await store.load(), []);
  await store.save([account('a'), account('b')]);
  assert.deepEqual((await store.load()).map((a) => a.id), ['a', 'b']);
  assert.deepEqual(JSON.parse(keychain.values.get('kiro.accounts')!).version, 1);
});

test('unreadable stored accounts are refused, without echoing tokens', async () => {
  const keychain = new FakeKeychain();
  keychain.values.set('kiro.accounts', '{"accounts": [ aorSECRET');
  const store = new SecretAccountStore(new TypedSecrets(keychain.window()));
  await assert.rejects(store.load(), (err: Error) => !err.message.includes('aorSECRET'));
});

test('a save in one window is an external change in the other, not in itself', async () => {
  const keychain = new FakeKeychain();
  const a = new SecretAccountStore(new TypedSecrets(keychain.window()));
  const b = new SecretAccountStore(new TypedSecrets(keychain.window()));
  let seenByA = 0;
  let seenByB = 0;
  a.onDidChangeExternally(() => seenByA++);
  b.onDidChangeExternally(() => seenByB++);
  await a.save([account('a')]);
  await tick();
  await tick();
  assert.equal(seenByA, 0);
  assert.equal(seenByB, 1);
  await b.save([account('a'), account('b')]);
  await tick();
  await tick();
  assert.equal(seenByA, 1);
  assert.equal(seenByB, 1);
});

test("two windows never undo each other's account changes, and each hears of the other's", async () => {
  const keychain = new FakeKeychain();
  const a = new SecretAccountStore(new TypedSecrets(keychain.window()));
  const b = new SecretAccountStore(new TypedSecrets(keychain.window()));
  await a.save([account('x')]);
  await a.load();
  await b.load();
  let heardByA = 0;
  a.onDidChangeExternally(() => heardByA++);
  const stored = () => (JSON.parse(keychain.values.get('kiro.accounts')!).accounts as StoredAccount[]).map((s) => s.id);

  // B signs in y; A saves its counters before it reloaded: y stays, and A hears of it.
  await b.save([account('x'), account('y')]);
  await a.save([{ ...account('x'), counters: { requests: 5, errors: 0, credits: 0 } }]);
  assert.deepEqual(stored(), ['x', 'y']);
  await tick();
  assert.ok(heardByA >= 1, 'A reloads');
  // A's pool now has y (it reloaded). B removes y; A saves again before its reload: y stays gone.
  await a.load();
  await b.save([account('x')]);
  await a.save([account('x'), account('y')]);
  await a.save([account('x'), account('y')]);
  assert.deepEqual(stored(), ['x']);
  // A refreshed x meanwhile: B, which still holds the old token, does not put it back.
  const fresh = { ...account('x'), credentials: { ...account('x').credentials, accessToken: 'aoa-new', expiresAt: 9e12 } };
  await a.load();
  await a.save([fresh]);
  await b.save([account('x')]);
  assert.equal(JSON.parse(keychain.values.get('kiro.accounts')!).accounts[0].credentials.accessToken, 'aoa-new');
});

test('the API key is generated once, random, shared, and never logged', async () => {
  const keychain = new FakeKeychain();
  const one = new ApiKeyService(new TypedSecrets(keychain.window()));
  const two = new ApiKeyService(new TypedSecrets(keychain.window()));
  assert.equal(await one.peek(), undefined);
  const key = await one.get();
  assert.match(key, /^kp-[A-Za-z0-9_-]{32}$/);
  assert.equal(await two.get(), key);
  assert.equal(redact(`client sent ${key}`), 'client sent [redacted]');
  assert.notEqual(generateApiKey(), generateApiKey());
});

test('calls made while the first key is being read and created share it: one key, not two', async () => {
  const keychain = new FakeKeychain();
  const keys = new ApiKeyService(new TypedSecrets(keychain.window()));
  // The background read at activation and a start (or "Copy API Key") that come at once.
  const [a, b, c] = await Promise.all([keys.get(), keys.get(), keys.get()]);
  assert.equal(a, b);
  assert.equal(b, c);
  assert.equal(keychain.values.get('kiro.apiKey'), a);
});

test('regenerating in one window reaches the other', async () => {
  const keychain = new FakeKeychain();
  const one = new ApiKeyService(new TypedSecrets(keychain.window()));
  const two = new ApiKeyService(new TypedSecrets(keychain.window()));
  await one.get();
  await two.get();
  const seen: Array<string | undefined> = [];
  two.onDidChange((k) => seen.push(k));
  const fresh = await one.regenerate();
  await tick();
  await tick();
  assert.deepEqual(seen, [fresh]);
  assert.equal(await two.get(), fresh);
});
