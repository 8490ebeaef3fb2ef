// What the extension-host specs share: the environment the runner sets, the Kiro simulator's
// control API, and waiting on conditions that have no event.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite through test/runInCodeServer.mjs or test/runTest.ts`);
  return value;
}

export const SIM = env('KIRO_SIM_URL');

export interface SimAccount { id: string; email: string; accessToken: string; refreshToken: string; refreshCount: number }

export async function simGet<T>(p: string): Promise<T> {
  const res = await fetch(`${SIM}${p}`);
  assert.equal(res.status, 200, `simulator GET ${p}`);
  return (await res.json()) as T;
}

export async function simPost(p: string, body: unknown): Promise<void> {
  const res = await fetch(`${SIM}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, `simulator POST ${p}: ${await res.text()}`);
}

export const simAccounts = async () => (await simGet<{ accounts: SimAccount[] }>('/__sim/accounts')).accounts;

/** Polls a condition that has no event (the proxy's HTTP state) until it holds. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}
