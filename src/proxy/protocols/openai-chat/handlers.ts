// The Chat Completions endpoint: `POST /v1/chat/completions`, stream and not.
import { collectReply, sendJson } from '../reply';
import { SseWriter } from '../sse';
import type { ProtocolContext } from '../types';
import { parseChatRequest } from './parse';
import { newCompletionHead, renderCompletion } from './render';
import { renderCompletionStream } from './stream';

export async function handleChatCompletions(ctx: ProtocolContext): Promise<void> {
  const request = parseChatRequest(ctx.body);
  const { events } = await ctx.exchange.start({
    conversation: request,
    endpoint: '/v1/chat/completions',
    stream: request.stream,
    signal: ctx.signal,
  });
  const head = newCompletionHead(request.model);
  if (!request.stream) {
    await collectReply(events, (reply) => sendJson(ctx.res, 200, renderCompletion(reply, head)));
    return;
  }
  const writer = new SseWriter(ctx.res);
  // SSE comments keep idle-timeout proxies and clients patient; OpenAI parsers skip them.
  writer.open({ intervalMs: ctx.config.pingIntervalMs, frame: ': keep-alive\n\n' });
  try {
    await renderCompletionStream(events, writer, head, request.includeUsage);
  } finally {
    writer.end();
  }
}
