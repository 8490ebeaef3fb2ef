// Which Kiro models VS Code's chat and `vscode.lm` see, and what each one can do. Plain data
// from the engine: the provider (./provider.ts) turns it into VS Code's model information.
import { contextWindowOf } from '../../proxy/kiro/models';
import type { Engine } from '../../proxy/engine';
import type { CatalogModel } from '../../proxy/pool/catalog';
import type { AccountPool } from '../../proxy/pool/pool';

export interface KiroChatModel {
  /** The Kiro model id, sent to Kiro as it is. */
  id: string;
  name: string;
  maxInputTokens: number;
  maxOutputTokens: number;
  /** False for Kiro's text-only models (VS Code then sends them no images). */
  imageInput: boolean;
}

/** Kiro's old upper-case ids, e.g. `CLAUDE_SONNET_4_20250514_V1_0`. */
const LEGACY_ID = /^[A-Z0-9_.]+$/;

/** What Kiro answers with at most when its catalog does not say (`tokenLimits.maxOutputTokens`). */
const MAX_OUTPUT_TOKENS = 64_000;

/** Until an account reports its models: the ids confirmed by several sources (docs/kiro-protocol.md §3.3). */
const CONFIRMED_MODELS = ['claude-sonnet-4.5', 'claude-haiku-4.5', 'claude-opus-4.5', 'claude-sonnet-4'];

/**
 * The models of the enabled accounts: the engine's live catalog (what their Kiro
 * `ListAvailableModels` reported, with limits and input types), else the confirmed ids; none
 * without an enabled account. The one place the list comes from.
 */
export function accountModels(engine: Pick<Engine, 'models'> & { pool: Pick<AccountPool, 'list'> }): CatalogModel[] {
  if (!engine.pool.list().some((account) => account.enabled)) return [];
  const live = engine.models();
  if (live.length > 0) return live;
  return CONFIRMED_MODELS.map((id) => ({ id, name: id, supportsImages: true, accounts: 0 }));
}

/**
 * The models to list: not the upper-case legacy ids (`CLAUDE_SONNET_4_20250514_V1_0`: they work but
 * Kiro hides them too), minus the ones the user hid, in a stable order.
 */
export function kiroChatModels(models: Iterable<CatalogModel>, hidden: readonly string[]): KiroChatModel[] {
  const hide = new Set(hidden.map((id) => id.trim().toLowerCase()));
  const unique = new Map<string, CatalogModel>();
  for (const model of models) if (!LEGACY_ID.test(model.id) && !hide.has(model.id.toLowerCase())) unique.set(model.id, model);
  return [...unique.values()]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((model) => ({
      id: model.id,
      // Kiro's own display name when it gave one, else one made from the id.
      name: model.name !== model.id ? model.name : displayName(model.id),
      maxInputTokens: model.contextWindow ?? contextWindowOf(model.id),
      maxOutputTokens: model.maxOutputTokens ?? MAX_OUTPUT_TOKENS,
      imageInput: model.supportsImages,
    }));
}

/** `claude-sonnet-4.5` → `Claude Sonnet 4.5`, `claude-sonnet-4.5-1m` → `Claude Sonnet 4.5 (1M)`, `auto` → `Auto`. */
export function displayName(id: string): string {
  return id
    .split('-')
    .map((word) => (word === '1m' ? '(1M)' : word.charAt(0).toUpperCase() + word.slice(1)))
    .join(' ');
}
