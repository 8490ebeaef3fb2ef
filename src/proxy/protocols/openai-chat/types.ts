// The Chat Completions adapter's own request and reply-head types, shared by its parser, renderers and handler.
import type { Conversation } from '../../model';

export interface ChatRequest extends Conversation {
  stream: boolean;
  /** `stream_options.include_usage`: end the stream with a usage-only chunk. */
  includeUsage: boolean;
}

export interface CompletionHead {
  id: string;
  /** The model name the client asked for. */
  model: string;
  /** Unix seconds. */
  created: number;
}
