// The Gemini adapter's own request and reply-head types, shared by its parser, renderers and handlers.
import type { Conversation } from '../../model';

export interface GeminiRequest extends Conversation {}

export interface GeminiHead {
  model: string;
  responseId: string;
  inputTokens: number;
}
