// Headers for `generateAssistantResponse` (docs/kiro-protocol.md §2.3): what the Kiro IDE's AWS SDK
// client sends, with a per-account machine id so several accounts do not share one fingerprint.
import { createHash, randomUUID } from 'node:crypto';
import * as os from 'node:os';
import type { KiroCredentials } from './credentials';

export const DEFAULT_KIRO_VERSION = '0.11.107';
export const DEFAULT_SDK_VERSION = '1.0.34';

export interface KiroClientVersions {
  kiroVersion?: string;
  sdkVersion?: string;
}

/**
 * Headers for one chat call; the invocation id is fresh on every call. No `Connection: close`
 * (unlike most reference proxies): the shared undici agent reuses connections.
 */
export function kiroChatHeaders(creds: KiroCredentials, versions: KiroClientVersions = {}): Record<string, string> {
  const { amz, ua } = userAgents(versions.sdkVersion ?? DEFAULT_SDK_VERSION, versions.kiroVersion ?? DEFAULT_KIRO_VERSION, creds.machineId);
  return {
    'content-type': 'application/json',
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
const agents = new Map<string, { sdk: string; kiroVersion: string; amz: string; ua: string }>();

function userAgents(sdk: string, kiroVersion: string, machineId: string): { amz: string; ua: string } {
  const known = agents.get(machineId);
  if (known && known.sdk === sdk && known.kiroVersion === kiroVersion) return known;
  const ide = `KiroIDE-${kiroVersion}-${machineId}`;
  const made = {
    sdk,
    kiroVersion,
    amz: `aws-sdk-js/${sdk} ${ide}`,
    ua:
      `aws-sdk-js/${sdk} ua/2.1 os/${process.platform}#${os.release()} lang/js ` +
      `md/nodejs#${process.versions.node} api/codewhispererstreaming#${sdk} m/E ${ide}`,
  };
  if (agents.size >= 256) agents.clear(); // bounded: machine ids come and go with accounts
  agents.set(machineId, made);
  return made;
}

/** 64 lowercase hex chars derived from a stable per-account key (uuid > profileArn > clientId, §2.2). */
export function machineIdFor(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
