// The OpenAI Responses adapter: parsing (parse.ts, tools.ts), rendering (render.ts, stream.ts),
// the `previous_response_id` store (store.ts) and the endpoint handlers (handlers.ts); errors
// share OpenAI's shape with Chat Completions (../openai-errors.ts).
export type { ClientTool, ResponseHead, ResponsesRequest } from './types';
export { flatName } from './tools';
export { parseResponsesRequest } from './parse';
export { newResponseId, renderResponse, responseObject } from './render';
export { renderResponseStream, type StreamResult } from './stream';
export { ResponseStore } from './store';
export { responsesEndpoints, type ResponsesEndpoints } from './handlers';
