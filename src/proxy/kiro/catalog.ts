// `ListAvailableModels` (docs/kiro-protocol.md §1.4, §11.6): every model one account may use, with
// what Kiro says of it. The pool keeps one list per account; the engine's catalog joins them.
import type { KiroCredentials } from './credentials';
import { kiroControlCall } from './control';
import type { KiroHosts } from './endpoints';
import type { KiroHttp } from './http';
import { optionalNumber as num, optionalString as str, recordsOf as asArray } from '../records';

export interface KiroPromptCaching {
  supported: boolean;
  maxCheckpoints?: number;
  minTokensPerCheckpoint?: number;
}

export interface KiroModelInfo {
  /** Kiro's id, passed to Kiro verbatim (`claude-opus-5`, `glm-5`, `MiniMax-M2.5`…). */
  modelId: string;
  name?: string;
  description?: string;
  maxInputTokens?: number;
  maxOutputTokens?: number;
  /** Credits per request relative to the base rate, in `rateUnit` (`Credit`). */
  rateMultiplier?: number;
  rateUnit?: string;
  /**
   * Kiro lists `supportedInputTypes`; a model listed without `IMAGE` is text-only (§11.6). When
   * Kiro says nothing we assume images work, as every model did before the field existed.
   */
  supportsImages: boolean;
  promptCaching?: KiroPromptCaching;
}

export interface KiroModelList {
  models: KiroModelInfo[];
  /** Kiro's `defaultModel` (usually `auto`). */
  defaultModelId?: string;
}

type Json = Record<string, unknown>;

/** Every model the account may use; follows `nextToken` pages (at most 20, against a looping server). */
export async function listModelCatalog(
  http: KiroHttp,
  hosts: KiroHosts,
  creds: KiroCredentials,
  options: { signal?: AbortSignal } = {},
): Promise<KiroModelList> {
  const models: KiroModelInfo[] = [];
  let defaultModelId: string | undefined;
  let nextToken: string | undefined;
  for (let page = 0; page < 20; page++) {
    const res = await kiroControlCall(http, hosts, creds, 'models', { origin: 'AI_EDITOR', profileArn: creds.profileArn, nextToken }, options);
    const body = (res.body ?? {}) as Json;
    for (const m of asArray(body.models)) {
      const info = modelInfo(m);
      if (info && !models.some((known) => known.modelId === info.modelId)) models.push(info);
    }
    defaultModelId ??= str((body.defaultModel as Json | undefined)?.modelId);
    nextToken = str(body.nextToken);
    if (!nextToken) break;
  }
  return { models, ...(defaultModelId ? { defaultModelId } : {}) };
}

/** One `Model` entry, or undefined when it has no id. Exported for the simulator's checks. */
export function modelInfo(m: Json): KiroModelInfo | undefined {
  if (typeof m.modelId !== 'string' || !m.modelId) return undefined;
  const limits = (m.tokenLimits ?? {}) as Json;
  const inputTypes = Array.isArray(m.supportedInputTypes) ? m.supportedInputTypes.map((t) => String(t).toUpperCase()) : undefined;
  const caching = m.promptCaching as Json | undefined;
  return {
    modelId: m.modelId,
    ...defined('name', str(m.modelName)),
    ...defined('description', str(m.description)),
    ...defined('maxInputTokens', num(limits.maxInputTokens)),
    ...defined('maxOutputTokens', num(limits.maxOutputTokens)),
    ...defined('rateMultiplier', num(m.rateMultiplier)),
    ...defined('rateUnit', str(m.rateUnit)),
    supportsImages: inputTypes ? inputTypes.includes('IMAGE') : true,
    ...(caching && typeof caching === 'object'
      ? {
          promptCaching: {
            supported: caching.supportsPromptCaching === true,
            ...defined('maxCheckpoints', num(caching.maximumCacheCheckpointsPerRequest)),
            ...defined('minTokensPerCheckpoint', num(caching.minimumTokensPerCacheCheckpoint)),
          },
        }
      : // The 2025 spelling some peers read (§1.4 correction): only a boolean.
        typeof m.supportsPromptCache === 'boolean'
        ? { promptCaching: { supported: m.supportsPromptCache } }
        : {}),
  };
}

const defined = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]: V }));
