// `kiroProxy.chatModels.*`: whether VS Code's chat gets the Kiro models, which ones it hides, and
// whether Kiro is asked to reason first. Application-scoped like the proxy's own settings (one
// list for every window), so only the user's value counts. Pure, so it is unit-tested.
import type { ThinkingConfig, ThinkingEffort } from '../../proxy/model';
import type { SettingsSource } from '../settingsModel';

export const CHAT_MODELS_SECTION = 'kiroProxy.chatModels';

export type ChatThinking = 'off' | ThinkingEffort;

export interface ChatModelSettings {
  enabled: boolean;
  /** Kiro model ids left out of the model picker. */
  hidden: string[];
  thinking: ChatThinking;
}

/** The keys under `kiroProxy.chatModels`, with the defaults package.json declares. */
export const CHAT_MODEL_DEFAULTS: Readonly<ChatModelSettings> = Object.freeze({ enabled: true, hidden: [], thinking: 'off' });

const EFFORTS: readonly ChatThinking[] = ['off', 'low', 'medium', 'high'];

export function readChatModelSettings(source: Pick<SettingsSource, 'inspect'>): ChatModelSettings {
  const user = <T>(key: string): T | undefined => source.inspect<T>(key)?.globalValue;
  const enabled = user<unknown>('enabled');
  const hidden = user<unknown>('hidden');
  const thinking = user<unknown>('thinking');
  return {
    enabled: typeof enabled === 'boolean' ? enabled : CHAT_MODEL_DEFAULTS.enabled,
    hidden: Array.isArray(hidden) ? hidden.filter((id): id is string => typeof id === 'string') : [],
    thinking: EFFORTS.includes(thinking as ChatThinking) ? (thinking as ChatThinking) : CHAT_MODEL_DEFAULTS.thinking,
  };
}

export function thinkingConfigOf(thinking: ChatThinking): ThinkingConfig | undefined {
  return thinking === 'off' ? undefined : { type: 'adaptive', effort: thinking };
}
