// Reads a JSON request body with hard limits, so no upload can grow memory or blow the stack:
// a size cap (413), strict UTF-8, and a nesting cap checked before JSON.parse builds anything
// (every later step — tokens estimate, request building, JSON.stringify — recurses over it).
import type { IncomingMessage } from 'node:http';
import { ProxyError, invalidRequest } from '../errors';

/** Deeper than any real request (tool schemas nest a few dozen levels at most). */
export const MAX_JSON_DEPTH = 256;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export interface JsonBody {
  value: unknown;
  /** The body's size on the wire. */
  bytes: number;
}

export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<JsonBody> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  // Plain 'data'/'end' listeners: `for await` over the request built an async iterator, a
  // promise per chunk and a stream destroy per request, the largest cost of a small request.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        done();
        // The request keeps flowing with nobody listening: the rest of the upload is dropped as
        // it arrives, and the 413 reaches a client that is still sending (server/linger.ts).
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      if (size === 0) {
        reject(invalidRequest('The request body is empty; expected a JSON object.'));
        return;
      }
      try {
        resolve({ value: parseJsonText(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)), bytes: size });
      } catch (err) {
        reject(err);
      }
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    // Closed before its end (the client went away mid-upload).
    const onClose = () => {
      done();
      reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** The body bytes as JSON: strict UTF-8, bounded nesting, parse errors as 400. */
export function parseJsonText(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalidRequest('The request body is not valid UTF-8.');
  }
  checkDepth(text, MAX_JSON_DEPTH);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidRequest(`The request body is not valid JSON: ${String((err as Error).message).slice(0, 200)}`);
  }
}

/**
 * Linear scan of brackets outside strings; refuses nesting deeper than `max`. Strings are
 * skipped with `indexOf`, natively: most of a real request is string content (code, tool
 * results), and a character loop over it cost 700 µs for 140 KB, twice JSON.parse itself.
 */
export function checkDepth(text: string, max: number): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = closingQuote(text, i);
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) throw invalidRequest(`The request body nests deeper than ${max} levels.`);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
}

/** Where the string opened at `open` ends (the text's length if it never does). */
function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return text.length;
    // Escaped only by an odd run of backslashes right before it.
    let slashes = 0;
    while (text.charCodeAt(at - 1 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) return at;
  }
}

function tooLarge(maxBytes: number): ProxyError {
  const mb = maxBytes / 1024 / 1024;
  const shown = mb >= 1 ? `${Math.round(mb)} MB` : `${maxBytes} bytes`;
  return new ProxyError('request_too_large', `The request body is larger than ${shown}.`);
}
