// The Gemini adapter without a network: parsing, schema conversion, streaming and errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplyEvent } from '../../src/proxy/model';
import { errorBody, modelFromPath, parseGeminiRequest, renderGenerateContentStream, toJsonSchema, newGeminiHead } from '../../src/proxy/protocols/gemini';
import { handleStreamGenerateContent } from '../../src/proxy/protocols/gemini/handlers';
import { adapterFetch } from './sse-harness';
import { ProxyError } from '../../src/proxy/errors';
import { listClientModels } from '../../src/proxy/kiro/models';

async function* replay(events: ReplyEvent[], failAfter?: number): AsyncGenerator<ReplyEvent> {
  for (const [i, event] of events.entries()) {
    if (failAfter === i) throw new ProxyError('upstream', 'Kiro broke off');
    yield event;
  }
}

describe('parseGeminiRequest', () => {
  test('contents, system instruction, thoughts, calls without ids and their responses', () => {
    const conv = parseGeminiRequest(
      {
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        contents: [
          { role: 'user', parts: [{ text: 'read both' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }] },
          { role: 'model', parts: [{ text: 'plan', thought: true }, { functionCall: { name: 'read', args: { p: 'a' } } }, { functionCall: { name: 'read', args: { p: 'b' } } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'read', response: { output: 'A' } } }, { functionResponse: { name: 'read', response: { output: 'B' } } }] },
        ],
        tools: [{ functionDeclarations: [{ name: 'read', parameters: { type: 'OBJECT', properties: { p: { type: 'STRING', nullable: true } } } }] }, { googleSearch: {} }],
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['read'] } },
        generationConfig: { maxOutputTokens: 100, thinkingConfig: { thinkingBudget: 0 } },
      },
      modelFromPath('models/gemini-2.5-pro'),
    );
    assert.equal(conv.model, 'gemini-2.5-pro');
    assert.equal(conv.system, 'Be brief.');
    const [user, model, results] = conv.messages;
    assert.deepEqual(user.content.map((b) => b.type), ['text', 'image']);
    assert.deepEqual(model.content.map((b) => b.type), ['thinking', 'tool_use', 'tool_use']);
    const ids = model.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : []));
    assert.deepEqual(results.content.map((b) => (b.type === 'tool_result' ? [b.toolUseId, b.content] : [])), [[ids[0], 'A'], [ids[1], 'B']]);
    assert.deepEqual(conv.tools[0].inputSchema, { type: 'object', properties: { p: { type: ['string', 'null'] } } });
    assert.deepEqual(conv.toolChoice, { type: 'tool', name: 'read' });
    assert.equal(conv.thinking, undefined);
    assert.equal(conv.maxTokens, 100);
  });

  test('unknown roles are a 400 in Gemini shape', () => {
    assert.throws(() => parseGeminiRequest({ contents: [{ role: 'system', parts: [{ text: 'x' }] }] }, 'm'), (err: ProxyError) => {
      assert.deepEqual(errorBody(err), { error: { code: 400, message: err.message, status: 'INVALID_ARGUMENT' } });
      return true;
    });
  });

  test('functionResponse.parts (Gemini 3 read_file): images follow the result, other media is a note in it', () => {
    const conv = parseGeminiRequest(
      {
        contents: [
          { role: 'model', parts: [{ functionCall: { id: 'c1', name: 'read_file', args: { path: 'a.png' } } }, { functionCall: { id: 'c2', name: 'read_file', args: { path: 'b.pdf' } } }] },
          {
            role: 'user',
            parts: [
              { functionResponse: { id: 'c1', name: 'read_file', response: { output: 'Binary content provided (1 item(s)).' }, parts: [{ inlineData: { mimeType: 'image/png', data: 'AAAA', displayName: 'a.png' } }] } },
              { function_response: { id: 'c2', name: 'read_file', response: {}, parts: [{ inline_data: { mime_type: 'application/pdf', data: 'JVBE' } }, { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/c.jpg' } }] } },
            ],
          },
        ],
      },
      'gemini-3-pro-preview',
    );
    assert.deepEqual(conv.messages[1].content, [
      { type: 'tool_result', toolUseId: 'c1', content: 'Binary content provided (1 item(s)).', isError: false },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } },
      { type: 'tool_result', toolUseId: 'c2', content: '{}\n[Inline application/pdf omitted: this model cannot read it.]', isError: false },
      { type: 'image', source: { kind: 'url', url: 'https://example.com/c.jpg' } },
    ]);
  });

  test('responseMimeType application/json sets the response format, with the schema as JSON Schema', () => {
    const formatOf = (generationConfig: unknown) => parseGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }], generationConfig }, 'm').responseFormat;
    const openApi = { type: 'OBJECT', properties: { name: { type: 'STRING' }, age: { type: 'INTEGER', nullable: true } }, required: ['name'], propertyOrdering: ['name', 'age'] };
    assert.deepEqual(formatOf({ responseMimeType: 'application/json', responseSchema: openApi }), {
      type: 'json_schema',
      schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: ['integer', 'null'] } }, required: ['name'] },
    });
    const jsonSchema = { type: 'object', properties: { ok: { type: 'boolean' } }, additionalProperties: false };
    assert.deepEqual(formatOf({ responseMimeType: 'application/json', responseJsonSchema: jsonSchema }), { type: 'json_schema', schema: jsonSchema });
    assert.deepEqual(formatOf({ response_mime_type: 'application/json', response_schema: { type: 'ARRAY', items: { type: 'STRING' } } }), {
      type: 'json_schema',
      schema: { type: 'array', items: { type: 'string' } },
    });
    assert.deepEqual(formatOf({ responseMimeType: 'application/json' }), { type: 'json_object' });
    assert.equal(formatOf({ responseMimeType: 'text/plain' }), undefined);
    assert.equal(formatOf({ maxOutputTokens: 10 }), undefined);
    assert.deepEqual(
      parseGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }], generation_config: { response_mime_type: 'application/json', response_json_schema: jsonSchema } }, 'm').responseFormat,
      { type: 'json_schema', schema: jsonSchema },
    );
  });

  test('toJsonSchema lowercases nested types', () => {
    assert.deepEqual(toJsonSchema({ type: 'ARRAY', items: { type: 'INTEGER' } }), { type: 'array', items: { type: 'integer' } });
  });

  test('toJsonSchema turns nullable into a union with null', () => {
    assert.deepEqual(toJsonSchema({ type: 'STRING', nullable: true }), { type: ['string', 'null'] });
    assert.deepEqual(toJsonSchema({ type: 'STRING', enum: ['a', 'b'], nullable: true }), { type: ['string', 'null'], enum: ['a', 'b', null] });
    assert.deepEqual(toJsonSchema({ nullable: true, anyOf: [{ type: 'STRING' }, { type: 'NUMBER' }] }), { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'null' }] });
    assert.deepEqual(toJsonSchema({ type: 'OBJECT', properties: { o: { type: 'OBJECT', nullable: true, properties: {} } } }), {
      type: 'object',
      properties: { o: { type: ['object', 'null'], properties: {} } },
    });
    assert.deepEqual(toJsonSchema({ type: 'STRING', nullable: false }), { type: 'string' });
    assert.deepEqual(toJsonSchema({ nullable: true, description: 'anything' }), { description: 'anything' });
  });
});

describe('renderGenerateContentStream', () => {
  test('thoughts, text, a whole function call, then finish and usage; errors become an error chunk', async () => {
    const chunks: any[] = [];
    await renderGenerateContentStream(
      replay([
        { type: 'thinking', text: 'hm' },
        { type: 'text', text: 'ok' },
        { type: 'tool_start', id: 'c1', name: 'read' },
        { type: 'tool_input', id: 'c1', partialJson: '{"p":"a"}' },
        { type: 'tool_end', id: 'c1', input: { p: 'a' } },
        { type: 'end', stopReason: 'tool_use', usage: { inputTokens: 3, outputTokens: 4 } },
      ]),
      { chunk: async (v) => void chunks.push(v) },
      newGeminiHead('gemini-2.5-pro', 3),
    );
    assert.deepEqual(chunks.map((c) => c.candidates[0].content.parts), [[{ text: 'hm', thought: true }], [{ text: 'ok' }], [{ functionCall: { id: 'c1', name: 'read', args: { p: 'a' } } }], []]);
    assert.equal(chunks.at(-1).candidates[0].finishReason, 'STOP');
    assert.deepEqual(chunks.at(-1).usageMetadata, { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 });

    const failed: any[] = [];
    await renderGenerateContentStream(replay([{ type: 'text', text: 'x' }, { type: 'text', text: 'y' }], 1), { chunk: async (v) => void failed.push(v) }, newGeminiHead('m', 1));
    assert.deepEqual(failed.at(-1), { error: { code: 502, message: 'Kiro broke off', status: 'INTERNAL' } });
  });
});

describe('model discovery', () => {
  test('the list keeps stable ids and drops built-in names no account can use', () => {
    const available = new Set(['claude-sonnet-4.5', 'claude-haiku-4.5']);
    const ids = listClientModels({ mine: 'claude-opus-4.6' }, available);
    assert.ok(ids.includes('claude-sonnet-4-5') && ids.includes('claude-haiku-4-5') && ids.includes('gpt-4o-mini') && ids.includes('mine'));
    assert.ok(!ids.includes('claude-opus-4-5'), 'a model no account reported is not listed');
    assert.ok(!ids.includes('claude-opus-4-6') && !ids.includes('gpt-4o'));
    assert.deepEqual(listClientModels({}, undefined), listClientModels({}));
  });
});

describe('streamGenerateContent?alt=sse through the SSE writer', () => {
  test('text and thoughts waiting for the socket leave as one chunk each, in order with the function call', async () => {
    const deltas = (type: 'thinking' | 'text', ...texts: string[]): ReplyEvent[] => texts.map((text) => ({ type, text }));
    const events: ReplyEvent[] = [
      ...deltas('thinking', 'let ', 'me see'),
      { type: 'thinking_signature', signature: 's' },
      ...deltas('text', 'He', 'llo'),
      { type: 'tool_start', id: 't1', name: 'read' },
      { type: 'tool_end', id: 't1', input: { path: 'a' } },
      ...deltas('text', 'done'),
      { type: 'end', stopReason: 'tool_use', usage: { inputTokens: 1, outputTokens: 2 } },
    ];
    const fetch = adapterFetch(handleStreamGenerateContent, errorBody, { events, params: { model: 'gemini-2.5-pro' } });
    const res = await fetch('http://proxy.test/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', { method: 'POST', body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }) });
    const chunks = (await res.text())
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: '))
      .map((frame) => JSON.parse(frame.slice(6)) as { candidates: Array<{ content: { parts: unknown[] }; finishReason?: string }> });
    assert.deepEqual(
      chunks.map((c) => c.candidates[0].content.parts),
      [[{ text: 'let me see', thought: true }], [{ text: 'Hello' }], [{ functionCall: { id: 't1', name: 'read', args: { path: 'a' } } }], [{ text: 'done' }], []],
    );
    assert.equal(chunks.at(-1)!.candidates[0].finishReason, 'STOP');
  });
});
