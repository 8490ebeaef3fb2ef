// The four client protocols the proxy speaks, as the bench sends them: the request for a prompt,
// and the answer's text read back from the reply (streamed or not) after the clock stopped,
// with whether the reply ended the way a finished answer ends in that protocol.
const MODEL = 'claude-sonnet-4-5';
const JSON_HEADERS = { 'content-type': 'application/json' };
/** Anthropic requires max_tokens, and the proxy honours it: high enough for the 10 MB answers. */
const ANTHROPIC_MAX_TOKENS = 100_000_000;

/** Data lines of an SSE body, parsed (`[DONE]` kept as the string). */
function sseData(chunks) {
  const out = [];
  for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const data = line.slice(6);
    out.push(data === '[DONE]' ? data : JSON.parse(data));
  }
  return out;
}

function jsonBody(chunks) {
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

const geminiText = (chunk) => (chunk?.candidates?.[0]?.content?.parts ?? []).map((p) => p.text ?? '').join('');

export const PROTOCOLS = {
  anthropic: {
    label: 'Anthropic',
    path: () => '/v1/messages',
    headers: { ...JSON_HEADERS, 'anthropic-version': '2023-06-01' },
    body: (prompt, stream) => JSON.stringify({ model: MODEL, max_tokens: ANTHROPIC_MAX_TOKENS, stream, messages: [{ role: 'user', content: prompt }] }),
    streamText(chunks) {
      const parts = [];
      let stopped = false, error = null;
      for (const e of sseData(chunks)) {
        if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') parts.push(e.delta.text);
        else if (e.type === 'message_stop') stopped = true;
        else if (e.type === 'error') error = JSON.stringify(e);
      }
      return { text: parts.join(''), stopped, error, events: countEvents(chunks) };
    },
    jsonText(chunks) {
      const body = jsonBody(chunks);
      return { text: (body?.content ?? []).filter((b) => b.type === 'text').map((b) => b.text).join(''), stopped: body?.type === 'message' };
    },
  },
  chat: {
    label: 'Chat',
    path: () => '/v1/chat/completions',
    headers: JSON_HEADERS,
    body: (prompt, stream) => JSON.stringify({ model: MODEL, stream, messages: [{ role: 'user', content: prompt }] }),
    streamText(chunks) {
      const parts = [];
      let stopped = false, error = null;
      for (const e of sseData(chunks)) {
        if (e === '[DONE]') stopped = true;
        else if (e.error) error = JSON.stringify(e);
        else if (typeof e.choices?.[0]?.delta?.content === 'string') parts.push(e.choices[0].delta.content);
      }
      return { text: parts.join(''), stopped, error, events: countEvents(chunks) };
    },
    jsonText(chunks) {
      const body = jsonBody(chunks);
      return { text: body?.choices?.[0]?.message?.content ?? '', stopped: typeof body?.choices?.[0]?.finish_reason === 'string' };
    },
  },
  responses: {
    label: 'Responses',
    path: () => '/v1/responses',
    headers: JSON_HEADERS,
    body: (prompt, stream) => JSON.stringify({ model: MODEL, stream, input: prompt }),
    streamText(chunks) {
      const parts = [];
      let stopped = false, error = null;
      for (const e of sseData(chunks)) {
        if (e.type === 'response.output_text.delta') parts.push(e.delta);
        else if (e.type === 'response.completed') stopped = true;
        else if (e.type === 'response.failed' || e.type === 'error') error = JSON.stringify(e);
      }
      return { text: parts.join(''), stopped, error, events: countEvents(chunks) };
    },
    jsonText(chunks) {
      const body = jsonBody(chunks);
      const text = (body?.output ?? []).filter((o) => o.type === 'message').flatMap((o) => o.content).filter((c) => c.type === 'output_text').map((c) => c.text).join('');
      return { text, stopped: body?.status === 'completed' };
    },
  },
  gemini: {
    label: 'Gemini',
    path: (stream) => `/v1beta/models/${MODEL}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
    headers: JSON_HEADERS,
    body: (prompt) => JSON.stringify({ contents: [{ role: 'user', parts: [{ text: prompt }] }] }),
    streamText(chunks) {
      const data = sseData(chunks);
      const error = data.find((e) => e.error);
      return { text: data.map(geminiText).join(''), stopped: typeof data.at(-1)?.candidates?.[0]?.finishReason === 'string', error: error ? JSON.stringify(error) : null, events: data.length };
    },
    jsonText(chunks) {
      const body = jsonBody(chunks);
      return { text: geminiText(body), stopped: typeof body?.candidates?.[0]?.finishReason === 'string' };
    },
  },
};

export const PROTOCOL_NAMES = Object.keys(PROTOCOLS);

/** SSE events in a body (blank-line separated blocks). */
export function countEvents(chunks) {
  return Buffer.concat(chunks).toString('latin1').split('\n\n').length - 1;
}

/** Where a request template takes its prompt: a JSON string of this text. */
export const PROMPT_SLOT = '[[prompt]]';

/** `json` with its prompt slot filled. */
export function withPrompt(json, prompt) {
  return json.replace(JSON.stringify(PROMPT_SLOT), JSON.stringify(prompt));
}

/**
 * An Anthropic streaming request the size of a Claude Code turn deep into a session (~230 KB):
 * a long system prompt, 20 tools, and 30 tool calls whose results are source files, then the
 * prompt. The small requests above cost what every request costs; this one shows what grows
 * with the request (parsing, checks, estimates, building Kiro's JSON). Same text every run.
 */
export function sessionSizedBody(prompt) {
  sessionTemplate ??= JSON.stringify(sessionSizedRequest());
  return withPrompt(sessionTemplate, prompt);
}
let sessionTemplate;

function sessionSizedRequest() {
  const param = (j) => [`p${j}`, { type: 'string', description: 'What this parameter means, and its format. '.repeat(3) }];
  const tools = Array.from({ length: 20 }, (_, i) => ({
    name: `Tool${i}`,
    description: `Tool ${i} does one thing, and this is how to use it well. `.repeat(14),
    input_schema: { type: 'object', properties: Object.fromEntries(Array.from({ length: 6 }, (_, j) => param(j))), required: ['p0'] },
  }));
  const sourceFile = (i) => `export function step${i}(count: number, label: string): string {\n  // Joins the label "${i}" count times.\n  return label.repeat(count) + '${i}';\n}\n`.repeat(40);
  const messages = [{ role: 'user', content: 'Please find and fix the bug in the parser, then run the tests. '.repeat(6) }];
  for (let i = 0; i < 30; i++) {
    messages.push({ role: 'assistant', content: [{ type: 'text', text: `Reading src/step${i}.ts.` }, { type: 'tool_use', id: `toolu_${String(i).padStart(24, '0')}`, name: 'Tool1', input: { p0: `src/step${i}.ts` } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${String(i).padStart(24, '0')}`, content: sourceFile(i) }] });
  }
  messages.at(-1).content.push({ type: 'text', text: PROMPT_SLOT });
  const system = [{ type: 'text', text: 'You are an interactive CLI tool that helps users with software engineering tasks. '.repeat(180) }];
  return { model: MODEL, max_tokens: 32_000, stream: true, system, tools, messages };
}
