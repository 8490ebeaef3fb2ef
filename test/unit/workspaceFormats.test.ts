import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { getEnvValue, quoteEnvValue, restoreEnvLine, setEnvValue, unquoteEnvValue } from '../../src/workspace/dotenv';
import { isIgnored } from '../../src/workspace/gitignore';
import { getTomlTable, renderTomlTable, restoreTomlTable, setTomlTable, setTomlTopLevel } from '../../src/workspace/toml';
import { splitLines, joinLines } from '../../src/workspace/lines';

test('lines: split and join round-trip every terminator', () => {
  for (const text of ['', 'a', 'a\n', 'a\r\nb', '\n\n', 'a\nb\r\n\r\nc']) assert.equal(joinLines(splitLines(text)), text);
});

test('.env quoting: plain values bare, others quoted so parsers read them back', () => {
  assert.equal(quoteEnvValue('http://127.0.0.1:8080/v1'), 'http://127.0.0.1:8080/v1');
  assert.equal(quoteEnvValue('a b#c'), "'a b#c'");
  assert.equal(quoteEnvValue(`it's "x"\n`), '"it\'s \\"x\\"\\n"');
  for (const v of ['plain', 'a b#c', `it's "x"\n`, 'has $HOME', '']) assert.equal(unquoteEnvValue(quoteEnvValue(v)), v);
  assert.equal(unquoteEnvValue('value # comment'), 'value');
});

test('.env set replaces the last assignment in place and keeps export prefixes', () => {
  const text = '# keys\nexport OPENAI_BASE_URL = https://api.openai.com/v1\nOTHER=1\n';
  const out = setEnvValue(text, 'OPENAI_BASE_URL', 'http://127.0.0.1:8080/v1');
  assert.equal(out, '# keys\nexport OPENAI_BASE_URL = http://127.0.0.1:8080/v1\nOTHER=1\n');
  assert.equal(getEnvValue(out, 'OPENAI_BASE_URL'), 'http://127.0.0.1:8080/v1');
  assert.equal(restoreEnvLine(out, 'OPENAI_BASE_URL', 'export OPENAI_BASE_URL = https://api.openai.com/v1'), text);
});

test('.env append follows CRLF and terminates an unterminated last line', () => {
  assert.equal(setEnvValue('A=1\r\nB=2', 'K', 'v'), 'A=1\r\nB=2\r\nK=v\r\n');
  assert.equal(setEnvValue('', 'K', 'v'), 'K=v\n');
});

test('gitignore matching: basename, anchored, directory, glob and negation patterns', () => {
  assert.ok(isIgnored('.env\n', '.env'));
  assert.ok(isIgnored('/.env\n', '.env'));
  assert.ok(isIgnored('.env*\n', '.env'));
  assert.ok(isIgnored('*.local.json\n', '.claude/settings.local.json'));
  assert.ok(isIgnored('.claude/\n', '.claude/settings.local.json'));
  assert.ok(isIgnored('**/settings.local.json\n', '.claude/settings.local.json'));
  assert.ok(!isIgnored('.env\n!.env\n', '.env'));
  assert.ok(!isIgnored('# .env\nnode_modules/\n', '.env'));
  assert.ok(!isIgnored('.env/\n', '.env'), 'a directory pattern does not ignore a file');
  assert.ok(!isIgnored('src/.env\n', '.env'));
});

test("gitignore matching follows git's rules where a simple reading goes wrong", () => {
  // A file cannot be re-included when its folder is excluded: git still ignores it.
  assert.ok(isIgnored('.claude/\n!.claude/settings.local.json\n', '.claude/settings.local.json'));
  // An escaped # is a pattern, not a comment; trailing spaces are not part of the pattern.
  assert.ok(isIgnored('\\#notes\n', '#notes'));
  assert.ok(isIgnored('.env   \n', '.env'));
  // `a/**/b` matches zero or more folders in between.
  assert.ok(isIgnored('.claude/**/settings.local.json\n', '.claude/settings.local.json'));
});

const CODEX = `# Codex settings
model = "gpt-5"
approval_policy = "on-request"

[model_providers.azure]
name = "Azure"
base_url = "https://example.openai.azure.com/openai"
env_key = "AZURE_OPENAI_API_KEY"

# MCP servers
[mcp_servers.docs]
command = "docs-mcp"
`;

test('TOML: top-level key replaced in place, inserted above the first table', () => {
  const replaced = setTomlTopLevel(CODEX, 'model', 'claude-sonnet-4.5');
  assert.equal(replaced, CODEX.replace('model = "gpt-5"', 'model = "claude-sonnet-4.5"'));
  const inserted = setTomlTopLevel(CODEX, 'model_provider', 'kiro');
  assert.equal(inserted, CODEX.replace('approval_policy = "on-request"\n', 'approval_policy = "on-request"\nmodel_provider = "kiro"\n'));
  assert.equal(setTomlTopLevel('[a]\nx = 1\n', 'model', 'm'), 'model = "m"\n[a]\nx = 1\n');
});

test('TOML: table appended after a blank line, then replaced without touching other tables', () => {
  const block = renderTomlTable('model_providers.kiro', [['name', 'Kiro Proxy'], ['base_url', 'http://127.0.0.1:8080/v1']]);
  const added = setTomlTable(CODEX, 'model_providers.kiro', block);
  assert.ok(added.gap);
  assert.equal(added.text, `${CODEX}\n${block}`);
  const middle = setTomlTable(`[model_providers.kiro]\nname = "old"\n\n# MCP\n[mcp_servers.docs]\ncommand = "x"\n`, 'model_providers.kiro', block);
  assert.equal(middle.text, `${block}\n# MCP\n[mcp_servers.docs]\ncommand = "x"\n`);
  assert.equal(getTomlTable(added.text, 'model_providers.kiro'), block);
  assert.equal(restoreTomlTable(added.text, 'model_providers.kiro', undefined, true), CODEX);
  assert.equal(getTomlTable(`[model_providers."kiro"] # quoted\nname = "q"\n`, 'model_providers.kiro'), '[model_providers."kiro"] # quoted\nname = "q"\n');
});

test('TOML: a `[` or `key =` line inside a multi-line string is text, not a table or a key', () => {
  const text = `instructions = """\nBe brief.\n[not a table]\nmodel = "inside"\n"""\nnotes = '''\n[nor this]'''\n\n[tui]\nx = 1\n`;
  assert.equal(setTomlTopLevel(text, 'model', 'kiro'), text.replace(`'''\n\n[tui]`, `'''\nmodel = "kiro"\n\n[tui]`));
  const table = `[model_providers.kiro]\nname = """say "hi"\n[mcp_servers.x]\n\"\"\"\"\nx = 1\n`;
  assert.equal(getTomlTable(`${table}\n[tui]\n`, 'model_providers.kiro'), table);
});
