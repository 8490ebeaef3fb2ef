// The language model chat provider (vendor `kiro`): VS Code's chat and every extension using
// `vscode.lm` reach the Kiro models through it. Requests run in this process through the
// engine's exchange — the pool's failover, cooldowns, stickiness, request log and stats — with
// no HTTP in between, so they work whether or not the proxy listens.
import * as vscode from 'vscode';
import { ProxyError, asProxyError } from '../../proxy/errors';
import { estimateConversationTokens, type Exchange } from '../../proxy/exchange';
import type { ReplyEvent, ThinkingConfig } from '../../proxy/model';
import { unfinishedReply } from '../../proxy/protocols/reply';
import { estimateTokens } from '../../proxy/tokens';
import type { KiroChatModel } from './catalog';
import { conversationOf } from './messages';
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
      capabilities: { imageInput: true, toolCalling: true },
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
    if (typeof input === 'string') return estimateTokens(input);
    // The HTTP protocols' count (`count_tokens`, `countTokens`) over this one message.
    return estimateConversationTokens(conversationOf([input], { toolMode: 1 }, { model: model.id }));
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Reports the reply's parts as they arrive: text, thinking (where VS Code has a part for it), whole tool calls. */
async function reportReply(events: AsyncIterable<ReplyEvent>, progress: vscode.Progress<LanguageModelResponsePart>, api: LanguageModelProviderApi): Promise<void> {
  const toolNames = new Map<string, string>();
  let thinkingRun = 0;
  let thinking = false;
  for await (const event of events) {
    if (event.type !== 'thinking') thinking = false;
    switch (event.type) {
      case 'thinking':
        if (!thinking) thinkingRun++;
        thinking = true;
        if (api.LanguageModelThinkingPart) progress.report(new api.LanguageModelThinkingPart(event.text, `kiro-thinking-${thinkingRun}`));
        break;
      case 'text':
        progress.report(new api.LanguageModelTextPart(event.text));
        break;
      case 'tool_start':
        toolNames.set(event.id, event.name);
        break;
      case 'tool_end':
        progress.report(new api.LanguageModelToolCallPart(event.id, toolNames.get(event.id) ?? '', event.input));
        break;
      case 'end':
        return;
    }
  }
  throw unfinishedReply();
}

/** The engine's plain reason (no account, all cooling with the time left, too long, quota) as VS Code's error. */
export function languageModelError(api: LanguageModelProviderApi, error: ProxyError): Error {
  const { LanguageModelError } = api;
  switch (error.kind) {
    case 'rate_limit':
    case 'overloaded':
      return LanguageModelError.Blocked(error.message);
    case 'authentication':
    case 'permission':
      return LanguageModelError.NoPermissions(error.message);
    case 'not_found':
      return LanguageModelError.NotFound(error.message);
    default:
      return new LanguageModelError(error.message);
  }
}
