// The official OpenAI SDK's Responses API, unchanged, through the real CLI against the simulator.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startProxy, type RunningProxy } from '../helpers/proxy';

const tools: OpenAI.Responses.Tool[] = [
  { type: 'function', name: 'read_file', description: 'Read a file', strict: false, parameters: { type: 'object', properties: { path: { type: 'string' } } } },
];

describe('OpenAI SDK (Responses) through the proxy', () => {
  let proxy: RunningProxy;
  let client: OpenAI;
  before(async () => {
    // Two accounts: a chain must stay on its account although least-used would alternate.
    proxy = await startProxy({ accounts: 2 });
    client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => proxy.stop());

  const lastSent = () => proxy.sim.chatRequests().at(-1)!.body.conversationState;

  test('non-streaming: string input and instructions; unknown model goes to the default model', async () => {
    const response = await client.responses.create({ model: 'gpt-5.1-codex', instructions: 'Be brief.', input: 'hi' });
    assert.equal(response.object, 'response');
    assert.match(response.id, /^resp_/);
    assert.equal(response.status, 'completed');
    assert.equal(response.model, 'gpt-5.1-codex');
    assert.equal(response.output_text, 'Echo: hi');
    assert.equal(response.output[0].type, 'message');
    assert.ok(response.usage!.input_tokens > 0 && response.usage!.total_tokens === response.usage!.input_tokens + response.usage!.output_tokens);
    const sent = lastSent();
    assert.equal(sent.currentMessage.userInputMessage.modelId, 'claude-sonnet-4.5');
    assert.match(JSON.stringify(sent), /Be brief\./);
  });

  test('streaming: events in OpenAI order with sequence numbers; finalResponse is right', async () => {
    const text = 'Streaming works across many small deltas, 你好世界, and ends cleanly.';
    proxy.sim.enqueue({ text, thinking: 'Pondering.' });
    const stream = client.responses.stream({ model: 'gpt-4o', input: [{ role: 'user', content: 'stream please' }], reasoning: { effort: 'low', summary: 'auto' } });
    const types: string[] = [];
    const sequence: number[] = [];
    let deltas = '';
    stream.on('event', (event) => {
      types.push(event.type);
      sequence.push(event.sequence_number);
    });
    stream.on('response.output_text.delta', (event) => (deltas += event.delta));
    const final = await stream.finalResponse();
    assert.equal(deltas, text);
    assert.equal(final.output_text, text);
    assert.deepEqual(sequence, sequence.map((_, i) => i));
    assert.deepEqual(types.slice(0, 2), ['response.created', 'response.in_progress']);
    assert.equal(types.at(-1), 'response.completed');
    const reasoning = final.output.find((item) => item.type === 'reasoning') as OpenAI.Responses.ResponseReasoningItem;
    assert.equal(reasoning.summary[0].text, 'Pondering.');
    for (const expected of [
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
    ]) {
      assert.ok(types.includes(expected), `missing ${expected}`);
    }
    assert.ok(types.indexOf('response.content_part.added') < types.indexOf('response.output_text.delta'));
    assert.ok(final.usage!.output_tokens > 0);
    // The thinking request reached Kiro as prompt tags.
    assert.match(JSON.stringify(lastSent()), /<thinking_mode>adaptive<\/thinking_mode><thinking_effort>low/);
  });

  test('streamed function tool loop, then a previous_response_id chain on the same account', async () => {
    proxy.sim.enqueue({ toolCalls: [{ name: 'read_file', input: { path: 'a.txt' } }] });
    const stream = client.responses.stream({ model: 'gpt-4o', tools, input: 'read a.txt' });
    let argDeltas = '';
    stream.on('response.function_call_arguments.delta', (event) => (argDeltas += event.delta));
    const first = await stream.finalResponse();
    const call = first.output.find((item) => item.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    assert.ok(call, JSON.stringify(first.output));
    assert.equal(call.name, 'read_file');
    assert.deepEqual(JSON.parse(call.arguments), { path: 'a.txt' });
    assert.deepEqual(JSON.parse(argDeltas), { path: 'a.txt' });

    proxy.sim.enqueue({ text: 'The file says hello.' });
    const second = await client.responses.create({
      model: 'gpt-4o',
      tools,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'hello' }],
    });
    assert.equal(second.output_text, 'The file says hello.');
    assert.equal(second.previous_response_id, first.id);
    const sent = lastSent();
    assert.equal(sent.currentMessage.userInputMessage.userInputMessageContext.toolResults[0].toolUseId, call.call_id);
    // The chain was rebuilt: the first user turn and the tool call are in the history.
    assert.match(JSON.stringify(sent.history), /read a\.txt/);
    assert.match(JSON.stringify(sent.history), new RegExp(call.call_id));

    proxy.sim.enqueue({ text: 'Third turn.' });
    const third = await client.responses.create({ model: 'gpt-4o', previous_response_id: second.id, input: 'and now?' });
    assert.equal(third.output_text, 'Third turn.');
    assert.match(JSON.stringify(lastSent().history), /The file says hello\./);
    const accounts = proxy.sim.chatRequests().slice(-3).map((r) => r.account?.id);
    assert.equal(new Set(accounts).size, 1, `chain moved between accounts: ${accounts}`);
  });

  test('real-client extras are accepted: developer role, hosted/custom/namespace tools, store:false, include…', async () => {
    proxy.sim.enqueue({ toolCalls: [{ name: 'crm__lookup', input: { q: 'x' } }] });
    const response = await client.responses.create({
      model: 'gpt-5.1-codex',
      store: false,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'session-1',
      parallel_tool_calls: true,
      truncation: 'auto',
      text: { verbosity: 'low' } as any,
      client_metadata: { a: 'b' },
      tool_choice: 'auto',
      tools: [
        { type: 'web_search' } as any,
        { type: 'local_shell' },
        { type: 'custom', name: 'apply_patch', description: 'Patch files' } as any,
        { type: 'namespace', name: 'crm', description: 'CRM', tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } }] } as any,
      ],
      input: [
        { role: 'developer', content: 'You are a coding agent.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'look x up' }] },
      ],
    } as any);
    const call = response.output[0] as OpenAI.Responses.ResponseFunctionToolCall & { namespace?: string };
    assert.equal(call.type, 'function_call');
    assert.equal(call.name, 'lookup');
    assert.equal(call.namespace, 'crm');
    const sent = lastSent();
    const names = sent.currentMessage.userInputMessage.userInputMessageContext.tools.map((t: any) => t.toolSpecification.name);
    assert.ok(names.includes('crm__lookup') && names.includes('apply_patch') && names.includes('local_shell'), names.join());
    // The hosted web search is offered as Kiro's own (test/integration/web-search.test.ts); no other hosted tool reaches Kiro.
    assert.deepEqual(names.filter((n: string) => !['crm__lookup', 'apply_patch', 'local_shell'].includes(n)), ['web_search']);
    // store:false: nothing to chain from.
    await assert.rejects(client.responses.create({ model: 'gpt-4o', previous_response_id: response.id, input: 'x' }), (err: InstanceType<typeof OpenAI.APIError>) => err.status === 400);
  });

  test('<thinking> inside a code block is text, not reasoning', async () => {
    const text = '```xml\n<thinking>not a thought</thinking>\n```\nThat is the tag.';
    proxy.sim.enqueue({ text });
    const response = await client.responses.create({ model: 'gpt-4o', input: 'show me' });
    assert.equal(response.output_text, text);
    assert.ok(!response.output.some((item) => item.type === 'reasoning'));
  });

  test('errors come back in OpenAI shape, before and during the stream', async () => {
    await assert.rejects(client.responses.create({ model: 'gpt-4o', input: 42 as any }), (err: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(err.status, 400);
      assert.equal(err.type, 'invalid_request_error');
      assert.match(err.message, /input/);
      return true;
    });
    await assert.rejects(client.responses.create({ model: 'gpt-4o', previous_response_id: 'resp_missing', input: 'x' }), (err: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(err.status, 400);
      assert.match(err.message, /resp_missing/);
      assert.deepEqual([err.code, err.param], ['previous_response_not_found', 'previous_response_id']);
      return true;
    });
    // A Kiro failure before the first byte: an HTTP error in OpenAI shape.
    proxy.sim.enqueue({ error: 'improperlyFormed' });
    await assert.rejects(client.responses.create({ model: 'gpt-4o', input: 'x' }), (err: InstanceType<typeof OpenAI.APIError>) => err.status === 400 && err.type === 'invalid_request_error');
    // A failure mid-stream: response.failed with the error.
    proxy.sim.enqueue({ text: 'partial answer that breaks', resetAfterFrames: 2 });
    const stream = client.responses.stream({ model: 'gpt-4o', input: 'x' });
    const final = await stream.finalResponse();
    assert.equal(final.status, 'failed');
    assert.ok(final.error && final.error.message.length > 0);
  });
});
