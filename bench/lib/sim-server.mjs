// Child process: the Kiro simulator for the benchmarks, in its own process so its CPU does not
// compete with the measuring client on one event loop. Usage (spawned by run.mjs):
//   node bench/lib/sim-server.mjs '<json SimulatorOptions>' <tokenDir>
// Prints one JSON line {url, account} once the token file exists; controlled via /__sim/*.
import { startSimulator } from '../../test/sim/kiro-sim.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');
const tokenDir = process.argv[3];
const sim = await startSimulator({ accounts: 0, host: '127.0.0.1', ...options });
const account = sim.addAccount({ email: 'bench@example.com' });
sim.makeTokenFile(tokenDir, account, { fileName: 'kiro-auth-token.json' });
process.stdout.write(JSON.stringify({ url: sim.url, account: account.id, pid: process.pid }) + '\n');

const stop = async () => {
  await sim.close().catch(() => {});
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
