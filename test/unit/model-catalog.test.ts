// The engine's model catalog: every enabled account's ListAvailableModels answer joined into one
// list (issue 13 §4), and the field mapping from Kiro's `Model` type (§11.6).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelInfo } from '../../src/proxy/kiro/catalog';
import { joinCatalogs } from '../../src/proxy/pool/catalog';

describe('modelInfo', () => {
  it("reads the official Model fields, and a model without IMAGE is text-only", () => {
    const glm = modelInfo({
      modelId: 'glm-5', modelName: 'GLM-5', rateMultiplier: 0.5, rateUnit: 'Credit',
      tokenLimits: { maxInputTokens: 200000, maxOutputTokens: 64000 }, supportedInputTypes: ['TEXT'],
      promptCaching: { supportsPromptCaching: false, maximumCacheCheckpointsPerRequest: 0, minimumTokensPerCacheCheckpoint: 0 },
    });
    assert.deepEqual(glm, {
      modelId: 'glm-5', name: 'GLM-5', maxInputTokens: 200000, maxOutputTokens: 64000, rateMultiplier: 0.5, rateUnit: 'Credit',
      supportsImages: false, promptCaching: { supported: false, maxCheckpoints: 0, minTokensPerCheckpoint: 0 },
    });
    assert.equal(modelInfo({ modelId: 'claude-opus-5', supportedInputTypes: ['TEXT', 'IMAGE'] })?.supportsImages, true);
    assert.equal(modelInfo({ modelId: 'old' })?.supportsImages, true, 'no field: images as before');
    assert.deepEqual(modelInfo({ modelId: 'x', supportsPromptCache: true })?.promptCaching, { supported: true });
    assert.equal(modelInfo({ modelName: 'no id' }), undefined);
  });
});

describe('joinCatalogs', () => {
  const opus = { modelId: 'claude-opus-5', name: 'Claude Opus 5', maxInputTokens: 1_000_000, maxOutputTokens: 64_000, supportsImages: true };
  it('joins enabled accounts, counts them, keeps the largest limits, and takes images only if all agree', () => {
    const catalog = joinCatalogs([
      { enabled: true, catalog: [opus, { modelId: 'MiniMax-M2.5', supportsImages: true }] },
      { enabled: true, catalog: [{ ...opus, maxOutputTokens: 128_000 }, { modelId: 'MiniMax-M2.5', supportsImages: false }] },
      { enabled: false, catalog: [{ modelId: 'gpt-5.6', supportsImages: true }] },
      { enabled: true },
    ]);
    assert.deepEqual(catalog.map((m) => [m.id, m.accounts]), [['claude-opus-5', 2], ['MiniMax-M2.5', 2]]);
    assert.equal(catalog[0].maxOutputTokens, 128_000);
    assert.equal(catalog[0].contextWindow, 1_000_000);
    assert.equal(catalog[0].name, 'Claude Opus 5');
    assert.equal(catalog[1].name, 'MiniMax-M2.5', 'no display name: the id');
    assert.equal(catalog[1].supportsImages, false);
  });
});
