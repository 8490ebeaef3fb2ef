// The Responses adapter without a network: parsing, the response store, and the event stream.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplyEvent } from '../../src/proxy/model';
import { parseResponsesRequest, renderResponseStream, newResponseId, type ResponseHead } from '../../src/proxy/protocols/openai-responses';
import { ResponseStore } from '../../src/proxy/protocols/openai-responses';
import { ProxyError } from '../../src/proxy/errors';
import { FakeResponse, MemorySink } from './sse-harness';
import { SseWriter, type SseResponse } from '../../src/proxy/protocols/sse';

async function* replay(events: ReplyEvent[], failAfter?: number): AsyncGenerator<ReplyEvent> {
  for (const [i, event] of events.entries()) {
    if (failAfter === i) throw new ProxyError('upstream', 'Kiro broke off');
    yield event;
  }
}

function head(clientTools = new Map()): ResponseHead {
  return { id: newResponseId(), model: 'gpt-5.1-codex', createdAt: 1, store: true, echo: {}, clientTools };
}

async function render(events: AsyncIterable<ReplyEvent>, h = head()) {
  const sink = new MemorySink();
  const result = await renderResponseStream(events, sink, h);
  const sent: any[] = sink.events().map(([event, data]) => ({ event, ...(data as object) }));
  return { sent, result };
}

describe('parseResponsesRequest', () => {
  test('items: developer prompt becomes system, calls and outputs pair up, hosted items are dropped', () => {
    const conv = parseResponsesRequest({
      model: 'gpt-5.1-codex',
      instructions: 'Base.',
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Dev.' }] },
        { role: 'user', content: 'do it' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'thinking…' }], encrypted_content: 'opaque' },
        { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'exec_command', arguments: '{"cmd":"ls"}' },
        { type: 'web_search_call', id: 'ws_1', status: 'completed' },
        { type: 'function_call_output', call_id: 'call_1', output: 'a.txt' },
        { type: 'item_reference', id: 'x' },
      ],
      tools: [{ type: 'function', name: 'exec_command', parameters: { type: 'object' } }, { type: 'web_search' }, { type: 'image_generation' }],
      tool_choice: 'required',
      reasoning: { effort: 'xhigh', summary: 'auto' },
      store: false,
      include: ['reasoning.encrypted_content'],
      client_metadata: { x: 1 },
    });
    assert.equal(conv.system, 'Base.\n\nDev.');
    assert.deepEqual(conv.messages.map((m) => [m.role, m.content.map((b) => b.type)]), [
      ['user', ['text']],
      ['assistant', ['thinking', 'tool_use']],
      ['user', ['tool_result']],
    ]);
    assert.deepEqual(conv.tools.map((t) => t.name), ['exec_command']);
    assert.deepEqual(conv.toolChoice, { type: 'any' });
    assert.deepEqual(conv.thinking, { type: 'adaptive', effort: 'high' });
    assert.equal(conv.store, false);
  });

  test('previous_response_id rebuilds the chain and keeps its session; unknown ids are a 400', () => {
    const store = new ResponseStore();
    store.put({ id: 'resp_a', rootId: 'resp_a', sessionId: 'sess-root', messages: [{ role: 'user', content: [{ type: 'text', text: 'first' }] }, { role: 'assistant', content: [{ type: 'text', text: 'one' }] }], body: {}, bytes: 60 });
    const conv = parseResponsesRequest({ model: 'm', previous_response_id: 'resp_a', input: 'second', prompt_cache_key: 'other' }, store);
    assert.deepEqual(conv.messages.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.equal(conv.sessionId, 'sess-root');
    assert.equal(conv.rootId, 'resp_a');
    assert.throws(() => parseResponsesRequest({ model: 'm', previous_response_id: 'resp_zzz', input: 'x' }, store), (err: ProxyError) => err.status === 400 && /resp_zzz/.test(err.message));
  });

  test('the store is bounded and least-recently-used goes first', () => {
    const store = new ResponseStore({ maxEntries: 2, ttlMs: 1000, maxBytes: 1_000_000 });
    for (const id of ['a', 'b']) store.put({ id, rootId: id, sessionId: id, messages: [], body: {}, bytes: 10 });
    store.get('a');
    store.put({ id: 'c', rootId: 'c', sessionId: 'c', messages: [], body: {}, bytes: 10 });
    assert.ok(store.get('a') && store.get('c') && !store.get('b'));
  });

  test('the store stays under its byte budget, least-recently-used first, and keeps the newest whatever its size', () => {
    const store = new ResponseStore({ maxEntries: 100, ttlMs: 1000, maxBytes: 100 });
    const put = (id: string, bytes: number) => store.put({ id, rootId: id, sessionId: id, messages: [], body: {}, bytes });
    const kept = () => ['a', 'b', 'c', 'd', 'e', 'f'].filter((id) => store.get(id));
    put('a', 40);
    put('b', 40);
    put('c', 40);
    assert.deepEqual(kept(), ['b', 'c']);
    store.get('b');
    put('d', 200);
    assert.deepEqual(kept(), ['d'], 'one conversation larger than the budget still goes on');
    // Deleted and replaced entries give their bytes back.
    assert.ok(store.delete('d'));
    put('e', 90);
    put('e', 50);
    put('f', 50);
    assert.deepEqual(kept(), ['e', 'f']);
  });

  test('namespace and custom tools are flattened and mapped back', async () => {
    const conv = parseResponsesRequest({
      model: 'm',
      input: 'x',
      tools: [
        { type: 'namespace', name: 'crm', tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object' } }] },
        { type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' } },
      ],
    });
    assert.deepEqual(conv.tools.map((t) => t.name), ['crm__lookup', 'apply_patch']);
    const { sent } = await render(
      replay([
        { type: 'tool_start', id: 't1', name: 'apply_patch' },
        { type: 'tool_end', id: 't1', input: { input: '*** Begin Patch' } },
        { type: 'end', stopReason: 'tool_use', usage: { inputTokens: 1, outputTokens: 2 } },
      ]),
      head(conv.clientTools),
    );
    const done = sent.find((e) => e.type === 'response.output_item.done');
    assert.deepEqual([done.item.type, done.item.name, done.item.input, done.item.call_id], ['custom_tool_call', 'apply_patch', '*** Begin Patch', 't1']);
  });
});

describe('renderResponseStream', () => {
  test('event order, indexes and sequence numbers for thinking, text and a tool call', async () => {
    const { sent, result } = await render(
      replay([
        { type: 'thinking', text: 'hm' },
        { type: 'text', text: 'Hel' },
        { type: 'text', text: 'lo' },
        { type: 'tool_start', id: 'call_9', name: 'read' },
        { type: 'tool_input', id: 'call_9', partialJson: '{"p":' },
        { type: 'tool_input', id: 'call_9', partialJson: '1}' },
        { type: 'tool_end', id: 'call_9', input: { p: 1 } },
        { type: 'end', stopReason: 'tool_use', usage: { inputTokens: 5, outputTokens: 7 } },
      ]),
    );
    assert.deepEqual(sent.map((e) => e.sequence_number), sent.map((_, i) => i));
    assert.ok(sent.every((e) => e.event === e.type));
    assert.deepEqual(sent.map((e) => e.type), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const completed = sent.at(-1).response;
    assert.deepEqual(completed.output.map((o: any) => o.type), ['reasoning', 'message', 'function_call']);
    assert.equal(completed.output[1].content[0].text, 'Hello');
    assert.equal(completed.output[2].arguments, '{"p":1}');
    assert.equal(completed.usage.total_tokens, 12);
    assert.equal(result.reply?.content.length, 3);
  });

  test('through the SSE writer, text deltas waiting together leave as one event and the sequence numbers still run without a gap', async () => {
    const res = new FakeResponse();
    const writer = new SseWriter(res as unknown as SseResponse);
    writer.open();
    const pieces = ['Hel', 'lo', ', ', 'wor', 'ld'];
    await renderResponseStream(
      replay([...pieces.map((text) => ({ type: 'text' as const, text })), { type: 'end', stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 5 } }]),
      writer,
      head(),
    );
    writer.end();
    const sent = String(res.read())
      .split('\n\n')
      .filter((frame) => frame)
      .map((frame) => JSON.parse(/^data: (.*)$/m.exec(frame)![1]));
    assert.deepEqual(sent.map((e) => e.sequence_number), sent.map((_, i) => i));
    const deltas = sent.filter((e) => e.type === 'response.output_text.delta');
    assert.equal(deltas.length, 1, 'the five deltas of one tick are one event');
    assert.deepEqual(Object.keys(deltas[0]), ['type', 'sequence_number', 'item_id', 'output_index', 'content_index', 'delta', 'logprobs']);
    assert.equal(deltas[0].delta, 'Hello, world');
    assert.equal(sent.find((e) => e.type === 'response.output_text.done').text, 'Hello, world');
  });

  test('max tokens is incomplete; a failure after the start is response.failed', async () => {
    const { sent } = await render(replay([{ type: 'text', text: 'x' }, { type: 'end', stopReason: 'max_tokens', usage: { inputTokens: 1, outputTokens: 1 } }]));
    assert.equal(sent.at(-1).type, 'response.incomplete');
    assert.equal(sent.at(-1).response.incomplete_details.reason, 'max_output_tokens');
    const failed = await render(replay([{ type: 'text', text: 'x' }, { type: 'text', text: 'y' }], 1));
    assert.equal(failed.sent.at(-1).type, 'response.failed');
    assert.equal(failed.sent.at(-1).response.error.code, 'server_error');
    assert.equal(failed.result.reply, undefined);
  });
});
