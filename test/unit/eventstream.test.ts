import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EventStreamDecoder, type KiroFrame } from '../../src/proxy/kiro/eventstream';
import { ProxyError } from '../../src/proxy/errors';
import { encodeFrame, event, exception, text, type FrameSpec } from './helpers/frames';

const FIXTURES = fileURLToPath(new URL('../sim/fixtures/eventstream', import.meta.url));

interface DecodedFixture {
  frames: Array<{ offset: number; totalLength: number; headers: Array<{ name: string; value: string }>; payload: string }>;
  totalBytesDecodedFromBase64?: number;
  decodedBytes: number;
}

const captures = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.bin'))
  .map((name) => {
    const decoded: DecodedFixture = JSON.parse(
      readFileSync(join(FIXTURES, name.replace(/(\.complete-frames)?\.bin$/, '.decoded.json')), 'utf8'),
    );
    return { name, bytes: readFileSync(join(FIXTURES, name)), decoded };
  });

function expectedFrames(decoded: DecodedFixture): FrameFields[] {
  return decoded.frames.map((frame) => {
    const header = (name: string) => frame.headers.find((h) => h.name === name)?.value;
    return { eventType: header(':event-type') ?? '', messageType: header(':message-type') ?? '', payload: frame.payload };
  });
}

/** What a frame says, without where its bytes are. */
type FrameFields = Pick<KiroFrame, 'eventType' | 'messageType' | 'exceptionType' | 'errorMessage' | 'payload'>;

function fields(frame: KiroFrame): FrameFields {
  const { eventType, messageType, exceptionType, errorMessage, payload } = frame;
  return { eventType, messageType, ...(exceptionType === undefined ? {} : { exceptionType }), ...(errorMessage === undefined ? {} : { errorMessage }), payload };
}

function decodeChunks(chunks: Buffer[], decoder = new EventStreamDecoder()): { frames: FrameFields[]; leftoverBytes: number } {
  const frames = chunks.flatMap((chunk) => decoder.push(chunk).map(fields));
  return { frames, ...decoder.finish() };
}

function oneByteChunks(bytes: Buffer): Buffer[] {
  return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

describe('EventStreamDecoder on real Kiro captures', () => {
  test('there are captures to test', () => {
    assert.equal(captures.length, 5);
  });

  for (const { name, bytes, decoded } of captures) {
    test(`${name}: whole buffer gives the frames of the .decoded.json`, () => {
      const decoder = new EventStreamDecoder();
      const result = decodeChunks([bytes], decoder);
      assert.deepEqual(result.frames, expectedFrames(decoded));
      assert.equal(result.leftoverBytes, 0);
      assert.equal(decoder.skippedBytes, 0);
    });

    test(`${name}: split at every offset and in 1-byte chunks gives identical frames`, () => {
      const expected = expectedFrames(decoded);
      for (let at = 1; at < bytes.length; at++) {
        const result = decodeChunks([bytes.subarray(0, at), bytes.subarray(at)]);
        assert.deepEqual(result.frames, expected, `split at ${at}`);
        assert.equal(result.leftoverBytes, 0);
      }
      assert.deepEqual(decodeChunks(oneByteChunks(bytes)).frames, expected);
    });
  }

  test('the turn-1 Kiro CLI capture is cut mid-frame: complete frames decode, the tail is reported', () => {
    const b64 = readFileSync(join(FIXTURES, 'kirocli-20260524-turn1-partial.b64.txt'), 'utf8').trim();
    const bytes = Buffer.from(b64, 'base64');
    const decoded: DecodedFixture = JSON.parse(readFileSync(join(FIXTURES, 'kirocli-20260524-turn1-partial.decoded.json'), 'utf8'));
    const result = decodeChunks(oneByteChunks(bytes));
    assert.deepEqual(result.frames, expectedFrames(decoded));
    assert.equal(result.frames[2].payload, '{"content":"好！我是 ","modelId":"auto"}');
    assert.equal(result.leftoverBytes, bytes.length - decoded.decodedBytes);
    assert.ok(result.leftoverBytes > 0);
  });
});

describe('EventStreamDecoder resynchronisation', () => {
  const medium = captures.find((c) => c.name.includes('medium-text'))!;
  const frames = expectedFrames(medium.decoded);
  const second = medium.decoded.frames[1];

  test('a bad message CRC drops that frame only; later frames still decode', () => {
    const bytes = Buffer.from(medium.bytes);
    bytes[second.offset + second.totalLength - 10] ^= 0x01; // a payload byte of frame 2
    for (const chunks of [[bytes], oneByteChunks(bytes)]) {
      const decoder = new EventStreamDecoder();
      const result = decodeChunks(chunks, decoder);
      assert.deepEqual(result.frames, [frames[0], ...frames.slice(2)]);
      assert.equal(decoder.skippedBytes, second.totalLength);
      assert.equal(decoder.lostFrames, 1, 'a sound prelude with a bad body is a lost event');
      assert.equal(result.leftoverBytes, 0);
    }
  });

  test('a frame repeating the last header block still has every byte past its prelude checked', () => {
    // Frame 2 repeats frame 1's headers, so its CRC is carried over them, not read through them:
    // a flipped byte anywhere after its prelude must still lose it, with or without a taker.
    // The real capture's block is 92 bytes; the made-up one's 98 leaves a tail past its last word.
    const made = [1, 2, 3].map((n) => encodeFrame({ headers: { x: 'y' }, payload: { content: `part ${n}` } }));
    const streams = [
      { name: 'capture', bytes: medium.bytes, frames, second: medium.decoded.frames[1] },
      {
        name: 'made-up',
        bytes: Buffer.concat(made),
        frames: made.map((_, i) => ({ eventType: 'assistantResponseEvent', messageType: 'event', payload: `{"content":"part ${i + 1}"}` })),
        second: { offset: made[0].length, totalLength: made[1].length },
      },
    ];
    assert.deepEqual(medium.decoded.frames[0].headers, second.headers);
    assert.equal(made[1].readUInt32BE(4) % 4, 2);
    for (const stream of streams) {
      for (const withTaker of [false, true]) {
        for (let at = 12; at < stream.second.totalLength; at++) {
          const bytes = Buffer.from(stream.bytes);
          bytes[stream.second.offset + at] ^= 0x20;
          const decoder = new EventStreamDecoder();
          const got: FrameFields[] = [];
          const taker = {
            accept: (eventType: string, messageType: string, b: Buffer, start: number, end: number) => (got.push({ eventType, messageType, payload: b.toString('utf8', start, end) }), true),
          };
          got.push(...decoder.push(bytes, withTaker ? taker : undefined).map(fields));
          const where = `${stream.name}${withTaker ? ' with a taker' : ''}: byte ${at} of frame 2 flipped`;
          assert.deepEqual(got, [stream.frames[0], ...stream.frames.slice(2)], where);
          assert.equal(decoder.lostFrames, 1, where);
        }
      }
    }
  });

  test('header blocks of 70 lengths, each repeated, decode alike whole and byte by byte', () => {
    const specs = Array.from({ length: 70 }, (_, n): FrameSpec => ({ headers: n ? { x: 'y'.repeat(n) } : {}, payload: { content: `d${n}` } }));
    // Each block twice in a row: the second frame's CRC is carried over the block by a shift
    // built for its length (92 to 166 bytes here, so every length mod 4 and mod 8).
    const series = specs.flatMap((spec) => [spec, spec]);
    const bytes = Buffer.concat(series.map(encodeFrame));
    const expected = series.map((spec) => ({ eventType: 'assistantResponseEvent', messageType: 'event', payload: JSON.stringify(spec.payload) }));
    assert.deepEqual(decodeChunks([bytes]).frames, expected);
    assert.deepEqual(decodeChunks(oneByteChunks(bytes)).frames, expected);
  });

  test('a bad prelude CRC drops that frame only', () => {
    const bytes = Buffer.from(medium.bytes);
    bytes[second.offset + 9] ^= 0xff; // the prelude CRC of frame 2
    const decoder = new EventStreamDecoder();
    const result = decodeChunks([bytes], decoder);
    assert.deepEqual(result.frames, [frames[0], ...frames.slice(2)]);
    assert.equal(decoder.skippedBytes, second.totalLength);
    assert.equal(decoder.lostFrames, 1, 'the skipped bytes held a frame (its headers): its event is lost');
  });

  test("a damaged length field loses that frame, counted as lost, not as noise", () => {
    const bytes = Buffer.from(medium.bytes);
    bytes[second.offset + 2] ^= 0x01; // frame 2's total length
    const decoder = new EventStreamDecoder();
    const result = decodeChunks([bytes], decoder);
    assert.deepEqual(result.frames, [frames[0], ...frames.slice(2)]);
    assert.equal(decoder.lostFrames, 1);
  });

  test('garbage between frames is skipped and counted, whatever the chunking', () => {
    const garbage = Buffer.from([0, 0, 0, 0x20, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0x7b, 0x22, 0x00, 0x00, 0x01]);
    const bytes = Buffer.concat([text('one'), garbage, text('two'), garbage, garbage, text('three')]);
    const expected = ['one', 'two', 'three'].map((content) => ({
      eventType: 'assistantResponseEvent',
      messageType: 'event',
      payload: JSON.stringify({ content }),
    }));
    for (let at = 1; at < bytes.length; at++) {
      const decoder = new EventStreamDecoder();
      const result = decodeChunks([bytes.subarray(0, at), bytes.subarray(at)], decoder);
      assert.deepEqual(result.frames, expected, `split at ${at}`);
      assert.equal(decoder.skippedBytes, garbage.length * 3);
      assert.equal(decoder.lostFrames, 0);
    }
    const decoder = new EventStreamDecoder();
    assert.deepEqual(decodeChunks(oneByteChunks(bytes), decoder).frames, expected);
    assert.equal(decoder.skippedBytes, garbage.length * 3);
  });

  test('garbage before the first frame is skipped', () => {
    const result = decodeChunks([Buffer.from('HTTP/1.1 junk'), text('hi')]);
    assert.deepEqual(result.frames.map((f) => f.payload), ['{"content":"hi"}']);
  });

  test('too many bad frames in a row raise ProxyError(upstream)', () => {
    const corrupt = (content: string) => {
      const frame = text(content);
      frame[frame.length - 1] ^= 0xff; // message CRC
      return frame;
    };
    const decoder = new EventStreamDecoder({ maxConsecutiveFailures: 5 });
    const bad = Buffer.concat(['a', 'b', 'c', 'd', 'e'].map(corrupt));
    assert.deepEqual(decoder.push(bad), []);
    assert.throws(
      () => decoder.push(corrupt('f')),
      (err: unknown) => err instanceof ProxyError && err.kind === 'upstream' && /6 bad frames/.test(err.message),
    );
  });

  test('good frames decoded before the stream breaks are delivered; the error comes next', () => {
    const corrupt = (content: string) => {
      const frame = text(content);
      frame[frame.length - 1] ^= 0xff;
      return frame;
    };
    const decoder = new EventStreamDecoder({ maxConsecutiveFailures: 1 });
    const frames = decoder.push(Buffer.concat([text('kept'), corrupt('a'), corrupt('b')]));
    assert.deepEqual(frames.map((f) => f.payload), ['{"content":"kept"}']);
    assert.throws(() => decoder.finish(), (err: unknown) => err instanceof ProxyError && err.kind === 'upstream');
  });

  test('a good frame resets the failure count', () => {
    const corrupt = (content: string) => {
      const frame = text(content);
      frame[frame.length - 1] ^= 0xff;
      return frame;
    };
    const decoder = new EventStreamDecoder({ maxConsecutiveFailures: 2 });
    const parts = [corrupt('a'), corrupt('b'), text('ok'), corrupt('c'), corrupt('d'), text('ok2')];
    const frames = decoder.push(Buffer.concat(parts));
    assert.deepEqual(frames.map((f) => f.payload), ['{"content":"ok"}', '{"content":"ok2"}']);
  });

  test('a body that is not an event stream at all fails once the resync budget is spent', () => {
    const decoder = new EventStreamDecoder({ maxResyncBytes: 1000 });
    assert.throws(() => decoder.push(Buffer.alloc(2000, 0x41)), (err: unknown) => err instanceof ProxyError && err.kind === 'upstream');
  });

  test('a prelude announcing more than the frame cap is treated as corruption', () => {
    const frame = text('hello');
    const decoder = new EventStreamDecoder({ maxFrameBytes: frame.length - 1 });
    assert.deepEqual(decoder.push(frame), []);
    assert.equal(decoder.skippedBytes, frame.length - 11);
  });
});

describe('EventStreamDecoder headers and tail', () => {
  test('a truncated last frame is reported as leftover bytes', () => {
    const whole = Buffer.concat([text('a'), text('b')]);
    const decoder = new EventStreamDecoder();
    const frames = decoder.push(whole.subarray(0, whole.length - 7));
    assert.equal(frames.length, 1);
    assert.deepEqual(decoder.finish(), { leftoverBytes: text('b').length - 7 });
  });

  test('exception frames carry :exception-type; error frames :error-code and :error-message', () => {
    const error = encodeFrame({
      messageType: 'error',
      headers: { ':error-code': 'InternalFailure', ':error-message': 'boom' },
      payload: '',
    });
    const frames = new EventStreamDecoder().push(Buffer.concat([exception('ThrottlingException', 'slow down'), error]));
    assert.deepEqual(frames.map(fields), [
      { eventType: '', messageType: 'exception', exceptionType: 'ThrottlingException', payload: '{"message":"slow down","reason":null}' },
      { eventType: '', messageType: 'error', exceptionType: 'InternalFailure', errorMessage: 'boom', payload: '' },
    ]);
  });

  test('headers of other types are skipped by their size', () => {
    const raw = Buffer.concat([
      Buffer.from([4]), Buffer.from('flag'), Buffer.from([0]), // bool true
      Buffer.from([3]), Buffer.from('num'), Buffer.from([4, 0, 0, 0, 42]), // int32
      Buffer.from([2]), Buffer.from('id'), Buffer.from([9]), Buffer.alloc(16, 7), // uuid
      Buffer.from([3]), Buffer.from('bin'), Buffer.from([6, 0, 3, 1, 2, 3]), // bytes
    ]);
    const frame = encodeFrame({ eventType: 'meteringEvent', rawHeaders: raw, payload: { usage: 0.5 } });
    assert.deepEqual(new EventStreamDecoder().push(frame).map(fields), [{ eventType: 'meteringEvent', messageType: 'event', payload: '{"usage":0.5}' }]);
  });

  test('a frame tells where its payload bytes are, in the chunk that held it whole', () => {
    const chunk = Buffer.concat([text('one'), event('meteringEvent', { usage: 0.5 })]);
    const [first, second] = new EventStreamDecoder().push(chunk);
    for (const frame of [first, second]) {
      assert.equal(frame.bytes, chunk, 'no copy for a frame inside one chunk');
      assert.equal(frame.bytes!.toString('utf8', frame.payloadStart, frame.payloadEnd), frame.payload);
    }
    assert.equal(second.payload, '{"usage":0.5}');
  });

  test('a frame whose headers differ from the last one only in a byte or two is read afresh, never taken from the last', () => {
    // Same header length, different event type (and one that differs only in its last byte):
    // the decoder remembers the last header block, and must notice every byte of a change.
    const frames = new EventStreamDecoder().push(
      Buffer.concat([text('a'), event('toolUseEventX', { n: 1 }), event('toolUseEventY', { n: 2 }), event('toolUseEventY', { n: 3 }), text('b')]),
    );
    assert.deepEqual(
      frames.map((f) => [f.eventType, f.payload]),
      [
        ['assistantResponseEvent', '{"content":"a"}'],
        ['toolUseEventX', '{"n":1}'],
        ['toolUseEventY', '{"n":2}'],
        ['toolUseEventY', '{"n":3}'],
        ['assistantResponseEvent', '{"content":"b"}'],
      ],
    );
  });

  test('a taker gets the leading frames it accepts, without frame objects; the rest come back in order', () => {
    const taken: string[] = [];
    const taker = {
      accept(eventType: string, _messageType: string, bytes: Buffer, start: number, end: number) {
        if (eventType !== 'assistantResponseEvent') return false;
        taken.push(bytes.toString('utf8', start, end));
        return true;
      },
    };
    const decoder = new EventStreamDecoder();
    // The first frame of a stream teaches the decoder its headers: it comes back as an object.
    assert.deepEqual(decoder.push(text('first'), taker).map((f) => f.payload), ['{"content":"first"}']);
    const rest = decoder.push(Buffer.concat([text('a'), text('b'), event('meteringEvent', { usage: 1 }), text('c')]), taker);
    assert.deepEqual(taken, ['{"content":"a"}', '{"content":"b"}']);
    assert.deepEqual(rest.map((f) => [f.eventType, f.payload]), [
      ['meteringEvent', '{"usage":1}'],
      ['assistantResponseEvent', '{"content":"c"}'],
    ], 'after the first refusal, the rest of the chunk comes back as frames, so the order holds');
  });

  test('frames a taker took before the stream broke count as delivered: the error waits for the next call', () => {
    const corrupt = text('lost');
    corrupt[corrupt.length - 1] ^= 0xff;
    const taken: string[] = [];
    const taker = { accept: (_e: string, _m: string, bytes: Buffer, start: number, end: number) => (taken.push(bytes.toString('utf8', start, end)), true) };
    const decoder = new EventStreamDecoder({ maxConsecutiveFailures: 0 });
    decoder.push(text('first'), taker);
    assert.deepEqual(decoder.push(Buffer.concat([text('kept'), corrupt]), taker), [], 'taken, then the break is held back');
    assert.deepEqual(taken, ['{"content":"kept"}']);
    assert.throws(() => decoder.push(text('more'), taker), (err: unknown) => err instanceof ProxyError && err.kind === 'upstream');
  });

  test('multi-byte UTF-8 split across chunks decodes intact', () => {
    const frame = event('assistantResponseEvent', { content: '你好, 🌍!' });
    const { frames } = decodeChunks(oneByteChunks(frame));
    assert.equal(JSON.parse(frames[0].payload).content, '你好, 🌍!');
  });
});
