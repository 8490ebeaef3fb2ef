import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProxyError, TOO_LONG_MESSAGE, tooLongError } from '../../src/proxy/errors';
import { errorBody, parseChatRequest } from '../../src/proxy/protocols/openai-chat';

const parse = (body: object) => parseChatRequest({ model: 'gpt-4o', user: 'u1', ...body });

function rejects(body: unknown, message: string) {
  assert.throws(
    () => parseChatRequest(body),
    (err: unknown) => err instanceof ProxyError && err.kind === 'invalid_request' && err.message === message,
  );
}

describe('parseChatRequest', () => {
  it('parses a plain request into the conversation model', () => {
    assert.deepEqual(parse({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 100, stream: true, stream_options: { include_usage: true } }), {
      model: 'gpt-4o',
      system: '',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      tools: [],
      toolChoice: undefined,
      thinking: undefined,
      responseFormat: undefined,
      maxTokens: 100,
      sessionId: 'u1',
      stream: true,
      includeUsage: true,
    });
  });

  it('prefers max_completion_tokens and ignores unknown fields', () => {
    const request = parse({ messages: [], max_tokens: 100, max_completion_tokens: 200, temperature: 0, n: 1, seed: 3, store: false });
    assert.equal(request.maxTokens, 200);
    assert.equal(request.stream, false);
    assert.equal(request.includeUsage, false);
  });

  it('turns system and developer messages into system text, later ones into user text', () => {
    const request = parse({
      messages: [
        { role: 'system', content: 'S1' },
        { role: 'developer', content: [{ type: 'text', text: 'S2' }] },
        { role: 'user', content: 'q' },
        { role: 'system', content: 'late' },
      ],
    });
    assert.equal(request.system, 'S1\n\nS2');
    assert.deepEqual(request.messages, [
      { role: 'user', content: [{ type: 'text', text: 'q' }] },
      { role: 'user', content: [{ type: 'text', text: 'late' }] },
    ]);
  });

  it('parses text and image parts (data: and http URLs)', () => {
    const request = parse({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR', detail: 'high' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages[0].content, [
      { type: 'text', text: 'what is this' },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
      { type: 'image', source: { kind: 'url', url: 'https://example.com/a.jpg' } },
    ]);
  });

  it('parses assistant tool calls, reasoning and tool results', () => {
    const request = parse({
      messages: [
        { role: 'user', content: 'read both' },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'need two reads',
          tool_calls: [
            { id: 'tooluse_1', type: 'function', function: { name: 'read', arguments: '{"path":"a"}' } },
            { id: 'tooluse_2', type: 'function', function: { name: 'read', arguments: '{"path":' } },
          ],
        },
        { role: 'tool', tool_call_id: 'tooluse_1', content: 'A' },
        { role: 'tool', tool_call_id: 'tooluse_2', content: [{ type: 'text', text: 'B' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'done' }, { type: 'refusal', refusal: '' }] },
      ],
    });
    assert.deepEqual(request.messages.slice(1), [
      {
        role: 'assistant',
        content: [
          { type: 'thinking', text: 'need two reads' },
          { type: 'tool_use', id: 'tooluse_1', name: 'read', input: { path: 'a' } },
          // A call cut off mid-arguments comes back as broken JSON; it must not poison the history.
          { type: 'tool_use', id: 'tooluse_2', name: 'read', input: {} },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', toolUseId: 'tooluse_1', content: 'A', isError: false }] },
      { role: 'user', content: [{ type: 'tool_result', toolUseId: 'tooluse_2', content: 'B', isError: false }] },
      { role: 'assistant', content: [{ type: 'text', text: 'done' }] },
    ]);
  });

  it('accepts the legacy function-calling form', () => {
    const request = parse({
      functions: [{ name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      function_call: { name: 'weather' },
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, function_call: { name: 'weather', arguments: '{"city":"Oslo"}' } },
        { role: 'function', name: 'weather', content: 'cold' },
      ],
    });
    assert.deepEqual(request.tools, [
      { name: 'weather', description: '', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } },
    ]);
    assert.deepEqual(request.toolChoice, { type: 'tool', name: 'weather' });
    assert.deepEqual(request.messages.slice(1), [
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Oslo' } }] },
      { role: 'user', content: [{ type: 'tool_result', toolUseId: 'call_1', content: 'cold', isError: false }] },
    ]);
  });

  it('keeps function tools and drops other tool types', () => {
    const request = parse({
      messages: [],
      tools: [
        { type: 'function', function: { name: 'f', description: 'does f', parameters: { type: 'object' }, strict: true } },
        { type: 'function', function: { name: 'g' } },
        { type: 'custom', custom: { name: 'grammar' } },
      ],
    });
    assert.deepEqual(request.tools, [
      { name: 'f', description: 'does f', inputSchema: { type: 'object' } },
      { name: 'g', description: '', inputSchema: { type: 'object', properties: {} } },
    ]);
  });

  it('parses every tool_choice', () => {
    assert.deepEqual(parse({ messages: [], tool_choice: 'none' }).toolChoice, { type: 'none' });
    assert.deepEqual(parse({ messages: [], tool_choice: 'auto' }).toolChoice, { type: 'auto' });
    assert.deepEqual(parse({ messages: [], tool_choice: 'required' }).toolChoice, { type: 'any' });
    assert.deepEqual(parse({ messages: [], tool_choice: { type: 'function', function: { name: 'f' } } }).toolChoice, {
      type: 'tool',
      name: 'f',
    });
  });

  it('maps reasoning_effort to adaptive thinking', () => {
    assert.equal(parse({ messages: [] }).thinking, undefined);
    assert.equal(parse({ messages: [], reasoning_effort: 'none' }).thinking, undefined);
    assert.deepEqual(parse({ messages: [], reasoning_effort: 'minimal' }).thinking, { type: 'adaptive', effort: 'low' });
    assert.deepEqual(parse({ messages: [], reasoning_effort: 'medium' }).thinking, { type: 'adaptive', effort: 'medium' });
    assert.deepEqual(parse({ messages: [], reasoning_effort: 'high' }).thinking, { type: 'adaptive', effort: 'high' });
    assert.deepEqual(parse({ messages: [], reasoning_effort: 'xhigh' }).thinking, { type: 'adaptive', effort: 'high' });
    // Levels OpenAI adds later pass without thinking rather than as a 400 (as in the Responses API).
    assert.equal(parse({ messages: [], reasoning_effort: 'extreme' }).thinking, undefined);
  });

  it('takes the session from prompt_cache_key, user, or a fingerprint', () => {
    assert.equal(parse({ messages: [], prompt_cache_key: 'conv-9' }).sessionId, 'conv-9');
    assert.equal(parse({ messages: [] }).sessionId, 'u1');
    const first = parse({ messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'hi' }], user: undefined }).sessionId;
    assert.match(first!, /^[0-9a-f]{16}$/);
    const later = parse({
      messages: [
        { role: 'system', content: 'S' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'more' },
      ],
      user: undefined,
    }).sessionId;
    assert.equal(later, first);
  });

  it('takes files, audio, allowed_tools and response_format as far as Kiro can', () => {
    const pdf = `data:application/pdf;base64,${Buffer.from('%PDF-1.7').toString('base64')}`;
    const notes = `data:text/plain;base64,${Buffer.from('buy milk').toString('base64')}`;
    const request = parse({
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'read these' },
        { type: 'file', file: { filename: 'paper.pdf', file_data: pdf } },
        { type: 'file', file: { filename: 'notes.txt', file_data: notes } },
        { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
      ] }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'f' } }] } },
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { n: { type: 'number' } } } } },
    });
    assert.deepEqual(request.messages[0].content, [
      { type: 'text', text: 'read these' },
      { type: 'text', text: '[File "paper.pdf" omitted: this model cannot read it through the proxy.]' },
      { type: 'text', text: 'notes.txt:\nbuy milk' },
      { type: 'text', text: '[Audio omitted: this model cannot hear audio.]' },
    ]);
    assert.deepEqual(request.toolChoice, { type: 'any' });
    assert.deepEqual(request.responseFormat, { type: 'json_schema', schema: { type: 'object', properties: { n: { type: 'number' } } } });
    assert.deepEqual(parse({ messages: [], response_format: { type: 'json_object' } }).responseFormat, { type: 'json_object' });
    assert.equal(parse({ messages: [], response_format: { type: 'text' } }).responseFormat, undefined);
  });

  it('rejects malformed input with the field path', () => {
    rejects([], 'body: must be a JSON object');
    rejects({ messages: [] }, 'model: is required');
    rejects({ model: 'm' }, 'messages: is required');
    rejects({ model: 'm', messages: [{ role: 'robot', content: 'x' }] }, 'messages.0.role: unknown role "robot"');
    rejects(
      { model: 'm', messages: [{ role: 'user', content: 'a' }, { role: 'user', content: [{ type: 'video_url', video_url: {} }] }] },
      'messages.1.content.0.type: unsupported content part type "video_url"',
    );
    rejects(
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,abc' } }] }] },
      'messages.0.content.0.image_url: data URLs must be base64 encoded images',
    );
    rejects({ model: 'm', messages: [{ role: 'tool', content: 'x' }] }, 'messages.0.tool_call_id: is required');
    rejects(
      { model: 'm', messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function' }] }] },
      'messages.0.tool_calls.0.function: is required',
    );
    rejects({ model: 'm', messages: [], tool_choice: 'sometimes' }, 'tool_choice: unknown tool_choice "sometimes"');
    rejects({ model: 'm', messages: [], tools: [{ type: 'function' }] }, 'tools.0.function: must be a JSON object');
    rejects({ model: 'm', messages: [], reasoning_effort: 3 }, 'reasoning_effort: must be a string');
    rejects({ model: 'm', messages: [], stream_options: { include_usage: 1 } }, 'stream_options.include_usage: must be a boolean');
  });
});

describe('openai errorBody', () => {
  it('uses OpenAI error types and codes', () => {
    assert.deepEqual(errorBody(new ProxyError('invalid_request', 'bad')), {
      error: { message: 'bad', type: 'invalid_request_error', code: null, param: null },
    });
    assert.deepEqual(errorBody(new ProxyError('rate_limit', 'slow down')), {
      error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded', param: null },
    });
    assert.deepEqual(errorBody(new ProxyError('authentication', 'no')), {
      error: { message: 'no', type: 'invalid_request_error', code: 'invalid_api_key', param: null },
    });
    assert.deepEqual(errorBody(tooLongError()), {
      error: { message: TOO_LONG_MESSAGE, type: 'invalid_request_error', code: 'context_length_exceeded', param: null },
    });
    assert.deepEqual(errorBody(new ProxyError('upstream', 'Kiro failed')), {
      error: { message: 'Kiro failed', type: 'server_error', code: null, param: null },
    });
  });
});
