// The language model chat provider (vendor `kiro`): VS Code's chat and every extension using
// `vscode.lm` reach the Kiro models through it. Requests run in this process through the
// engine's exchange — the pool's failover, cooldowns, stickiness, request log and stats — with
// no HTTP in between, so they work whether or not the proxy listens.
import * as vscode from 'vscode';
import { asProxyError } from '../../proxy/errors';
import type { Exchange } from '../../proxy/exchange';
import type { ThinkingConfig } from '../../proxy/model';
import type { KiroChatModel } from './catalog';
import { conversationOf } from './messages';
import { languageModelError, reportReply } from './reply';
import type {
  LanguageModelChatInformation,
  LanguageModelChatProvider,
  LanguageModelChatRequestMessage,
  LanguageModelProviderApi,
  LanguageModelResponsePart,
  ProvideLanguageModelChatResponseOptions,
} from './vscodeLm';

/** The request log's endpoint for these requests (the monitor's "Endpoint" column). */
export const CHAT_ENDPOINT = 'VS Code chat';

export interface KiroChatProviderDeps {
  api: LanguageModelProviderApi;
  exchange: Exchange;
  /** The models to offer now. */
  models(): KiroChatModel[];
  /** Whether to ask Kiro for its reasoning (the `kiroProxy.chatModels.thinking` setting). */
  thinking(): ThinkingConfig | undefined;
}

export class KiroChatProvider implements LanguageModelChatProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  private listed = '';

  constructor(private readonly deps: KiroChatProviderDeps) {
    this.listed = JSON.stringify(deps.models());
  }

  /** Tells VS Code when the list really changed (accounts change far more often than their models). */
  refresh(): void {
    const now = JSON.stringify(this.deps.models());
    if (now === this.listed) return;
    this.listed = now;
    this.changed.fire();
  }

  provideLanguageModelChatInformation(): LanguageModelChatInformation[] {
    return this.deps.models().map((model) => ({
      id: model.id,
      name: model.name,
      family: model.id,
      version: model.id,
      detail: 'Kiro',
      tooltip: vscode.l10n.t('{0} through your Kiro accounts', model.name),
      maxInputTokens: model.maxInputTokens,
      maxOutputTokens: model.maxOutputTokens,
      capabilities: { imageInput: model.imageInput, toolCalling: true },
    }));
  }

  async provideLanguageModelChatResponse(
    model: LanguageModelChatInformation,
    messages: readonly LanguageModelChatRequestMessage[],
    options: ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<LanguageModelResponsePart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const { api } = this.deps;
    const conversation = conversationOf(messages, options, { model: model.id, thinking: this.deps.thinking() });
    // Cancelling ends the Kiro call at once, as a client closing its connection does.
    const abort = new AbortController();
    const cancelled = token.onCancellationRequested(() => abort.abort());
    if (token.isCancellationRequested) abort.abort();
    try {
      const { events } = await this.deps.exchange.start({ conversation, endpoint: CHAT_ENDPOINT, stream: true, signal: abort.signal });
      await reportReply(events, progress, api);
    } catch (err) {
      if (token.isCancellationRequested) throw new vscode.CancellationError();
      throw languageModelError(api, asProxyError(err));
    } finally {
      cancelled.dispose();
      // The request is over: the exchange lets its account and Kiro call go if it still holds them.
      abort.abort();
    }
  }

  async provideTokenCount(model: LanguageModelChatInformation, input: string | LanguageModelChatRequestMessage): Promise<number> {
    // What the HTTP `count_tokens` / `countTokens` endpoints answer for a prompt of just this.
    const message: LanguageModelChatRequestMessage = typeof input === 'string' ? { role: 1, content: [{ value: input }], name: undefined } : input;
    return this.deps.exchange.countTokens(conversationOf([message], { toolMode: 1 }, { model: model.id }));
  }

  dispose(): void {
    this.changed.dispose();
  }
}
