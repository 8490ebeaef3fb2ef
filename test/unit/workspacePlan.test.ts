import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'jsonc-parser';
import { claudeCodeTarget, codexTargets, geminiEnvTarget, gitignoreTarget, openAIEnvTarget, clientPaths } from '../../src/workspace/clients';
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
  const undone = undoText(edit.after, edit.undo);
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
  assert.deepEqual(edit.undo.entries.find((e) => e.key === 'env.ANTHROPIC_MODEL'), { key: 'env.ANTHROPIC_MODEL', previous: '"claude-opus-4-1"' });
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
  assert.equal(undoText(edit.after, edit.undo), '# local\nOPENAI_BASE_URL=https://api.openai.com/v1\nDEBUG=1');
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
  assert.equal(undoText(secretEdit.after, secretEdit.undo), '', 'removed, not restored');
  assert.throws(() => planFile(codexTargets('/h', access)[0], 'model_providers = { kiro = { name = "x" } }\n'), /inline/);
});

test('broken JSON is refused instead of rewritten', () => {
  assert.throws(() => planFile(claudeCodeTarget('/a', access), '{ "env": { '), /not a valid JSON/);
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
  assert.equal(undoText(second.after, merged[0]), 'OPENAI_BASE_URL=https://api.openai.com/v1\n');
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
    assert.deepEqual(await Promise.all(undo.map(undoFile)), ['deleted', 'restored']);
    assert.equal(await readFile(clientPaths.gitignore(root), 'utf8'), 'dist/\n');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
