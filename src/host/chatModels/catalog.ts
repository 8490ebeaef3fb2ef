// Which Kiro models VS Code's chat and `vscode.lm` see, and what each one can do. Plain data
// from the engine: the provider (./provider.ts) turns it into VS Code's model information.
import { contextWindowOf } from '../../proxy/kiro/models';
import type { AccountPool } from '../../proxy/pool/pool';

export interface KiroChatModel {
  /** The Kiro model id, sent to Kiro as it is. */
  id: string;
  name: string;
  maxInputTokens: number;
  maxOutputTokens: number;
}

/** What Kiro answers with at most (its `tokenLimits.maxOutputTokens`, and what /v1beta/models says). */
const MAX_OUTPUT_TOKENS = 64_000;

/** Until an account reports its models: the ids confirmed by several sources (docs/kiro-protocol.md §3.3). */
const CONFIRMED_MODELS = ['claude-sonnet-4.5', 'claude-haiku-4.5', 'claude-opus-4.5', 'claude-sonnet-4'];

/**
 * The model ids of the enabled accounts: what their Kiro `ListAvailableModels` reported, else the
 * confirmed ones; none without an enabled account. The one place the list comes from.
 */
export function accountModelIds(pool: Pick<AccountPool, 'list' | 'availableModels'>): string[] {
  if (!pool.list().some((account) => account.enabled)) return [];
  return [...(pool.availableModels() ?? CONFIRMED_MODELS)];
}

/**
 * The models to list: lower-case Kiro ids only (the upper-case legacy ones work but Kiro hides
 * them too), minus the ones the user hid, in a stable order.
 */
export function kiroChatModels(ids: Iterable<string>, hidden: readonly string[]): KiroChatModel[] {
  const hide = new Set(hidden.map((id) => id.trim().toLowerCase()));
  return [...new Set(ids)]
    .filter((id) => /^[a-z]/.test(id) && !hide.has(id.toLowerCase()))
    .sort()
    .map((id) => ({ id, name: displayName(id), maxInputTokens: contextWindowOf(id), maxOutputTokens: MAX_OUTPUT_TOKENS }));
}

/** `claude-sonnet-4.5` → `Claude Sonnet 4.5`, `claude-sonnet-4.5-1m` → `Claude Sonnet 4.5 (1M)`, `auto` → `Auto`. */
export function displayName(id: string): string {
  return id
    .split('-')
    .map((word) => (word === '1m' ? '(1M)' : word.charAt(0).toUpperCase() + word.slice(1)))
    .join(' ');
}
