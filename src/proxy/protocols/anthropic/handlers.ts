// The Anthropic endpoints: `POST /v1/messages` (stream and not) and `/v1/messages/count_tokens`.
import { collectReply, sendJson } from '../reply';
import { formatSseEvent, SseWriter } from '../sse';
import type { ProtocolContext } from '../types';
import { parseAnthropicRequest } from './parse';
import { newMessageId, renderMessage } from './render';
import { renderMessageStream } from './stream';
import type { MessageHead } from './types';

export async function handleMessages(ctx: ProtocolContext): Promise<void> {
  const request = parseAnthropicRequest(ctx.body, ctx.req.headers);
  const { events, estimatedInputTokens } = await ctx.exchange.start({
    conversation: request,
    endpoint: '/v1/messages',
    stream: request.stream,
    signal: ctx.signal,
  });
  const head: MessageHead = { id: newMessageId(), model: request.model, inputTokens: estimatedInputTokens };
  if (!request.stream) {
    await collectReply(events, (reply) => sendJson(ctx.res, 200, renderMessage(reply, head, request.omitThinking)));
    return;
  }
  const writer = new SseWriter(ctx.res);
  writer.open({ intervalMs: ctx.config.pingIntervalMs, frame: formatSseEvent('{"type":"ping"}', 'ping') });
  try {
    await renderMessageStream(events, writer, head, request.omitThinking);
  } finally {
    writer.end();
  }
}

export async function handleCountTokens(ctx: ProtocolContext): Promise<void> {
  const request = parseAnthropicRequest(ctx.body, ctx.req.headers);
  sendJson(ctx.res, 200, { input_tokens: ctx.exchange.countTokens(request) });
}
