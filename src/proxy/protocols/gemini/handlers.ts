// The Gemini endpoints: `:generateContent`, `:streamGenerateContent` (SSE or a JSON array) and `:countTokens`.
import { collectReply, sendJson } from '../reply';
import { SseWriter } from '../sse';
import type { ProtocolContext } from '../types';
import { modelFromPath, parseGeminiRequest } from './parse';
import { newGeminiHead, renderGenerateContent } from './render';
import { renderGenerateContentStream, type ChunkSink } from './stream';

/** Parses the request and starts the Kiro call; the reply head carries the prompt estimate. */
async function start(ctx: ProtocolContext, stream: boolean) {
  const request = parseGeminiRequest(ctx.body, modelFromPath(ctx.params.model));
  const { events, estimatedInputTokens } = await ctx.exchange.start({
    conversation: request,
    endpoint: stream ? '/v1beta/models:streamGenerateContent' : '/v1beta/models:generateContent',
    stream,
    signal: ctx.signal,
  });
  return { events, head: newGeminiHead(request.model, estimatedInputTokens) };
}

export async function handleGenerateContent(ctx: ProtocolContext): Promise<void> {
  const { events, head } = await start(ctx, false);
  await collectReply(events, (reply) => sendJson(ctx.res, 200, renderGenerateContent(reply, head)));
}

export async function handleStreamGenerateContent(ctx: ProtocolContext): Promise<void> {
  const { events, head } = await start(ctx, true);
  const writer = new SseWriter(ctx.res);
  if (ctx.query.get('alt') === 'sse') {
    writer.open({ intervalMs: ctx.config.pingIntervalMs, frame: ': keep-alive\n\n' });
    try {
      const sink: ChunkSink = {
        chunk: (value) => writer.send(JSON.stringify(value)),
        textChunk: (key, text, render) => writer.sendDelta(key, text, (joined) => JSON.stringify(render(joined))),
      };
      await renderGenerateContentStream(events, sink, head);
    } finally {
      writer.end();
    }
    return;
  }
  // Without alt=sse Gemini streams one JSON array, element by element.
  ctx.res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
  ctx.res.flushHeaders();
  let first = true;
  const sink: ChunkSink = {
    chunk: async (value) => {
      const text = (first ? '[' : ',\r\n') + JSON.stringify(value);
      first = false;
      if (!ctx.res.writableEnded && !ctx.res.destroyed && !ctx.res.write(text)) {
        await new Promise<void>((resolve) => {
          ctx.res.once('drain', resolve);
          ctx.res.once('close', resolve);
        });
      }
    },
  };
  try {
    await renderGenerateContentStream(events, sink, head);
  } finally {
    if (!ctx.res.writableEnded && !ctx.res.destroyed) ctx.res.end(first ? '[]' : ']');
  }
}

export async function handleCountTokens(ctx: ProtocolContext): Promise<void> {
  const request = parseGeminiRequest(ctx.body, modelFromPath(ctx.params.model));
  sendJson(ctx.res, 200, { totalTokens: ctx.exchange.countTokens(request) });
}
