// Every model the enabled accounts list, joined into one catalog (issue 13 §4). Each account keeps
// its own ListAvailableModels answer; `/v1/models`, the Gemini list and VS Code's language-model
// provider show this union, with what Kiro says of each model.
import type { KiroModelInfo, KiroPromptCaching } from '../kiro/catalog';
import type { StoredAccount } from './account';

/** One model as the engine offers it (`Engine.models()`); ids are Kiro's, verbatim. */
export interface CatalogModel {
  id: string;
  /** Kiro's display name, else the id. */
  name: string;
  description?: string;
  /** Largest input the model takes, in tokens (`tokenLimits.maxInputTokens`), when Kiro says. */
  contextWindow?: number;
  maxOutputTokens?: number;
  /** False for text-only models: their requests get a note in place of each image. */
  supportsImages: boolean;
  /** Credits per request relative to the base rate, in `rateUnit`. */
  rateMultiplier?: number;
  rateUnit?: string;
  promptCaching?: KiroPromptCaching;
  /** How many enabled accounts list it (a request for it goes only to those). */
  accounts: number;
}

/**
 * The union over enabled accounts, in the order Kiro lists them. Accounts may differ (plan,
 * region): the largest limits win, and a model takes images only if every account says so.
 */
export function joinCatalogs(accounts: Iterable<Pick<StoredAccount, 'enabled' | 'catalog'>>): CatalogModel[] {
  const joined = new Map<string, CatalogModel>();
  for (const account of accounts) {
    if (!account.enabled) continue;
    for (const info of account.catalog ?? []) {
      const known = joined.get(info.modelId);
      joined.set(info.modelId, known ? merge(known, info) : fromInfo(info));
    }
  }
  return [...joined.values()];
}

function fromInfo(info: KiroModelInfo): CatalogModel {
  return {
    id: info.modelId,
    name: info.name ?? info.modelId,
    ...(info.description ? { description: info.description } : {}),
    ...(info.maxInputTokens !== undefined ? { contextWindow: info.maxInputTokens } : {}),
    ...(info.maxOutputTokens !== undefined ? { maxOutputTokens: info.maxOutputTokens } : {}),
    supportsImages: info.supportsImages,
    ...(info.rateMultiplier !== undefined ? { rateMultiplier: info.rateMultiplier } : {}),
    ...(info.rateUnit ? { rateUnit: info.rateUnit } : {}),
    ...(info.promptCaching ? { promptCaching: { ...info.promptCaching } } : {}),
    accounts: 1,
  };
}

function merge(known: CatalogModel, info: KiroModelInfo): CatalogModel {
  const larger = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
  const contextWindow = larger(known.contextWindow, info.maxInputTokens);
  const maxOutputTokens = larger(known.maxOutputTokens, info.maxOutputTokens);
  return {
    ...known,
    ...(contextWindow !== undefined ? { contextWindow } : {}),
    ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
    supportsImages: known.supportsImages && info.supportsImages,
    accounts: known.accounts + 1,
  };
}
