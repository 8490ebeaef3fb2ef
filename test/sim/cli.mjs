#!/usr/bin/env node
// Run the Kiro simulator as a process for e2e tests and benchmarks:
//   node test/sim/cli.mjs [--port N] [--accounts N] [--token-dir DIR] [--seed N] [--context-limit-tokens N]
// With --token-dir, account 1 (social) goes to kiro-auth-token.json, accounts 2..N to
// kiro-account-<i>.json; when N >= 2 the last account is IdC and also gets its <clientIdHash>.json
// registration file. Script it at runtime through the /__sim/* admin API (see README.md).
import { parseArgs } from 'node:util';
import { startSimulator } from './kiro-sim.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    accounts: { type: 'string', default: '1' },
    'token-dir': { type: 'string' },
    seed: { type: 'string', default: '1' },
    'context-limit-tokens': { type: 'string' },
    'enforce-usage-limits': { type: 'boolean', default: false },
  },
});

const count = Number(values.accounts);
const sim = await startSimulator({
  port: Number(values.port), seed: Number(values.seed),
  contextLimitTokens: values['context-limit-tokens'] ? Number(values['context-limit-tokens']) : null,
  enforceUsageLimits: values['enforce-usage-limits'],
});
for (let i = 1; i <= count; i++) {
  const idc = count >= 2 && i === count;
  const account = sim.addAccount(idc ? { id: `acct-${i}`, authMethod: 'idc' } : { id: `acct-${i}`, authMethod: 'social', provider: i % 2 ? 'Google' : 'Github' });
  let where = '';
  if (values['token-dir']) {
    const files = sim.makeTokenFile(values['token-dir'], account, { fileName: i === 1 ? 'kiro-auth-token.json' : `kiro-account-${i}.json` });
    where = ' ' + [files.tokenPath, files.registrationPath].filter(Boolean).join(' ');
  }
  console.log(`account ${account.id} ${account.authMethod} ${account.email}${where}`);
}
console.log(`KIRO_PROXY_ENDPOINT=${sim.url}`);
// Last line on purpose: once it appears, the token files exist.
console.log(`kiro simulator listening on ${sim.url}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await sim.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
