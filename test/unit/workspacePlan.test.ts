import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, writeFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'jsonc-parser';
import { claudeCodeTarget, codexTargets, geminiEnvTarget, gitignoreTarget, openAIEnvTarget, clientPaths, PLACEHOLDER_KEY } from '../../src/workspace/clients';
import { mergeUndo, planFile, undoText, SECRET_MASK, type FileTarget } from '../../src/workspace/plan';
import { applyFileEdits, planTargets, undoFile } from '../../src/workspace/files';
import { describeEdits } from '../../src/workspace/summary';

const access = { baseUrl: 'http://127.0.0.1:8080/', apiKey: 'kp-secret-key-123456' };
const t = (m: string, ...a: Array<string | number>) => m.replace(/\{(\d+)\}/g, (_, i: string) => String(a[Number(i)]));

const CLAUDE = `// Claude Code local settings
{
    "permissions": {
        "allow": ["Bash(npm run test:*)"], // keep this
    },
    "env": {
        "DISABLE_TELEMETRY": "1",
        "ANTHROPIC_MODEL": "claude-opus-4-1"
    }
}
`;

/** Applies the plan, then undoes it: the result must be the original bytes. */
function roundTrip(target: FileTarget, before: string | undefined) {
  const edit = planFile(target, before);
  const { text: undone, changed } = undoText(edit.after, edit.undo);
  assert.deepEqual(changed, [], 'nothing changed after we wrote it');
  return { edit, undone };
}

test('Claude Code: merges into env keeping comments, trailing commas and other keys; undo is byte-exact', () => {
  const target = claudeCodeTarget('/w/.claude/settings.local.json', access, { main: 'claude-sonnet-4.5', smallFast: 'claude-haiku-4.5' });
  const { edit, undone } = roundTrip(target, CLAUDE);
  const after = parse(edit.after, [], { allowTrailingComma: true });
  assert.deepEqual(after.env, {
    DISABLE_TELEMETRY: '1',
    ANTHROPIC_MODEL: 'claude-sonnet-4.5',
    ANTHROPIC_BASE_URL: 'http://127.0.0.1:8080',
    ANTHROPIC_AUTH_TOKEN: 'kp-secret-key-123456',
    ANTHROPIC_SMALL_FAST_MODEL: 'claude-haiku-4.5',
  });
  assert.ok(edit.after.includes('// keep this') && edit.after.startsWith('// Claude Code local settings'));
  assert.ok(edit.after.includes('\n        "ANTHROPIC_BASE_URL"'), 'follows the file’s 4-space indent');
  assert.equal(undone, CLAUDE);
  const { written, ...modelEntry } = edit.undo.entries.find((e) => e.key === 'env.ANTHROPIC_MODEL')!;
  assert.deepEqual(modelEntry, { key: 'env.ANTHROPIC_MODEL', previous: '"claude-opus-4-1"' });
  assert.ok(written && !written.includes('claude-sonnet'), 'keeps a hash of what we wrote, not the value');
});

test('Claude Code: creating env in an existing object, and a new file that undo deletes', () => {
  const existing = '{\n  "model": "opus"\n}\n';
  const target = claudeCodeTarget('/w/s.json', access);
  const first = roundTrip(target, existing);
  assert.deepEqual(first.edit.undo.createdContainers, ['env']);
  assert.equal(first.undone, existing);
  const fresh = roundTrip(target, undefined);
  assert.deepEqual(parse(fresh.edit.after), { env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:8080', ANTHROPIC_AUTH_TOKEN: access.apiKey } });
  assert.equal(fresh.undone, null);
});

test('every writer is idempotent: planning again on its own output changes nothing', () => {
  const targets: Array<[FileTarget, string | undefined]> = [
    [claudeCodeTarget('/a.json', access, { main: 'm', smallFast: 's' }), CLAUDE],
    [openAIEnvTarget('/.env', access), 'OPENAI_API_KEY=sk-old\n'],
    [geminiEnvTarget('/.env', { baseUrl: 'http://127.0.0.1:8080' }), undefined],
    ...codexTargets('/home', access, 'claude-sonnet-4.5').map((x): [FileTarget, string | undefined] => [x, '[profiles.x]\nmodel = "y"\n']),
    [gitignoreTarget('/w', ['/w/.env', '/w/.claude/settings.local.json']), 'node_modules/\n'],
  ];
  for (const [target, before] of targets) {
    const once = planFile(target, before);
    assert.ok(once.changes.length > 0, target.path);
    const twice = planFile(target, once.after);
    assert.equal(twice.changes.length, 0, target.path);
    assert.equal(twice.after, once.after);
  }
});

test('secrets: masked in the plan, never kept in the undo record; a replaced secret is removed on undo', () => {
  const before = '# local\nOPENAI_API_KEY="sk-live-abcdef"\nOPENAI_BASE_URL=https://api.openai.com/v1\nDEBUG=1';
  const edit = planFile(openAIEnvTarget('/w/.env', access), before);
  assert.ok(!JSON.stringify(edit.undo).includes('sk-live-abcdef'));
  assert.ok(!JSON.stringify(edit.undo).includes(access.apiKey));
  assert.ok(!JSON.stringify(edit.changes).includes(access.apiKey));
  const keyChange = edit.changes.find((c) => c.key === 'OPENAI_API_KEY')!;
  assert.deepEqual(keyChange, { key: 'OPENAI_API_KEY', action: 'replace', value: SECRET_MASK, previous: SECRET_MASK, previousLost: true });
  assert.equal(edit.after, '# local\nOPENAI_API_KEY=kp-secret-key-123456\nOPENAI_BASE_URL=http://127.0.0.1:8080/v1\nDEBUG=1');
  assert.equal(undoText(edit.after, edit.undo).text, '# local\nOPENAI_BASE_URL=https://api.openai.com/v1\nDEBUG=1');
  const summary = describeEdits([edit], (p) => p, t);
  assert.match(summary, /~ OPENAI_BASE_URL: https:\/\/api.openai.com\/v1 → http:\/\/127.0.0.1:8080\/v1/);
  assert.match(summary, /replaces a secret value/);
});

test('.env: OpenAI + Gemini on one file, appended to an unterminated file, undo byte-exact', () => {
  const before = 'DATABASE_URL=postgres://localhost/db\r\n# comment\r\nPORT=3000';
  const targets = [openAIEnvTarget('/w/.env', access), geminiEnvTarget('/w/.env', access)];
  const merged = { ...targets[0], assignments: [...targets[0].assignments, ...targets[1].assignments] };
  const { edit, undone } = roundTrip(merged, before);
  assert.equal(
    edit.after,
    'DATABASE_URL=postgres://localhost/db\r\n# comment\r\nPORT=3000\r\nOPENAI_BASE_URL=http://127.0.0.1:8080/v1\r\nOPENAI_API_KEY=kp-secret-key-123456\r\nGOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8080\r\nGEMINI_API_KEY=kp-secret-key-123456\r\n',
  );
  assert.equal(undone, before);
});

test('Codex: provider table + default model added and undone without touching other tables', () => {
  const before = `model = "gpt-5"\n\n[model_providers.openrouter]\nname = "OpenRouter"\nbase_url = "https://openrouter.ai/api/v1"\n\n[tui]\nnotifications = true`;
  const [config, env] = codexTargets('/home/u', access, 'claude-sonnet-4.5');
  const { edit, undone } = roundTrip(config, before);
  assert.equal(
    edit.after,
    `model = "claude-sonnet-4.5"\nmodel_provider = "kiro"\n\n[model_providers.openrouter]\nname = "OpenRouter"\nbase_url = "https://openrouter.ai/api/v1"\n\n[tui]\nnotifications = true\n\n` +
      `[model_providers.kiro]\nname = "Kiro Proxy"\nbase_url = "http://127.0.0.1:8080/v1"\nwire_api = "responses"\nenv_key = "KIRO_PROXY_API_KEY"\n`,
  );
  assert.equal(undone, before);
  assert.equal(env.path, clientPaths.codexEnv('/home/u'));
  const noKey = codexTargets('/home/u', { baseUrl: 'http://127.0.0.1:8080' });
  assert.equal(noKey.length, 1);
  assert.ok(!noKey[0].assignments[0].value.includes('env_key'));
});

test('Codex: an existing kiro table is replaced and restored; a secret-bearing one is not kept', () => {
  const before = `[model_providers.kiro]\nname = "mine"\nbase_url = "http://old/v1"\n\n[tui]\nx = 1\n`;
  const { edit, undone } = roundTrip(codexTargets('/h', { baseUrl: 'http://127.0.0.1:8080' })[0], before);
  assert.ok(edit.after.endsWith('\n\n[tui]\nx = 1\n'));
  assert.equal(undone, before);
  const secret = `[model_providers.kiro]\nexperimental_bearer_token = "tok"\n`;
  const secretEdit = planFile(codexTargets('/h', { baseUrl: 'http://127.0.0.1:8080' })[0], secret);
  assert.ok(!JSON.stringify(secretEdit.undo).includes('tok"'));
  assert.ok(secretEdit.changes[0].previousLost);
  assert.equal(undoText(secretEdit.after, secretEdit.undo).text, '', 'removed, not restored');
  assert.throws(() => planFile(codexTargets('/h', access)[0], 'model_providers = { kiro = { name = "x" } }\n'), /inline/);
});

test('Codex: an edit whose result a TOML reader refuses is never planned, nor one on a file that does not parse', () => {
  // `kiro.name` under [model_providers] already defines the table: appending [model_providers.kiro] would redefine it.
  assert.throws(() => planFile(codexTargets('/h', access)[0], '[model_providers]\nkiro.name = "x"\n'), /would not be valid TOML \(.*redefine.*\); edit it by hand, nothing was changed/);
  assert.throws(() => planFile(codexTargets('/h', access)[0], 'model = "unterminated\n'), /The file as it is would not be valid TOML/);
});

test('broken JSON is refused instead of rewritten', () => {
  assert.throws(() => planFile(claudeCodeTarget('/a', access), '{ "env": { '), /not a valid JSON/);
});

test('JSON with a byte order mark is edited and keeps the mark; undo is byte-exact', () => {
  const before = '\uFEFF{\n  "model": "opus"\n}\n';
  const { edit, undone } = roundTrip(claudeCodeTarget('/a', access), before);
  assert.ok(edit.after.startsWith('\uFEFF{'));
  assert.equal(parse(edit.after.slice(1)).env.ANTHROPIC_BASE_URL, 'http://127.0.0.1:8080');
  assert.equal(undone, before);
});

test('Claude Code without an API key gets a placeholder token, so it neither asks for a login nor sends the user’s own', () => {
  const [, token] = claudeCodeTarget('/a', { baseUrl: 'http://127.0.0.1:8080' }).assignments;
  assert.deepEqual(token, { key: 'env.ANTHROPIC_AUTH_TOKEN', value: PLACEHOLDER_KEY, secret: false });
  assert.deepEqual(claudeCodeTarget('/a', access).assignments[1], { key: 'env.ANTHROPIC_AUTH_TOKEN', value: access.apiKey, secret: true });
});

test('undo leaves what the user changed after we wrote it and names it; the rest is undone', () => {
  const noKey = { baseUrl: 'http://127.0.0.1:8080' };
  const env = planFile(openAIEnvTarget('/w/.env', noKey), 'OPENAI_BASE_URL=https://api.openai.com/v1\nDEBUG=1');
  const realKey = env.after.replace('OPENAI_API_KEY=kiro-proxy', 'OPENAI_API_KEY=sk-real-key');
  assert.deepEqual(undoText(realKey, env.undo), {
    text: 'OPENAI_BASE_URL=https://api.openai.com/v1\nDEBUG=1\nOPENAI_API_KEY=sk-real-key\n',
    changed: ['OPENAI_API_KEY'],
  });
  const removed = env.after.replace('OPENAI_API_KEY=kiro-proxy\n', '');
  assert.deepEqual(undoText(removed, env.undo), { text: 'OPENAI_BASE_URL=https://api.openai.com/v1\nDEBUG=1', changed: [] }, 'nothing of ours left');

  const codex = planFile(codexTargets('/h', noKey, 'claude-sonnet-4.5')[0], 'model = "gpt-5"\n');
  const switched = codex.after.replace('model = "claude-sonnet-4.5"\nmodel_provider = "kiro"', 'model = "o3"\nmodel_provider = "openai"');
  assert.deepEqual(undoText(switched, codex.undo), { text: 'model = "o3"\nmodel_provider = "openai"\n', changed: ['model_provider', 'model'] });

  const claude = planFile(claudeCodeTarget('/a.json', noKey), '{}');
  const edited = claude.after.replace('http://127.0.0.1:8080', 'https://api.anthropic.com');
  const undone = undoText(edited, claude.undo);
  assert.deepEqual(parse(undone.text!), { env: { ANTHROPIC_BASE_URL: 'https://api.anthropic.com' } });
  assert.deepEqual(undone.changed, ['env.ANTHROPIC_BASE_URL']);

  // A record saved by a build before the check (no hash of what was written) still undoes, as it did.
  const old = { ...env.undo, entries: env.undo.entries.map(({ written: _hash, ...entry }) => entry) };
  assert.deepEqual(undoText(env.after, old), { text: 'OPENAI_BASE_URL=https://api.openai.com/v1\nDEBUG=1', changed: [] });
});

test('gitignore: only missing entries are appended, undo removes exactly them', () => {
  const before = 'node_modules\n*.local.json';
  const { edit, undone } = roundTrip(gitignoreTarget('/w', ['/w/.env', '/w/.claude/settings.local.json', '/elsewhere/x']), before);
  assert.deepEqual(edit.changes.map((c) => c.key), ['.env']);
  assert.equal(edit.after, 'node_modules\n*.local.json\n.env\n');
  assert.equal(undone, before);
});

test('mergeUndo keeps the oldest previous value of a key across repeated configures', () => {
  const first = planFile(openAIEnvTarget('/w/.env', { baseUrl: 'http://127.0.0.1:8080' }), 'OPENAI_BASE_URL=https://api.openai.com/v1\n');
  const second = planFile(openAIEnvTarget('/w/.env', { baseUrl: 'http://127.0.0.1:9090' }), first.after);
  const merged = mergeUndo([first.undo], [second.undo]);
  assert.equal(merged.length, 1);
  assert.equal(merged[0].entries.find((e) => e.key === 'OPENAI_BASE_URL')?.previous, 'OPENAI_BASE_URL=https://api.openai.com/v1');
  assert.equal(undoText(second.after, merged[0]).text, 'OPENAI_BASE_URL=https://api.openai.com/v1\n');
});

test('files: plan, apply (new secret file is 0600), refuse stale plans, undo deletes created files', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'kiro-ws-'));
  try {
    const settings = clientPaths.claudeWorkspace(root);
    await writeFile(clientPaths.gitignore(root), 'dist/\n');
    const targets = [claudeCodeTarget(settings, access), gitignoreTarget(root, [settings])];
    const edits = await planTargets(targets);
    const undo = await applyFileEdits(edits, new Set([settings]));
    assert.equal((await stat(settings)).mode & 0o777, 0o600);
    assert.equal(await readFile(clientPaths.gitignore(root), 'utf8'), 'dist/\n.claude/settings.local.json\n');
    await assert.rejects(applyFileEdits(edits, new Set()), /changed since the plan/);
    assert.deepEqual((await Promise.all(undo.map(undoFile))).map((r) => r.outcome), ['deleted', 'restored']);
    assert.equal(await readFile(clientPaths.gitignore(root), 'utf8'), 'dist/\n');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('files: a failed write puts back the files already written and reports that nothing changed', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'kiro-ws-'));
  try {
    const env = clientPaths.workspaceEnv(root);
    await writeFile(env, 'DEBUG=1\n');
    // Reads as missing, but the write fails: the link points into a folder that does not exist.
    const settings = path.join(root, 'settings.json');
    await symlink(path.join(root, 'missing', 'settings.json'), settings);
    const edits = await planTargets([openAIEnvTarget(env, access), claudeCodeTarget(settings, access)]);
    await assert.rejects(applyFileEdits(edits, new Set()), /settings\.json: .*ENOENT.*; nothing was changed\.$/);
    assert.equal(await readFile(env, 'utf8'), 'DEBUG=1\n');
    assert.ok((await lstat(settings)).isSymbolicLink());
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
