// Kiro only takes inline base64 images, while clients may send `http(s):` or `data:` URLs.
// This turns every URL image of a conversation into base64 before the request is built.
import { invalidRequest, ProxyError } from '../errors';
import type { Conversation, ImageBlock } from '../model';
import type { KiroHttp } from './http';
import { LightAbortController, abortWith } from '../abort';
import { refusedAddress } from './public-address';

type Base64Source = Extract<ImageBlock['source'], { kind: 'base64' }>;

export interface ImageFetchOptions {
  /** Largest decoded image accepted, in bytes. */
  maxBytes: number;
  /** For all the conversation's images together. */
  timeoutMs: number;
  /** The client's: a client that left stops the fetches. */
  signal: AbortSignal;
  /** Which resolved addresses may be fetched from, checked on every hop (`isPublicAddress` unless the user allows private ones). */
  addressAllowed: (ip: string) => boolean;
}

type FetchLimits = Omit<ImageFetchOptions, 'timeoutMs'>;

const MAX_REDIRECTS = 3;

/** Whether any image of the conversation is a URL that `resolveImageUrls` must fetch or decode. */
export function hasUrlImages(conv: Conversation): boolean {
  for (const message of conv.messages) {
    for (const block of message.content) if (block.type === 'image' && block.source.kind === 'url') return true;
  }
  return false;
}

/** Replaces URL image sources in place, fetching them in parallel; throws 400s the client can act on. */
export async function resolveImageUrls(conv: Conversation, http: KiroHttp, opts: ImageFetchOptions): Promise<void> {
  const abort = new LightAbortController();
  const unlink = abortWith(opts.signal, abort);
  const timer = setTimeout(() => abort.abort(new Error(`no answer within ${opts.timeoutMs / 1000} s`)), opts.timeoutMs);
  const limits: FetchLimits = { maxBytes: opts.maxBytes, signal: abort.signal, addressAllowed: opts.addressAllowed };
  const pending: Array<Promise<void>> = [];
  for (const message of conv.messages) {
    for (const block of message.content) {
      if (block.type !== 'image' || block.source.kind !== 'url') continue;
      const url = block.source.url;
      pending.push(loadImage(url, http, limits).then((source) => void (block.source = source)));
    }
  }
  try {
    await Promise.all(pending);
  } finally {
    // One failed image fails the request: stop fetching the others.
    clearTimeout(timer);
    unlink();
    abort.abort();
  }
}

async function loadImage(url: string, http: KiroHttp, opts: FetchLimits): Promise<Base64Source> {
  if (url.startsWith('data:')) return decodeDataUrl(url, opts.maxBytes);
  if (/^https?:\/\//i.test(url)) return fetchImage(url, http, opts);
  throw invalidRequest(`Image URL ${describe(url)} is not supported: use http(s), a data: URL or base64.`);
}

function decodeDataUrl(url: string, maxBytes: number): Base64Source {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (!match) throw invalidRequest('Malformed data: URL in an image.');
  const [, declaredType, params, payload] = match;
  const bytes = params.split(';').includes('base64')
    ? Buffer.from(payload, 'base64')
    : Buffer.from(decodeURIComponent(payload), 'utf8');
  checkSize(bytes.length, maxBytes, 'data: URL');
  return { kind: 'base64', mediaType: imageType(declaredType, bytes), data: bytes.toString('base64') };
}

async function fetchImage(url: string, http: KiroHttp, opts: FetchLimits): Promise<Base64Source> {
  const res = await openImage(url, http, opts);
  if (res.statusCode < 200 || res.statusCode >= 300) {
    await res.body.dump().catch(() => undefined);
    throw invalidRequest(`Could not fetch image ${describe(url)}: HTTP ${res.statusCode}.`);
  }
  checkSize(Number(res.headers['content-length'] ?? 0), opts.maxBytes, describe(url));
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += chunk.length;
      // Servers may omit or lie about content-length: count while reading.
      checkSize(size, opts.maxBytes, describe(url));
      chunks.push(chunk);
    }
  } catch (err) {
    // Leaving the loop early has already destroyed the body.
    throw err instanceof ProxyError
      ? err
      : invalidRequest(`Could not fetch image ${describe(url)}: ${(err as Error).message}`);
  }
  const bytes = Buffer.concat(chunks);
  const header = String(res.headers['content-type'] ?? '').split(';')[0].trim();
  return { kind: 'base64', mediaType: imageType(header, bytes), data: bytes.toString('base64') };
}

type ImageResponse = Awaited<ReturnType<KiroHttp['request']>>;

/** GET with redirects followed by hand, so every hop's address is checked before it is connected to. */
async function openImage(url: string, http: KiroHttp, opts: FetchLimits): Promise<ImageResponse> {
  let target = url;
  for (let hop = 0; ; hop++) {
    await checkAddress(target, opts.addressAllowed);
    let res: ImageResponse;
    try {
      res = await http.request(target, { method: 'GET', headers: { accept: 'image/*' }, signal: opts.signal });
    } catch (err) {
      throw invalidRequest(`Could not fetch image ${describe(url)}: ${(err as Error).message}`);
    }
    const location = res.headers.location;
    if (res.statusCode < 300 || res.statusCode >= 400 || typeof location !== 'string') return res;
    await res.body.dump().catch(() => undefined);
    if (hop === MAX_REDIRECTS) throw invalidRequest(`Could not fetch image ${describe(url)}: more than ${MAX_REDIRECTS} redirects.`);
    target = new URL(location, target).href;
    if (!/^https?:$/.test(new URL(target).protocol)) throw invalidRequest(`Image ${describe(url)} redirects to a URL that is not http(s).`);
  }
}

async function checkAddress(url: string, allowed: (ip: string) => boolean): Promise<void> {
  const { hostname } = new URL(url);
  let refused: string | undefined;
  try {
    refused = await refusedAddress(hostname, allowed);
  } catch (err) {
    throw invalidRequest(`Could not fetch image ${describe(url)}: ${(err as Error).message}`);
  }
  if (refused !== undefined) {
    throw invalidRequest(
      `Image ${describe(url)} is on a private or local address (${refused}); the proxy fetches images only from public addresses. ` +
        'Send the image inline (base64 or a data: URL), or allow private addresses with --allow-private-image-urls (CLI) or kiroProxy.allowPrivateImageUrls (VS Code).',
    );
  }
}

function checkSize(bytes: number, maxBytes: number, what: string): void {
  if (bytes > maxBytes) throw invalidRequest(`Image ${what} is larger than ${maxBytes} bytes.`);
}

/** The declared type when it is an image type, else what the magic bytes say. */
function imageType(declared: string, bytes: Buffer): string {
  const type = declared.toLowerCase();
  if (type.startsWith('image/')) return type;
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return type || 'application/octet-stream';
}

/** URLs go into error messages shortened: they can be long or carry tokens in the query. */
function describe(url: string): string {
  const base = url.split('?')[0];
  return base.length > 120 ? `${base.slice(0, 120)}…` : base;
}

/**
 * The conversation with every image replaced by a short note, for a model that takes text only
 * (its `supportedInputTypes` lack IMAGE, §11.6): Kiro would refuse the request with a 400.
 * Returns the number of images replaced; 0 leaves the conversation as it was.
 */
export function replaceImagesWithNotes(conv: Conversation, kiroModel: string): { conversation: Conversation; replaced: number } {
  let replaced = 0;
  const note = `[An image was left out here: ${kiroModel} does not accept images.]`;
  const messages = conv.messages.map((message) => {
    if (!message.content.some((block) => block.type === 'image')) return message;
    return {
      ...message,
      content: message.content.map((block) => {
        if (block.type !== 'image') return block;
        replaced++;
        return { type: 'text' as const, text: note };
      }),
    };
  });
  return { conversation: replaced ? { ...conv, messages } : conv, replaced };
}
