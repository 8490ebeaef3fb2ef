import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ProxyError, TOO_LONG_MESSAGE } from '../../src/proxy/errors';
import { errorBody, parseAnthropicRequest } from '../../src/proxy/protocols/anthropic';
import { claudeCodeSessionId, sessionKey } from '../../src/proxy/protocols/session';

const SESSION = '4b9e0c1e-6f0a-4a55-9d3c-2f1f9f7a1c11';
const base = { model: 'claude-sonnet-4-5', max_tokens: 1024, metadata: { user_id: `s_${SESSION}` } };
const parse = (body: object, headers = {}) => parseAnthropicRequest({ ...base, ...body }, headers);

function rejects(body: unknown, message: string | RegExp) {
  assert.throws(
    () => parseAnthropicRequest(body, {}),
    (err: unknown) => err instanceof ProxyError && err.kind === 'invalid_request' && (typeof message === 'string' ? err.message === message : message.test(err.message)),
  );
}

describe('parseAnthropicRequest', () => {
  it('parses a plain request into the conversation model', () => {
    assert.deepEqual(parse({ messages: [{ role: 'user', content: 'hi' }], stream: true }), {
      model: 'claude-sonnet-4-5',
      system: '',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      tools: [],
      toolChoice: undefined,
      thinking: undefined,
      omitThinking: false,
      responseFormat: undefined,
      maxTokens: 1024,
      sessionId: `s_${SESSION}`,
      stream: true,
    });
  });

  it('accepts a missing max_tokens and unknown top-level fields', () => {
    const request = parseAnthropicRequest(
      { model: 'm', messages: [], context_management: { edits: [] }, betas: ['x'], temperature: 1, container: null },
      {},
    );
    assert.equal(request.maxTokens, undefined);
    assert.equal(request.stream, false);
  });

  it('joins system blocks and ignores cache_control', () => {
    const request = parse({
      system: [
        { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Be brief.' },
      ],
      messages: [],
    });
    assert.equal(request.system, 'You are Claude Code.\n\nBe brief.');
  });

  it('turns system-role messages into system text before the dialogue and user text after it', () => {
    const request = parse({
      system: 'S',
      messages: [
        { role: 'system', content: 'early' },
        { role: 'user', content: 'q' },
        { role: 'system', content: [{ type: 'text', text: 'late' }] },
      ],
    });
    assert.equal(request.system, 'S\n\nearly');
    assert.deepEqual(request.messages, [
      { role: 'user', content: [{ type: 'text', text: 'q' }] },
      { role: 'user', content: [{ type: 'text', text: 'late' }] },
    ]);
  });

  it('parses every history block type', () => {
    const request = parse({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look', cache_control: { type: 'ephemeral' } },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'text', text: 'calling' },
            { type: 'tool_use', id: 'tooluse_abc', name: 'Read', input: { path: 'a' } },
            { type: 'tool_use', id: 'tooluse_def', name: 'Ls' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'tooluse_abc', content: 'file body' },
            {
              type: 'tool_result',
              tool_use_id: 'tooluse_def',
              is_error: true,
              content: [
                { type: 'text', text: 'line 1' },
                { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } },
                { type: 'text', text: 'line 2' },
              ],
            },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
          { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', text: 'hmm', signature: 'sig' },
          { type: 'text', text: 'calling' },
          { type: 'tool_use', id: 'tooluse_abc', name: 'Read', input: { path: 'a' } },
          { type: 'tool_use', id: 'tooluse_def', name: 'Ls', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', toolUseId: 'tooluse_abc', content: 'file body', isError: false },
          { type: 'tool_result', toolUseId: 'tooluse_def', content: 'line 1\nline 2', isError: true },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/' } },
        ],
      },
    ]);
  });

  it('passes text documents and search results as text and replaces PDFs with a note', () => {
    const request = parse({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc text' } },
            { type: 'document', title: 'spec', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' } },
            {
              type: 'tool_result',
              tool_use_id: 'tooluse_s',
              content: [{ type: 'search_result', title: 'Doc', source: 'https://d.example', content: [{ type: 'text', text: 'hit' }] }],
            },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages[0].content, [
      { type: 'text', text: 'doc text' },
      { type: 'text', text: '[Document "spec" omitted: this model cannot read base64 documents.]' },
      { type: 'tool_result', toolUseId: 'tooluse_s', content: 'Doc\nhttps://d.example\nhit', isError: false },
    ]);
  });

  it('drops blocks of Anthropic server tools from history', () => {
    const request = parse({
      messages: [
        {
          role: 'assistant',
          content: [
            { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} },
            { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
            { type: 'text', text: 'found' },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages[0].content, [{ type: 'text', text: 'found' }]);
  });

  it('keeps custom tools and drops server tools', () => {
    const request = parse({
      messages: [],
      tools: [
        { name: 'Read', description: 'read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } } } },
        { type: 'custom', name: 'Mcp', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 5 },
        { type: 'bash_20250124', name: 'bash' },
        { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' },
      ],
    });
    assert.deepEqual(request.tools, [
      { name: 'Read', description: 'read a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
      { name: 'Mcp', description: '', inputSchema: { type: 'object' } },
    ]);
  });

  it('parses every tool_choice', () => {
    assert.deepEqual(parse({ messages: [], tool_choice: { type: 'auto', disable_parallel_tool_use: true } }).toolChoice, { type: 'auto' });
    assert.deepEqual(parse({ messages: [], tool_choice: { type: 'any' } }).toolChoice, { type: 'any' });
    assert.deepEqual(parse({ messages: [], tool_choice: { type: 'none' } }).toolChoice, { type: 'none' });
    assert.deepEqual(parse({ messages: [], tool_choice: { type: 'tool', name: 'Read' } }).toolChoice, { type: 'tool', name: 'Read' });
  });

  it('parses thinking: enabled, adaptive with effort, disabled', () => {
    assert.deepEqual(parse({ messages: [], thinking: { type: 'enabled', budget_tokens: 4000 } }).thinking, {
      type: 'enabled',
      budgetTokens: 4000,
    });
    assert.deepEqual(parse({ messages: [], thinking: { type: 'adaptive' } }).thinking, { type: 'adaptive', effort: 'high' });
    assert.deepEqual(parse({ messages: [], thinking: { type: 'adaptive' }, output_config: { effort: 'low' } }).thinking, {
      type: 'adaptive',
      effort: 'low',
    });
    assert.deepEqual(parse({ messages: [], thinking: { type: 'adaptive' }, output_config: { effort: 'max' } }).thinking, {
      type: 'adaptive',
      effort: 'high',
    });
    assert.equal(parse({ messages: [], thinking: { type: 'disabled' } }).thinking, undefined);
    // Claude Code's default for Opus 4.7+, and its /effort xhigh.
    assert.deepEqual(parse({ messages: [], thinking: { type: 'adaptive', display: 'omitted' }, output_config: { effort: 'xhigh' } }).thinking, {
      type: 'adaptive',
      effort: 'high',
    });
  });

  it("accepts Claude Code's ToolSearch results (tool_reference blocks) as a note", () => {
    const request = parse({
      messages: [
        { role: 'user', content: 'fetch the page' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'ToolSearch', input: { query: 'select:WebFetch' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: [{ type: 'tool_reference', tool_name: 'WebFetch' }] }] },
      ],
    });
    assert.deepEqual(request.messages[2].content, [
      { type: 'tool_result', toolUseId: 'toolu_01', content: 'Tool "WebFetch" is loaded and can be called.', isError: false },
    ]);
  });

  it('takes structured output from output_config.format or the beta output_format', () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } } };
    assert.deepEqual(parse({ messages: [], output_config: { format: { type: 'json_schema', schema } } }).responseFormat, { type: 'json_schema', schema });
    assert.deepEqual(parse({ messages: [], output_format: { type: 'json_schema', schema } }).responseFormat, { type: 'json_schema', schema });
    assert.equal(parse({ messages: [] }).responseFormat, undefined);
  });

  it('takes the session from the Claude Code header, metadata formats, or a fingerprint', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    assert.equal(parse({ messages }, { 'x-claude-code-session-id': 'hdr' }).sessionId, 'hdr');
    assert.equal(
      parse({ messages, metadata: { user_id: `user_${'a'.repeat(64)}_account_${SESSION.replace('4b', '00')}_session_${SESSION}` } }).sessionId,
      SESSION,
    );
    assert.equal(parse({ messages, metadata: { user_id: `user_${'a'.repeat(64)}_account__session_${SESSION}` } }).sessionId, SESSION);
    assert.equal(
      parse({ messages, metadata: { user_id: JSON.stringify({ device_id: 'd', account_uuid: '', session_id: SESSION }) } }).sessionId,
      SESSION,
    );
    const fingerprint = parse({ messages, system: 'S', metadata: undefined }).sessionId!;
    assert.match(fingerprint, /^[0-9a-f]{16}$/);
    // Later turns of the same conversation keep the key.
    const later = parse({
      messages: [...messages, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'more' }],
      system: 'S',
      metadata: undefined,
    });
    assert.equal(later.sessionId, fingerprint);
  });

  it('rejects malformed input with the field path', () => {
    rejects(null, 'body: must be a JSON object');
    rejects({ messages: [] }, 'model: is required');
    rejects({ model: 'm' }, 'messages: is required');
    rejects({ model: 'm', messages: {} }, 'messages: must be an array');
    rejects({ model: 'm', messages: ['x'] }, 'messages.0: must be a JSON object');
    rejects({ model: 'm', messages: [{ role: 'bot', content: 'x' }] }, 'messages.0.role: unknown role "bot"');
    rejects({ model: 'm', messages: [{ role: 'user', content: 5 }] }, 'messages.0.content: must be a string or an array of blocks');
    rejects(
      { model: 'm', messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: [{ type: 'foo' }] }] },
      'messages.2.content.0.type: unknown block type "foo"',
    );
    rejects({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text' }] }] }, 'messages.0.content.0.text: is required');
    rejects(
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] },
      'messages.0.content.0.source.type: unsupported image source "file"',
    );
    rejects(
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] },
      'messages.0.content.0.tool_use_id: is required',
    );
    rejects({ model: 'm', messages: [], system: [{ type: 'image' }] }, 'system.0.type: expected a text block, got "image"');
    rejects({ model: 'm', messages: [], tools: [{ description: 'x' }] }, 'tools.0.name: is required');
    rejects({ model: 'm', messages: [], tool_choice: { type: 'maybe' } }, 'tool_choice.type: unknown tool_choice type "maybe"');
    rejects({ model: 'm', messages: [], thinking: { type: 'sometimes' } }, 'thinking.type: unknown thinking type "sometimes"');
    rejects({ model: 'm', messages: [], max_tokens: '10' }, 'max_tokens: must be a number');
    rejects({ model: 'm', messages: [], stream: 'yes' }, 'stream: must be a boolean');
  });
});

describe('session keys', () => {
  it('uses any other metadata user id whole', () => {
    assert.equal(claudeCodeSessionId({}, 'customer-42'), 'customer-42');
    assert.equal(claudeCodeSessionId({}, ''), undefined);
    assert.equal(claudeCodeSessionId({}, 7), undefined);
    assert.equal(claudeCodeSessionId({}, '{not json'), '{not json');
  });

  it('fingerprints the system prompt and the first user message', () => {
    const messages = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hi' }] }];
    const expected = createHash('sha256').update(`S\u0000${JSON.stringify(messages[0].content)}`).digest('hex').slice(0, 16);
    assert.equal(sessionKey(undefined, { system: 'S', messages }), expected);
    assert.notEqual(sessionKey(undefined, { system: 'T', messages }), expected);
    assert.equal(sessionKey('client', { system: 'S', messages }), 'client');
  });
});

describe('anthropic errorBody', () => {
  it('uses Anthropic error types', () => {
    const body = (kind: ConstructorParameters<typeof ProxyError>[0]) => (errorBody(new ProxyError(kind, 'm')) as { error: { type: string } }).error.type;
    assert.deepEqual(errorBody(new ProxyError('invalid_request', TOO_LONG_MESSAGE)), {
      type: 'error',
      error: { type: 'invalid_request_error', message: TOO_LONG_MESSAGE },
    });
    // Claude Code's own test for a context overflow, which makes it compact and retry.
    assert.ok(TOO_LONG_MESSAGE.toLowerCase().includes('prompt is too long'));
    assert.equal(body('authentication'), 'authentication_error');
    assert.equal(body('permission'), 'permission_error');
    assert.equal(body('not_found'), 'not_found_error');
    assert.equal(body('request_too_large'), 'request_too_large');
    assert.equal(body('rate_limit'), 'rate_limit_error');
    assert.equal(body('overloaded'), 'overloaded_error');
    assert.equal(body('upstream'), 'api_error');
    assert.equal(body('timeout'), 'timeout_error');
    assert.equal(body('internal'), 'api_error');
  });
});
