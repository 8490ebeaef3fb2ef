// The route table: every endpoint but `/health` (answered before routing, with or without the key).
// Exported on its own so the security tests can walk it and no new route goes unguarded unseen.
import * as anthropic from '../protocols/anthropic';
import * as openaiChat from '../protocols/openai-chat';
import * as openaiResponses from '../protocols/openai-responses';
import * as gemini from '../protocols/gemini';
import { sendJson } from '../protocols/reply';
import { adminRoutes, geminiModels, modelsBody } from './admin';
import type { Route, ServerDeps } from './types';

export function routeTable(deps: ServerDeps): Route[] {
  const responses = openaiResponses.responsesEndpoints();
  return [
    { method: 'POST', pattern: /^\/v1\/messages$/, protocol: 'anthropic', json: true, guarded: true, handle: anthropic.handleMessages },
    { method: 'POST', pattern: /^\/v1\/messages\/count_tokens$/, protocol: 'anthropic', json: true, guarded: true, handle: anthropic.handleCountTokens },
    { method: 'POST', pattern: /^\/v1\/chat\/completions$/, protocol: 'openai', json: true, guarded: true, handle: openaiChat.handleChatCompletions },
    { method: 'GET', pattern: /^\/v1\/models$/, protocol: 'openai', guarded: true, handle: (ctx) => sendJson(ctx.res, 200, modelsBody(deps)) },
    { method: 'POST', pattern: /^\/v1\/responses$/, protocol: 'openai', json: true, guarded: true, handle: responses.create },
    { method: 'GET', pattern: /^\/v1\/responses\/(?<id>[^/]+)$/, protocol: 'openai', guarded: true, handle: responses.retrieve },
    { method: 'DELETE', pattern: /^\/v1\/responses\/(?<id>[^/]+)$/, protocol: 'openai', guarded: true, handle: responses.remove },
    { method: 'POST', pattern: /^\/v1(?:beta|alpha)?\/models\/(?<model>[^/:]+):generateContent$/, protocol: 'gemini', json: true, guarded: true, handle: gemini.handleGenerateContent },
    { method: 'POST', pattern: /^\/v1(?:beta|alpha)?\/models\/(?<model>[^/:]+):streamGenerateContent$/, protocol: 'gemini', json: true, guarded: true, handle: gemini.handleStreamGenerateContent },
    { method: 'POST', pattern: /^\/v1(?:beta|alpha)?\/models\/(?<model>[^/:]+):countTokens$/, protocol: 'gemini', json: true, guarded: true, handle: gemini.handleCountTokens },
    { method: 'GET', pattern: /^\/v1(?:beta|alpha)\/models$/, protocol: 'gemini', guarded: true, handle: (ctx) => sendJson(ctx.res, 200, gemini.modelsListBody(geminiModels(deps))) },
    { method: 'GET', pattern: /^\/v1(?:beta|alpha)\/models\/(?<model>[^/:]+)$/, protocol: 'gemini', guarded: true, handle: (ctx) => sendJson(ctx.res, 200, gemini.modelInfoBody(geminiModels(deps), ctx.params.model)) },
    { method: 'GET', pattern: /^\/v1\/models\/(?<model>[^/:]+)$/, protocol: 'openai', guarded: true, handle: (ctx) => sendJson(ctx.res, 200, gemini.hybridModelBody(geminiModels(deps), ctx.params.model)) },
    // Claude Code probes this before it starts; answer like the real API does.
    { method: 'GET', pattern: /^\/api\/hello$/, protocol: 'plain', guarded: false, handle: (ctx) => sendJson(ctx.res, 200, {}) },
    { method: 'HEAD', pattern: /^\/api\/hello$/, protocol: 'plain', guarded: false, handle: (ctx) => sendJson(ctx.res, 200, {}) },
    // Claude Code posts telemetry here; accept and drop it.
    { method: 'POST', pattern: /^\/api\/event_logging\/batch$/, protocol: 'plain', guarded: false, handle: (ctx) => sendJson(ctx.res, 200, {}) },
    ...adminRoutes(deps),
  ];
}
