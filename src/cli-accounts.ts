// The CLI's account subcommands: `accounts`, `import <file>`, `import --kiro-cli [db]`,
// `import --api-key` (the key from KIRO_API_KEY or standard input),
// `login --google|--github|--builder-id|--idc <start-url> [--region <r>] [--profile <arn>]`,
// `accounts --set-profile <id> <arn>` (an organisation account's Kiro profile).
import * as readline from 'node:readline';
import { Writable } from 'node:stream';
import type { Engine } from './proxy/engine';
import { awsRegion, identityCenterStartUrl } from './proxy/kiro/login';
import { isProfileArn } from './proxy/kiro/endpoints';
import type { AccountView } from './proxy/pool/account';
import type { ImportResult } from './proxy/pool/pool';

type Flags = Record<string, string | boolean | undefined>;

const LOGIN_USAGE = 'usage: kiro-proxy login --google|--github|--builder-id|--idc <start-url> [--region <aws-region>] [--profile <arn>]';

export async function runAccountCommand(engine: Engine, command: string, args: string[], flags: Flags): Promise<number> {
  switch (command) {
    case 'accounts':
      if (typeof flags['set-proxy'] === 'string') return setProxy(engine, flags['set-proxy'], args);
      if (typeof flags['set-profile'] === 'string') {
        if (args.length !== 1) throw new Error('usage: kiro-proxy accounts --set-profile <account-id> <profile-arn>');
        const account = await engine.pool.setProfile(flags['set-profile'], args[0]);
        process.stdout.write(`${account.label} (${account.id}) now uses profile ${account.profileArn} in ${account.apiRegion}\n`);
        return 0;
      }
      printAccounts(engine.pool.list());
      return 0;
    case 'import': {
      if (flags['kiro-api-key']) {
        // Never from the command line: `ps` and the shell history would show it.
        if (args.length) throw new Error('kiro-proxy import --api-key takes no argument: it reads the key from KIRO_API_KEY, or else from standard input.');
        printImport(await engine.pool.importApiKey(process.env.KIRO_API_KEY || (await readApiKey())));
        return 0;
      }
      if (flags['kiro-cli']) {
        printImport(await engine.pool.importFromKiroCli(args[0]));
        return 0;
      }
      if (!args[0]) throw new Error('usage: kiro-proxy import <token-file.json> | import --kiro-cli [data.sqlite3] | import --api-key');
      printImport(await engine.pool.importTokenFile(args[0]));
      return 0;
    }
    case 'login':
      return login(engine, flags);
    default:
      throw new Error(`unknown command "${command}"; try --help`);
  }
}

/** `accounts --set-proxy <id> <url|none>`: the account's own outbound proxy, or back to the global one. */
async function setProxy(engine: Engine, id: string, args: string[]): Promise<number> {
  if (args.length !== 1) throw new Error('usage: kiro-proxy accounts --set-proxy <account-id> <http|https|socks5|socks5h://[user:password@]host:port | none>');
  await engine.pool.setProxy(id, args[0] === 'none' ? undefined : args[0]);
  const account = engine.pool.view(id);
  process.stdout.write(`${account.label} (${account.id}): ${account.proxy ? `outbound proxy ${account.proxy}` : 'no outbound proxy of its own'}\n`);
  return 0;
}

function printAccounts(accounts: AccountView[]): void {
  if (accounts.length === 0) {
    process.stdout.write('No accounts. Run "kiro-proxy login --google" or sign in with the Kiro IDE.\n');
    return;
  }
  const profile = (a: AccountView) => (a.profileArn ? `${a.profileArn.split('/').pop()} (${a.apiRegion})` : a.profileChoices ? 'choose one (below)' : '-');
  const rows = accounts.map((a) => [a.id, a.label, a.state, a.enabled ? 'yes' : 'no', String(a.counters.requests), profile(a), a.reason ?? '']);
  const header = ['ID', 'LABEL', 'STATE', 'ENABLED', 'REQUESTS', 'PROFILE', 'REASON'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) {
    process.stdout.write(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd() + '\n');
  }
  // Several profiles: we never pick one silently (they may offer different models).
  for (const a of accounts.filter((x) => x.profileChoices)) {
    process.stdout.write(`\n${a.label} (${a.id}) has several Kiro profiles; choose one with\n  kiro-proxy accounts --set-profile ${a.id} <arn>\n`);
    for (const p of a.profileChoices!) process.stdout.write(`  ${p.arn}  ${p.region}${p.name ? `  ${p.name}` : ''}\n`);
  }
}

function printImport(result: ImportResult): void {
  for (const a of result.added) process.stdout.write(`added ${a.label} (${a.id})\n`);
  for (const a of result.updated) process.stdout.write(`updated ${a.label} (${a.id})\n`);
  for (const s of result.skipped) process.stdout.write(`skipped ${s.path}: ${s.reason}\n`);
  for (const note of result.notes) process.stdout.write(`${note}\n`);
}

async function login(engine: Engine, flags: Flags): Promise<number> {
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  if (flags['builder-id'] || typeof flags.idc === 'string') {
    // An organisation's IAM Identity Center signs in like Builder ID, at its own start URL and region.
    const organisation = typeof flags.idc === 'string'
      ? { startUrl: identityCenterStartUrl(flags.idc), region: awsRegion(typeof flags.region === 'string' ? flags.region : 'us-east-1') }
      : {};
    const profileArn = typeof flags.profile === 'string' ? flags.profile.trim() : undefined;
    // Checked before the sign-in: a mistyped ARN should not cost a device-code round.
    if (profileArn !== undefined && !isProfileArn(profileArn)) {
      throw new Error(`--profile "${profileArn}" is not a Kiro profile ARN (arn:aws:codewhisperer:<region>:<12 digits>:profile/<id>).`);
    }
    let account = await engine.pool.loginWithBuilderId({
      ...organisation,
      signal: abort.signal,
      onUserCode: ({ userCode, verificationUri }) =>
        process.stdout.write(`Open ${verificationUri} and enter the code ${userCode}. Waiting…\n`),
    });
    process.stdout.write(`Signed in: ${account.label} (${account.id})\n`);
    if (profileArn) account = await engine.pool.setProfile(account.id, profileArn);
    if (account.profileArn) process.stdout.write(`Kiro profile: ${account.profileArn} (${account.apiRegion})\n`);
    else if (account.profileChoices) printAccounts([account]);
    return 0;
  }
  const provider = flags.google ? 'Google' : flags.github ? 'Github' : undefined;
  if (!provider) throw new Error(LOGIN_USAGE);
  const pasted = promptLine('If the browser cannot reach this machine, paste the final URL here: ', abort.signal);
  const account = await engine.pool.loginWithSocial(provider, {
    signal: abort.signal,
    onLoginUrl: (url) => process.stdout.write(`Open this URL to sign in with ${provider}:\n${url}\n`),
    pastedRedirect: pasted,
  });
  process.stdout.write(`Signed in: ${account.label} (${account.id})\n`);
  return 0;
}

function promptLine(question: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!process.stdin.isTTY) return; // Non-interactive: only the localhost callback can finish the login.
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    signal.addEventListener('abort', () => {
      rl.close();
      reject(new Error('cancelled'));
    });
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}

/** The API key from standard input: piped whole, or typed at a prompt that does not echo it. */
async function readApiKey(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text;
  }
  process.stderr.write('Kiro API key (input hidden): ');
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = readline.createInterface({ input: process.stdin, output: silent, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.once('line', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
