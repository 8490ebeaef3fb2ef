// Offers the Kiro models to VS Code's chat and `vscode.lm` where VS Code has the provider API
// (1.104+), while `kiroProxy.chatModels.enabled` is on. On older versions nothing happens.
import * as vscode from 'vscode';
import type { Engine } from '../../proxy/engine';
import type { PoolChange } from '../../proxy/pool/pool';
import type { Logger } from '../../proxy/logger';
import { DisposableStore, listen, toDisposable, type Disposable } from '../lifecycle';
import { sectionSettings } from '../settings';
import { accountModels, kiroChatModels } from './catalog';
import { KiroChatProvider } from './provider';
import { CHAT_MODELS_SECTION, readChatModelSettings, thinkingConfigOf } from './settings';
import type { LanguageModelProviderApi } from './vscodeLm';

/** The vendor in `contributes.languageModelChatProviders` and in `vscode.lm.selectChatModels({ vendor })`. */
export const KIRO_VENDOR = 'kiro';

/** The running VS Code's provider API, or undefined before 1.104. */
export function languageModelProviderApi(): LanguageModelProviderApi | undefined {
  const api = vscode as unknown as Partial<LanguageModelProviderApi> & { lm?: Partial<LanguageModelProviderApi> };
  const register = api.lm?.registerLanguageModelChatProvider;
  if (typeof register !== 'function' || !api.LanguageModelTextPart || !api.LanguageModelToolCallPart || !api.LanguageModelError) return undefined;
  return {
    registerLanguageModelChatProvider: register.bind(api.lm),
    LanguageModelTextPart: api.LanguageModelTextPart,
    LanguageModelToolCallPart: api.LanguageModelToolCallPart,
    LanguageModelThinkingPart: api.LanguageModelThinkingPart,
    LanguageModelError: api.LanguageModelError,
  };
}

export function registerChatModels(engine: Engine, logger: Logger): Disposable {
  const owned = new DisposableStore();
  const api = languageModelProviderApi();
  if (!api) {
    logger.info(`VS Code ${vscode.version} has no language model provider API: Kiro models are not offered in its chat.`);
    return owned;
  }
  const settings = () => readChatModelSettings(sectionSettings(CHAT_MODELS_SECTION));
  const provider = new KiroChatProvider({
    api,
    exchange: engine.exchange,
    models: () => kiroChatModels(accountModels(engine), settings().hidden),
    thinking: () => thinkingConfigOf(settings().thinking),
  });
  let registration: Disposable | undefined;
  const apply = () => {
    const { enabled } = settings();
    if (enabled && !registration) registration = api.registerLanguageModelChatProvider(KIRO_VENDOR, provider);
    if (!enabled && registration) {
      registration.dispose();
      registration = undefined;
    }
    provider.refresh();
  };
  apply();
  owned.add(provider);
  owned.add(toDisposable(() => registration?.dispose()));
  // Accounts come and go (the confirmed list appears or empties) and their catalogs change:
  // VS Code hears of it when the list differs. Request counters change no model: skipped, as
  // they come with every request.
  owned.add(
    listen(engine.pool, 'change', (change: PoolChange) => {
      if (!(change.type === 'updated' && change.countersOnly)) provider.refresh();
    }),
  );
  owned.add(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(CHAT_MODELS_SECTION)) apply();
    }),
  );
  return owned;
}
