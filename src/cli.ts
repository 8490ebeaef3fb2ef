// The headless proxy: the same engine as the extension, configured from flags.
//   kiro-proxy [--port 8080] [--host 127.0.0.1] [--data-dir ~/.kiro-proxy] [--token-dir ~/.aws/sso/cache] [--api-key KEY]
//   kiro-proxy accounts | import <file> | import --kiro-cli [db] | login --google|--github|--builder-id|--idc <url>
import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { defaultConfig, KIRO_ENDPOINT_MODES, shownKiroEndpoint, type KiroEndpointMode, type ProxyConfig, type SelectionStrategy } from './proxy/config';
import { isKiroVersion } from './proxy/kiro/headers';
import { Engine } from './proxy/engine';
import { redactError, type Logger } from './proxy/logger';
import { parseOutboundProxy } from './proxy/kiro/outbound-proxy';
import { FileAccountStore } from './proxy/pool/store';
import { runAccountCommand } from './cli-accounts';
import { expandHome } from './proxy/home';
import { bindHost, isLoopbackHost } from './proxy/local-host';

declare const __VERSION__: string;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';

const USAGE = `kiro-proxy ${VERSION}
Usage:
  kiro-proxy [options]                 serve the Anthropic and OpenAI APIs over your Kiro accounts
  kiro-proxy accounts [options]        list accounts (with each one's Kiro profile and region)
  kiro-proxy accounts --set-profile <id> <arn>   choose an organisation account's Kiro profile
  kiro-proxy accounts --set-proxy <id> <url|none>   send that account's Kiro calls through its own proxy
  kiro-proxy import <file> [options]   import a Kiro token JSON file
  kiro-proxy import --kiro-cli [db]    import kiro-cli's sign-in (default ~/.local/share/kiro-cli/data.sqlite3; Node 22.12+)
  kiro-proxy import --api-key          add a Kiro API key (ksk_…) read from KIRO_API_KEY, else from standard input
  kiro-proxy login --google|--github|--builder-id [options]
  kiro-proxy login --idc <start-url> [--region <r>] [--profile <arn>]   your organisation's IAM Identity Center
                                       (start URL https://d-xxxxxxxxxx.awsapps.com/start, region default us-east-1)

Options:
  --port <n>          port to listen on (default 8080; 0 picks a free port)
  --host <addr>       address to bind (default 127.0.0.1; anything else needs --api-key)
  --data-dir <dir>    where accounts.json is kept (default ~/.kiro-proxy)
  --token-dir <dir>   Kiro IDE token cache to import from (default ~/.aws/sso/cache)
  --api-key <key>     require this key from clients (x-api-key or Authorization: Bearer);
                      KIRO_PROXY_API_KEY sets it without showing it in the process list
  --outbound-proxy <url>    every Kiro call through this proxy: http://, https://, socks5://, socks5h://
                            ([user:password@]host:port); KIRO_PROXY_OUTBOUND_PROXY sets it out of \`ps\`
  --strategy <s>      least-used | round-robin | priority
  --model-mapping <json>    client model → Kiro model, e.g. '{"gpt-5":"claude-opus-4.5"}'
  --default-model <id>      where names no mapping knows go (default claude-sonnet-4.5)
  --cooldown-seconds <n>    how long a rate-limited account rests (default 300)
  --stickiness-seconds <n>  how long a conversation keeps its account (default 60)
  --max-wait-seconds <n>    how long a request waits when every account is cooling (default 30)
  --empty-reply-retries <n> times an empty Kiro reply is asked again before the client gets an error (default 1)
  --allow-private-image-urls  fetch image URLs on loopback and private addresses too (default: public only)
  --kiro-endpoints <m>      auto (default: kiro.dev hosts, legacy q.*.amazonaws.com where refused)
                            | kiro.dev | legacy                                KIRO_PROXY_KIRO_ENDPOINTS
  --kiro-version <v>        Kiro IDE version our user agent names (default 1.0.437) KIRO_PROXY_KIRO_VERSION
Limits (each also settable as an environment variable, the flag wins):
  --max-body-bytes <n>        largest request body (default 10485760)       KIRO_PROXY_MAX_BODY_BYTES
  --max-concurrent <n>        requests handled at once, more get 429 (1000) KIRO_PROXY_MAX_CONCURRENT
  --headers-timeout-ms <n>    time a client has to send its headers (30000) KIRO_PROXY_HEADERS_TIMEOUT_MS
  --request-timeout-ms <n>    time a client has to send its request (120000) KIRO_PROXY_REQUEST_TIMEOUT_MS
  --first-byte-timeout-ms <n> Kiro's first byte, then the next account (60000) KIRO_PROXY_FIRST_BYTE_TIMEOUT_MS
  --idle-timeout-ms <n>       silence allowed inside a Kiro stream (300000)  KIRO_PROXY_IDLE_TIMEOUT_MS
  -h, --help          show this help
Environment: KIRO_PROXY_ENDPOINT=http://host:port sends every Kiro call to that base URL.
             KIRO_API_KEY=ksk_… serves with that Kiro API key as one more account.`;

const stderrLogger: Logger = {
  debug: (m) => process.env.KIRO_PROXY_DEBUG && process.stderr.write(`[debug] ${m}\n`),
  info: (m) => process.stderr.write(`${m}\n`),
  warn: (m) => process.stderr.write(`warning: ${m}\n`),
  error: (m) => process.stderr.write(`error: ${m}\n`),
};

const kiroAccounts = (n: number) => (n === 1 ? '1 Kiro account' : `${n} Kiro accounts`);

/** Numeric limit flags: flag name, environment variable, config key, smallest value allowed. */
const LIMITS: Array<[flag: string, env: string, key: keyof ProxyConfig, min: number]> = [
  ['max-body-bytes', 'KIRO_PROXY_MAX_BODY_BYTES', 'maxBodyBytes', 1],
  ['max-concurrent', 'KIRO_PROXY_MAX_CONCURRENT', 'maxConcurrentRequests', 1],
  ['headers-timeout-ms', 'KIRO_PROXY_HEADERS_TIMEOUT_MS', 'headersTimeoutMs', 100],
  ['request-timeout-ms', 'KIRO_PROXY_REQUEST_TIMEOUT_MS', 'requestTimeoutMs', 100],
  ['first-byte-timeout-ms', 'KIRO_PROXY_FIRST_BYTE_TIMEOUT_MS', 'firstByteTimeoutMs', 100],
  ['idle-timeout-ms', 'KIRO_PROXY_IDLE_TIMEOUT_MS', 'idleTimeoutMs', 100],
  ['cooldown-seconds', 'KIRO_PROXY_COOLDOWN_SECONDS', 'cooldownSeconds', 0],
  ['stickiness-seconds', 'KIRO_PROXY_STICKINESS_SECONDS', 'stickinessSeconds', 0],
  ['max-wait-seconds', 'KIRO_PROXY_MAX_WAIT_SECONDS', 'maxWaitSeconds', 0],
  ['empty-reply-retries', 'KIRO_PROXY_EMPTY_REPLY_RETRIES', 'emptyReplyRetries', 0],
];

const STRATEGIES: SelectionStrategy[] = ['least-used', 'round-robin', 'priority'];

function parseModelMapping(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('--model-mapping must be a JSON object of model names, e.g. \'{"gpt-5":"claude-opus-4.5"}\'');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new Error('--model-mapping must map model names to Kiro model ids (strings)');
  }
  return parsed as Record<string, string>;
}

function configFrom(values: Record<string, string | boolean | undefined>): ProxyConfig {
  const overrides: Partial<ProxyConfig> = {};
  for (const [flag, env, key, min] of LIMITS) {
    const raw = typeof values[flag] === 'string' ? (values[flag] as string) : process.env[env];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}, got "${raw}"`);
    (overrides as Record<string, number>)[key] = n;
  }
  if (typeof values.port === 'string') {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got "${values.port}"`);
    overrides.port = port;
  }
  if (typeof values.host === 'string') overrides.host = bindHost(values.host);
  const outbound = typeof values['outbound-proxy'] === 'string' ? values['outbound-proxy'] : process.env.KIRO_PROXY_OUTBOUND_PROXY;
  if (outbound) overrides.outboundProxy = parseOutboundProxy(outbound).href;
  if (typeof values['data-dir'] === 'string') overrides.dataDir = path.resolve(expandHome(values['data-dir']));
  if (typeof values['token-dir'] === 'string') overrides.tokenDir = path.resolve(expandHome(values['token-dir']));
  // The environment keeps the key out of `ps` output; the flag still wins.
  const apiKey = typeof values['api-key'] === 'string' ? values['api-key'] : process.env.KIRO_PROXY_API_KEY;
  if (apiKey) overrides.apiKey = apiKey;
  if (typeof values.strategy === 'string') {
    if (!STRATEGIES.includes(values.strategy as SelectionStrategy)) throw new Error(`--strategy must be one of ${STRATEGIES.join(', ')}`);
    overrides.strategy = values.strategy as SelectionStrategy;
  }
  if (typeof values['model-mapping'] === 'string') overrides.modelMapping = parseModelMapping(values['model-mapping']);
  if (typeof values['default-model'] === 'string') overrides.defaultModel = values['default-model'];
  if (values['allow-private-image-urls'] === true) overrides.allowPrivateImageUrls = true;
  const endpoints = typeof values['kiro-endpoints'] === 'string' ? values['kiro-endpoints'] : process.env.KIRO_PROXY_KIRO_ENDPOINTS;
  if (endpoints) {
    if (!KIRO_ENDPOINT_MODES.includes(endpoints as KiroEndpointMode)) {
      throw new Error(`--kiro-endpoints must be one of ${KIRO_ENDPOINT_MODES.join(', ')}, got "${endpoints}"`);
    }
    overrides.kiroEndpoints = endpoints as KiroEndpointMode;
  }
  const kiroVersion = typeof values['kiro-version'] === 'string' ? values['kiro-version'] : process.env.KIRO_PROXY_KIRO_VERSION;
  if (kiroVersion) {
    if (!isKiroVersion(kiroVersion)) throw new Error(`--kiro-version must look like 1.0.437, got "${kiroVersion}"`);
    overrides.kiroVersion = kiroVersion;
  }
  const config = defaultConfig(overrides);
  if (!isLoopbackHost(config.host) && !config.apiKey) {
    throw new Error(`Listening on ${config.host} exposes your Kiro accounts to the network; it needs --api-key.`);
  }
  return config;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  // `import --api-key` is a switch there (the key never goes on the command line); elsewhere
  // --api-key is the proxy's own key for its clients and takes a value.
  const importsApiKey = argv.includes('import') && argv.includes('--api-key');
  const { values, positionals } = parseArgs({
    args: importsApiKey ? argv.filter((a) => a !== '--api-key') : argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'token-dir': { type: 'string' },
      'api-key': { type: 'string' },
      strategy: { type: 'string' },
      'model-mapping': { type: 'string' },
      'default-model': { type: 'string' },
      'allow-private-image-urls': { type: 'boolean' },
      'kiro-endpoints': { type: 'string' },
      'kiro-version': { type: 'string' },
      ...Object.fromEntries(LIMITS.map(([flag]) => [flag, { type: 'string' as const }])),
      google: { type: 'boolean' },
      github: { type: 'boolean' },
      'builder-id': { type: 'boolean' },
      idc: { type: 'string' },
      region: { type: 'string' },
      profile: { type: 'string' },
      'set-profile': { type: 'string' },
      'kiro-cli': { type: 'boolean' },
      'outbound-proxy': { type: 'string' },
      'set-proxy': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const config = configFrom(values);
  if (!isLoopbackHost(config.host)) {
    // Opt-in only (configFrom refused it without a key); say plainly what it means.
    stderrLogger.warn(
      `Listening on ${config.host}, not only on this computer: anyone who can reach this address and has the API key can use your Kiro accounts.`,
    );
  }
  if (config.kiroEndpoint) {
    // Every token, refresh tokens included, goes there: never silently.
    stderrLogger.warn(`KIRO_PROXY_ENDPOINT is set: every Kiro call, with your tokens, goes to ${shownKiroEndpoint(config.kiroEndpoint)} instead of Kiro's servers.`);
  }
  const store = new FileAccountStore(config.dataDir);
  const engine = new Engine({ config, store, version: VERSION, logger: stderrLogger });
  await engine.init();

  const [command, ...rest] = positionals;
  if (command) return runAccountCommand(engine, command, rest, { ...values, 'kiro-api-key': importsApiKey });
  // A container passes its key this way: one more account, checked by its first use.
  if (process.env.KIRO_API_KEY) await engine.pool.importApiKey(process.env.KIRO_API_KEY, { check: false });

  const accounts = engine.pool.list();
  if (accounts.length === 0) {
    stderrLogger.warn(
      `No Kiro accounts found in ${config.tokenDir} or ${config.dataDir}. ` +
        'Sign in with the Kiro IDE, or run "kiro-proxy login --google" (or --github, --builder-id). Requests will fail until an account is added.',
    );
  } else {
    stderrLogger.info(`${kiroAccounts(accounts.length)}: ${accounts.map((a) => `${a.label} [${a.state}]`).join(', ')}`);
  }
  const state = await engine.start();
  if (state.status !== 'running') {
    stderrLogger.error(state.status === 'failed' ? state.error : 'the proxy did not start');
    await engine.dispose();
    return 1;
  }
  // The one announcement of the address, in the form tests, scripts and the bench parse.
  process.stdout.write(`kiro-proxy ${VERSION} listening on ${state.url}\n`);
  // `kiro-proxy login` / `import` in another terminal: serve the new account without a restart.
  const unwatch = store.watch(() => {
    engine.pool.reload().then(
      () => stderrLogger.info(`${store.file} changed; ${kiroAccounts(engine.pool.list().length)} now.`),
      (err: Error) => stderrLogger.warn(`could not reload ${store.file}: ${redactError(err)}`),
    );
  });

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  unwatch();
  await engine.dispose();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`kiro-proxy: ${redactError(err)}\n`);
    process.exit(2);
  },
);
