// GenerateContentResponse chunks from reply events, for SSE (`?alt=sse`) or one JSON array.
import { asProxyError } from '../../errors';
import type { ReplyEvent, WebSearchBlock } from '../../model';
import { reportedStopReason, unfinishedReply } from '../reply';
import { errorBody } from './errors';
import { callPart, chunkOf, FINISH_REASONS } from './render';
import type { GeminiHead } from './types';

/** Where stream chunks go: SSE events, or elements of one JSON array. */
export interface ChunkSink {
  chunk(value: unknown): Promise<void>;
  /**
   * A text or thought chunk, `render(text)`; an SSE sink joins those of one key still waiting
   * for the socket into one chunk (see SseSink.sendDelta). Without it, each goes to `chunk`.
   */
  textChunk?(key: 'text' | 'thought', text: string, render: (text: string) => unknown): Promise<void>;
}

/**
 * Renders reply events as GenerateContentResponse chunks: text and thoughts as they come,
 * each function call whole (Gemini never splits one), finishReason and usage on the last.
 * A failure after the start becomes an `{error}` chunk, which the Google SDKs raise.
 */
export async function renderGenerateContentStream(events: AsyncIterable<ReplyEvent>, sink: ChunkSink, head: GeminiHead): Promise<void> {
  const names = new Map<string, string>();
  // Gemini tells its searches once, in the last chunk's groundingMetadata.
  const searches: WebSearchBlock[] = [];
  const textChunk = (key: 'text' | 'thought', text: string, render: (text: string) => unknown) =>
    sink.textChunk ? sink.textChunk(key, text, render) : sink.chunk(render(text));
  try {
    for await (const event of events) {
      switch (event.type) {
        case 'web_search':
          searches.push(event);
          break;
        case 'thinking':
          await textChunk('thought', event.text, (text) => chunkOf(head, [{ text, thought: true }]));
          break;
        case 'text':
          await textChunk('text', event.text, (text) => chunkOf(head, [{ text }]));
          break;
        case 'tool_end':
          await sink.chunk(chunkOf(head, [callPart(event.id, names.get(event.id) ?? 'unknown', event.input)]));
          break;
        case 'tool_start':
          names.set(event.id, event.name);
          break;
        case 'thinking_signature':
        case 'tool_input':
          break;
        case 'end':
          await sink.chunk(chunkOf(head, [], { reason: FINISH_REASONS[reportedStopReason(event)], usage: event.usage }, searches));
          return;
      }
    }
    throw unfinishedReply();
  } catch (err) {
    await sink.chunk(errorBody(asProxyError(err)));
  }
}
