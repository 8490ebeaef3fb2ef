// URL images through the real CLI and the official SDKs: an address on this computer or a private
// network is refused with a 400 in the client's own shape, unless the user allowed it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startProxy } from '../helpers/proxy';

const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe('URL images on private addresses', () => {
  let imageServer: Server;
  let imageUrl: string;
  const served: string[] = [];
  before(async () => {
    imageServer = createServer((req, res) => {
      served.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from(PNG_1PX, 'base64'));
    });
    await new Promise<void>((ok) => imageServer.listen(0, '127.0.0.1', ok));
    imageUrl = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}/secret.png`;
  });
  after(() => imageServer.close());

  test('are refused by default: Anthropic and OpenAI clients get a 400 of their own kind, the server is never asked', async () => {
    const proxy = await startProxy();
    try {
      served.length = 0;
      const anthropic = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
      await assert.rejects(
        anthropic.messages.create({
          model: 'claude-sonnet-4-5',
          max_tokens: 50,
          messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: imageUrl } }, { type: 'text', text: 'what is this?' }] }],
        }),
        (err: unknown) => err instanceof Anthropic.BadRequestError && /private or local address \(127\.0\.0\.1\)/.test(err.message) && (err.error as { error?: { type?: string } }).error?.type === 'invalid_request_error',
      );
      const openai = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      await assert.rejects(
        openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: imageUrl } }, { type: 'text', text: 'what is this?' }] }] }),
        (err: unknown) => err instanceof OpenAI.BadRequestError && /--allow-private-image-urls/.test(err.message) && err.type === 'invalid_request_error',
      );
      assert.deepEqual(served, []);
      assert.equal(proxy.sim.chatRequests().length, 0, 'nothing went to Kiro');
    } finally {
      await proxy.stop();
    }
  });

  test('are fetched with --allow-private-image-urls', async () => {
    const proxy = await startProxy({ args: ['--allow-private-image-urls'] });
    try {
      served.length = 0;
      const anthropic = new Anthropic({ baseURL: proxy.url, apiKey: 'unused', maxRetries: 0 });
      const message = await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 50,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: imageUrl } }, { type: 'text', text: 'what is this?' }] }],
      });
      assert.equal(message.type, 'message');
      assert.deepEqual(served, ['/secret.png']);
      const sent = proxy.sim.chatRequests().at(-1)!.body.conversationState.currentMessage.userInputMessage;
      assert.deepEqual(sent.images, [{ format: 'png', source: { bytes: PNG_1PX } }]);
    } finally {
      await proxy.stop();
    }
  });
});
