// The OpenAI Chat Completions adapter: parsing (parse.ts), rendering (render.ts, stream.ts) and
// the endpoint handler (handlers.ts); errors share OpenAI's shape with Responses (../openai-errors.ts).
export type { ChatRequest, CompletionHead } from './types';
export { parseChatRequest } from './parse';
export { newCompletionHead, renderCompletion } from './render';
export { renderCompletionStream } from './stream';
export { openaiErrorBody as errorBody } from '../openai-errors';
export { handleChatCompletions } from './handlers';
