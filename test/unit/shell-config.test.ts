// What the CLI and the extension share: the loopback rule, `~` expansion, how KIRO_PROXY_ENDPOINT is shown.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bindHost, isLoopbackHost, loopbackUrlHosts, urlHost } from '../../src/proxy/local-host';
import { expandHome } from '../../src/proxy/home';
import { shownKiroEndpoint } from '../../src/proxy/config';
import { toProxyConfig, readProxySettings } from '../../src/host/settingsModel';

describe('loopback hosts', () => {
  it('127.0.0.1, localhost and ::1 in either spelling are this computer; nothing else is', () => {
    for (const host of ['127.0.0.1', 'localhost', 'LOCALHOST', '::1', '[::1]', ' [::1] ']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['127.0.0.2', '0.0.0.0', '::', '[::]', 'localhost.evil.com', '192.168.1.2', '']) assert.equal(isLoopbackHost(host), false, host);
  });

  it('a socket gets IPv6 bare, a URL and a Host header in brackets', () => {
    assert.equal(bindHost('[::1]'), '::1');
    assert.equal(bindHost('::1'), '::1');
    assert.equal(bindHost('127.0.0.1'), '127.0.0.1');
    assert.equal(urlHost('::1'), '[::1]');
    assert.equal(urlHost('[::1]'), '[::1]');
    assert.equal(urlHost('localhost'), 'localhost');
    assert.deepEqual(loopbackUrlHosts(), ['127.0.0.1', 'localhost', '[::1]']);
  });

  it('the extension binds [::1] as ::1 (listen cannot resolve the bracketed form)', () => {
    const user: Record<string, unknown> = { host: '[::1]' };
    const { settings } = readProxySettings({
      get: <T>(key: string) => user[key] as T | undefined,
      inspect: <T>(key: string) => ({ globalValue: user[key] as T | undefined }),
    });
    assert.equal(toProxyConfig(settings, {}, undefined).host, '::1');
  });
});

describe('~ expansion', () => {
  it('expands the user\'s own home only', () => {
    assert.equal(expandHome('~', '/home/me'), '/home/me');
    assert.equal(expandHome('~/x/y', '/home/me'), join('/home/me', 'x/y'));
    assert.equal(expandHome('~\\x', '/home/me'), join('/home/me', '\\x')); // Windows' separator
    // Another user's home is not ours: left as typed instead of becoming /home/me/user/x.
    assert.equal(expandHome('~user/x', '/home/me'), '~user/x');
    assert.equal(expandHome('/abs/~/x', '/home/me'), '/abs/~/x');
  });
});

describe('KIRO_PROXY_ENDPOINT as shown', () => {
  it('keeps scheme, host and path; never credentials or a query', () => {
    assert.equal(shownKiroEndpoint('http://127.0.0.1:9000'), 'http://127.0.0.1:9000');
    assert.equal(shownKiroEndpoint('https://user:pw@kiro.example/base?key=1#x'), 'https://kiro.example/base');
    assert.equal(shownKiroEndpoint('not a url'), '(an invalid URL)');
  });
});
