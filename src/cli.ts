// The headless proxy: the same engine as the extension, configured from flags.
//   kiro-proxy [--port 8080] [--host 127.0.0.1] [--data-dir ~/.kiro-proxy] [--token-dir ~/.aws/sso/cache] [--api-key KEY]
//   kiro-proxy accounts | import <file> | login --google|--github|--builder-id
import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { defaultConfig, type ProxyConfig, type SelectionStrategy } from './proxy/config';
import { Engine } from './proxy/engine';
import { redact, type Logger } from './proxy/logger';
import { FileAccountStore } from './proxy/pool/store';
import { runAccountCommand } from './cli-accounts';

declare const __VERSION__: string;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';

const USAGE = `kiro-proxy ${VERSION}
Usage:
  kiro-proxy [options]                 serve the Anthropic and OpenAI APIs over your Kiro accounts
  kiro-proxy accounts [options]        list accounts
  kiro-proxy import <file> [options]   import a Kiro token JSON file
  kiro-proxy login --google|--github|--builder-id [options]

Options:
  --port <n>          port to listen on (default 8080; 0 picks a free port)
  --host <addr>       address to bind (default 127.0.0.1; anything else needs --api-key)
  --data-dir <dir>    where accounts.json is kept (default ~/.kiro-proxy)
  --token-dir <dir>   Kiro IDE token cache to import from (default ~/.aws/sso/cache)
  --api-key <key>     require this key from clients (x-api-key or Authorization: Bearer)
  --strategy <s>      least-used | round-robin | priority
  -h, --help          show this help
Environment: KIRO_PROXY_ENDPOINT=http://host:port sends every Kiro call to that base URL.`;

const stderrLogger: Logger = {
  debug: (m) => process.env.KIRO_PROXY_DEBUG && process.stderr.write(`[debug] ${m}\n`),
  info: (m) => process.stderr.write(`${m}\n`),
  warn: (m) => process.stderr.write(`warning: ${m}\n`),
  error: (m) => process.stderr.write(`error: ${m}\n`),
};

function expandHome(p: string): string {
  return p.startsWith('~') ? path.join(process.env.HOME ?? process.env.USERPROFILE ?? '', p.slice(1)) : path.resolve(p);
}

function configFrom(values: Record<string, string | boolean | undefined>): ProxyConfig {
  const overrides: Partial<ProxyConfig> = {};
  if (typeof values.port === 'string') {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got "${values.port}"`);
    overrides.port = port;
  }
  if (typeof values.host === 'string') overrides.host = values.host;
  if (typeof values['data-dir'] === 'string') overrides.dataDir = expandHome(values['data-dir']);
  if (typeof values['token-dir'] === 'string') overrides.tokenDir = expandHome(values['token-dir']);
  if (typeof values['api-key'] === 'string') overrides.apiKey = values['api-key'];
  if (typeof values.strategy === 'string') overrides.strategy = values.strategy as SelectionStrategy;
  const config = defaultConfig(overrides);
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(config.host);
  if (!loopback && !config.apiKey) {
    throw new Error(`Listening on ${config.host} exposes your Kiro accounts to the network; it needs --api-key.`);
  }
  return config;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'token-dir': { type: 'string' },
      'api-key': { type: 'string' },
      strategy: { type: 'string' },
      google: { type: 'boolean' },
      github: { type: 'boolean' },
      'builder-id': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const config = configFrom(values);
  const engine = new Engine({ config, store: new FileAccountStore(config.dataDir), version: VERSION, logger: stderrLogger });
  await engine.init();

  const [command, ...rest] = positionals;
  if (command) return runAccountCommand(engine, command, rest, values);

  const accounts = engine.pool.list();
  if (accounts.length === 0) {
    stderrLogger.warn(
      `No Kiro accounts found in ${config.tokenDir} or ${config.dataDir}. ` +
        'Sign in with the Kiro IDE, or run "kiro-proxy login --google" (or --github, --builder-id). Requests will fail until an account is added.',
    );
  } else {
    stderrLogger.info(`${accounts.length} Kiro account(s): ${accounts.map((a) => `${a.label} [${a.state}]`).join(', ')}`);
  }
  const state = await engine.start();
  if (state.status !== 'running') {
    stderrLogger.error(state.status === 'failed' ? state.error : 'the proxy did not start');
    await engine.dispose();
    return 1;
  }
  process.stdout.write(`kiro-proxy ${VERSION} listening on ${state.url}\n`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await engine.dispose();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`kiro-proxy: ${redact(err.message)}\n`);
    process.exit(2);
  },
);
