// Anthropic's stream events (`message_start` … `message_stop`) from reply events.
import { asProxyError } from '../../errors';
import type { ReplyEvent } from '../../model';
import { reportedStopReason, unfinishedReply } from '../reply';
import type { SseSink } from '../sse';
import { sealThinking } from '../thinking-seal';
import { errorBody } from './errors';
import { deltaUsage, messageShell, STOP_REASONS } from './render';
import type { MessageHead } from './types';
import { serverToolUsage, serverToolUseBlock, webSearchResultBlock } from './web-search';

const TEXT_BLOCK = JSON.stringify({ type: 'text', text: '' });
const THINKING_BLOCK = JSON.stringify({ type: 'thinking', thinking: '', signature: '' });

/**
 * Renders reply events as Anthropic stream events. Each thinking run, text run and tool
 * call becomes one content block; a failure after the start becomes an `error` event.
 * With `omitThinking` a thinking block has no deltas, only the signature that seals its text.
 */
export async function renderMessageStream(
  events: AsyncIterable<ReplyEvent>,
  sink: SseSink,
  head: MessageHead,
  omitThinking = false,
): Promise<void> {
  const emit = (type: string, payload: object) => sink.send(JSON.stringify({ type, ...payload }), type);
  let index = -1;
  let open: { kind: 'text' | 'thinking' | 'tool'; id?: string; jsonSent?: boolean } | undefined;
  let omitted = '';

  /** `contentBlock`: the block's JSON. */
  const startBlock = async (kind: 'text' | 'thinking' | 'tool', contentBlock: string, id?: string) => {
    await stopBlock();
    index++;
    open = { kind, id };
    await sink.send(`{"type":"content_block_start","index":${index},"content_block":${contentBlock}}`, 'content_block_start');
  };
  const stopBlock = async () => {
    if (!open) return;
    open = undefined;
    await sink.send(`{"type":"content_block_stop","index":${index}}`, 'content_block_stop');
  };
  const delta = (payload: object) => emit('content_block_delta', { index, delta: payload });
  // The hot events, built as text: the same bytes JSON.stringify gives the object form (so are the
  // block starts and stops above: every short reply has them). Deltas still waiting for the
  // socket join into one (the key: same block, same kind).
  const textDelta = (type: 'text_delta' | 'thinking_delta', key: 'text' | 'thinking', text: string) => {
    const at = index;
    return sink.sendDelta(`${at}:${type}`, text, (joined) => `{"type":"content_block_delta","index":${at},"delta":{"type":"${type}","${key}":${JSON.stringify(joined)}}}`, 'content_block_delta');
  };

  try {
    await sink.send(JSON.stringify({ type: 'message_start', message: messageShell(head) }), 'message_start');
    for await (const event of events) {
      switch (event.type) {
        case 'thinking':
          if (open?.kind !== 'thinking') await startBlock('thinking', THINKING_BLOCK);
          if (omitThinking) omitted += event.text;
          else await textDelta('thinking_delta', 'thinking', event.text);
          break;
        case 'thinking_signature':
          // The signature closes its thinking block.
          if (open?.kind !== 'thinking') break;
          await delta({ type: 'signature_delta', signature: omitThinking ? sealThinking(omitted) : event.signature });
          omitted = '';
          await stopBlock();
          break;
        case 'text':
          if (open?.kind !== 'text') await startBlock('text', TEXT_BLOCK);
          await textDelta('text_delta', 'text', event.text);
          break;
        case 'tool_start':
          await startBlock('tool', JSON.stringify({ type: 'tool_use', id: event.id, name: event.name, input: {} }), event.id);
          break;
        case 'tool_input':
          if (open?.id !== event.id) break;
          open.jsonSent = true;
          await delta({ type: 'input_json_delta', partial_json: event.partialJson });
          break;
        case 'tool_end':
          if (open?.id !== event.id) break;
          // Kiro may deliver the whole input at once; the client still needs it as a delta.
          if (!open.jsonSent) await delta({ type: 'input_json_delta', partial_json: JSON.stringify(event.input) });
          await stopBlock();
          break;
        case 'web_search':
          // As Anthropic streams it: the call with its input as a delta, then the whole result block.
          await startBlock('tool', JSON.stringify(serverToolUseBlock(event, {})), event.id);
          await delta({ type: 'input_json_delta', partial_json: JSON.stringify({ query: event.query }) });
          await startBlock('tool', JSON.stringify(webSearchResultBlock(event)));
          await stopBlock();
          break;
        case 'end':
          await stopBlock();
          await emit('message_delta', {
            delta: { stop_reason: STOP_REASONS[reportedStopReason(event)], stop_sequence: event.stopSequence ?? null },
            usage: { ...deltaUsage(event.usage), ...serverToolUsage(event.usage.webSearchRequests) },
          });
          await sink.send('{"type":"message_stop"}', 'message_stop');
          return;
      }
    }
    throw unfinishedReply();
  } catch (err) {
    await emit('error', errorBody(asProxyError(err)) as object);
  }
}
