// Response bodies for ListAvailableModels (§1.4) and getUsageLimits (§7). Numbers are
// illustrative but stable, so tests can assert them.
import { DEFAULT_KNOWN_MODELS } from './validate.mjs';

/** Listed models. Hidden ones (claude-3.7-sonnet, upper-case wire ids) work but are not listed. */
export const MODEL_CATALOG = [
  { modelId: 'auto', modelName: 'Auto', description: 'Models chosen by task for optimal usage and consistent quality', rateMultiplier: 1.0, maxInputTokens: 200000 },
  { modelId: 'claude-sonnet-4', modelName: 'Claude Sonnet 4', description: 'Hybrid reasoning and coding for regular use', rateMultiplier: 1.3, maxInputTokens: 200000 },
  { modelId: 'claude-sonnet-4.5', modelName: 'Claude Sonnet 4.5', description: 'The latest Claude Sonnet model', rateMultiplier: 1.3, maxInputTokens: 200000 },
  { modelId: 'claude-haiku-4.5', modelName: 'Claude Haiku 4.5', description: 'The latest Claude Haiku model', rateMultiplier: 0.4, maxInputTokens: 200000 },
  { modelId: 'claude-opus-4.5', modelName: 'Claude Opus 4.5', description: 'The Claude Opus 4.5 model', rateMultiplier: 2.2, maxInputTokens: 200000 },
  { modelId: 'claude-sonnet-4.6', modelName: 'Claude Sonnet 4.6', description: 'The latest Claude Sonnet model', rateMultiplier: 1.3, maxInputTokens: 1000000 },
  { modelId: 'claude-opus-4.6', modelName: 'Claude Opus 4.6', description: 'The latest Claude Opus model', rateMultiplier: 2.2, maxInputTokens: 1000000 },
];
export const LISTED_MODEL_IDS = MODEL_CATALOG.map((m) => m.modelId);
export { DEFAULT_KNOWN_MODELS };

/** Context window used for contextUsagePercentage. */
export const contextWindowFor = (modelId) => MODEL_CATALOG.find((m) => m.modelId === modelId)?.maxInputTokens ?? 200000;

const modelEntry = (m) => ({
  modelId: m.modelId, modelName: m.modelName, description: m.description,
  rateMultiplier: m.rateMultiplier, rateUnit: 'credit',
  tokenLimits: { maxInputTokens: m.maxInputTokens, maxOutputTokens: 64000 },
  supportedInputTypes: ['TEXT', 'IMAGE'], supportsPromptCache: true,
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
