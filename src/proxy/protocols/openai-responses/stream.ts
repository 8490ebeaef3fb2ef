// The Responses event stream (`response.created` … `response.completed`) from reply events.
import { asProxyError } from '../../errors';
import type { Reply, ReplyEvent, ToolUseBlock } from '../../model';
import { unfinishedReply } from '../reply';
import type { SseSink } from '../sse';
import { failureCode, itemId, messageItem, outcomeOf, outputText, reasoningItem, responseObject, toolItem, webSearchItem, type OutputItem } from './render';
import type { ResponseHead } from './types';

export interface StreamResult {
  /** The finished reply, to store for `previous_response_id`; undefined when the stream failed. */
  reply?: Reply;
  body?: Record<string, unknown>;
}

/**
 * Renders reply events as Responses stream events, each with `type` and `sequence_number`.
 * A failure after the start becomes `response.failed` carrying the error. Numbers are given
 * when an event takes its place in the stream, so that text deltas waiting together can leave
 * as one (SseSink.sendDelta) and the numbers still run without a gap.
 */
export async function renderResponseStream(events: AsyncIterable<ReplyEvent>, sink: SseSink, head: ResponseHead): Promise<StreamResult> {
  let sequence = 0;
  const emit = (type: string, payload: object) => sink.send(() => JSON.stringify({ type, sequence_number: sequence++, ...payload }), type);
  const delta = (type: string, key: string, text: string, place: object, after?: object) =>
    sink.sendDelta(key, text, (joined) => JSON.stringify({ type, sequence_number: sequence++, ...place, delta: joined, ...after }), type);
  const output: OutputItem[] = [];
  const content: Reply['content'] = [];
  let open:
    | { kind: 'text' | 'thinking'; index: number; id: string; text: string }
    | { kind: 'tool'; index: number; id: string; callId: string; name: string; args: string; streamed: boolean }
    | undefined;

  const close = async () => {
    const current = open;
    if (!current) return;
    open = undefined;
    if (current.kind === 'text') {
      const base = { item_id: current.id, output_index: current.index, content_index: 0 };
      await emit('response.output_text.done', { ...base, text: current.text, logprobs: [] });
      await emit('response.content_part.done', { ...base, part: outputText(current.text) });
      output[current.index] = messageItem(current.id, current.text, 'completed');
      content.push({ type: 'text', text: current.text });
    } else if (current.kind === 'thinking') {
      const base = { item_id: current.id, output_index: current.index, summary_index: 0 };
      await emit('response.reasoning_summary_text.done', { ...base, text: current.text });
      await emit('response.reasoning_summary_part.done', { ...base, part: { type: 'summary_text', text: current.text } });
      output[current.index] = reasoningItem(current.id, current.text);
      content.push({ type: 'thinking', text: current.text });
    } else {
      return; // tool calls are closed by tool_end
    }
    await emit('response.output_item.done', { output_index: current.index, item: output[current.index] });
  };

  try {
    await emit('response.created', { response: responseObject(head, 'in_progress', []) });
    await emit('response.in_progress', { response: responseObject(head, 'in_progress', []) });
    for await (const event of events) {
      switch (event.type) {
        case 'thinking': {
          if (open?.kind !== 'thinking') {
            await close();
            open = { kind: 'thinking', index: output.length, id: itemId('rs'), text: '' };
            output.push(reasoningItem(open.id, ''));
            await emit('response.output_item.added', { output_index: open.index, item: reasoningItem(open.id, '') });
            await emit('response.reasoning_summary_part.added', {
              item_id: open.id,
              output_index: open.index,
              summary_index: 0,
              part: { type: 'summary_text', text: '' },
            });
          }
          open.text += event.text;
          await delta('response.reasoning_summary_text.delta', open.id, event.text, { item_id: open.id, output_index: open.index, summary_index: 0 });
          break;
        }
        case 'thinking_signature':
          break; // the Responses API has no place for Anthropic signatures
        case 'web_search': {
          await close();
          const index = output.length;
          const id = itemId('ws');
          const item = webSearchItem(id, event);
          output.push(item);
          content.push(event);
          await emit('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress' } });
          await emit('response.web_search_call.in_progress', { output_index: index, item_id: id });
          await emit('response.web_search_call.searching', { output_index: index, item_id: id });
          // OpenAI has no failed counterpart of this event: the item's status says it.
          if (item.status === 'completed') await emit('response.web_search_call.completed', { output_index: index, item_id: id });
          await emit('response.output_item.done', { output_index: index, item });
          break;
        }
        case 'text': {
          if (open?.kind !== 'text') {
            await close();
            open = { kind: 'text', index: output.length, id: itemId('msg'), text: '' };
            output.push(messageItem(open.id, '', 'in_progress'));
            await emit('response.output_item.added', { output_index: open.index, item: messageItem(open.id, '', 'in_progress') });
            await emit('response.content_part.added', { item_id: open.id, output_index: open.index, content_index: 0, part: outputText('') });
          }
          open.text += event.text;
          await delta('response.output_text.delta', open.id, event.text, { item_id: open.id, output_index: open.index, content_index: 0 }, { logprobs: [] });
          break;
        }
        case 'tool_start': {
          await close();
          const tool = head.clientTools.get(event.name);
          const streamed = !tool || tool.kind === 'function';
          open = { kind: 'tool', index: output.length, id: itemId('fc'), callId: event.id, name: event.name, args: '', streamed };
          if (streamed) {
            const item = {
              type: 'function_call',
              id: open.id,
              call_id: event.id,
              name: tool?.name ?? event.name,
              arguments: '',
              status: 'in_progress',
              ...(tool?.namespace ? { namespace: tool.namespace } : {}),
            };
            output.push(item);
            await emit('response.output_item.added', { output_index: open.index, item });
          }
          break;
        }
        case 'tool_input':
          if (open?.kind !== 'tool' || open.callId !== event.id || !open.streamed) break;
          open.args += event.partialJson;
          await emit('response.function_call_arguments.delta', { item_id: open.id, output_index: open.index, delta: event.partialJson });
          break;
        case 'tool_end': {
          if (open?.kind !== 'tool' || open.callId !== event.id) break;
          const current = open;
          open = undefined;
          const block: ToolUseBlock = { type: 'tool_use', id: current.callId, name: current.name, input: event.input };
          content.push(block);
          const item = toolItem(block, head.clientTools, current.streamed ? current.id : undefined);
          if (current.streamed) {
            const args = item.arguments as string;
            // Kiro may deliver the whole input at once; the client still needs it as a delta.
            if (!current.args) await emit('response.function_call_arguments.delta', { item_id: current.id, output_index: current.index, delta: args });
            await emit('response.function_call_arguments.done', { item_id: current.id, output_index: current.index, name: item.name, arguments: args });
          } else {
            output.push(item);
            await emit('response.output_item.added', { output_index: current.index, item: { ...item, ...(item.type === 'custom_tool_call' ? { input: '' } : {}), status: 'in_progress' } });
            if (item.type === 'custom_tool_call') {
              await emit('response.custom_tool_call_input.delta', { item_id: item.id, output_index: current.index, delta: item.input });
              await emit('response.custom_tool_call_input.done', { item_id: item.id, output_index: current.index, input: item.input });
            }
          }
          output[current.index] = item;
          await emit('response.output_item.done', { output_index: current.index, item });
          break;
        }
        case 'end': {
          await close();
          const outcome = outcomeOf(event);
          const body = responseObject(head, outcome.status, output, { usage: event.usage, ...outcome });
          const type = outcome.status === 'completed' ? 'response.completed' : outcome.status === 'failed' ? 'response.failed' : 'response.incomplete';
          await emit(type, { response: body });
          const reply: Reply = { content, stopReason: event.stopReason, usage: event.usage, truncated: event.truncated ?? false };
          return { reply, body };
        }
      }
    }
    throw unfinishedReply();
  } catch (err) {
    const error = asProxyError(err);
    await emit('response.failed', {
      response: responseObject(head, 'failed', output.filter((item) => item), { error: { code: failureCode(error), message: error.message } }),
    });
    return {};
  }
}
