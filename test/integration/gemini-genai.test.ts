// The official Google Gen AI SDK (`@google/genai`), unchanged, against the proxy's Gemini
// endpoints: the API key travels as x-goog-api-key, streams use `?alt=sse`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiError,
  createFunctionResponsePartFromBase64,
  createPartFromFunctionResponse,
  FunctionCallingConfigMode,
  GoogleGenAI,
  Type,
  type Content,
} from '@google/genai';
import { startProxy, type RunningProxy } from '../helpers/proxy';

const KEY = 'gemini-test-key';

describe('Google Gen AI SDK (Gemini API) through the proxy', () => {
  let proxy: RunningProxy;
  let ai: GoogleGenAI;
  /** The SDK's default API version here is v1; Gemini CLI and most docs use v1beta. Both are served. */
  let aiBeta: GoogleGenAI;
  before(async () => {
    proxy = await startProxy({ args: ['--api-key', KEY] });
    ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: proxy.url } });
    aiBeta = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: proxy.url, apiVersion: 'v1beta' } });
  });
  after(() => proxy.stop());

  const lastSent = () => proxy.sim.chatRequests().at(-1)!.body.conversationState;

  test('generateContent with a system instruction; unknown Gemini model goes to the default model', async () => {
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-pro',
      contents: 'hi',
      config: { systemInstruction: 'Be brief.' },
    });
    assert.equal(response.text, 'Echo: hi');
    assert.equal(response.candidates![0].finishReason, 'STOP');
    assert.ok(response.usageMetadata!.promptTokenCount! > 0);
    const sent = lastSent();
    assert.equal(sent.currentMessage.userInputMessage.modelId, 'claude-sonnet-4.5');
    assert.match(JSON.stringify(sent), /Be brief\./);
  });

  test('streamed tool loop: functionCall out, functionResponse back', async () => {
    const declarations = [
      {
        name: 'read_file',
        description: 'Read a file',
        parameters: { type: Type.OBJECT, properties: { path: { type: Type.STRING } }, required: ['path'] },
      },
    ];
    const config = { tools: [{ functionDeclarations: declarations }, { googleSearch: {} }], toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } } };
    proxy.sim.enqueue({ text: 'Let me look.', toolCalls: [{ name: 'read_file', input: { path: 'a.txt' } }] });
    const contents: Content[] = [{ role: 'user', parts: [{ text: 'read a.txt' }] }];
    const stream = await aiBeta.models.generateContentStream({ model: 'gemini-2.5-flash', contents, config });
    const parts: any[] = [];
    let finish: string | undefined;
    for await (const chunk of stream) {
      parts.push(...(chunk.candidates?.[0]?.content?.parts ?? []));
      finish = chunk.candidates?.[0]?.finishReason ?? finish;
    }
    const call = parts.find((p) => p.functionCall)?.functionCall;
    assert.ok(call, JSON.stringify(parts));
    assert.equal(call.name, 'read_file');
    assert.deepEqual(call.args, { path: 'a.txt' });
    assert.equal(parts.filter((p) => p.text).map((p) => p.text).join(''), 'Let me look.');
    assert.equal(finish, 'STOP');
    // Gemini's capitalised OpenAPI types reached Kiro as JSON Schema.
    const tool = lastSent().currentMessage.userInputMessage.userInputMessageContext.tools[0].toolSpecification;
    assert.equal(tool.inputSchema.json.properties.path.type, 'string');

    proxy.sim.enqueue({ text: 'The file says hello.' });
    const second = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      config,
      contents: [
        ...contents,
        { role: 'model', parts: parts.filter((p) => p.text || p.functionCall) },
        // No id: Gemini clients often drop it; the proxy pairs the response with the call by name.
        { role: 'user', parts: [{ functionResponse: { name: 'read_file', response: { output: 'hello' } } }] },
      ],
    });
    let text = '';
    for await (const chunk of second) text += chunk.text ?? '';
    assert.equal(text, 'The file says hello.');
    const sent = lastSent();
    const result = sent.currentMessage.userInputMessage.userInputMessageContext.toolResults[0];
    const historyCall = sent.history.at(-1).assistantResponseMessage.toolUses[0];
    assert.equal(result.toolUseId, historyCall.toolUseId);
    assert.equal(result.content[0].text, 'hello');
  });

  test('thinking comes back as thought parts', async () => {
    proxy.sim.enqueue({ thinking: 'Let me think.', text: 'Done.' });
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-pro',
      contents: 'think',
      config: { thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 } },
    });
    const parts = response.candidates![0].content!.parts!;
    assert.deepEqual(parts.map((p) => [p.text, p.thought ?? false]), [['Let me think.', true], ['Done.', false]]);
    assert.equal(response.text, 'Done.');
    assert.match(JSON.stringify(lastSent()), /<thinking_mode>enabled<\/thinking_mode>/);
  });

  test('inline image data is sent to Kiro', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    await ai.models.generateContent({
      model: 'gemini-2.5-pro',
      contents: [{ role: 'user', parts: [{ text: 'what is this?' }, { inlineData: { mimeType: 'image/png', data: png } }] }],
    });
    const images = lastSent().currentMessage.userInputMessage.images;
    assert.equal(images.length, 1);
    assert.equal(images[0].format, 'png');
  });

  test('an image inside functionResponse.parts (Gemini 3 read_file) reaches Kiro with the tool result', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const declarations = [{ name: 'read_file', description: 'Read a file', parameters: { type: Type.OBJECT, properties: { path: { type: Type.STRING } } } }];
    proxy.sim.enqueue({ text: 'A single pixel.' });
    const response = await aiBeta.models.generateContent({
      model: 'gemini-3-pro-preview',
      config: { tools: [{ functionDeclarations: declarations }] },
      contents: [
        { role: 'user', parts: [{ text: 'what is in pixel.png?' }] },
        { role: 'model', parts: [{ functionCall: { id: 'read-1', name: 'read_file', args: { path: 'pixel.png' } } }] },
        {
          role: 'user',
          parts: [createPartFromFunctionResponse('read-1', 'read_file', { output: 'Binary content provided (1 item(s)).' }, [createFunctionResponsePartFromBase64(png, 'image/png')])],
        },
      ],
    });
    assert.equal(response.text, 'A single pixel.');
    const current = lastSent().currentMessage.userInputMessage;
    assert.deepEqual(current.userInputMessageContext.toolResults.map((r: any) => [r.toolUseId, r.content[0].text]), [['read-1', 'Binary content provided (1 item(s)).']]);
    assert.deepEqual(current.images, [{ format: 'png', source: { bytes: png } }]);
  });

  test('responseMimeType with a responseSchema asks Kiro for JSON matching the schema', async () => {
    proxy.sim.enqueue({ text: '{"name":"Ada","born":1815}' });
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Who wrote the first program?',
      config: {
        responseMimeType: 'application/json',
        responseSchema: { type: Type.OBJECT, properties: { name: { type: Type.STRING }, born: { type: Type.INTEGER, nullable: true } }, required: ['name'] },
      },
    });
    assert.deepEqual(JSON.parse(response.text!), { name: 'Ada', born: 1815 });
    const system = lastSent().history[0].userInputMessage.content;
    const schema = { type: 'object', properties: { name: { type: 'string' }, born: { type: ['integer', 'null'] } }, required: ['name'] };
    assert.ok(system.includes(`Respond with a single JSON value matching this JSON Schema, and nothing else:\n${JSON.stringify(schema)}`), system);
  });

  test('countTokens and the model list', async () => {
    const count = await ai.models.countTokens({ model: 'gemini-2.5-pro', contents: 'a few words to count' });
    assert.ok(count.totalTokens! > 0);
    const pager = await ai.models.list();
    const names: string[] = [];
    for await (const model of pager) names.push(model.name!);
    assert.ok(names.includes('models/claude-sonnet-4-5'), names.join());
    const one = await ai.models.get({ model: 'claude-sonnet-4-5' });
    assert.equal(one.name, 'models/claude-sonnet-4-5');
    const betaNames: string[] = [];
    for await (const model of await aiBeta.models.list()) betaNames.push(model.name!);
    assert.deepEqual(betaNames, names);
    await assert.rejects(aiBeta.models.get({ model: 'no-such-model' }), (err: unknown) => err instanceof ApiError && err.status === 404);
  });

  test('errors come back in Gemini shape', async () => {
    await assert.rejects(
      ai.models.generateContent({ model: 'gemini-2.5-pro', contents: [{ role: 'narrator', parts: [{ text: 'x' }] }] }),
      (err: unknown) => err instanceof ApiError && err.status === 400 && /INVALID_ARGUMENT/.test(err.message),
    );
    // Wrong key, through ?key=: the guard answers in Gemini's shape too.
    const res = await fetch(`${proxy.url}/v1beta/models/gemini-2.5-pro:generateContent?key=wrong`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] }),
    });
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: { code: number; message: string; status: string } };
    assert.equal(body.error.code, 401);
    assert.equal(body.error.status, 'UNAUTHENTICATED');
    // The right key through ?key= works.
    const ok = await fetch(`${proxy.url}/v1beta/models/gemini-2.5-pro:generateContent?key=${KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] }),
    });
    assert.equal(ok.status, 200);
    // A failure mid-stream: an {error} chunk, which the SDK raises.
    proxy.sim.enqueue({ text: 'partial answer that breaks off', resetAfterFrames: 2 });
    await assert.rejects(async () => {
      const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'x' });
      for await (const _chunk of stream) void _chunk;
    }, (err: unknown) => err instanceof ApiError && err.status >= 500);
  });
});
