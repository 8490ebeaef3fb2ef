// Headers for Kiro calls (docs/kiro-protocol.md §2.3, §11.4, §11.9): what the Kiro IDE's AWS SDK
// client sends, with a per-account machine id so several accounts do not share one fingerprint.
import { createHash, randomUUID } from 'node:crypto';
import * as os from 'node:os';
import type { KiroCredentials } from './credentials';
import type { KiroFamily } from './endpoints';

/**
 * A current Kiro IDE release (§11.9). 1.0.437 is the newest version seen in a real header capture
 * (minpeter/kiro-lb PR #42, 2026-09-12); 1.1.14 appears only in a user's issue form, so we follow
 * the capture. `--kiro-version` / KIRO_PROXY_KIRO_VERSION replace it.
 */
export const DEFAULT_KIRO_VERSION = '1.0.437';
/** The legacy REST client's SDK (`@aws/codewhisperer-streaming-client`, §2.1). */
export const DEFAULT_SDK_VERSION = '1.0.34';
/** The IDE 1.x runtime client's SDK and API name on the kiro.dev hosts (kiro-lb PR #42). */
const RUNTIME_SDK_VERSION = '1.0.0';

export interface KiroClientVersions {
  kiroVersion?: string;
  sdkVersion?: string;
}

/** `1.0.437`: three dot-separated numbers, as Kiro numbers its releases. */
export function isKiroVersion(value: string): boolean {
  return /^\d{1,4}\.\d{1,4}\.\d{1,6}$/.test(value);
}

/**
 * Headers for one call, minus the dialect's content type and target (see `kiroUrls`); the
 * invocation id is fresh on every call. No `Connection: close` (unlike most reference proxies):
 * the shared undici agent reuses connections.
 */
export function kiroHeaders(creds: KiroCredentials, family: KiroFamily = 'legacy', versions: KiroClientVersions = {}): Record<string, string> {
  const kiroVersion = versions.kiroVersion ?? DEFAULT_KIRO_VERSION;
  const { amz, ua } =
    family === 'kiro.dev'
      ? userAgents(RUNTIME_SDK_VERSION, 'kiroruntime', 'N', kiroVersion, creds.machineId)
      : userAgents(versions.sdkVersion ?? DEFAULT_SDK_VERSION, 'codewhispererstreaming', 'E', kiroVersion, creds.machineId);
  return {
    authorization: `Bearer ${creds.accessToken}`,
    'x-amzn-codewhisperer-optout': 'true',
    'x-amzn-kiro-agent-mode': 'vibe',
    'x-amz-user-agent': amz,
    'user-agent': ua,
    'amz-sdk-invocation-id': randomUUID(),
    'amz-sdk-request': 'attempt=1; max=3',
    // Kiro tells an API key from an access token by this header (§11.3).
    ...(creds.authMethod === 'api_key' ? { tokentype: 'API_KEY' } : {}),
  };
}

/** The user-agent strings per machine id (one per account): the same on every call. */
const agents = new Map<string, { amz: string; ua: string }>();

function userAgents(sdk: string, api: string, mode: string, kiroVersion: string, machineId: string): { amz: string; ua: string } {
  const key = `${sdk} ${api} ${kiroVersion} ${machineId}`;
  const known = agents.get(key);
  if (known) return known;
  const ide = `KiroIDE-${kiroVersion}-${machineId}`;
  const made = {
    amz: `aws-sdk-js/${sdk} ${ide}`,
    ua: `aws-sdk-js/${sdk} ua/2.1 os/${process.platform}#${os.release()} lang/js md/nodejs#${process.versions.node} api/${api}#${sdk} m/${mode} ${ide}`,
  };
  if (agents.size >= 512) agents.clear(); // bounded: machine ids come and go with accounts
  agents.set(key, made);
  return made;
}

/** 64 lowercase hex chars derived from a stable per-account key (uuid > profileArn > clientId, §2.2). */
export function machineIdFor(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
