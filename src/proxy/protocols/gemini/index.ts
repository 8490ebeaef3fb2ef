// The Gemini adapter: parsing (parse.ts, schema.ts), rendering (render.ts, stream.ts), errors
// (errors.ts), the endpoint handlers (handlers.ts) and the model listings (models.ts).
export type { GeminiHead, GeminiRequest } from './types';
export { modelFromPath, parseGeminiRequest } from './parse';
export { toJsonSchema } from './schema';
export { newGeminiHead, renderGenerateContent } from './render';
export { renderGenerateContentStream, type ChunkSink } from './stream';
export { errorBody } from './errors';
export { handleCountTokens, handleGenerateContent, handleStreamGenerateContent } from './handlers';
export { hybridModelBody, modelBody, modelInfoBody, modelsListBody, type GeminiModel } from './models';
