// Test-only AWS event-stream encoder (protocol doc §4.2), independent of the decoder under test.
export interface FrameSpec {
  eventType?: string;
  messageType?: 'event' | 'exception' | 'error';
  exceptionType?: string;
  /** Extra string headers, after the usual ones. */
  headers?: Record<string, string>;
  /** Already-encoded headers of other types, after the string ones. */
  rawHeaders?: Buffer;
  /** A JSON value (stringified) or the raw payload text. */
  payload: unknown;
}

export function encodeFrame(spec: FrameSpec): Buffer {
  const messageType = spec.messageType ?? 'event';
  const headers: Array<[string, string]> = [];
  if (messageType === 'exception') headers.push([':exception-type', spec.exceptionType ?? 'error']);
  else if (messageType === 'event') headers.push([':event-type', spec.eventType ?? 'assistantResponseEvent']);
  headers.push([':content-type', 'application/json'], [':message-type', messageType]);
  headers.push(...Object.entries(spec.headers ?? {}));

  const headerBytes = Buffer.concat([
    ...headers.map(([name, value]) => {
      const nameBytes = Buffer.from(name, 'latin1');
      const valueBytes = Buffer.from(value, 'utf8');
      const out = Buffer.alloc(1 + nameBytes.length + 3 + valueBytes.length);
      out[0] = nameBytes.length;
      nameBytes.copy(out, 1);
      out[1 + nameBytes.length] = 7;
      out.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
      valueBytes.copy(out, 4 + nameBytes.length);
      return out;
    }),
    spec.rawHeaders ?? Buffer.alloc(0),
  ]);
  const payload = Buffer.from(typeof spec.payload === 'string' ? spec.payload : JSON.stringify(spec.payload), 'utf8');
  const total = 16 + headerBytes.length + payload.length;
  const frame = Buffer.alloc(total);
  frame.writeUInt32BE(total, 0);
  frame.writeUInt32BE(headerBytes.length, 4);
  frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
  headerBytes.copy(frame, 12);
  payload.copy(frame, 12 + headerBytes.length);
  frame.writeUInt32BE(crc32(frame.subarray(0, total - 4)), total - 4);
  return frame;
}

export const event = (eventType: string, payload: unknown): Buffer => encodeFrame({ eventType, payload });
export const text = (content: string): Buffer => event('assistantResponseEvent', { content });
export const toolUse = (payload: { toolUseId: string; name: string; input?: unknown; stop?: boolean }): Buffer =>
  event('toolUseEvent', payload);
export const exception = (exceptionType: string, message: string): Buffer =>
  encodeFrame({ messageType: 'exception', exceptionType, payload: { message, reason: null } });

/** Splits `bytes` into chunks of the given sizes (the last chunk takes the rest). */
export function chunked(bytes: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) chunks.push(bytes.subarray(at));
  return chunks;
}

export async function* streamOf(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
