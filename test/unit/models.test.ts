import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextWindowOf, KIRO_MODEL_IDS, listClientModels, resolveKiroModel, unlistedModel } from '../../src/proxy/kiro/models';

const DEFAULT = 'claude-sonnet-4.5';
const resolve = (name: string, mapping: Record<string, string> = {}) => resolveKiroModel(name, mapping, DEFAULT);

describe('resolveKiroModel', () => {
  it('passes Kiro ids through unchanged', () => {
    for (const id of ['claude-sonnet-4', 'claude-sonnet-4.5', 'claude-haiku-4.5', 'claude-opus-4.5', 'claude-sonnet-4.6', 'claude-opus-4.6', 'claude-opus-4.7', 'auto']) {
      assert.equal(resolve(id), id);
    }
  });

  it('maps OpenAI names by the built-in alias table', () => {
    assert.equal(resolve('gpt-4o'), 'claude-sonnet-4');
    assert.equal(resolve('gpt-4'), 'claude-sonnet-4');
    assert.equal(resolve('gpt-4o-mini'), 'claude-haiku-4.5');
    assert.equal(resolve('gpt-3.5-turbo'), 'claude-haiku-4.5');
    assert.equal(resolve('o1'), 'claude-opus-4.5');
    assert.equal(resolve('o1-preview'), 'claude-opus-4.5');
  });

  it('normalises Anthropic names by family and version', () => {
    assert.equal(resolve('claude-sonnet-4-5-20250929'), 'claude-sonnet-4.5');
    assert.equal(resolve('claude-sonnet-4-5'), 'claude-sonnet-4.5');
    assert.equal(resolve('claude-sonnet-4-20250514'), 'claude-sonnet-4');
    assert.equal(resolve('claude-haiku-4-5-20251001'), 'claude-haiku-4.5');
    assert.equal(resolve('claude-opus-4-5-thinking'), 'claude-opus-4.5');
    assert.equal(resolve('claude-opus-4-6-latest'), 'claude-opus-4.6');
    assert.equal(resolve('Claude-Sonnet-4.6'), 'claude-sonnet-4.6');
    assert.equal(resolve('anthropic/claude-sonnet-4-5'), 'claude-sonnet-4.5');
    // Anthropic's `-0` alias, and the Bedrock and Vertex spellings of the same models.
    assert.equal(resolve('claude-sonnet-4-0'), 'claude-sonnet-4');
    assert.equal(resolve('us.anthropic.claude-sonnet-4-5-20250929-v1:0'), 'claude-sonnet-4.5');
    assert.equal(resolve('anthropic.claude-haiku-4-5-20251001-v1:0'), 'claude-haiku-4.5');
    assert.equal(resolve('global.anthropic.claude-sonnet-4-5-20250929-v1:0'), 'claude-sonnet-4.5');
    assert.equal(resolve('us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0'), 'claude-sonnet-4.5');
    assert.equal(resolve('claude-sonnet-4-5@20250929'), 'claude-sonnet-4.5');
  });

  it("passes Kiro's own upper-case ids through", () => {
    for (const id of ['CLAUDE_SONNET_4_20250514_V1_0', 'CLAUDE_SONNET_4_5_20250929_V1_0', 'CLAUDE_3_5_HAIKU_20241022_V1_0']) assert.equal(resolve(id), id);
  });

  it('sends claude-3.7-sonnet as its legacy wire id', () => {
    assert.equal(resolve('claude-3-7-sonnet-latest'), 'CLAUDE_3_7_SONNET_20250219_V1_0');
    assert.equal(resolve('claude-3-7-sonnet-20250219'), 'CLAUDE_3_7_SONNET_20250219_V1_0');
  });

  it('handles the 1M context suffix', () => {
    assert.equal(resolve('claude-sonnet-4-5-20250929[1m]'), 'claude-sonnet-4.5-1m');
    assert.equal(resolve('claude-sonnet-4.5-1m'), 'claude-sonnet-4.5-1m');
    // 4.6 already has a 1M window: keep the plain, well-confirmed id.
    assert.equal(resolve('claude-opus-4-6[1m]'), 'claude-opus-4.6');
    // No 1M variant known: the plain model.
    assert.equal(resolve('claude-haiku-4-5[1m]'), 'claude-haiku-4.5');
  });

  it('falls back by family for unknown Claude names', () => {
    assert.equal(resolve('claude-opus-5-5'), 'claude-opus-4.6');
    assert.equal(resolve('claude-3-opus-20240229'), 'claude-opus-4.6');
    assert.equal(resolve('claude-3-5-sonnet-20241022'), 'claude-sonnet-4.6');
    assert.equal(resolve('claude-3-5-haiku-latest'), 'claude-haiku-4.5');
    assert.equal(resolve('my-haiku-thing'), 'claude-haiku-4.5');
  });

  it('sends names no rule knows to the default model', () => {
    assert.equal(resolve('gpt-5.1-codex'), DEFAULT);
    assert.equal(resolve('gemini-2.5-pro'), DEFAULT);
    assert.equal(resolveKiroModel('whatever', {}, 'claude-haiku-4.5'), 'claude-haiku-4.5');
  });

  it('lets the user mapping win over every built-in rule', () => {
    const mapping = { 'gpt-4o': 'claude-opus-4.6', 'claude-sonnet-4-5': 'claude-haiku-4.5', 'gpt-5.1-codex': 'deepseek-3.2' };
    assert.equal(resolve('gpt-4o', mapping), 'claude-opus-4.6');
    assert.equal(resolve('claude-sonnet-4-5', mapping), 'claude-haiku-4.5');
    assert.equal(resolve('gpt-5.1-codex', mapping), 'deepseek-3.2');
    // Exact names only: other spellings still follow the built-in rules.
    assert.equal(resolve('claude-sonnet-4-5-20250929', mapping), 'claude-sonnet-4.5');
  });
});

describe('contextWindowOf', () => {
  it('is 1M for 4.6+ and -1m ids, 200k otherwise', () => {
    assert.equal(contextWindowOf('claude-sonnet-4.6'), 1_000_000);
    assert.equal(contextWindowOf('claude-opus-4.6'), 1_000_000);
    assert.equal(contextWindowOf('claude-opus-4.7'), 1_000_000);
    assert.equal(contextWindowOf('claude-sonnet-5'), 1_000_000);
    assert.equal(contextWindowOf('claude-sonnet-4.5-1m'), 1_000_000);
    assert.equal(contextWindowOf('claude-sonnet-4.5'), 200_000);
    assert.equal(contextWindowOf('claude-sonnet-4'), 200_000);
    assert.equal(contextWindowOf('claude-haiku-4.5'), 200_000);
    assert.equal(contextWindowOf('CLAUDE_3_7_SONNET_20250219_V1_0'), 200_000);
    assert.equal(contextWindowOf('auto'), 200_000);
  });
});

describe('listClientModels', () => {
  it('lists Anthropic-style names, aliases and user names once each', () => {
    const ids = listClientModels({ 'my-model': 'claude-opus-4.6', 'gpt-4o': 'claude-opus-4.6' });
    assert.ok(ids.includes('claude-sonnet-4-5'));
    assert.ok(ids.includes('claude-opus-4-6'));
    assert.ok(ids.includes('claude-3-7-sonnet'));
    assert.ok(ids.includes('gpt-4o'));
    assert.ok(ids.includes('my-model'));
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(!ids.some((id) => id.includes('.') && id.startsWith('claude-')));
  });

  it('lists only names that resolve to a known Kiro model', () => {
    const known = new Set<string>(KIRO_MODEL_IDS);
    for (const id of listClientModels({})) assert.ok(known.has(resolve(id)), `${id} → ${resolve(id)}`);
  });
});

it('a model Kiro lists but our table does not know is reachable by name', () => {
  const discovered = new Set(['claude-sonnet-4.7', 'claude-sonnet-4.7-1m', 'claude-sonnet-4.5']);
  assert.equal(resolveKiroModel('claude-sonnet-4-7-20270101', {}, 'claude-sonnet-4.5', discovered), 'claude-sonnet-4.7');
  assert.equal(resolveKiroModel('claude-sonnet-4.7', {}, 'claude-sonnet-4.5', discovered), 'claude-sonnet-4.7');
  assert.equal(resolveKiroModel('claude-sonnet-4-7[1m]', {}, 'claude-sonnet-4.5', discovered), 'claude-sonnet-4.7-1m');
  // Without discovery the same name falls back to the best sonnet we know.
  assert.notEqual(resolveKiroModel('claude-sonnet-4-7', {}, 'claude-sonnet-4.5'), 'claude-sonnet-4.7');
});

describe('resolveKiroModel with the live list (issue 13 §4)', () => {
  const live = new Set(['auto', 'claude-opus-4.6', 'claude-opus-5', 'claude-sonnet-4.6', 'claude-sonnet-5', 'claude-haiku-4.5', 'glm-5', 'MiniMax-M2.5']);
  const resolveLive = (name: string) => resolveKiroModel(name, {}, 'claude-sonnet-4.6', live);

  it('takes the exact id, then the client naming styles of it', () => {
    assert.equal(resolveLive('claude-opus-5'), 'claude-opus-5');
    assert.equal(resolveLive('claude-opus-5-20260701'), 'claude-opus-5');
    assert.equal(resolveLive('us.anthropic.claude-opus-5-v1:0'), 'claude-opus-5');
    assert.equal(resolveLive('claude-opus-5@20260701'), 'claude-opus-5');
    assert.equal(resolveLive('claude-opus-4-6'), 'claude-opus-4.6');
    // Kiro's own spelling goes on the wire, whatever the client's case.
    assert.equal(resolveLive('minimax-m2.5'), 'MiniMax-M2.5');
    assert.equal(resolveLive('glm-5'), 'glm-5');
  });

  it('goes to the newest listed model of the same tier, not an old built-in guess', () => {
    assert.equal(resolveLive('claude-opus-5-5'), 'claude-opus-5', 'the reported bug: it became claude-opus-4.6');
    assert.equal(resolveLive('claude-opus-4-5'), 'claude-opus-5', 'claude-opus-4.5 is not listed');
    assert.equal(resolveLive('claude-sonnet-9'), 'claude-sonnet-5');
    assert.equal(resolveLive('claude-haiku-5'), 'claude-haiku-4.5');
  });

  it('keeps aliases, and sends names no rule knows to defaultModel', () => {
    assert.equal(resolveLive('gpt-4o'), 'claude-sonnet-4');
    assert.equal(resolveLive('gpt-5.1-codex'), 'claude-sonnet-4.6');
  });

  it('says when an unambiguous model is listed by no account (404), never for aliases or mapped names', () => {
    assert.equal(unlistedModel('gpt-5.6', {}, live), 'gpt-5.6');
    assert.equal(unlistedModel('deepseek-3.2', {}, live), 'deepseek-3.2');
    assert.equal(unlistedModel('glm-5', {}, live), undefined);
    assert.equal(unlistedModel('MINIMAX-M2.5', {}, live), undefined);
    assert.equal(unlistedModel('gpt-4o', {}, live), undefined);
    assert.equal(unlistedModel('gpt-5.1-codex', {}, live), undefined);
    assert.equal(unlistedModel('gpt-5.6', { 'gpt-5.6': 'claude-opus-5' }, live), undefined);
    assert.equal(unlistedModel('gpt-5.6', {}, undefined), undefined, 'unknown before any account reported its list');
  });
});
