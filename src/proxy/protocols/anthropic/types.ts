// The Anthropic adapter's own request and reply-head types, shared by its parser, renderers and handlers.
import type { Conversation } from '../../model';

export interface AnthropicRequest extends Conversation {
  stream: boolean;
  /** `thinking.display: "omitted"`: thinking blocks come back empty, their text sealed in the signature. */
  omitThinking: boolean;
}

/** What the client needs before the first reply event: the id, its own model name, the prompt size. */
export interface MessageHead {
  id: string;
  model: string;
  inputTokens: number;
}
