// The Responses endpoints: `POST /v1/responses` (stream and not), `GET` and `DELETE /v1/responses/:id`.
import { ProxyError } from '../../errors';
import type { Block, Message, Reply } from '../../model';
import { searchResultsText } from '../../web-search';
import { collectReply, sendJson } from '../reply';
import { SseWriter } from '../sse';
import type { ProtocolContext } from '../types';
import { parseResponsesRequest } from './parse';
import { newResponseId, renderResponse } from './render';
import { ResponseStore } from './store';
import { renderResponseStream } from './stream';
import type { ResponseHead, ResponsesRequest } from './types';

export interface ResponsesEndpoints {
  create(ctx: ProtocolContext): Promise<void>;
  retrieve(ctx: ProtocolContext): void;
  remove(ctx: ProtocolContext): void;
  store: ResponseStore;
}

/** The handlers share one store, which lives as long as the server. */
export function responsesEndpoints(store = new ResponseStore()): ResponsesEndpoints {
  const remember = (request: ResponsesRequest, requestBytes: number, head: ResponseHead, reply: Reply, body: unknown) => {
    if (!request.store) return;
    // A search of ours goes back to the model as the results it read.
    const content = reply.content.map((block): Block => (block.type === 'web_search' ? { type: 'text', text: searchResultsText(block.query, block.outcome) } : block));
    const assistant: Message = { role: 'assistant', content };
    store.put({
      id: head.id,
      rootId: request.rootId ?? head.id,
      sessionId: request.sessionId ?? head.id,
      messages: reply.content.length ? [...request.messages, assistant] : request.messages,
      body,
      // The earlier turns of a chain are the previous entry's objects; the new input is the request's body.
      bytes: requestBytes + Buffer.byteLength(JSON.stringify(content)),
    });
  };

  return {
    store,
    async create(ctx) {
      const request = parseResponsesRequest(ctx.body, store);
      const { events } = await ctx.exchange.start({
        conversation: request,
        endpoint: '/v1/responses',
        stream: request.stream,
        signal: ctx.signal,
      });
      const head: ResponseHead = {
        id: newResponseId(),
        model: request.model,
        createdAt: Math.floor(Date.now() / 1000),
        previousResponseId: request.previousResponseId,
        store: request.store,
        echo: request.echo,
        clientTools: request.clientTools,
      };
      if (!request.stream) {
        await collectReply(events, (reply) => {
          const body = renderResponse(reply, head);
          // Stored before it is sent: a failure here must still be able to answer with an error.
          remember(request, ctx.bodyBytes, head, reply, body);
          sendJson(ctx.res, 200, body);
        });
        return;
      }
      const writer = new SseWriter(ctx.res);
      writer.open({ intervalMs: ctx.config.pingIntervalMs, frame: ': keep-alive\n\n' });
      try {
        const result = await renderResponseStream(events, writer, head);
        if (result.reply) remember(request, ctx.bodyBytes, head, result.reply, result.body);
      } finally {
        writer.end();
      }
    },
    retrieve(ctx) {
      const found = store.get(ctx.params.id ?? '');
      if (!found) throw new ProxyError('not_found', `Response with id '${ctx.params.id ?? ''}' not found.`);
      sendJson(ctx.res, 200, found.body);
    },
    remove(ctx) {
      const id = ctx.params.id ?? '';
      if (!store.delete(id)) throw new ProxyError('not_found', `Response with id '${id}' not found.`);
      sendJson(ctx.res, 200, { id, object: 'response', deleted: true });
    },
  };
}
