// AWS event-stream encoding for the simulator.
// The header block comes from smithy's HeaderMarshaller, which reproduces the real Kiro captures
// byte-for-byte (verified in test/unit/sim.test.mjs against every fixture). A frame's headers
// depend only on its event type, so each block is formatted once: formatting it for every frame
// was about half of the time an answer took to build (2.4–3.0 s for 1 MB, 0.6–0.7 s now).
import { HeaderMarshaller } from '@smithy/core/event-streams';

const headerMarshaller = new HeaderMarshaller(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (str) => new Uint8Array(Buffer.from(str, 'utf8')),
);
/** Formatted header blocks by event type, content type and message type. */
const headerBlocks = new Map();

function headerBlock(eventType, contentType, messageType) {
  const key = `${eventType}\n${contentType}\n${messageType}`;
  let block = headerBlocks.get(key);
  if (!block) {
    /** @type {Record<string, {type: 'string', value: string}>} */
    const headers = {};
    headers[messageType === 'exception' ? ':exception-type' : ':event-type'] = { type: 'string', value: eventType };
    headers[':content-type'] = { type: 'string', value: contentType };
    headers[':message-type'] = { type: 'string', value: messageType };
    block = Buffer.from(headerMarshaller.format(headers));
    headerBlocks.set(key, block);
  }
  return block;
}

/**
 * Encode one frame. Header order matches every real capture:
 * `:event-type` (or `:exception-type`), `:content-type`, `:message-type`. The framing is the
 * event-stream one: total length, headers length, prelude CRC, headers, payload, message CRC.
 * @param {string} eventType event name, or the exception type when messageType is 'exception'
 * @param {object|string} payload JSON members directly (no wrapper), or a raw string
 * @param {{messageType?: 'event'|'exception'|'error', exceptionType?: string, contentType?: string}} [opts]
 * @returns {Buffer}
 */
export function encodeFrame(eventType, payload, { messageType = 'event', exceptionType, contentType = 'application/json' } = {}) {
  const headers = headerBlock(messageType === 'exception' ? exceptionType ?? eventType : eventType, contentType, messageType);
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const total = 16 + headers.length + Buffer.byteLength(body);
  const frame = Buffer.allocUnsafe(total);
  frame.writeUInt32BE(total, 0);
  frame.writeUInt32BE(headers.length, 4);
  frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
  headers.copy(frame, 12);
  frame.write(body, 12 + headers.length, 'utf8');
  frame.writeUInt32BE(crc32(frame.subarray(0, total - 4)), total - 4);
  return frame;
}

/**
 * An in-stream exception frame (`:message-type` = exception), payload `{message, reason}`.
 * @param {string} exceptionType e.g. 'ThrottlingException', or 'error' for InternalServerException
 * @param {{message?: string, reason?: string|null}} [fields]
 */
export function encodeException(exceptionType, { message = 'Encountered an unexpected error when processing the request, please try again.', reason = null } = {}) {
  return encodeFrame(exceptionType, { message, reason }, { messageType: 'exception', exceptionType });
}

/** The `initial-response` frame Kiro CLI's awsJson flavour starts with (fixture kirocli-*). */
export function encodeInitialResponse() {
  return encodeFrame('initial-response', { conversationId: '' }, { contentType: 'application/x-amz-json-1.0' });
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** IEEE CRC32 (zlib); exported for fault injection and tests. @param {Uint8Array} buf */
export function crc32(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Copy of a frame whose trailing message CRC is wrong (prelude stays valid). @param {Buffer} frame */
export function corruptMessageCrc(frame) {
  const out = Buffer.from(frame);
  out.writeUInt32BE((out.readUInt32BE(out.length - 4) ^ 0xdeadbeef) >>> 0, out.length - 4);
  return out;
}
