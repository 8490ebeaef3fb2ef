// The extension in a real extension host, against the Kiro simulator. The runner (test/runInCodeServer.mjs
// or test/runTest.ts) starts the simulator, seeds a token cache folder with its accounts and opens a
// workspace with these user settings: kiroProxy.tokenCacheDir = that folder, kiroProxy.port = a free
// port, kiroProxy.autoStart = false; KIRO_PROXY_ENDPOINT points the engine at the simulator.
//
// Environment: KIRO_SIM_URL, KIRO_SUITE_PORT, KIRO_SUITE_TOKEN_DIR, and the user settings file as
// KIRO_SUITE_SETTINGS_FILE (or derived from KIRO_E2E_PROFILE_DIR, which code-server's helper sets).
// No sleeps: every wait is on /health, the simulator or the extension's own objects.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import * as vscode from 'vscode';
import type { KiroTestApi } from '../../src/extension';
import { env, portOpen, simAccounts, simPost, until, type SimAccount } from './simulator';

const EXTENSION_ID = 'kiro-proxy.kiro-proxy';

const PORT = Number(env('KIRO_SUITE_PORT'));
const TOKEN_DIR = env('KIRO_SUITE_TOKEN_DIR');
const BASE = `http://127.0.0.1:${PORT}`;
const SETTINGS_FILE =
  process.env.KIRO_SUITE_SETTINGS_FILE ?? (process.env.KIRO_E2E_PROFILE_DIR ? path.join(process.env.KIRO_E2E_PROFILE_DIR, 'user', 'User', 'settings.json') : undefined);

interface HealthAccount { id: string; label: string; state: string; enabled: boolean }

async function health(): Promise<{ status: string; accounts: HealthAccount[] }> {
  const res = await fetch(`${BASE}/health`);
  assert.equal(res.status, 200);
  return (await res.json()) as { status: string; accounts: HealthAccount[] };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The pool account that came from a simulator account's token file. */
function poolAccountFor(api: KiroTestApi, sim: SimAccount) {
  const files = fs.readdirSync(TOKEN_DIR).filter((f) => f.endsWith('.json')).map((f) => path.join(TOKEN_DIR, f));
  const file = files.find((f) => fs.readFileSync(f, 'utf8').includes(sim.refreshToken));
  const account = api.engine.pool.list().find((a) => a.source && 'path' in a.source && a.source.path === file);
  assert.ok(account, `pool account for ${sim.id} (${file})`);
  return account;
}

/**
 * Answers the client-config prompts. The suite shares the extension's `vscode` API object (both live under
 * the extension's folder), so replacing `window.showQuickPick` / the modal `showInformationMessage` here is
 * what the extension calls: no product seam needed. Non-modal messages pass through.
 */
async function withPrompts<T>(answers: { pick: (items: readonly vscode.QuickPickItem[], options?: vscode.QuickPickOptions) => unknown; confirm: string }, fn: () => Thenable<T>): Promise<T> {
  const w = vscode.window as unknown as Record<string, unknown>;
  const originalPick = w.showQuickPick;
  const originalInfo = w.showInformationMessage as (...args: unknown[]) => Thenable<unknown>;
  const modals: string[] = [];
  w.showQuickPick = async (items: readonly vscode.QuickPickItem[] | Thenable<readonly vscode.QuickPickItem[]>, options?: vscode.QuickPickOptions) =>
    answers.pick(await items, options);
  w.showInformationMessage = (message: string, ...rest: unknown[]) => {
    const opts = rest[0] as vscode.MessageOptions | undefined;
    if (opts && typeof opts === 'object' && opts.modal) {
      modals.push(message);
      return Promise.resolve(rest.includes(answers.confirm) ? answers.confirm : undefined);
    }
    return originalInfo(message, ...rest);
  };
  try {
    const result = await fn();
    assert.ok(modals.length <= 1, `one confirmation at most, got ${modals.join(' | ')}`);
    return result;
  } finally {
    w.showQuickPick = originalPick;
    w.showInformationMessage = originalInfo;
  }
}

describe('Kiro Proxy in the extension host', function () {
  let api: KiroTestApi;
  let root: string;

  before(async function () {
    const ext = vscode.extensions.getExtension<KiroTestApi | undefined>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    const exports = await ext.activate();
    assert.ok(exports, 'activate() returns the test API outside production mode');
    api = exports;
    root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok(root, 'a workspace folder is open');
    // A fresh profile has no accounts; the extension offers the token cache (a toast nobody answers here).
    // "Kiro: Scan Token Cache" imports it, as the offer's "Import" button does.
    assert.equal(api.engine.pool.list().length, 0, 'no accounts before the import');
    await vscode.commands.executeCommand('kiro.scanTokenCache');
    assert.equal(api.engine.pool.list().length, (await simAccounts()).length, 'every token file imported');
  });

  after(async () => {
    await simPost('/__sim/behavior', { account: 'acct-1', reply: null }).catch(() => undefined);
    await vscode.commands.executeCommand('kiro.stopProxy');
  });

  it('activates and registers every contributed command', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.equal(ext.isActive, true);
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = (ext.packageJSON.contributes.commands as Array<{ command: string }>).map((c) => c.command);
    assert.ok(contributed.length >= 20, `contributes ${contributed.length} commands`);
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], 'contributed but not registered');
  });

  it('"Kiro: Start Proxy" opens the port', async () => {
    assert.equal(await portOpen(PORT), false, `port ${PORT} is closed before the start`);
    await vscode.commands.executeCommand('kiro.startProxy');
    await until(`the proxy on ${BASE}`, () => portOpen(PORT));
    assert.equal((await health()).status, 'ok');
  });

  it('"Copy Base URL" copies the address clients can use', async () => {
    await vscode.commands.executeCommand('kiro.copyBaseUrl');
    const copied = await vscode.env.clipboard.readText();
    assert.equal(copied, BASE);
    // The proxy's Host check accepts what was copied.
    const client = new Anthropic({ baseURL: copied, apiKey: 'suite-key', maxRetries: 0 });
    const message = await client.messages.create({ model: 'claude-sonnet-4.5', max_tokens: 16, messages: [{ role: 'user', content: 'copied' }] });
    assert.equal(message.type, 'message');
  });

  it('/health lists the accounts imported from the token cache folder (kiroProxy.tokenCacheDir)', async () => {
    const sims = await simAccounts();
    const h = await health();
    assert.equal(h.accounts.length, sims.length, JSON.stringify(h.accounts));
    const pool = api.engine.pool.list();
    for (const sim of sims) {
      const account = poolAccountFor(api, sim);
      assert.ok(account.source && 'path' in account.source && account.source.path?.startsWith(TOKEN_DIR));
      const listed = h.accounts.find((a) => a.id === account.id);
      assert.ok(listed, `/health lists ${account.label}`);
      assert.equal(listed.state, 'active');
      assert.equal(listed.enabled, true);
    }
    assert.equal(pool.length, sims.length);
  });

  it('a request from @anthropic-ai/sdk through the running proxy succeeds', async () => {
    const client = new Anthropic({ baseURL: BASE, apiKey: 'suite-key', maxRetries: 0 });
    const message = await client.messages.create({
      model: 'claude-sonnet-4.5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hello from the extension host' }],
    });
    assert.equal(message.type, 'message');
    const text = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    assert.equal(text, 'Echo: hello from the extension host');
  });

  it('the tree provider returns one item per account, with its state and description', async () => {
    const ids = api.accountsTree.getChildren();
    const pool = api.engine.pool.list();
    assert.equal(ids.length, pool.length);
    assert.deepEqual([...ids].sort(), pool.map((a) => a.id).sort());
    for (const id of ids) {
      const view = api.engine.pool.get(id)!;
      const item = api.accountsTree.getTreeItem(id);
      assert.equal(item.label, view.label);
      assert.equal(item.id, `account:${id}`);
      assert.equal(item.contextValue, 'account:active:enabled');
      assert.match(String(item.description), /^expires in \d/);
      assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass-filled');
    }
    // A disabled account shows it.
    const first = ids[0];
    await vscode.commands.executeCommand('kiro.account.disable', first);
    const disabled = api.accountsTree.getTreeItem(first);
    assert.equal(disabled.contextValue, 'account:disabled:disabled');
    assert.equal(disabled.description, 'disabled');
    await vscode.commands.executeCommand('kiro.account.enable', first);
    assert.equal(api.accountsTree.getTreeItem(first).contextValue, 'account:active:enabled');
  });

  it('"Kiro: Clear Cooldowns" puts a cooled account back to active', async () => {
    const [sim1] = await simAccounts();
    const account = poolAccountFor(api, sim1);
    await simPost('/__sim/behavior', { account: sim1.id, reply: { error: 'throttled' } });
    const client = new Anthropic({ baseURL: BASE, apiKey: 'suite-key', maxRetries: 0 });
    // Least-used routing reaches the throttled account within a few requests; the pool fails over, so each succeeds.
    for (let i = 0; i < 6 && (await health()).accounts.find((a) => a.id === account.id)?.state !== 'cooldown'; i++) {
      await client.messages.create({ model: 'claude-sonnet-4.5', max_tokens: 16, messages: [{ role: 'user', content: `cool ${i}` }] });
    }
    await simPost('/__sim/behavior', { account: sim1.id, reply: null });
    assert.equal((await health()).accounts.find((a) => a.id === account.id)?.state, 'cooldown');
    const cooled = api.accountsTree.getTreeItem(account.id);
    assert.equal(cooled.contextValue, 'account:cooldown:enabled');
    assert.match(String(cooled.description), /^cooldown \d/);

    await vscode.commands.executeCommand('kiro.clearCooldowns');
    assert.equal((await health()).accounts.find((a) => a.id === account.id)?.state, 'active');
    assert.equal(api.accountsTree.getTreeItem(account.id).contextValue, 'account:active:enabled');
  });

  it('"Refresh Token" on a tree item refreshes it against the simulator', async () => {
    const sims = await simAccounts();
    const sim = sims[sims.length - 1];
    const account = poolAccountFor(api, sim);
    const element = api.accountsTree.getChildren().find((id) => id === account.id);
    assert.ok(element, 'the account has a row');
    // The inline action passes the row's element, as the tree does.
    await vscode.commands.executeCommand('kiro.account.refreshToken', element);
    const after = (await simAccounts()).find((a) => a.id === sim.id)!;
    assert.equal(after.refreshCount, sim.refreshCount + 1, 'the simulator saw one refresh');
    assert.notEqual(after.accessToken, sim.accessToken, 'a new access token was issued');
    assert.equal(api.engine.pool.get(account.id)?.state, 'active');
  });

  it('"Set Outbound Proxy…" on a tree item sets the account\'s own proxy (checked as typed), shows it without credentials, and clears it', async () => {
    const account = api.engine.pool.list()[0];
    const w = vscode.window as unknown as Record<string, unknown>;
    const original = w.showInputBox;
    const answers = ['socks5h://alice:Pr0xyPw@127.0.0.1:1080', ''];
    const boxes: vscode.InputBoxOptions[] = [];
    w.showInputBox = async (options: vscode.InputBoxOptions) => {
      boxes.push(options);
      assert.match(String(await options.validateInput?.('ftp://127.0.0.1:21')), /socks5/, 'another scheme is refused as typed');
      assert.equal(await options.validateInput?.(answers[0]), undefined);
      return answers[boxes.length - 1];
    };
    try {
      await vscode.commands.executeCommand('kiro.account.setProxy', account.id);
      assert.equal(api.engine.pool.get(account.id)?.proxy, 'socks5h://127.0.0.1:1080');
      // Markdown escapes the dots.
      const tooltip = String((api.accountsTree.getTreeItem(account.id).tooltip as vscode.MarkdownString)?.value ?? '').replace(/\\/g, '');
      assert.match(tooltip, /Outbound proxy: socks5h:\/\/127\.0\.0\.1:1080/);
      assert.ok(!tooltip.includes('Pr0xyPw'));
      await vscode.commands.executeCommand('kiro.account.setProxy', account.id);
      assert.equal(api.engine.pool.get(account.id)?.proxy, undefined, 'cleared');
    } finally {
      w.showInputBox = original;
      await api.engine.pool.setProxy(account.id, undefined); // later tests use this account directly
    }
    assert.equal(boxes[1].value, 'socks5h://127.0.0.1:1080', 'the box shows the proxy without its credentials');
  });

  it('"Add Account" → IAM Identity Center signs in an organisation account by device code', async () => {
    const before = new Set(api.engine.pool.list().map((a) => a.id));
    const w = vscode.window as unknown as Record<string, unknown>;
    const e = vscode.env as unknown as Record<string, unknown>;
    const originals = { pick: w.showQuickPick, input: w.showInputBox, open: e.openExternal };
    const answers = ['https://d-1234567890.awsapps.com/start', 'eu-west-1'];
    const refused = [/must begin with https/, /not an AWS region/];
    const wrong = ['http://d-1234567890.awsapps.com/start', 'mars'];
    const prompts: string[] = [];
    const opened: string[] = [];
    w.showQuickPick = async (items: readonly vscode.QuickPickItem[]) => (await items).find((i) => i.label.includes('IAM Identity Center'));
    w.showInputBox = async (options: vscode.InputBoxOptions) => {
      const i = prompts.length;
      prompts.push(options.prompt ?? '');
      assert.match(String(await options.validateInput?.(wrong[i])), refused[i], `${wrong[i]} is refused as typed`);
      assert.equal(await options.validateInput?.(answers[i]), undefined, `${answers[i]} is accepted`);
      return answers[i];
    };
    // The user's browser: it opens the verification page, which approves the code.
    e.openExternal = async (uri: vscode.Uri) => {
      opened.push(uri.toString(true));
      return (await fetch(uri.toString(true))).ok;
    };
    try {
      await vscode.commands.executeCommand('kiro.addAccount');
    } finally {
      w.showQuickPick = originals.pick;
      w.showInputBox = originals.input;
      e.openExternal = originals.open;
    }
    assert.equal(prompts.length, 2, 'asked for the start URL and the region');
    assert.equal(opened.length, 1);
    assert.match(await vscode.env.clipboard.readText(), /^[A-Z]{4}-[A-Z]{4}$/, 'the code is on the clipboard');
    const added = api.engine.pool.list().filter((a) => !before.has(a.id));
    assert.equal(added.length, 1);
    assert.deepEqual([added[0].authMethod, added[0].provider], ['idc', 'Enterprise']);
    const sims = await simAccounts();
    assert.ok(sims.some((a) => (a as SimAccount & { startUrl?: string }).startUrl === answers[0]), 'the device authorization named the start URL');
    // It stays: the secrets test below checks its tokens went to SecretStorage only.
  });

  it('"Add Account" → Kiro API key: a password box that checks the shape as typed, then the key is an account', async () => {
    const key = 'ksk_' + 'SuiteKey7'.repeat(5);
    await simPost('/__sim/accounts', { authMethod: 'api_key', accessToken: key, email: 'apikey@example.com' });
    const before = new Set(api.engine.pool.list().map((a) => a.id));
    const w = vscode.window as unknown as Record<string, unknown>;
    const originals = { pick: w.showQuickPick, input: w.showInputBox };
    const boxes: vscode.InputBoxOptions[] = [];
    w.showQuickPick = async (items: readonly vscode.QuickPickItem[]) => (await items).find((i) => i.label.includes('Kiro API key'));
    w.showInputBox = async (options: vscode.InputBoxOptions) => {
      boxes.push(options);
      assert.match(String(await options.validateInput?.('ksk_short')), /starts with "ksk_"/, 'a malformed key is refused as typed');
      assert.equal(await options.validateInput?.(key), undefined, 'a key of the right shape is accepted');
      return key;
    };
    try {
      await vscode.commands.executeCommand('kiro.addAccount');
    } finally {
      w.showQuickPick = originals.pick;
      w.showInputBox = originals.input;
    }
    assert.equal(boxes.length, 1);
    assert.equal(boxes[0].password, true, 'the key is typed into a password box');
    const added = api.engine.pool.list().filter((a) => !before.has(a.id));
    assert.deepEqual(added.map((a) => [a.authMethod, a.label]), [['api_key', 'apikey@example.com']]);
    assert.ok(((await api.context.secrets.get('kiro.accounts')) ?? '').includes(key), 'kept in SecretStorage');
    // It stays: the secrets test below checks the key went to SecretStorage only.
  });

  it('an organisation account with several Kiro profiles: a quick pick asks once, the pick is its profile and region', async () => {
    const team = 'arn:aws:codewhisperer:us-east-1:111122223333:profile/TEAMUSEAST1';
    const eu = 'arn:aws:codewhisperer:eu-central-1:444455556666:profile/TEAMEUROPE1';
    const tokens = { accessToken: 'aoa' + 'ProfileSuite'.repeat(8), refreshToken: 'aor' + 'ProfileSuite'.repeat(8), clientId: 'profileSuiteClient1', clientSecret: 'eyJ' + 'p'.repeat(60) };
    await simPost('/__sim/accounts', {
      id: 'acct-profiles', authMethod: 'idc', provider: 'Enterprise', region: 'eu-west-1', profileArn: null, email: 'org@example.com', ...tokens,
      profiles: [{ arn: team, name: 'Team US' }, { arn: eu, name: 'Team Europe' }],
    });
    const w = vscode.window as unknown as Record<string, unknown>;
    const original = w.showQuickPick;
    const asked: Array<{ items: vscode.QuickPickItem[]; title?: string }> = [];
    w.showQuickPick = async (items: readonly (vscode.QuickPickItem & { arn?: string })[], options?: vscode.QuickPickOptions) => {
      const list = [...(await items)];
      asked.push({ items: list, title: options?.title });
      return list.find((i) => i.arn === eu);
    };
    try {
      const view = await api.engine.pool.add({
        credentials: { ...tokens, expiresAt: Date.now() + 3_600_000, authMethod: 'idc', provider: 'Enterprise', region: 'eu-west-1' },
      });
      // The quota call looks the profiles up; with two, none is picked for the user.
      await api.engine.pool.refreshQuota(view.id).catch(() => undefined);
      const chosen = await until('the picked profile saved', async () => {
        const account = api.engine.pool.list().find((a) => a.id === view.id);
        return account?.profileArn === eu ? account : undefined;
      });
      assert.equal(chosen.apiRegion, 'eu-central-1', "its calls now go to the profile's region");
      assert.equal(asked.length, 1, 'asked once');
      assert.deepEqual(asked[0].items.map((i) => [i.label, i.description]), [['Team US', 'us-east-1'], ['Team Europe', 'eu-central-1']]);
      assert.match(asked[0].title ?? '', /Kiro profile for/);
      // Nothing more is asked when the account changes again (counters, a later quota refresh).
      await api.engine.pool.refreshQuota(view.id);
      assert.equal(asked.length, 1, 'not asked again');
      // It stays: the secrets test below checks its tokens went to SecretStorage only.
    } finally {
      w.showQuickPick = original;
    }
  });

  it('the Claude Code writer produces .claude/settings.local.json (and its .gitignore line)', async () => {
    await withPrompts(
      {
        pick: (items, options) => {
          assert.ok(!options?.canPickMany);
          // "This workspace" first; then the model pair with sonnet.
          return items.find((i) => i.description === '.claude/settings.local.json') ?? items.find((i) => i.label.startsWith('claude-sonnet-4.5'));
        },
        confirm: 'Apply',
      },
      () => vscode.commands.executeCommand('kiro.configureClaudeCode'),
    );
    const file = path.join(root, '.claude', 'settings.local.json');
    const settings = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(settings.env.ANTHROPIC_BASE_URL, BASE);
    assert.equal(settings.env.ANTHROPIC_MODEL, 'claude-sonnet-4.5');
    assert.equal(settings.env.ANTHROPIC_SMALL_FAST_MODEL, 'claude-haiku-4.5');
    assert.match(fs.readFileSync(path.join(root, '.gitignore'), 'utf8'), /^\.claude\/settings\.local\.json$/m);
  });

  it('the OpenAI writer produces .env', async () => {
    await withPrompts(
      { pick: (items, options) => (assert.ok(options?.canPickMany), items.filter((i) => i.label === 'OpenAI SDKs and clients')), confirm: 'Apply' },
      () => vscode.commands.executeCommand('kiro.configureOpenAI'),
    );
    const text = fs.readFileSync(path.join(root, '.env'), 'utf8');
    assert.match(text, new RegExp(`^OPENAI_BASE_URL=["']?${BASE.replace(/[.]/g, '\\.')}/v1["']?$`, 'm'));
    assert.match(text, /^OPENAI_API_KEY=["']?kiro-proxy["']?$/m);
    assert.match(fs.readFileSync(path.join(root, '.gitignore'), 'utf8'), /^\.env$/m);
  });

  it('"Remove Client Configuration" undoes both writers', async () => {
    await withPrompts({ pick: (items) => items, confirm: 'Apply' }, () => vscode.commands.executeCommand('kiro.removeClientConfig'));
    assert.equal(fs.existsSync(path.join(root, '.claude', 'settings.local.json')), false, '.claude/settings.local.json removed');
    assert.equal(fs.existsSync(path.join(root, '.env')), false, '.env removed');
    assert.equal(fs.readFileSync(path.join(root, '.gitignore'), 'utf8'), 'node_modules/\n', '.gitignore as before');
  });

  it('tokens are in SecretStorage and nowhere in globalState, workspaceState or settings', async () => {
    const sims = await simAccounts();
    const secret = (await api.context.secrets.get('kiro.accounts')) ?? '';
    for (const sim of sims) {
      if (sim.refreshToken) assert.ok(secret.includes(sim.refreshToken), `SecretStorage holds the refresh token of ${sim.id}`);
      assert.ok(secret.includes(sim.accessToken), `SecretStorage holds the current access token of ${sim.id}`);
    }
    // An API-key account has no refresh token ('').
    const tokens = sims.flatMap((s) => [s.accessToken, s.refreshToken]).filter(Boolean);
    const leaks = (where: string, text: string) => tokens.filter((t) => text.includes(t)).map(() => where);
    const found: string[] = [];
    for (const [name, memento] of [['globalState', api.context.globalState], ['workspaceState', api.context.workspaceState]] as const) {
      for (const key of memento.keys()) found.push(...leaks(`${name}[${key}]`, JSON.stringify(memento.get(key)) ?? ''));
    }
    found.push(...leaks('configuration kiroProxy', JSON.stringify(vscode.workspace.getConfiguration('kiroProxy'))));
    if (SETTINGS_FILE) found.push(...leaks(SETTINGS_FILE, fs.readFileSync(SETTINGS_FILE, 'utf8')));
    const wsSettings = path.join(root, '.vscode', 'settings.json');
    if (fs.existsSync(wsSettings)) found.push(...leaks(wsSettings, fs.readFileSync(wsSettings, 'utf8')));
    assert.deepEqual(found, []);
    assert.ok(SETTINGS_FILE, 'the user settings file is known');
  });

  it("a workspace's .vscode/settings.json cannot move the proxy, its traffic or how it serves", async () => {
    // A cloned repository's settings: another port, every interface, an outbound proxy that
    // would swallow the traffic, another token folder, the pool's rules. Only the window-scoped
    // autoStart may apply (it acts at activation only, so it changes nothing here).
    const wsSettings = path.join(root, '.vscode', 'settings.json');
    const otherPort = await freePort();
    const workspaceAutoStart = () => vscode.workspace.getConfiguration('kiroProxy').inspect<boolean>('autoStart')?.workspaceValue;
    const read = new Promise<void>((resolve) => {
      const sub = vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('kiroProxy.autoStart')) (sub.dispose(), resolve());
      });
    });
    // The extension rebuilds its config on every change, with a new modelMapping object each time.
    const before = api.engine.config.modelMapping;
    fs.mkdirSync(path.dirname(wsSettings), { recursive: true });
    fs.writeFileSync(wsSettings, JSON.stringify({
      'kiroProxy.port': otherPort,
      'kiroProxy.host': '0.0.0.0',
      'kiroProxy.outboundProxy': 'http://127.0.0.1:9',
      'kiroProxy.tokenCacheDir': path.join(root, 'elsewhere'),
      'kiroProxy.cooldownSeconds': 123,
      'kiroProxy.modelMapping': { 'claude-sonnet-4.5': 'workspace-model' },
      'kiroProxy.autoStart': true,
    }));
    try {
      await read;
      // VS Code read the file: the window-scoped value is there, and the extension re-read its settings…
      assert.equal(workspaceAutoStart(), true);
      await until('the settings change applied', async () => api.engine.config.modelMapping !== before);
      // …and none of the application-scoped ones reached the engine, even after a restart.
      assert.equal(api.engine.config.cooldownSeconds, 300);
      assert.deepEqual(api.engine.config.modelMapping, {});
      assert.equal(api.engine.config.outboundProxy, undefined);
      assert.equal(api.engine.config.tokenDir, TOKEN_DIR);
      await vscode.commands.executeCommand('kiro.restartProxy');
      await until(`the proxy back on ${BASE}`, () => portOpen(PORT));
      assert.equal(await portOpen(otherPort), false, `nothing listens on the workspace's port ${otherPort}`);
      const client = new Anthropic({ baseURL: BASE, apiKey: 'suite-key', maxRetries: 0 });
      const message = await client.messages.create({ model: 'claude-sonnet-4.5', max_tokens: 16, messages: [{ role: 'user', content: 'still direct' }] });
      assert.equal(message.content.map((b) => (b.type === 'text' ? b.text : '')).join(''), 'Echo: still direct');
    } finally {
      fs.rmSync(path.dirname(wsSettings), { recursive: true, force: true });
    }
    await until('the workspace value gone', async () => workspaceAutoStart() === undefined);
    assert.equal(api.engine.config.cooldownSeconds, 300);
  });

  it('a port taken by another program: choosing another port in the settings starts the proxy there', async () => {
    await vscode.commands.executeCommand('kiro.stopProxy');
    await until(`port ${PORT} to close`, async () => !(await portOpen(PORT)));
    const squatter = http.createServer((_req, res) => res.writeHead(404).end('not kiro'));
    await new Promise<void>((resolve) => squatter.listen(PORT, '127.0.0.1', resolve));
    const otherPort = await freePort();
    const settings = vscode.workspace.getConfiguration('kiroProxy');
    try {
      await vscode.commands.executeCommand('kiro.startProxy');
      assert.equal(api.engine.state.status, 'failed', 'the port is taken');
      // What "Change Port" leads to: the user sets another port, and the proxy starts on it.
      await settings.update('port', otherPort, vscode.ConfigurationTarget.Global);
      await until(`the proxy on port ${otherPort}`, () => portOpen(otherPort));
      const res = await fetch(`http://127.0.0.1:${otherPort}/health`);
      assert.equal(((await res.json()) as { status: string }).status, 'ok');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
      await settings.update('port', PORT, vscode.ConfigurationTarget.Global);
    }
    await vscode.commands.executeCommand('kiro.restartProxy');
    await until(`the proxy back on ${BASE}`, () => portOpen(PORT));
    assert.equal(await portOpen(otherPort), false);
  });

  it('"Kiro: Stop Proxy" closes the port', async () => {
    await vscode.commands.executeCommand('kiro.stopProxy');
    await until(`port ${PORT} to close`, async () => !(await portOpen(PORT)));
  });
});
