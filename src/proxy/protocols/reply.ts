// The non-streaming form shared by every protocol: gather the reply events into one
// complete `Reply`, then send it as a single JSON body.
import type { ServerResponse } from 'node:http';
import { ProxyError } from '../errors';
import type { Reply, ReplyEvent, StopReason, ToolUseBlock, Usage } from '../model';

/**
 * Collects the events of one reply. A mid-stream failure propagates as the iterator's error.
 * `answer` gets the reply as soon as its `end` arrives, before the iteration is closed: the
 * exchange settles the log, the stats and the account's counters when it closes, and the client
 * need not wait for that.
 */
export async function collectReply(events: AsyncIterable<ReplyEvent>, answer?: (reply: Reply) => void): Promise<Reply> {
  const content: Reply['content'] = [];
  const openTools = new Map<string, ToolUseBlock>();
  const last = () => content[content.length - 1];

  for await (const event of events) {
    switch (event.type) {
      case 'thinking': {
        const block = last();
        // A signed thinking block is finished; more thinking after it is a new block.
        if (block?.type === 'thinking' && block.signature === undefined) block.text += event.text;
        else content.push({ type: 'thinking', text: event.text });
        break;
      }
      case 'thinking_signature': {
        const block = last();
        if (block?.type === 'thinking') block.signature = event.signature;
        break;
      }
      case 'text': {
        const block = last();
        if (block?.type === 'text') block.text += event.text;
        else content.push({ type: 'text', text: event.text });
        break;
      }
      case 'tool_start': {
        const block: ToolUseBlock = { type: 'tool_use', id: event.id, name: event.name, input: {} };
        content.push(block);
        openTools.set(event.id, block);
        break;
      }
      case 'tool_input':
        break; // tool_end carries the parsed input
      case 'tool_end': {
        const block = openTools.get(event.id);
        if (block) block.input = event.input;
        openTools.delete(event.id);
        break;
      }
      case 'web_search':
        content.push(event);
        break;
      case 'end': {
        const reply = replyOf(content, event);
        answer?.(reply);
        return reply;
      }
    }
  }
  throw unfinishedReply();
}

/** A finished reply from its content and its `end` event. */
export function replyOf(content: Reply['content'], end: Extract<ReplyEvent, { type: 'end' }>): Reply {
  const reply: Reply = { content, stopReason: end.stopReason, usage: end.usage, truncated: end.truncated ?? false };
  if (end.stopSequence !== undefined) reply.stopSequence = end.stopSequence;
  return reply;
}

/** Every prompt token, cached or not: what OpenAI and Gemini call the prompt's size. */
export function promptTokens(usage: Usage): number {
  return usage.inputTokens + (usage.cacheReadTokens ?? 0) + (usage.cacheWriteTokens ?? 0);
}

/** The events stopped before their `end`: Kiro's stream broke off. */
export function unfinishedReply(): ProxyError {
  return new ProxyError('upstream', 'Kiro ended the reply without finishing it.');
}

/**
 * The stop reason to report. A truncated reply was cut off by the output limit, whatever
 * Kiro claimed: a client must not run a tool call whose input never arrived in full.
 */
export function reportedStopReason(end: { stopReason: StopReason; truncated?: boolean }): StopReason {
  if (end.truncated && end.stopReason !== 'context_window_exceeded') return 'max_tokens';
  return end.stopReason;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
