// Who holds the port? When our listen fails with EADDRINUSE we ask `/health`: our proxy in
// another VS Code window answers with its health JSON; an answer in any other shape is a foreign
// program. No answer proves nothing: a busy or closing window of ours looks the same.
// Plain Node (no vscode), so the classification is unit-tested.
import * as http from 'node:http';
import { bindHost } from '../proxy/local-host';

export type ProbeResult =
  | { kind: 'response'; status: number; body: string; contentType?: string }
  | { kind: 'error'; code?: string; message: string }
  | { kind: 'timeout' };

export type ProbeVerdict =
  | { kind: 'ours'; version?: string; accounts?: number }
  | { kind: 'foreign'; detail: string }
  /** Something holds the port but did not answer: our proxy in a busy or closing window, or not. */
  | { kind: 'unknown'; detail: string }
  /** Nothing listens (any more): the port is free to take. */
  | { kind: 'free' };

export const SERVICE_NAME = 'kiro-proxy';

export function classifyProbe(result: ProbeResult): ProbeVerdict {
  if (result.kind === 'timeout') return { kind: 'unknown', detail: 'The program on this port did not answer in time.' };
  if (result.kind === 'error') {
    if (result.code === 'ECONNREFUSED') return { kind: 'free' };
    // An answer that is not HTTP at all: never our proxy.
    if (result.code?.startsWith('HPE_')) return { kind: 'foreign', detail: 'The program on this port does not speak HTTP.' };
    // A reset is also what a closing window of ours does to open connections.
    return { kind: 'unknown', detail: `The port could not be probed (${result.code ?? result.message}).` };
  }
  if (result.status !== 200) return { kind: 'foreign', detail: `Another HTTP server answers on this port (status ${result.status}).` };
  let body: unknown;
  try {
    body = JSON.parse(result.body);
  } catch {
    return { kind: 'foreign', detail: 'Another HTTP server answers on this port.' };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { kind: 'foreign', detail: 'Another HTTP server answers on this port.' };
  const b = body as Record<string, unknown>;
  // `service` marks our health JSON; older builds are recognised by their full shape.
  const ours = b.status === 'ok' && (b.service === SERVICE_NAME || (typeof b.version === 'string' && Array.isArray(b.accounts)));
  if (!ours) return { kind: 'foreign', detail: 'Another HTTP server answers on this port.' };
  return {
    kind: 'ours',
    ...(typeof b.version === 'string' ? { version: b.version } : {}),
    ...(Array.isArray(b.accounts) ? { accounts: b.accounts.length } : {}),
  };
}

/** The address to probe: a wildcard bind is reachable on loopback. */
export function probeHost(host: string): string {
  const bare = bindHost(host);
  if (bare === '0.0.0.0' || bare === '') return '127.0.0.1';
  if (bare === '::') return '::1';
  return bare;
}

/**
 * What our proxy answers on `/health` without its key when it requires one (its exact header and
 * body). Only such an answer earns the key: a dev server holding the port must never see it.
 */
function asksForKey(result: ProbeResult): boolean {
  return result.kind === 'response' && result.status === 200 && result.contentType === 'application/json' && result.body === '{"status":"ok"}';
}

export async function probeHealth(host: string, port: number, apiKey: string | undefined, timeoutMs = 1500): Promise<ProbeResult> {
  const open = await getHealth(host, port, undefined, timeoutMs);
  // With the key our proxy answers the full JSON (version, accounts).
  return apiKey && asksForKey(open) ? getHealth(host, port, apiKey, timeoutMs) : open;
}

function getHealth(host: string, port: number, apiKey: string | undefined, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const target = probeHost(host);
    const hostHeader = `${target.includes(':') ? `[${target}]` : target}:${port}`;
    const req = http.get(
      {
        host: target,
        port,
        path: '/health',
        headers: { host: hostHeader, accept: 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 256 * 1024) chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ kind: 'response', status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), contentType: res.headers['content-type'] }),
        );
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ kind: 'error', code: err.code, message: err.message }));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({ kind: 'timeout' });
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ kind: 'error', code: err.code, message: err.message }));
  });
}
