// Which Kiro host a request was meant for (docs/kiro-protocol.md §1.1, §11.4). The proxy sends
// every call to this one server; under redirection it names the real host in the `host` header
// (`runtime.eu-central-1.kiro.dev`, `q.us-east-1.amazonaws.com`), so the simulator can be strict
// about each host family's dialect and answer per region. A request without such a header (an
// older client, a test calling the simulator directly) is taken as legacy, its region from the ARN.

export const RUNTIME_CHAT_TARGET = 'KiroRuntimeService.GenerateAssistantResponse';
export const KIRO_REGIONS = ['us-east-1', 'eu-central-1'];
const KIRO_DEV_HOST = /^(runtime|management)\.([a-z]{2}-[a-z]+-\d)\.kiro\.dev(?::\d+)?$/;
const LEGACY_HOST = /^(q|codewhisperer)\.([a-z]{2}-[a-z]+-\d)\.amazonaws\.com(?::\d+)?$/;

/**
 * @param {import('node:http').IncomingHttpHeaders} headers
 * @param {string|undefined} profileArn the ARN the request carries, if any
 * @returns {{family: 'kiro.dev'|'legacy', service: 'runtime'|'management'|'q'|'codewhisperer'|null, region: string, named: boolean}}
 */
export function hostOf(headers, profileArn) {
  const host = String(headers.host ?? '').toLowerCase();
  const dev = KIRO_DEV_HOST.exec(host);
  if (dev) return { family: 'kiro.dev', service: /** @type {'runtime'|'management'} */ (dev[1]), region: dev[2], named: true };
  const legacy = LEGACY_HOST.exec(host);
  if (legacy) return { family: 'legacy', service: /** @type {'q'|'codewhisperer'} */ (legacy[1]), region: legacy[2], named: true };
  // Not named: the runtime target exists only on the kiro.dev hosts.
  const family = headers['x-amz-target'] === RUNTIME_CHAT_TARGET ? 'kiro.dev' : 'legacy';
  return { family, service: null, region: regionOfArn(profileArn) ?? 'us-east-1', named: false };
}

/** @param {unknown} arn */
export function regionOfArn(arn) {
  return typeof arn === 'string' ? /^arn:aws:codewhisperer:([a-z]{2}-[a-z]+-\d):/.exec(arn)?.[1] : undefined;
}

/** Kiro's runtime service wraps errors in its own namespace (§11.4; kiro-gateway PR #239). */
export function runtimeErrorBody(errorType, message, reason = null) {
  return { __type: `com.amazon.kiro.runtimeservice#${errorType}`, message, reason };
}
