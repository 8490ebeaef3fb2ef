import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountState, AccountView } from '../../src/proxy/pool/account';
import type { ProxyStatus } from '../../src/host/proxyStatus';
import { statusBarModel, type StatusBarInput } from '../../src/views/statusBarModel';
import { untranslated } from '../../src/views/translate';

const NOW = Date.UTC(2025, 10, 20, 12);
let n = 0;
function acc(state: AccountState, extra: Partial<AccountView> = {}): AccountView {
  n++;
  return {
    id: `id${n}`, label: `a${n}`, authMethod: 'social', region: 'us-east-1', apiRegion: 'us-east-1', machineId: '0'.repeat(64), state,
    enabled: state !== 'disabled', priority: 0, counters: { requests: 0, errors: 0, credits: 0 }, addedAt: 0, ...extra,
  };
}
const running: ProxyStatus = { kind: 'running', url: 'http://127.0.0.1:8080', host: '127.0.0.1', port: 8080 };
const input = (status: ProxyStatus, accounts: AccountView[], extra: Partial<StatusBarInput> = {}): StatusBarInput => ({
  status, accounts, now: NOW, t: untranslated, locale: 'en', timeZone: 'UTC', ...extra,
});

test('running: port and usable/total, no background when all is well', () => {
  const m = statusBarModel(input(running, [acc('active'), acc('active'), acc('expired'), acc('disabled')], { requestsServed: 42 }));
  assert.equal(m.text, '$(radio-tower) Kiro :8080 · 3/4');
  assert.equal(m.background, undefined);
  assert.equal(m.command, 'kiro.toggleProxy');
  assert.match(m.tooltip, /Base URL: `http:\/\/127\.0\.0\.1:8080`/);
  assert.match(m.tooltip, /Requests served: 42/);
  assert.match(m.tooltip, /\[Stop\]\(command:kiro\.stopProxy\)/);
  assert.match(m.tooltip, /\[Open Monitor\]\(command:kiro\.openMonitor\)/);
  assert.match(m.tooltip, /\[Copy Base URL\]\(command:kiro\.copyBaseUrl\)/);
});

test('warning background when some account cools down, with the next cooldown end', () => {
  const until = NOW + 5 * 60_000;
  const m = statusBarModel(input(running, [acc('active'), acc('cooldown', { cooldownUntil: until }), acc('cooldown', { cooldownUntil: until + 60_000 })]));
  assert.equal(m.background, 'warning');
  assert.equal(m.nextChangeAt, until);
  assert.match(m.tooltip, /1 usable of 3, 2 cooling down/);
  assert.match(m.tooltip, /Next cooldown ends at 12:05/);
});

test('warning background when no account can serve', () => {
  assert.equal(statusBarModel(input(running, [acc('needs-login')])).background, 'warning');
  assert.equal(statusBarModel(input(running, [])).background, 'warning');
  assert.match(statusBarModel(input(running, [])).tooltip, /No accounts yet/);
});

test('stopped: start link, no colour, no requests line', () => {
  const m = statusBarModel(input({ kind: 'stopped' }, [acc('active')]));
  assert.equal(m.text, '$(debug-disconnect) Kiro · off · 1/1');
  assert.equal(m.background, undefined);
  assert.match(m.tooltip, /\[Start\]\(command:kiro\.startProxy\)/);
  assert.doesNotMatch(m.tooltip, /Requests served/);
  assert.doesNotMatch(m.tooltip, /Copy Base URL/);
});

test('served by another window', () => {
  const m = statusBarModel(input({ kind: 'remote', url: 'http://127.0.0.1:8080', port: 8080 }, [acc('active')]));
  assert.equal(m.text, '$(radio-tower) Kiro :8080 · other window');
  assert.match(m.tooltip, /served by another window/);
  assert.match(m.tooltip, /command:kiro\.copyBaseUrl/);
  assert.match(m.tooltip, /\[Stop Using\]\(command:kiro\.stopProxy\)/);
});

test('port held by a foreign program, and failures, are errors', () => {
  const f = statusBarModel(input({ kind: 'foreign', port: 8080, host: '127.0.0.1', detail: 'Another HTTP server answers on this port.' }, []));
  assert.equal(f.text, '$(warning) Kiro :8080 in use');
  assert.equal(f.background, 'error');
  assert.match(f.tooltip, /port 8080 is used by another program/);
  const x = statusBarModel(input({ kind: 'failed', error: 'boom' }, []));
  assert.equal(x.background, 'error');
  assert.match(x.tooltip, /boom/);
});

test('starting spins', () => {
  assert.equal(statusBarModel(input({ kind: 'starting', port: 8080 }, [])).text, '$(loading~spin) Kiro :8080');
});

test('KIRO_PROXY_ENDPOINT set: the tooltip says where the Kiro calls and tokens go; unset, nothing', () => {
  const m = statusBarModel(input(running, [acc('active')], { kiroEndpoint: 'http://127.0.0.1:9999' }));
  assert.match(m.tooltip, /\$\(warning\) Kiro calls and your tokens go to `http:\/\/127\.0\.0\.1:9999` \(KIRO_PROXY_ENDPOINT\), not to Kiro\./);
  assert.doesNotMatch(statusBarModel(input(running, [acc('active')])).tooltip, /KIRO_PROXY_ENDPOINT/);
});
