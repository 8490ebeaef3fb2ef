// Kiro models in VS Code's own language model API (`vscode.lm`), in a real extension host against
// the Kiro simulator. Runs after kiro.spec.ts (mocha loads the specs in name order), which left the
// token cache imported and the proxy stopped: these requests never touch HTTP. On VS Code before
// 1.104 the provider API does not exist and the models must simply be absent.
// A second extension (test/lm-consumer, installed beside ours by the runner) uses the models the way
// Cline's "VS Code LM API" provider does.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KiroTestApi } from '../../src/extension';
import type { LanguageModelDataPart, LanguageModelTextPart, LanguageModelToolCallPart } from '../../src/host/chatModels/vscodeLm';
import { env, portOpen, simAccounts, simGet, simPost, until } from './simulator';

const EXTENSION_ID = 'kiro-proxy.kiro-proxy';
const CONSUMER_ID = 'kiro-proxy-tests.lm-consumer';
const PORT = Number(env('KIRO_SUITE_PORT'));
const [major, minor] = vscode.version.split('.').map(Number);
/** VS Code 1.104 finalized `lm.registerLanguageModelChatProvider`. */
const HAS_PROVIDER_API = major > 1 || minor >= 104;
/** What the simulator's ListAvailableModels lists for its accounts (test/sim/catalog.mjs). */
// Every model the suite's accounts list: the simulator's 2026 catalog (test/sim/catalog.mjs, all but
// the opt-in gpt-5.6), in sort order. The fixture's two accounts list fewer; the ones the suite adds, all.
const SIM_MODELS = [
  'MiniMax-M2.5', 'auto', 'claude-haiku-4.5', 'claude-opus-4.5', 'claude-opus-4.6', 'claude-opus-4.7', 'claude-opus-4.8', 'claude-opus-5',
  'claude-sonnet-4', 'claude-sonnet-4.5', 'claude-sonnet-4.6', 'claude-sonnet-5', 'deepseek-3.2', 'glm-5', 'qwen3-coder-next',
];
/** A real 1×1 PNG: the workbench decodes images it passes on, and a broken one fails there. */
const PNG = Uint8Array.from(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'));

/** The 1.104+ classes this spec builds messages from; the suite type-checks against the 1.93 floor. */
interface LmClasses {
  LanguageModelTextPart: new (value: string) => LanguageModelTextPart;
  LanguageModelToolCallPart: new (callId: string, name: string, input: object) => LanguageModelToolCallPart;
  LanguageModelToolResultPart: new (callId: string, content: unknown[]) => object;
  LanguageModelDataPart: { image(data: Uint8Array, mime: string): LanguageModelDataPart };
  LanguageModelChatMessage: { User(content: string | unknown[]): vscode.LanguageModelChatMessage; Assistant(content: string | unknown[]): vscode.LanguageModelChatMessage };
  LanguageModelChatToolMode: { Auto: number; Required: number };
  LanguageModelError: new (message?: string) => Error & { code: string };
  /** From the `languageModelThinkingPart` proposal; VS Code 1.139 exports the class to every extension. */
  LanguageModelThinkingPart: new (value: string | string[], id?: string) => { value: string | string[] };
}
const lm = vscode as unknown as LmClasses;

interface Streamed {
  stream: AsyncIterable<unknown>;
  text: AsyncIterable<string>;
}

interface RecordedChat {
  body: { conversationState: { currentMessage: { userInputMessage: { content: string; images?: Array<{ format: string; source: { bytes: string } }>; userInputMessageContext?: { toolResults?: Array<{ toolUseId: string; content: Array<{ text: string }> }>; tools?: Array<{ toolSpecification: { name: string } }> } } } } };
}

interface ConsumerModel { id: string; name: string; vendor: string; maxInputTokens: number; canSendRequest: boolean | undefined }
interface ConsumerAnswer { text?: string; chunks?: number; canSendRequest?: boolean; error?: { name: string; code: string; message: string; isLanguageModelError: boolean } }

const kiroModels = () => vscode.lm.selectChatModels({ vendor: 'kiro' });

async function model(id: string): Promise<vscode.LanguageModelChat> {
  const [found] = await vscode.lm.selectChatModels({ vendor: 'kiro', id });
  assert.ok(found, `Kiro model ${id} is offered`);
  return found;
}

async function lastChat(): Promise<RecordedChat> {
  const { requests } = await simGet<{ requests: RecordedChat[] }>('/__sim/requests?kind=chat');
  assert.ok(requests.length > 0, 'the simulator received a chat request');
  return requests[requests.length - 1];
}

describe('Kiro models in vscode.lm', function () {
  let api: KiroTestApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<KiroTestApi | undefined>(EXTENSION_ID);
    assert.ok(ext);
    const exports = await ext.activate();
    assert.ok(exports);
    api = exports;
    if (api.engine.pool.list().length === 0) await vscode.commands.executeCommand('kiro.scanTokenCache');
    assert.ok(api.engine.pool.list().length > 0, 'accounts imported');
    assert.equal(await portOpen(PORT), false, 'the HTTP proxy is stopped: requests below run in-process');
  });

  it('another extension is installed beside ours and sees exactly what VS Code offers it', async () => {
    assert.ok(vscode.extensions.getExtension(CONSUMER_ID), `${CONSUMER_ID} is installed (test/lm-consumer)`);
    const seen = (await vscode.commands.executeCommand<ConsumerModel[]>('kiroLmConsumer.models')) ?? [];
    assert.deepEqual(seen.map((m) => m.id).sort(), (await kiroModels()).map((m) => m.id).sort());
    if (!HAS_PROVIDER_API) assert.deepEqual(seen, []);
  });

  if (!HAS_PROVIDER_API) {
    it(`VS Code ${vscode.version}: no provider API, no Kiro models, the extension works as before`, async () => {
      assert.equal(typeof (vscode.lm as unknown as Record<string, unknown>).registerLanguageModelChatProvider, 'undefined');
      assert.deepEqual(await kiroModels(), []);
      assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    });
    return;
  }

  before(async () => {
    // Each account asks Kiro for its models (what the running proxy's background refresh does).
    await Promise.all(api.engine.pool.list().filter((a) => a.enabled).map((a) => api.engine.pool.refreshQuota(a.id)));
    await simPost('/__sim/reset', {});
  });

  // A test that fails before its request must not leave its scripted reply to the next one.
  afterEach(() => simPost('/__sim/reset', {}));

  it('selectChatModels({ vendor: "kiro" }) lists the models the simulator offers the accounts', async () => {
    const models = await until('the Kiro models', async () => {
      const list = await kiroModels();
      return list.length === SIM_MODELS.length && list;
    });
    assert.deepEqual(models.map((m) => m.id).sort(), SIM_MODELS);
    const sonnet = models.find((m) => m.id === 'claude-sonnet-4.5')!;
    assert.equal(sonnet.vendor, 'kiro');
    assert.equal(sonnet.name, 'Claude Sonnet 4.5');
    assert.equal(sonnet.family, 'claude-sonnet-4.5');
    assert.equal(sonnet.maxInputTokens, 200_000);
    assert.equal(models.find((m) => m.id === 'claude-opus-4.6')!.maxInputTokens, 1_000_000);
  });

  it('kiroProxy.chatModels.hidden takes a model out of the list, and back', async () => {
    const settings = vscode.workspace.getConfiguration('kiroProxy.chatModels');
    const changed = new Promise<void>((resolve) => {
      const sub = vscode.lm.onDidChangeChatModels(() => { sub.dispose(); resolve(); });
    });
    await settings.update('hidden', ['claude-opus-4.5'], vscode.ConfigurationTarget.Global);
    await changed;
    await until('claude-opus-4.5 hidden', async () => !(await kiroModels()).some((m) => m.id === 'claude-opus-4.5'));
    await settings.update('hidden', undefined, vscode.ConfigurationTarget.Global);
    await until('claude-opus-4.5 back', async () => (await kiroModels()).some((m) => m.id === 'claude-opus-4.5'));
  });

  it('sendRequest streams the text as Kiro sends it', async () => {
    const answer = 'Streaming from Kiro, one small piece after another, into VS Code.';
    // Paced beyond VS Code's own batching of reported parts (30 ms), so each piece arrives as its own.
    await simPost('/__sim/enqueue', { reply: { text: answer, deltaSize: [3, 6], frameDelayMs: 40, chunking: 'frame' } });
    const response = (await (await model('claude-sonnet-4.5')).sendRequest([vscode.LanguageModelChatMessage.User('Say something')])) as unknown as Streamed;
    const chunks: string[] = [];
    for await (const chunk of response.text) chunks.push(chunk);
    assert.equal(chunks.join(''), answer);
    assert.ok(chunks.length > 3, `streamed in ${chunks.length} pieces`);
    const sent = (await lastChat()).body.conversationState.currentMessage.userInputMessage;
    assert.match(sent.content, /Say something/);
  });

  it('a tool round trip: the call, then its result, then the final text', async () => {
    const tools = [{ name: 'get_weather', description: 'The weather in a city', inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
    const chat = await model('claude-sonnet-4.5');
    await simPost('/__sim/enqueue', { reply: { text: 'Let me look.', toolCalls: [{ id: 'tooluse_weather1', name: 'get_weather', input: { city: 'Paris' } }] } });
    const question = vscode.LanguageModelChatMessage.User('Weather in Paris?');
    const options = { tools, toolMode: lm.LanguageModelChatToolMode.Auto } as vscode.LanguageModelChatRequestOptions;
    const first = (await chat.sendRequest([question], options)) as unknown as Streamed;
    const parts: unknown[] = [];
    for await (const part of first.stream) parts.push(part);
    const call = parts.find((p): p is LanguageModelToolCallPart => p instanceof lm.LanguageModelToolCallPart);
    assert.ok(call, `a tool call among ${JSON.stringify(parts)}`);
    assert.equal(call.name, 'get_weather');
    assert.equal(call.callId, 'tooluse_weather1');
    assert.deepEqual(call.input, { city: 'Paris' });
    assert.equal((await lastChat()).body.conversationState.currentMessage.userInputMessage.userInputMessageContext?.tools?.[0].toolSpecification.name, 'get_weather');

    await simPost('/__sim/enqueue', { reply: { text: 'It is sunny in Paris.' } });
    const second = (await chat.sendRequest(
      [
        question,
        lm.LanguageModelChatMessage.Assistant([new lm.LanguageModelTextPart('Let me look.'), call]),
        lm.LanguageModelChatMessage.User([new lm.LanguageModelToolResultPart(call.callId, [new lm.LanguageModelTextPart('22 °C, sunny')])]),
      ],
      options,
    )) as unknown as Streamed;
    let text = '';
    for await (const chunk of second.text) text += chunk;
    assert.equal(text, 'It is sunny in Paris.');
    const results = (await lastChat()).body.conversationState.currentMessage.userInputMessage.userInputMessageContext?.toolResults;
    assert.deepEqual(results?.map((r) => [r.toolUseId, r.content[0].text]), [['tooluse_weather1', '22 °C, sunny']]);
  });

  it('kiroProxy.chatModels.thinking: Kiro reasons, VS Code gets thinking parts, and they go back to Kiro on the next turn', async () => {
    const settings = vscode.workspace.getConfiguration('kiroProxy.chatModels');
    await settings.update('thinking', 'low', vscode.ConfigurationTarget.Global);
    try {
      await simPost('/__sim/enqueue', { reply: { thinking: 'Two and two make four.', text: 'Four.' } });
      const chat = await model('claude-sonnet-4.5');
      const question = vscode.LanguageModelChatMessage.User('What is 2+2?');
      const first = (await chat.sendRequest([question])) as unknown as Streamed;
      const parts: unknown[] = [];
      for await (const part of first.stream) parts.push(part);
      const thinking = parts.filter((p) => p instanceof lm.LanguageModelThinkingPart).map((p) => [(p as { value: string | string[] }).value].flat().join(''));
      assert.equal(thinking.join(''), 'Two and two make four.', JSON.stringify(parts));
      assert.equal(parts.filter((p) => p instanceof lm.LanguageModelTextPart).map((p) => (p as LanguageModelTextPart).value).join(''), 'Four.');
      assert.match(JSON.stringify((await lastChat()).body), /<thinking_mode>adaptive<\/thinking_mode><thinking_effort>low<\/thinking_effort>/);

      await simPost('/__sim/enqueue', { reply: { text: 'Six.' } });
      const second = (await chat.sendRequest([
        question,
        lm.LanguageModelChatMessage.Assistant([new lm.LanguageModelThinkingPart('Two and two make four.'), new lm.LanguageModelTextPart('Four.')]),
        vscode.LanguageModelChatMessage.User('And 3+3?'),
      ])) as unknown as Streamed;
      for await (const chunk of second.text) void chunk;
      const history = JSON.stringify((await lastChat()).body);
      assert.match(history, /<thinking>Two and two make four.<\/thinking>/, 'the earlier reasoning went back to Kiro');
    } finally {
      await settings.update('thinking', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('an image reaches Kiro as an image', async () => {
    await simPost('/__sim/enqueue', { reply: { text: 'A tiny PNG.' } });
    const message = lm.LanguageModelChatMessage.User([new lm.LanguageModelTextPart('What is this?'), lm.LanguageModelDataPart.image(PNG, 'image/png')]);
    const response = (await (await model('claude-sonnet-4.5')).sendRequest([message])) as unknown as Streamed;
    let text = '';
    for await (const chunk of response.text) text += chunk;
    assert.equal(text, 'A tiny PNG.');
    const images = (await lastChat()).body.conversationState.currentMessage.userInputMessage.images;
    assert.deepEqual(images, [{ format: 'png', source: { bytes: Buffer.from(PNG).toString('base64') } }]);
  });

  it('cancelling mid-stream closes the Kiro connection at once', async () => {
    await simPost('/__sim/enqueue', { reply: { text: 'word '.repeat(400), deltaSize: [5, 5], frameDelayMs: 25, chunking: 'frame' } });
    const before = (await simGet<{ replies: unknown[] }>('/__sim/replies')).replies.length;
    const cancel = new vscode.CancellationTokenSource();
    const response = (await (await model('claude-sonnet-4.5')).sendRequest([vscode.LanguageModelChatMessage.User('Talk for long')], {}, cancel.token)) as unknown as Streamed;
    let received = 0;
    try {
      for await (const chunk of response.text) {
        received += chunk.length;
        if (received >= 20) cancel.cancel();
      }
    } catch {
      // Cancelled: VS Code may end the stream with an error.
    }
    const reply = await until('the simulator to see the connection closed', async () => {
      const { replies } = await simGet<{ replies: Array<{ outcome: string }> }>('/__sim/replies');
      return replies.length > before && replies[replies.length - 1];
    });
    assert.equal(reply.outcome, 'aborted', 'Kiro saw the client go away, not a finished stream');
    assert.ok(received < 2000, `stopped early (${received} characters)`);
    const entry = await until('the log entry', async () => api.engine.log.recent(1).find((e) => e.endpoint === 'VS Code chat' && e.status === 499));
    assert.equal(entry.clientModel, 'claude-sonnet-4.5');
  });

  it('every request is in the request log and the stats, as "VS Code chat"', async () => {
    const entries = api.engine.log.recent(100).filter((e) => e.endpoint === 'VS Code chat');
    assert.ok(entries.filter((e) => e.status === 200).length >= 4, JSON.stringify(entries.map((e) => e.status)));
    assert.ok(entries.every((e) => e.accountId && e.kiroModel === 'claude-sonnet-4.5'));
    const stats = api.engine.log.stats();
    assert.ok(stats.requests >= entries.length);
    assert.ok(stats.credits > 0, 'Kiro credits of these requests are counted');
  });

  it('another extension gets the answer through vscode.lm, with no consent prompt for a provider that asks none', async () => {
    const [seen] = ((await vscode.commands.executeCommand<ConsumerModel[]>('kiroLmConsumer.models')) ?? []).filter((m) => m.id === 'claude-haiku-4.5');
    assert.ok(seen, 'the consumer sees claude-haiku-4.5');
    assert.equal(seen.vendor, 'kiro');
    // Models of providers without `requiresAuthorization` (a proposed API) need no user consent.
    assert.notEqual(seen.canSendRequest, false);
    await simPost('/__sim/enqueue', { reply: { text: 'Hello, other extension.' } });
    const answer = await vscode.commands.executeCommand<ConsumerAnswer>('kiroLmConsumer.ask', 'claude-haiku-4.5', 'Hello from another extension');
    assert.equal(answer?.error, undefined, JSON.stringify(answer?.error));
    assert.equal(answer?.text, 'Hello, other extension.');
    assert.equal(answer?.canSendRequest, true);
    assert.match((await lastChat()).body.conversationState.currentMessage.userInputMessage.content, /Hello from another extension/);
  });

  it('every account cooling down: the other extension gets a LanguageModelError with the time left', async () => {
    const config = vscode.workspace.getConfiguration('kiroProxy');
    await config.update('maxWaitSeconds', 0, vscode.ConfigurationTarget.Global);
    try {
      await until('maxWaitSeconds 0 applied', async () => api.engine.config.maxWaitSeconds === 0);
      for (const account of await simAccounts()) await simPost('/__sim/behavior', { account: account.id, reply: { error: 'throttled', retryAfter: 120 } });
      const answer = await vscode.commands.executeCommand<ConsumerAnswer>('kiroLmConsumer.ask', 'claude-haiku-4.5', 'Anyone there?');
      assert.ok(answer?.error, `an error, got ${JSON.stringify(answer)}`);
      assert.equal(answer.error.isLanguageModelError, true, JSON.stringify(answer.error));
      assert.equal(answer.error.code, 'Blocked');
      assert.match(answer.error.message, /Every Kiro account is cooling down; the first is back in \d+ s/);
      const entry = api.engine.log.recent(1)[0];
      assert.equal(entry.endpoint, 'VS Code chat');
      assert.equal(entry.status, 429);
    } finally {
      await config.update('maxWaitSeconds', undefined, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('kiro.clearCooldowns');
    }
  });

  it('provideTokenCount counts as the HTTP count_tokens does', async () => {
    const chat = await model('claude-sonnet-4.5');
    // The engine's count over the same one-message prompt: what POST /v1/messages/count_tokens answers.
    const httpCount = (content: Array<{ type: 'text'; text: string } | { type: 'image'; source: { kind: 'base64'; mediaType: string; data: string } }>) =>
      api.engine.exchange.countTokens({ model: 'claude-sonnet-4.5', system: '', tools: [], messages: [{ role: 'user', content }] });
    const text = 'Count these words, please: one two three four five six seven.';
    assert.equal(await chat.countTokens(text), httpCount([{ type: 'text', text }]));
    const withImage = lm.LanguageModelChatMessage.User([new lm.LanguageModelTextPart('abcd'), lm.LanguageModelDataPart.image(PNG, 'image/png')]);
    const counted = await chat.countTokens(withImage);
    assert.equal(counted, httpCount([{ type: 'text', text: 'abcd' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: Buffer.from(PNG).toString('base64') } }]));
    assert.ok(counted > 1600, `an image counts as one (${counted})`);
  });

  it('kiroProxy.chatModels.enabled off removes the vendor; on brings it back', async () => {
    const settings = vscode.workspace.getConfiguration('kiroProxy.chatModels');
    await settings.update('enabled', false, vscode.ConfigurationTarget.Global);
    try {
      await until('no Kiro models', async () => (await kiroModels()).length === 0);
    } finally {
      await settings.update('enabled', undefined, vscode.ConfigurationTarget.Global);
    }
    await until('the Kiro models back', async () => (await kiroModels()).length === SIM_MODELS.length);
  });
});
