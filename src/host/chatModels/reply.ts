// A Kiro reply as VS Code's response parts, and the engine's errors as VS Code's. Takes the
// running VS Code's classes (./vscodeLm.d.ts) instead of importing them, so it runs in unit tests.
import type { Progress } from 'vscode';
import type { ProxyError } from '../../proxy/errors';
import type { ReplyEvent } from '../../proxy/model';
import { unfinishedReply } from '../../proxy/protocols/reply';
import type { LanguageModelProviderApi, LanguageModelResponsePart } from './vscodeLm';

/** Reports the reply's parts as they arrive: text, thinking (where VS Code has a part for it), whole tool calls. */
export async function reportReply(
  events: AsyncIterable<ReplyEvent>,
  progress: Progress<LanguageModelResponsePart>,
  api: Pick<LanguageModelProviderApi, 'LanguageModelTextPart' | 'LanguageModelToolCallPart' | 'LanguageModelThinkingPart'>,
): Promise<void> {
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
export function languageModelError(api: Pick<LanguageModelProviderApi, 'LanguageModelError'>, error: ProxyError): Error {
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
