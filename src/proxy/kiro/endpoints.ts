// Where each Kiro call goes and in which dialect (docs/kiro-protocol.md §1.1, §11.4). Two host
// families serve the same operations: the legacy `q.{region}.amazonaws.com` (REST paths) and
// `runtime.{region}.kiro.dev` / `management.{region}.kiro.dev` (AWS JSON 1.0 at the root, what
// the Kiro IDE 1.x sends). `kiroUrls` is the one place that turns (account, operation, family)
// into a URL and the headers that go with it; the chat call, usage, models, profiles and web
// search (`/mcp`) all ask it.
//
// `KIRO_PROXY_ENDPOINT` (config.kiroEndpoint) replaces the scheme and host of every call, keeping
// the path, so tests can point us at the simulator. The real host name then travels in the
// `host` header, so one server behind that URL still knows which host and region was meant.

import type { KiroEndpointMode } from '../config';

/** The host family of one call. */
export type KiroFamily = 'kiro.dev' | 'legacy';

export type KiroOperation = 'chat' | 'usage' | 'models' | 'profiles' | 'mcp';

/** The only regions Kiro serves, on both host families (§11.2, §11.4). */
export const KIRO_REGIONS = ['us-east-1', 'eu-central-1'] as const;

/** What the IDE names its chat operation on `runtime.` (kiro-lb PR #42 capture of Kiro IDE 1.0.437). */
export const RUNTIME_CHAT_TARGET = 'KiroRuntimeService.GenerateAssistantResponse';
const MANAGEMENT_TARGETS: Record<'usage' | 'models' | 'profiles', string> = {
  usage: 'AmazonCodeWhispererService.GetUsageLimits',
  models: 'AmazonCodeWhispererService.ListAvailableModels',
  profiles: 'AmazonCodeWhispererService.ListAvailableProfiles',
};
const AWS_JSON = 'application/x-amz-json-1.0';

export interface KiroEndpointOptions {
  /** Base URL that replaces every Kiro host. */
  override?: string;
  /** Read on every call, so a changed setting applies at once. */
  mode?: () => KiroEndpointMode;
  /** How long an account that fell back to the legacy hosts stays there before kiro.dev is tried again. */
  legacyMemoryMs?: number;
  now?: () => number;
  /** The Kiro IDE version we present in the user agent (read per call). */
  kiroVersion?: () => string | undefined;
}

export interface KiroHosts {
  /** Legacy chat, usage and model list: `https://q.{region}.amazonaws.com`. */
  q(region: string): string;
  /** `https://runtime.{region}.kiro.dev`: chat and web search. */
  runtime(region: string): string;
  /** `https://management.{region}.kiro.dev`: usage, models, profiles. */
  management(region: string): string;
  /** Social token refresh and login portal: `https://prod.{region}.auth.desktop.kiro.dev`. */
  socialAuth(region: string): string;
  /** AWS SSO-OIDC: `https://oidc.{region}.amazonaws.com`. */
  oidc(region: string): string;
  /** Headers every call to `url` carries: the real host name when the URL is redirected. */
  hostHeader(realBase: string): Record<string, string>;
  /** Which families to try for an account, in order, and what to remember after a fallback. */
  readonly choice: EndpointChoice;
  /** The Kiro IDE version for the user agent; undefined = the built-in current release. */
  kiroVersion(): string | undefined;
}

const REAL = {
  q: (region: string) => `https://q.${region}.amazonaws.com`,
  runtime: (region: string) => `https://runtime.${region}.kiro.dev`,
  management: (region: string) => `https://management.${region}.kiro.dev`,
  socialAuth: (region: string) => `https://prod.${region}.auth.desktop.kiro.dev`,
  oidc: (region: string) => `https://oidc.${region}.amazonaws.com`,
};

export function kiroHosts(override?: string, options: Omit<KiroEndpointOptions, 'override'> = {}): KiroHosts {
  const choice = new EndpointChoice(options.mode ?? (() => 'auto'), options.legacyMemoryMs, options.now);
  const kiroVersion = options.kiroVersion ?? (() => undefined);
  if (override) {
    const base = override.replace(/\/+$/, '');
    // Every call asks for the header of one of a handful of real hosts: parse each once.
    const hostHeaders = new Map<string, Record<string, string>>();
    return {
      q: () => base,
      runtime: () => base,
      management: () => base,
      socialAuth: () => base,
      oidc: () => base,
      hostHeader: (realBase) => {
        let header = hostHeaders.get(realBase);
        // Frozen: every call shares it.
        if (!header) hostHeaders.set(realBase, (header = Object.freeze({ host: new URL(realBase).host })));
        return header;
      },
      choice,
      kiroVersion,
    };
  }
  return { ...REAL, hostHeader: () => ({}), choice, kiroVersion };
}

/** The account facts that decide a call's URL. */
export interface KiroCaller {
  profileArn?: string;
}

export interface KiroTarget {
  family: KiroFamily;
  url: string;
  /** Headers of the dialect: content type and target for AWS JSON calls, host under redirection. */
  headers: Record<string, string>;
  /** AWS JSON at the root (parameters in the body) rather than REST (parameters in the query). */
  rpc: boolean;
}

/**
 * The URL and dialect headers of one operation for an account on one host family. Legacy
 * profile listing is AWS JSON too (there is no REST path for it, §11.2); `/mcp` is JSON-RPC on
 * both families, so only its host changes.
 */
export function kiroUrls(hosts: KiroHosts, caller: KiroCaller, operation: KiroOperation, family: KiroFamily, region = apiRegionOf(caller.profileArn)): KiroTarget {
  // The same few targets serve every call (the chat one on every request): made once, shared frozen.
  let known = targetsOf.get(hosts);
  if (!known) targetsOf.set(hosts, (known = new Map()));
  const key = `${operation} ${family} ${region}`;
  let target = known.get(key);
  if (!target) {
    if (known.size >= 64) known.clear(); // bounded: regions come from profile ARNs
    known.set(key, (target = freezeTarget(makeTarget(hosts, operation, family, region))));
  }
  return target;
}

const targetsOf = new WeakMap<KiroHosts, Map<string, KiroTarget>>();

function freezeTarget(target: KiroTarget): KiroTarget {
  Object.freeze(target.headers);
  return Object.freeze(target);
}

function makeTarget(hosts: KiroHosts, operation: KiroOperation, family: KiroFamily, region: string): KiroTarget {
  const runtime = family === 'kiro.dev' ? hosts.runtime(region) : hosts.q(region);
  const management = family === 'kiro.dev' ? hosts.management(region) : hosts.q(region);
  const realRuntime = family === 'kiro.dev' ? REAL.runtime(region) : REAL.q(region);
  const realManagement = family === 'kiro.dev' ? REAL.management(region) : REAL.q(region);
  const rpc = (base: string, real: string, target: string): KiroTarget => ({
    family,
    url: `${base}/`,
    headers: { 'content-type': AWS_JSON, 'x-amz-target': target, ...attribution(family), ...hosts.hostHeader(real) },
    rpc: true,
  });
  switch (operation) {
    case 'chat':
      if (family === 'kiro.dev') return rpc(runtime, realRuntime, RUNTIME_CHAT_TARGET);
      return { family, url: `${runtime}/generateAssistantResponse`, headers: { 'content-type': 'application/json', ...hosts.hostHeader(realRuntime) }, rpc: false };
    case 'mcp':
      return { family, url: `${runtime}/mcp`, headers: { 'content-type': 'application/json', ...hosts.hostHeader(realRuntime) }, rpc: false };
    case 'profiles':
      return rpc(management, realManagement, MANAGEMENT_TARGETS.profiles);
    case 'usage':
    case 'models':
      if (family === 'kiro.dev') return rpc(management, realManagement, MANAGEMENT_TARGETS[operation]);
      return {
        family,
        url: `${management}/${operation === 'usage' ? 'getUsageLimits' : 'ListAvailableModels'}`,
        headers: hosts.hostHeader(realManagement),
        rpc: false,
      };
  }
}

/** The IDE marks its calls to the kiro.dev hosts as its own (kiro-lb PR #42). */
function attribution(family: KiroFamily): Record<string, string> {
  return family === 'kiro.dev' ? { 'x-amzn-kiro-client-attribution': 'kiro-ide' } : {};
}

/**
 * Where an account's chat, usage and model calls go: the region in its profileArn (4th field),
 * else us-east-1. Never the token's own region: for IdC that is the OIDC region, and q.{that}
 * answers with DNS failures or 403s (§1.1).
 */
export function apiRegionOf(profileArn: string | undefined): string {
  const region = profileArn?.split(':')[3];
  return region && /^[a-z]{2}-[a-z]+-\d$/.test(region) ? region : 'us-east-1';
}

/** An ARN of a CodeWhisperer profile: `arn:aws:codewhisperer:<region>:<12 digits>:profile/<id>`. */
export function isProfileArn(value: string): boolean {
  return /^arn:aws:codewhisperer:[a-z]{2}-[a-z]+-\d:\d{12}:profile\/[A-Za-z0-9_-]+$/.test(value);
}

/** 30 minutes: long enough not to pay a refused call per request, short enough to notice a rollout. */
const DEFAULT_LEGACY_MEMORY_MS = 30 * 60 * 1000;

/**
 * Per account (keyed by its stable machine id), which host family to use. `auto` tries kiro.dev
 * first; an account it refuses is remembered on the legacy hosts for a while, then tried again.
 * In memory only: a restart simply asks kiro.dev once more.
 */
export class EndpointChoice {
  private readonly legacyUntil = new Map<string, number>();

  constructor(
    readonly mode: () => KiroEndpointMode,
    private readonly memoryMs = DEFAULT_LEGACY_MEMORY_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Families to try, in order. An account without a profileArn skips kiro.dev in `auto`: those
   * hosts require one for every account type (§11.4), so the call could only fail there.
   */
  order(accountKey: string, caller: KiroCaller, needsProfile = true): KiroFamily[] {
    const mode = this.mode();
    if (mode !== 'auto') return [mode];
    if (needsProfile && !caller.profileArn) return ['legacy'];
    const until = this.legacyUntil.get(accountKey);
    if (until !== undefined && until > this.now()) return ['legacy'];
    if (until !== undefined) this.legacyUntil.delete(accountKey);
    return ['kiro.dev', 'legacy'];
  }

  /** The legacy hosts served an account that kiro.dev refused. */
  rememberLegacy(accountKey: string): void {
    if (this.legacyUntil.size >= 4096) this.legacyUntil.clear(); // bounded: accounts come and go
    this.legacyUntil.set(accountKey, this.now() + this.memoryMs);
  }

  /** Which family the account uses now (for the views). */
  current(accountKey: string, caller: KiroCaller): KiroFamily {
    return this.order(accountKey, caller)[0];
  }
}

/**
 * The answers that mean "not here for this token" (§11.4, after OmniRoute PR #11517 and 9router's
 * KIRO_ENDPOINT_FALLBACK_STATUSES): 401, 403, 404. A 400 is about the body and the other host
 * would refuse it too; 429/5xx are the account's or Kiro's state, handled by the pool. A suspended
 * account is suspended on every host: its 403 is not worth a second call.
 */
export function isNotHere(status: number, bodyText = ''): boolean {
  return (status === 401 || status === 403 || status === 404) && !/TEMPORARILY_SUSPENDED|suspended/i.test(bodyText);
}

/** A host that does not resolve or refuses connections is not there either (firewalls allowing only one family). */
export function isNotHereError(err: unknown): boolean {
  const code = (err as { code?: unknown; cause?: { code?: unknown } })?.code ?? (err as { cause?: { code?: unknown } })?.cause?.code;
  return code === 'ENOTFOUND' || code === 'ECONNREFUSED' || code === 'EAI_AGAIN';
}

/**
 * Runs one Kiro call on the account's families in order: on a "not here" answer from kiro.dev
 * the legacy host is asked, and the account is remembered there when it answers otherwise.
 * `text` is the body of an error answer, read by `attempt` (so a refused answer holds no stream).
 */
export async function withEndpointFallback<R extends { status: number; text?: string }>(
  hosts: KiroHosts,
  accountKey: string,
  caller: KiroCaller,
  attempt: (family: KiroFamily) => Promise<R>,
  needsProfile = true,
): Promise<R> {
  const families = hosts.choice.order(accountKey, caller, needsProfile);
  for (let i = 0; ; i++) {
    const last = i === families.length - 1;
    let res: R;
    try {
      res = await attempt(families[i]);
    } catch (err) {
      if (!last && isNotHereError(err)) continue;
      throw err;
    }
    if (!last && isNotHere(res.status, res.text)) continue;
    if (i > 0 && families[i] === 'legacy' && !isNotHere(res.status, res.text)) hosts.choice.rememberLegacy(accountKey);
    return res;
  }
}
