// The manifest, its translations and the code agree: every %key% is translated in both
// languages, every runtime string has a Chinese entry, every command is both contributed and
// registered, and the ids the UI tests rely on stay put.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { APPLICATION_SCOPED_KEYS, readProxySettings, SECTION } from '../../src/host/settingsModel';
import { accountContextValue } from '../../src/views/accountItemModel';
import { CHAT_MODEL_DEFAULTS, CHAT_MODELS_SECTION, readChatModelSettings } from '../../src/host/chatModels/settings';

const root = path.join(__dirname, '..', '..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');
const pkg = JSON.parse(read('package.json'));
const nlsEn: Record<string, string> = JSON.parse(read('package.nls.json'));
const nlsZh: Record<string, string> = JSON.parse(read('package.nls.zh-cn.json'));
const bundleZh: Record<string, string> = JSON.parse(read('l10n/bundle.l10n.zh-cn.json'));

function sources(dir: string): string[] {
  const full = path.join(root, dir);
  let names: string[];
  try {
    names = readdirSync(full);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(path.join(root, p)).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}
/** The extension side (the engine is never localised). */
const hostFiles = ['src/extension.ts', ...sources('src/host'), ...sources('src/views'), ...sources('src/workspace')];

test('every manifest %key% exists in English and Chinese', () => {
  const keys = new Set<string>();
  JSON.stringify(pkg).replace(/%([\w.]+)%/g, (_, k: string) => (keys.add(k), ''));
  for (const k of keys) {
    assert.ok(k in nlsEn, `package.nls.json lacks ${k}`);
    assert.ok(k in nlsZh, `package.nls.zh-cn.json lacks ${k}`);
  }
  assert.deepEqual(Object.keys(nlsZh).sort(), Object.keys(nlsEn).sort());
});

test('every runtime string has a Chinese translation with the same placeholders', () => {
  const missing: string[] = [];
  for (const file of hostFiles) {
    for (const m of read(file).matchAll(/\b(?:l10n\.)?t\(\s*'((?:[^'\\]|\\.)*)'/g)) {
      const key = m[1].replace(/\\(.)/g, '$1');
      if (!(key in bundleZh)) missing.push(`${file}: ${key}`);
    }
  }
  assert.deepEqual(missing, []);
  for (const [en, zh] of Object.entries(bundleZh)) {
    const slots = (s: string) => [...s.matchAll(/\{\d+\}/g)].map((x) => x[0]).sort();
    assert.deepEqual(slots(zh), slots(en), en);
  }
});

test('counts read as words, not "(s)": one string for one, another for many, in both languages', () => {
  const texts = [...Object.keys(bundleZh), ...Object.values(nlsEn).map(String)];
  assert.deepEqual(texts.filter((text) => /\(s\)/.test(text)), []);
});

test('commands: all contributed are registered, all registered are contributed, all in category Kiro', () => {
  const contributed = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
  const registered = new Set<string>();
  for (const file of hostFiles) for (const m of read(file).matchAll(/registerCommand\(\s*'(kiro\.[\w.]+)'/g)) registered.add(m[1]);
  for (const id of registered) assert.ok(contributed.has(id), `${id} is registered but not contributed`);
  const external = ['kiro.configureClaudeCode', 'kiro.configureOpenAI', 'kiro.removeClientConfig'];
  for (const id of contributed) assert.ok(registered.has(id) || external.includes(id), `${id} is contributed but never registered`);
  for (const c of pkg.contributes.commands) {
    assert.ok(c.command.startsWith('kiro.'));
    assert.equal(c.category, '%category%');
  }
  assert.equal(nlsEn.category, 'Kiro');
  const clear = pkg.contributes.commands.find((c: { command: string }) => c.command === 'kiro.clearCooldowns');
  assert.equal(nlsEn[clear.title.replace(/%/g, '')], 'Clear Cooldowns');
});

test('setting defaults in the manifest are the ones the code falls back to (defaultConfig)', () => {
  // package.json must spell the defaults out for VS Code; this keeps the two copies equal.
  const properties = pkg.contributes.configuration.properties as Record<string, { default?: unknown }>;
  const defaultsUnder = (section: string) =>
    Object.fromEntries(
      Object.entries(properties)
        .filter(([key]) => key.startsWith(`${section}.`))
        .map(([key, schema]) => [key.slice(section.length + 1), schema.default]),
    );
  const chatKeys = Object.keys(defaultsUnder(CHAT_MODELS_SECTION)).map((key) => `chatModels.${key}`);
  const manifest = Object.fromEntries(Object.entries(defaultsUnder(SECTION)).filter(([key]) => !chatKeys.includes(key)));
  const { settings, problems } = readProxySettings({ get: () => undefined, inspect: () => undefined });
  assert.deepEqual(problems, []);
  assert.deepEqual(manifest, settings);
  assert.deepEqual(defaultsUnder(CHAT_MODELS_SECTION), { ...CHAT_MODEL_DEFAULTS });
  assert.deepEqual(readChatModelSettings({ inspect: () => undefined }), CHAT_MODEL_DEFAULTS);
});

test('client configuration is offered without a folder (user-level files), never in an untrusted workspace', () => {
  const palette: Array<{ command: string; when: string }> = pkg.contributes.menus.commandPalette;
  for (const id of ['kiro.configureClaudeCode', 'kiro.configureOpenAI', 'kiro.removeClientConfig']) {
    const entry = palette.find((e) => e.command === id);
    assert.equal(entry?.when, 'isWorkspaceTrusted', id);
  }
});

test('item-only commands are hidden from the palette', () => {
  const hidden = new Set(pkg.contributes.menus.commandPalette.filter((e: { when: string }) => e.when === 'false').map((e: { command: string }) => e.command));
  for (const id of ['kiro.toggleProxy', 'kiro.account.refreshToken', 'kiro.account.enable', 'kiro.account.disable', 'kiro.account.refreshQuota', 'kiro.account.copyId', 'kiro.account.remove']) {
    assert.ok(hidden.has(id), id);
  }
});

test('row menus match the contextValues the tree produces', () => {
  const entries: Array<{ command: string; when: string }> = pkg.contributes.menus['view/item/context'];
  const regexOf = (when: string) => new RegExp(/viewItem =~ \/(.*)\/$/.exec(when)![1]);
  const offered = (state: Parameters<typeof accountContextValue>[0]) =>
    new Set(entries.filter((e) => regexOf(e.when).test(accountContextValue(state))).map((e) => e.command));
  const cooling = offered({ state: 'cooldown', enabled: true });
  assert.ok(cooling.has('kiro.account.disable') && !cooling.has('kiro.account.enable'));
  assert.ok(cooling.has('kiro.account.refreshToken') && cooling.has('kiro.account.remove') && cooling.has('kiro.account.copyId'));
  const off = offered({ state: 'disabled', enabled: false });
  assert.ok(off.has('kiro.account.enable') && !off.has('kiro.account.disable') && !off.has('kiro.account.refreshToken'));
});

test('stable ids, activation and settings scope', () => {
  assert.deepEqual(pkg.contributes.viewsContainers.activitybar.map((c: { id: string }) => c.id), ['kiro']);
  assert.deepEqual(pkg.contributes.views.kiro.map((v: { id: string }) => v.id), ['kiro.accounts']);
  assert.ok(!pkg.activationEvents.includes('*'));
  assert.ok(pkg.activationEvents.includes('onStartupFinished'));
  assert.equal(pkg.l10n, './l10n');
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  const props: Record<string, { scope?: string }> = pkg.contributes.configuration.properties;
  const appScoped = Object.entries(props).filter(([, p]) => p.scope === 'application').map(([k]) => k.replace('kiroProxy.', ''));
  const chatModelKeys = Object.keys(CHAT_MODEL_DEFAULTS).map((key) => `chatModels.${key}`);
  assert.deepEqual(appScoped.sort(), [...APPLICATION_SCOPED_KEYS, ...chatModelKeys].sort());
  // Every window shares one proxy: only this window's own autoStart may come from a workspace,
  // and an untrusted one cannot set it either.
  const windowScoped = Object.keys(props).filter((k) => props[k].scope !== 'application');
  assert.deepEqual(windowScoped, ['kiroProxy.autoStart']);
  assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations, windowScoped);
  assert.match(read('src/views/statusBar.ts'), /createStatusBarItem\('kiro\.status'/);
  assert.match(read('src/views/accountsTree.ts'), /createTreeView\('kiro\.accounts'/);
});
