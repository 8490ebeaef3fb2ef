// `chat.completion.chunk` streams from reply events.
import { asProxyError } from '../../errors';
import type { ReplyEvent } from '../../model';
import { searchSourcesText } from '../../web-search';
import { openaiErrorBody } from '../openai-errors';
import { reportedStopReason, unfinishedReply } from '../reply';
import type { SseSink } from '../sse';
import { FINISH_REASONS, usageOf } from './render';
import type { CompletionHead } from './types';

/**
 * Renders reply events as `chat.completion.chunk`s. A failure after the first chunk becomes
 * an `{error}` chunk, which the OpenAI SDKs raise as an APIError; `[DONE]` then stays away,
 * so clients that ignore the error still see an unfinished stream.
 */
export async function renderCompletionStream(
  events: AsyncIterable<ReplyEvent>,
  sink: SseSink,
  head: CompletionHead,
  includeUsage: boolean,
): Promise<void> {
  const chunkJson = (choices: object[], usage?: object) =>
    JSON.stringify({
      id: head.id,
      object: 'chat.completion.chunk',
      created: head.created,
      model: head.model,
      choices,
      // With include_usage every chunk carries `usage`, null until the last one.
      ...(includeUsage && { usage: usage ?? null }),
    });
  const chunk = (choices: object[], usage?: object) => sink.send(chunkJson(choices, usage));
  const choiceOf = (delta: object, finishReason: string | null = null) => [{ index: 0, delta, logprobs: null, finish_reason: finishReason }];
  const choice = (delta: object, finishReason: string | null = null) => chunk(choiceOf(delta, finishReason));
  // Text and reasoning deltas still waiting for the socket join into one chunk.
  const textChoice = (field: 'content' | 'reasoning_content', text: string) =>
    sink.sendDelta(field, text, (joined) => chunkJson(choiceOf({ [field]: joined })));
  const toolIndexes = new Map<string, { index: number; argumentsSent: boolean }>();
  const toolDelta = (index: number, fields: object) => choice({ tool_calls: [{ index, ...fields }] });

  try {
    await choice({ role: 'assistant', content: '' });
    for await (const event of events) {
      switch (event.type) {
        case 'thinking':
          await textChoice('reasoning_content', event.text);
          break;
        case 'thinking_signature':
          break; // chat completions have no place for it
        case 'text':
          await textChoice('content', event.text);
          break;
        case 'web_search':
          await choice({ content: searchSourcesText(event) });
          break;
        case 'tool_start': {
          const index = toolIndexes.size;
          toolIndexes.set(event.id, { index, argumentsSent: false });
          await toolDelta(index, { id: event.id, type: 'function', function: { name: event.name, arguments: '' } });
          break;
        }
        case 'tool_input': {
          const tool = toolIndexes.get(event.id);
          if (!tool) break;
          tool.argumentsSent = true;
          await toolDelta(tool.index, { function: { arguments: event.partialJson } });
          break;
        }
        case 'tool_end': {
          // Kiro may deliver the whole input at once; the client still needs it as a fragment.
          const tool = toolIndexes.get(event.id);
          if (tool && !tool.argumentsSent) await toolDelta(tool.index, { function: { arguments: JSON.stringify(event.input) } });
          break;
        }
        case 'end':
          await choice({}, FINISH_REASONS[reportedStopReason(event)]);
          if (includeUsage) await chunk([], usageOf(event.usage));
          await sink.send('[DONE]');
          return;
      }
    }
    throw unfinishedReply();
  } catch (err) {
    await sink.send(JSON.stringify(openaiErrorBody(asProxyError(err))));
  }
}
