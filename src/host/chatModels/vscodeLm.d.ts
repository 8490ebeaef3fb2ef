// The part of VS Code's language model provider API (finalized in VS Code 1.104) that Kiro Proxy
// uses, copied from vscode.d.ts (@types/vscode 1.146, `namespace lm` and the classes around it;
// `LanguageModelThinkingPart` from the `languageModelThinkingPart` proposal, whose class VS Code
// 1.139 exports and whose parts it passes through). The extension's floor stays VS Code 1.93 and
// its `@types/vscode` too: nothing here claims these exist. `lmProviderApi` (./api.ts) checks the
// running VS Code and hands these types out only when it has them.
import type { CancellationToken, Disposable, Event, Progress, ProviderResult } from 'vscode';

export interface LanguageModelChatCapabilities {
  readonly imageInput?: boolean;
  readonly toolCalling?: boolean | number;
}

export interface LanguageModelChatInformation {
  readonly id: string;
  readonly name: string;
  readonly family: string;
  readonly tooltip?: string;
  readonly detail?: string;
  readonly version: string;
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
  readonly capabilities: LanguageModelChatCapabilities;
}

/** `LanguageModelChatMessageRole`: 3 (System) comes from VS Code's own chat. */
export type LanguageModelChatMessageRole = 1 | 2 | 3;

export interface LanguageModelChatRequestMessage {
  readonly role: LanguageModelChatMessageRole;
  readonly content: ReadonlyArray<unknown>;
  readonly name: string | undefined;
}

export interface LanguageModelChatTool {
  name: string;
  description: string;
  inputSchema?: object | undefined;
}

/** `LanguageModelChatToolMode`: 1 Auto, 2 Required. */
export type LanguageModelChatToolMode = 1 | 2;

export interface ProvideLanguageModelChatResponseOptions {
  readonly modelOptions?: { readonly [name: string]: unknown };
  readonly tools?: readonly LanguageModelChatTool[];
  readonly toolMode: LanguageModelChatToolMode;
}

export interface PrepareLanguageModelChatModelOptions {
  readonly silent: boolean;
}

export interface LanguageModelTextPart {
  value: string;
}

export interface LanguageModelToolCallPart {
  callId: string;
  name: string;
  input: object;
}

export interface LanguageModelDataPart {
  mimeType: string;
  data: Uint8Array;
}

export interface LanguageModelThinkingPart {
  value: string | string[];
  id?: string;
  metadata?: { readonly [key: string]: unknown };
}

export type LanguageModelResponsePart = LanguageModelTextPart | LanguageModelToolCallPart | LanguageModelDataPart | LanguageModelThinkingPart;

export interface LanguageModelChatProvider<T extends LanguageModelChatInformation = LanguageModelChatInformation> {
  readonly onDidChangeLanguageModelChatInformation?: Event<void>;
  provideLanguageModelChatInformation(options: PrepareLanguageModelChatModelOptions, token: CancellationToken): ProviderResult<T[]>;
  provideLanguageModelChatResponse(
    model: T,
    messages: readonly LanguageModelChatRequestMessage[],
    options: ProvideLanguageModelChatResponseOptions,
    progress: Progress<LanguageModelResponsePart>,
    token: CancellationToken,
  ): Thenable<void>;
  provideTokenCount(model: T, text: string | LanguageModelChatRequestMessage, token: CancellationToken): Thenable<number>;
}

/** The constructors and the registration function, as the running VS Code has them. */
export interface LanguageModelProviderApi {
  registerLanguageModelChatProvider(vendor: string, provider: LanguageModelChatProvider): Disposable;
  LanguageModelTextPart: new (value: string) => LanguageModelTextPart;
  LanguageModelToolCallPart: new (callId: string, name: string, input: object) => LanguageModelToolCallPart;
  /** Absent where VS Code has no thinking part: thinking is then not shown. */
  LanguageModelThinkingPart?: new (value: string | string[], id?: string, metadata?: { readonly [key: string]: unknown }) => LanguageModelThinkingPart;
  LanguageModelError: {
    new (message?: string): Error & { readonly code: string };
    NoPermissions(message?: string): Error & { readonly code: string };
    Blocked(message?: string): Error & { readonly code: string };
    NotFound(message?: string): Error & { readonly code: string };
  };
}
