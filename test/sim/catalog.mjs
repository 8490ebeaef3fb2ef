// Response bodies for ListAvailableModels (§1.4) and getUsageLimits (§7). Numbers are
// illustrative but stable, so tests can assert them.
import { DEFAULT_KNOWN_MODELS } from './validate.mjs';

/**
 * Listed models (2026, docs/kiro-protocol.md §11.6; figures from the kirodotdev/Kiro #7333 capture where
 * it has them, the rest illustrative but stable). `inputTypes` without IMAGE makes a text-only model:
 * a request with images for it is refused. `optIn` models are listed only to accounts whose `models`
 * name them. Hidden ones (claude-3.7-sonnet, upper-case wire ids) work but are not listed.
 */
const CACHE_1K = { supportsPromptCaching: true, maximumCacheCheckpointsPerRequest: 4, minimumTokensPerCacheCheckpoint: 1024 };
const CACHE_4K = { supportsPromptCaching: true, maximumCacheCheckpointsPerRequest: 4, minimumTokensPerCacheCheckpoint: 4096 };
const NO_CACHE = { supportsPromptCaching: false, maximumCacheCheckpointsPerRequest: 0, minimumTokensPerCacheCheckpoint: 0 };
const TEXT_IMAGE = ['TEXT', 'IMAGE'];
export const MODEL_CATALOG = [
  { modelId: 'auto', modelName: 'Auto', description: 'Models chosen by task for optimal usage and consistent quality', rateMultiplier: 1.0, maxInputTokens: 1000000, inputTypes: TEXT_IMAGE, caching: CACHE_1K },
  { modelId: 'claude-sonnet-4', modelName: 'Claude Sonnet 4', description: 'Hybrid reasoning and coding for regular use', rateMultiplier: 1.3, maxInputTokens: 200000, inputTypes: TEXT_IMAGE, caching: CACHE_1K },
  { modelId: 'claude-sonnet-4.5', modelName: 'Claude Sonnet 4.5', description: 'The latest Claude Sonnet model', rateMultiplier: 1.3, maxInputTokens: 200000, inputTypes: TEXT_IMAGE, caching: CACHE_1K },
  { modelId: 'claude-haiku-4.5', modelName: 'Claude Haiku 4.5', description: 'The latest Claude Haiku model', rateMultiplier: 0.4, maxInputTokens: 200000, inputTypes: TEXT_IMAGE, caching: CACHE_1K },
  { modelId: 'claude-opus-4.5', modelName: 'Claude Opus 4.5', description: 'The Claude Opus 4.5 model', rateMultiplier: 2.2, maxInputTokens: 200000, inputTypes: TEXT_IMAGE, caching: CACHE_4K },
  { modelId: 'claude-sonnet-4.6', modelName: 'Claude Sonnet 4.6', description: 'The latest Claude Sonnet model', rateMultiplier: 1.3, maxInputTokens: 1000000, inputTypes: TEXT_IMAGE, caching: CACHE_1K },
  { modelId: 'claude-opus-4.6', modelName: 'Claude Opus 4.6', description: 'The latest Claude Opus model', rateMultiplier: 2.2, maxInputTokens: 1000000, inputTypes: TEXT_IMAGE, caching: CACHE_4K },
  { modelId: 'claude-opus-4.7', modelName: 'Claude Opus 4.7', description: 'Claude Opus 4.7', rateMultiplier: 2.2, maxInputTokens: 1000000, inputTypes: TEXT_IMAGE, caching: CACHE_4K },
  { modelId: 'claude-opus-4.8', modelName: 'Claude Opus 4.8', description: 'Claude Opus 4.8', rateMultiplier: 2.2, maxInputTokens: 1000000, inputTypes: TEXT_IMAGE, caching: CACHE_4K },
  { modelId: 'claude-sonnet-5', modelName: 'Claude Sonnet 5', description: 'Experimental preview', rateMultiplier: 1.3, maxInputTokens: 1000000, inputTypes: TEXT_IMAGE, caching: CACHE_1K },
  { modelId: 'claude-opus-5', modelName: 'Claude Opus 5', description: 'The latest Claude Opus model', rateMultiplier: 2.2, maxInputTokens: 1000000, maxOutputTokens: 128000, inputTypes: TEXT_IMAGE, caching: CACHE_4K },
  { modelId: 'deepseek-3.2', modelName: 'DeepSeek 3.2', description: 'Open-weight model', rateMultiplier: 0.25, maxInputTokens: 164000, inputTypes: ['TEXT'], caching: NO_CACHE },
  { modelId: 'glm-5', modelName: 'GLM-5', description: 'Open-weight model', rateMultiplier: 0.5, maxInputTokens: 200000, inputTypes: ['TEXT'], caching: NO_CACHE },
  { modelId: 'MiniMax-M2.5', modelName: 'MiniMax M2.5', description: 'Open-weight model', rateMultiplier: 0.15, maxInputTokens: 196000, inputTypes: TEXT_IMAGE, caching: NO_CACHE },
  { modelId: 'qwen3-coder-next', modelName: 'Qwen3 Coder Next', description: 'Experimental preview', rateMultiplier: 0.05, maxInputTokens: 256000, inputTypes: TEXT_IMAGE, caching: NO_CACHE },
  { modelId: 'gpt-5.6', modelName: 'GPT-5.6', description: 'OpenAI GPT-5.6', rateMultiplier: 1.5, maxInputTokens: 400000, inputTypes: TEXT_IMAGE, caching: NO_CACHE, optIn: true },
];
export const LISTED_MODEL_IDS = MODEL_CATALOG.filter((m) => !m.optIn).map((m) => m.modelId);
export { DEFAULT_KNOWN_MODELS };

/** Context window used for contextUsagePercentage. */
export const contextWindowFor = (modelId) => MODEL_CATALOG.find((m) => m.modelId === modelId)?.maxInputTokens ?? 200000;

/** Whether the model takes images (unlisted ids: yes, as before the field existed). */
export const takesImages = (modelId) => MODEL_CATALOG.find((m) => m.modelId === modelId)?.inputTypes.includes('IMAGE') ?? true;

const modelEntry = (m) => ({
  modelId: m.modelId, modelName: m.modelName, description: m.description,
  rateMultiplier: m.rateMultiplier, rateUnit: 'Credit',
  tokenLimits: { maxInputTokens: m.maxInputTokens, maxOutputTokens: m.maxOutputTokens ?? 64000 },
  supportedInputTypes: m.inputTypes, promptCaching: m.caching,
});

export function listModelsBody(account) {
  const allowed = account.models ?? LISTED_MODEL_IDS;
  const models = MODEL_CATALOG.filter((m) => allowed.includes(m.modelId)).map(modelEntry);
  return { models, defaultModel: modelEntry(MODEL_CATALOG[0]) };
}

const round4 = (x) => Math.round(x * 10000) / 10000;

/**
 * @param {any} account
 * @param {{plan: {title: string, type: string}, limit: number, used: number}} usage
 * @param {{includeEmail: boolean, nowMs: number}} opts
 */
export function usageLimitsBody(account, usage, { includeEmail, nowMs }) {
  const used = round4(usage.used);
  const breakdown = {
    resourceType: 'CREDIT', displayName: 'Credit', displayNamePlural: 'Credits', unit: 'INVOCATIONS', currency: 'USD',
    currentUsage: Math.floor(used), currentUsageWithPrecision: used,
    usageLimit: Math.floor(usage.limit), usageLimitWithPrecision: usage.limit,
    nextDateReset: account.nextDateReset,
    overageRate: 0.04, overageCap: 0, currentOverages: 0, overageCharges: 0,
  };
  if (account.freeTrialInfo) breakdown.freeTrialInfo = account.freeTrialInfo;
  if (account.bonuses) breakdown.bonuses = account.bonuses;
  const body = {
    daysUntilReset: Math.max(0, Math.ceil((account.nextDateReset * 1000 - nowMs) / 86400000)),
    nextDateReset: account.nextDateReset,
    subscriptionInfo: { subscriptionTitle: usage.plan.title, type: usage.plan.type, overageCapability: 'OVERAGE_CAPABLE',
      upgradeCapability: 'UPGRADE_CAPABLE', subscriptionManagementTarget: 'MANAGE' },
    usageBreakdownList: [breakdown],
    overageConfiguration: { overageStatus: 'DISABLED' },
  };
  if (includeEmail) body.userInfo = { email: account.email, userId: account.userId };
  return body;
}
