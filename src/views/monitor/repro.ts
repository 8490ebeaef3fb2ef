// Export bundles: a repro of one failed request and the whole log, both scrubbed (see scrub.ts).
import type { RequestLogEntry } from '../../proxy/log';
import { sanitizeKiroRequest, scrub, scrubString } from './scrub';
import { logRow } from './snapshot';

export function reproBundle(entry: RequestLogEntry, version: string, now = Date.now()): string {
  const bundle = {
    kind: 'kiro-proxy-repro',
    version,
    createdAt: new Date(now).toISOString(),
    entry: { ...logRow(entry), time: new Date(entry.time).toISOString() },
    error: entry.error === undefined ? undefined : scrubString(entry.error),
    kiroRequest: entry.kiroRequest === undefined ? undefined : sanitizeKiroRequest(entry.kiroRequest),
  };
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

/** The log without Kiro requests (those go in repros only), oldest first. */
export function logExport(entries: RequestLogEntry[], version: string, now = Date.now()): string {
  const rows = entries.map((e) => scrub({ ...logRow(e), time: new Date(e.time).toISOString() }));
  return `${JSON.stringify({ kind: 'kiro-proxy-log', version, exportedAt: new Date(now).toISOString(), entries: rows }, null, 2)}\n`;
}
