import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { defaultConfig } from '../../src/proxy/config';
import { apiKeyRequired, changeImpact, readProxySettings, toProxyConfig, type SettingsSource } from '../../src/host/settingsModel';

/** A fake WorkspaceConfiguration: `get` merges like VS Code (workspace over user over default). */
function source(values: { user?: Record<string, unknown>; workspace?: Record<string, unknown>; defaults?: Record<string, unknown> }): SettingsSource {
  const { user = {}, workspace = {}, defaults = {} } = values;
  return {
    get: <T>(key: string) => (key in workspace ? workspace[key] : key in user ? user[key] : defaults[key]) as T | undefined,
    inspect: <T>(key: string) => ({ defaultValue: defaults[key] as T | undefined, globalValue: user[key] as T | undefined, workspaceValue: workspace[key] as T | undefined }),
  };
}

test('defaults map to the engine defaults', () => {
  const { settings, problems } = readProxySettings(source({}));
  assert.deepEqual(problems, []);
  const config = toProxyConfig(settings, {}, undefined, defaultConfig());
  const d = defaultConfig();
  assert.equal(config.port, 8080);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.strategy, 'least-used');
  assert.equal(config.cooldownSeconds, d.cooldownSeconds);
  assert.equal(config.defaultModel, 'claude-sonnet-4.5');
  assert.equal(config.tokenDir, d.tokenDir);
  assert.equal(config.apiKey, undefined);
  assert.equal(config.outboundProxy, undefined);
  assert.equal(settings.autoStart, true);
});

test('application-scoped settings ignore workspace values (a cloned repo cannot move the proxy)', () => {
  const { settings } = readProxySettings(
    source({
      user: { port: 9000 },
      workspace: { port: 1234, host: '0.0.0.0', requireApiKey: false, outboundProxy: 'http://evil:8080', tokenCacheDir: '/tmp/evil' },
    }),
  );
  assert.equal(settings.port, 9000);
  assert.equal(settings.host, '127.0.0.1');
  assert.equal(settings.outboundProxy, '');
  assert.equal(settings.tokenCacheDir, '');
});

test('settings of the shared proxy ignore workspace values too; only autoStart is per window', () => {
  const workspace = {
    strategy: 'priority', cooldownSeconds: 1, stickinessSeconds: 0, maxWaitSeconds: 600, modelMapping: { 'claude-sonnet-4.5': 'evil-model' },
    defaultModel: 'evil-model', refreshAheadMinutes: 0, logRetention: 10, autoStart: false,
  };
  const user = { cooldownSeconds: 600 };
  const { settings } = readProxySettings(source({ user, workspace }));
  const { settings: userOnly } = readProxySettings(source({ user }));
  const followed = (Object.keys(settings) as Array<keyof typeof settings>).filter((k) => JSON.stringify(settings[k]) !== JSON.stringify(userOnly[k]));
  assert.deepEqual(followed, ['autoStart']);
  assert.equal(settings.cooldownSeconds, 600);
  assert.equal(settings.autoStart, false);
});

test('user values map onto ProxyConfig', () => {
  const { settings } = readProxySettings(
    source({
      user: {
        port: 18080, strategy: 'priority', stickinessSeconds: 5, maxWaitSeconds: 0, modelMapping: { 'gpt-4o': 'claude-sonnet-4.5' },
        defaultModel: 'claude-haiku-4.5', refreshAheadMinutes: 3, logRetention: 50, tokenCacheDir: '~/tokens', autoStart: false,
      },
    }),
  );
  const config = toProxyConfig(settings, { homeDir: '/home/u' }, 'kp-secret', defaultConfig({ kiroEndpoint: 'http://127.0.0.1:9999' }));
  assert.equal(config.port, 18080);
  assert.equal(config.strategy, 'priority');
  assert.equal(config.stickinessSeconds, 5);
  assert.equal(config.maxWaitSeconds, 0);
  assert.deepEqual(config.modelMapping, { 'gpt-4o': 'claude-sonnet-4.5' });
  assert.equal(config.defaultModel, 'claude-haiku-4.5');
  assert.equal(config.refreshAheadMinutes, 3);
  assert.equal(config.logRetention, 50);
  assert.equal(config.tokenDir, path.join('/home/u', 'tokens'));
  assert.equal(settings.autoStart, false);
  // KIRO_PROXY_ENDPOINT (read by defaultConfig) survives the mapping
  assert.equal(config.kiroEndpoint, 'http://127.0.0.1:9999');
  // the key is only passed when required
  assert.equal(config.apiKey, undefined);
});

test('invalid values fall back to defaults and are reported', () => {
  const { settings, problems } = readProxySettings(
    source({ user: { port: 70000, cooldownSeconds: -1, strategy: 'random', modelMapping: { a: 3, b: 'x' } } }),
  );
  assert.equal(settings.port, 8080);
  assert.equal(settings.cooldownSeconds, 300);
  assert.equal(settings.strategy, 'least-used');
  assert.deepEqual(settings.modelMapping, { b: 'x' });
  assert.equal(problems.length, 4);
});

test('the API key is required when asked for, and always off loopback', () => {
  assert.equal(apiKeyRequired({ requireApiKey: false, host: '127.0.0.1' }), false);
  assert.equal(apiKeyRequired({ requireApiKey: false, host: 'localhost' }), false);
  assert.equal(apiKeyRequired({ requireApiKey: true, host: '127.0.0.1' }), true);
  assert.equal(apiKeyRequired({ requireApiKey: false, host: '0.0.0.0' }), true);
  const { settings } = readProxySettings(source({ user: { host: '0.0.0.0' } }));
  assert.equal(toProxyConfig(settings, {}, 'kp-secret').apiKey, 'kp-secret');
  const required = readProxySettings(source({ user: { requireApiKey: true } })).settings;
  assert.equal(toProxyConfig(required, {}, 'kp-secret').apiKey, 'kp-secret');
});

test('outbound proxy follows VS Code http.proxy unless set', () => {
  const plain = readProxySettings(source({})).settings;
  assert.equal(toProxyConfig(plain, { httpProxy: 'http://corp:3128' }, undefined).outboundProxy, 'http://corp:3128');
  const own = readProxySettings(source({ user: { outboundProxy: 'http://mine:8888' } })).settings;
  assert.equal(toProxyConfig(own, { httpProxy: 'http://corp:3128' }, undefined).outboundProxy, 'http://mine:8888');
});

test('port and host changes need a restart; the outbound proxy a reload; the rest is live', () => {
  assert.deepEqual(changeImpact((k) => k === 'port'), { restart: true, reload: false });
  assert.deepEqual(changeImpact((k) => k === 'host'), { restart: true, reload: false });
  assert.deepEqual(changeImpact((k) => k === 'outboundProxy'), { restart: false, reload: true });
  assert.deepEqual(changeImpact((k) => k === 'cooldownSeconds' || k === 'requireApiKey'), { restart: false, reload: false });
});
