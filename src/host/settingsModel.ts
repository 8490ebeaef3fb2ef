// `kiroProxy.*` settings → ProxyConfig, pure so it is unit-tested. Settings that decide where
// traffic goes, who may connect or how the proxy serves are application-scoped: every window
// shares the one proxy, so we read only the user's (global) value for them, and a cloned
// repository's .vscode/settings.json can never change them.
import * as path from 'node:path';
import { defaultConfig, defaultTokenDir, KIRO_ENDPOINT_MODES, type KiroEndpointMode, type ProxyConfig, type SelectionStrategy } from '../proxy/config';
import { expandHome } from '../proxy/home';
import { bindHost, isLoopbackHost } from '../proxy/local-host';

export const SECTION = 'kiroProxy';

/** Keys declared with `"scope": "application"` in package.json: all but this window's `autoStart`. */
export const APPLICATION_SCOPED_KEYS = [
  'port',
  'host',
  'requireApiKey',
  'outboundProxy',
  'kiroEndpoints',
  'tokenCacheDir',
  'strategy',
  'cooldownSeconds',
  'stickinessSeconds',
  'maxWaitSeconds',
  'emptyReplyRetries',
  'modelMapping',
  'defaultModel',
  'refreshAheadMinutes',
  'logRetention',
  'allowPrivateImageUrls',
] as const;

/** Changing these needs the server to listen again. */
export const RESTART_KEYS = ['port', 'host'] as const;

/** The subset of `WorkspaceConfiguration` we need; the host passes the real one. */
export interface SettingsSource {
  /** Respects workspace trust (restricted settings fall back to user values in untrusted folders). */
  get<T>(key: string): T | undefined;
  inspect<T>(key: string): { defaultValue?: T; globalValue?: T } | undefined;
}

/** Settings that are engine config fields as they stand, so they share the engine's types. */
type ConfigSettings = Pick<
  ProxyConfig,
  'port' | 'host' | 'kiroEndpoints' | 'cooldownSeconds' | 'stickinessSeconds' | 'strategy' | 'maxWaitSeconds' | 'emptyReplyRetries' | 'modelMapping' | 'defaultModel' | 'refreshAheadMinutes' | 'logRetention' | 'allowPrivateImageUrls'
>;

export interface ProxySettings extends ConfigSettings {
  autoStart: boolean;
  requireApiKey: boolean;
  tokenCacheDir: string;
  /** Empty means "follow VS Code's http.proxy". */
  outboundProxy: string;
}

export interface SettingsEnvironment {
  /** VS Code's `http.proxy`. */
  httpProxy?: string;
  homeDir?: string;
}

export interface ReadResult {
  settings: ProxySettings;
  /** Values we replaced with a default, in words for the log. */
  problems: string[];
}

const STRATEGIES: readonly SelectionStrategy[] = ['least-used', 'round-robin', 'priority'];
export function readProxySettings(source: SettingsSource): ReadResult {
  const d = defaultConfig();
  const problems: string[] = [];
  const appScoped = <T>(key: string): T | undefined => {
    const i = source.inspect<T>(key);
    return i?.globalValue !== undefined ? i.globalValue : i?.defaultValue;
  };
  const int = (value: unknown, key: string, fallback: number, min: number, max: number): number => {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    problems.push(`${SECTION}.${key} must be a whole number from ${min} to ${max}; using ${fallback}.`);
    return fallback;
  };
  const str = (value: unknown, key: string, fallback: string): string => {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'string') return value.trim();
    problems.push(`${SECTION}.${key} must be a string; using "${fallback}".`);
    return fallback;
  };
  const bool = (value: unknown, fallback: boolean): boolean => (typeof value === 'boolean' ? value : fallback);

  const host = str(appScoped('host'), 'host', d.host) || d.host;
  const strategyValue = appScoped<string>('strategy');
  const strategy = STRATEGIES.includes(strategyValue as SelectionStrategy) ? (strategyValue as SelectionStrategy) : d.strategy;
  if (strategyValue !== undefined && strategy !== strategyValue) problems.push(`${SECTION}.strategy "${String(strategyValue)}" is unknown; using ${d.strategy}.`);
  const endpointsValue = appScoped<string>('kiroEndpoints');
  const kiroEndpoints = KIRO_ENDPOINT_MODES.includes(endpointsValue as KiroEndpointMode) ? (endpointsValue as KiroEndpointMode) : d.kiroEndpoints;
  if (endpointsValue !== undefined && kiroEndpoints !== endpointsValue) {
    problems.push(`${SECTION}.kiroEndpoints "${String(endpointsValue)}" is unknown; using ${d.kiroEndpoints}.`);
  }

  return {
    problems,
    settings: {
      port: int(appScoped('port'), 'port', d.port, 0, 65535),
      host,
      kiroEndpoints,
      requireApiKey: bool(appScoped('requireApiKey'), false),
      outboundProxy: str(appScoped('outboundProxy'), 'outboundProxy', ''),
      tokenCacheDir: str(appScoped('tokenCacheDir'), 'tokenCacheDir', ''),
      autoStart: bool(source.get('autoStart'), true),
      cooldownSeconds: int(appScoped('cooldownSeconds'), 'cooldownSeconds', d.cooldownSeconds, 0, 86_400),
      stickinessSeconds: int(appScoped('stickinessSeconds'), 'stickinessSeconds', d.stickinessSeconds, 0, 86_400),
      strategy,
      maxWaitSeconds: int(appScoped('maxWaitSeconds'), 'maxWaitSeconds', d.maxWaitSeconds, 0, 600),
      emptyReplyRetries: int(appScoped('emptyReplyRetries'), 'emptyReplyRetries', d.emptyReplyRetries, 0, 5),
      modelMapping: stringRecord(appScoped('modelMapping'), problems),
      defaultModel: str(appScoped('defaultModel'), 'defaultModel', d.defaultModel) || d.defaultModel,
      refreshAheadMinutes: int(appScoped('refreshAheadMinutes'), 'refreshAheadMinutes', d.refreshAheadMinutes, 0, 720),
      logRetention: int(appScoped('logRetention'), 'logRetention', d.logRetention, 10, 100_000),
      allowPrivateImageUrls: bool(appScoped('allowPrivateImageUrls'), false),
    },
  };
}

/** The API key is required when the user asks for it, and always off loopback. */
export function apiKeyRequired(settings: Pick<ProxySettings, 'requireApiKey' | 'host'>): boolean {
  return settings.requireApiKey || !isLoopbackHost(settings.host);
}

/**
 * The engine config. `apiKey` is passed only when required; `base` keeps what settings do not
 * cover (timeouts, KIRO_PROXY_ENDPOINT from the environment).
 */
export function toProxyConfig(
  settings: ProxySettings,
  env: SettingsEnvironment,
  apiKey: string | undefined,
  base: ProxyConfig = defaultConfig(),
): ProxyConfig {
  const outboundProxy = settings.outboundProxy || env.httpProxy?.trim() || undefined;
  const config: ProxyConfig = {
    ...base,
    host: bindHost(settings.host),
    port: settings.port,
    kiroEndpoints: settings.kiroEndpoints,
    tokenDir: settings.tokenCacheDir ? path.resolve(expandHome(settings.tokenCacheDir, env.homeDir)) : base.tokenDir || defaultTokenDir(),
    cooldownSeconds: settings.cooldownSeconds,
    stickinessSeconds: settings.stickinessSeconds,
    strategy: settings.strategy,
    maxWaitSeconds: settings.maxWaitSeconds,
    emptyReplyRetries: settings.emptyReplyRetries,
    modelMapping: { ...settings.modelMapping },
    defaultModel: settings.defaultModel,
    refreshAheadMinutes: settings.refreshAheadMinutes,
    logRetention: settings.logRetention,
    allowPrivateImageUrls: settings.allowPrivateImageUrls,
    outboundProxy,
    apiKey: apiKeyRequired(settings) ? apiKey : undefined,
  };
  if (!outboundProxy) delete config.outboundProxy;
  if (!config.apiKey) delete config.apiKey;
  return config;
}

/** Keys whose change needs more than a live update, given the keys that changed. */
export function changeImpact(changed: (key: string) => boolean): { restart: boolean; reload: boolean } {
  return {
    restart: RESTART_KEYS.some((k) => changed(k)),
    // The engine builds its HTTP client once, with the outbound proxy in it.
    reload: changed('outboundProxy'),
  };
}

function stringRecord(value: unknown, problems: string[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${SECTION}.modelMapping must be an object of model names; ignored.`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' && v.trim()) out[k] = v.trim();
    else problems.push(`${SECTION}.modelMapping["${k}"] must be a model id; ignored.`);
  }
  return out;
}
