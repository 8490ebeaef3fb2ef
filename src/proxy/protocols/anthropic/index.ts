// The Anthropic Messages API adapter: parsing (parse.ts), rendering (render.ts, stream.ts),
// errors (errors.ts) and the endpoint handlers (handlers.ts).
export type { AnthropicRequest, MessageHead } from './types';
export { parseAnthropicRequest } from './parse';
export { newMessageId, renderMessage } from './render';
export { renderMessageStream } from './stream';
export { errorBody } from './errors';
export { handleCountTokens, handleMessages } from './handlers';
