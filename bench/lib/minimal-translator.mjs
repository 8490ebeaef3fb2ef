// Child process: the least an Anthropic → Kiro translator can do on the proxy's HTTP stack, as a
// yardstick for the latency phase. It reads the request whole and parses it, puts the last user
// text into a fixed Kiro request (the one the proxy built for the bench's template, with its
// headers), sends that through undici's dispatch, decodes Kiro's event stream frame by frame and
// answers in Anthropic's format: one JSON message, or SSE events as the text arrives. No
// accounts, no failover, no history repair, no log: what the proxy does beyond this is its own.
//   node bench/lib/minimal-translator.mjs <upstream url> <JSON {headers, template}>
import { Pool } from 'undici';
import { servePassThrough } from './serve.mjs';
import { eachKiroFrame } from './client.mjs';

const upstream = new URL(process.argv[2]);
const { headers: kiroHeaders, template } = JSON.parse(process.argv[3]);
const pool = new Pool(upstream.origin, { connections: null, keepAliveTimeout: 30_000 });
let replies = 0;

servePassThrough((req, res) => {
  const body = [];
  req.on('data', (c) => body.push(c));
  req.on('end', () => {
    let request;
    try {
      request = JSON.parse(Buffer.concat(body).toString('utf8'));
    } catch {
      res.writeHead(400);
      res.end();
      return;
    }
    const last = request.messages.at(-1);
    template.conversationState.currentMessage.userInputMessage.content = typeof last.content === 'string' ? last.content : last.content.map((b) => b.text ?? '').join('');
    const reply = new AnthropicReply(res, request.model, request.stream === true);
    let pending = Buffer.alloc(0);
    pool.dispatch({ path: '/generateAssistantResponse', method: 'POST', headers: kiroHeaders, body: JSON.stringify(template) }, {
      onConnect() {},
      onHeaders(statusCode) {
        if (statusCode !== 200) throw new Error(`Kiro answered ${statusCode}`);
        return true;
      },
      onData(chunk) {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        const consumed = eachKiroFrame(pending, (eventType, _messageType, payload) => {
          if (eventType === 'assistantResponseEvent') reply.text(JSON.parse(payload).content);
        });
        pending = pending.subarray(consumed);
        return true;
      },
      onComplete() { reply.end(); },
      onError() { if (res.headersSent) res.destroy(); else { res.writeHead(502); res.end(); } },
    });
  });
});

class AnthropicReply {
  constructor(res, model, stream) {
    this.res = res;
    this.stream = stream;
    this.message = { id: `msg_${++replies}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, usage: { input_tokens: 1, output_tokens: 0 } };
    this.texts = [];
  }

  text(text) {
    if (!this.stream) {
      this.texts.push(text);
      return;
    }
    if (!this.res.headersSent) {
      this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      this.event('message_start', { type: 'message_start', message: this.message });
      this.event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    }
    this.event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
  }

  end() {
    if (this.stream) {
      this.event('content_block_stop', { type: 'content_block_stop', index: 0 });
      this.event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } });
      this.event('message_stop', { type: 'message_stop' });
      this.res.end();
      return;
    }
    const json = JSON.stringify({ ...this.message, content: [{ type: 'text', text: this.texts.join('') }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } });
    this.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    this.res.end(json);
  }

  event(name, data) {
    this.res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
