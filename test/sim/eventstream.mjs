// AWS event-stream encoding for the simulator.
// The smithy EventStreamCodec encoder reproduces the real Kiro captures byte-for-byte (verified
// in test/unit/sim.test.mjs against every fixture), so we use it instead of hand-encoding.
import { EventStreamCodec } from '@smithy/core/event-streams';

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (str) => new Uint8Array(Buffer.from(str, 'utf8')),
);

/**
 * Encode one frame. Header order matches every real capture:
 * `:event-type` (or `:exception-type`), `:content-type`, `:message-type`.
 * @param {string} eventType event name, or the exception type when messageType is 'exception'
 * @param {object|string} payload JSON members directly (no wrapper), or a raw string
 * @param {{messageType?: 'event'|'exception'|'error', exceptionType?: string, contentType?: string}} [opts]
 * @returns {Buffer}
 */
export function encodeFrame(eventType, payload, { messageType = 'event', exceptionType, contentType = 'application/json' } = {}) {
  /** @type {Record<string, {type: 'string', value: string}>} */
  const headers = {};
  if (messageType === 'exception') headers[':exception-type'] = { type: 'string', value: exceptionType ?? eventType };
  else headers[':event-type'] = { type: 'string', value: eventType };
  headers[':content-type'] = { type: 'string', value: contentType };
  headers[':message-type'] = { type: 'string', value: messageType };
  const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload), 'utf8');
  return Buffer.from(codec.encode({ headers, body }));
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
