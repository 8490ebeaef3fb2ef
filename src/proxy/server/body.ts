// Reads a JSON request body with a hard size cap, so a huge or endless upload cannot grow memory.
import type { IncomingMessage } from 'node:http';
import { ProxyError, invalidRequest } from '../errors';

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  if (size === 0) throw invalidRequest('The request body is empty; expected a JSON object.');
  const text = Buffer.concat(chunks, size).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidRequest(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}

function tooLarge(maxBytes: number): ProxyError {
  return new ProxyError('request_too_large', `The request body is larger than ${Math.round(maxBytes / 1024 / 1024)} MB.`);
}
