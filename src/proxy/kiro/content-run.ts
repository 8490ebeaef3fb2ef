// Joins the text of consecutive plain `{"content":"…"}` frames (Kiro's commonest frame, 1–10
// characters each) straight from their bytes: one string and at most one JSON.parse per run,
// instead of a string, a parse and a trip through the reply pipeline per frame. The client
// sees the same text: the pieces of a run are only ever concatenated.
import type { FrameTaker, KiroFrame } from './eventstream';

const HEAD = Buffer.from('{"content":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;
/** JSON's one-character escapes (`\"` `\\` `\/` `\b` `\f` `\n` `\r` `\t`): escape letter → the byte it stands for. */
const SIMPLE_ESCAPES = new Map([
  [0x22, 0x22],
  [0x5c, 0x5c],
  [0x2f, 0x2f],
  [0x62, 0x08],
  [0x66, 0x0c],
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09],
]);

/**
 * Shared by every run: a run is taken (emptied) before the decoding loop that fills it yields,
 * so no two streams are ever in it at once, and 1,000 open streams cost no buffer each.
 */
let scratch = Buffer.allocUnsafe(4096);
const MAX_KEPT_BYTES = 1024 * 1024;

export class ContentRun implements FrameTaker {
  private length = 0;

  /**
   * Takes the frame's text into the run when it is an answer delta of exactly the plain form,
   * with one-character escapes only (decoded as they are copied) and no raw control characters;
   * false leaves the frame to the full decoder (other members, odd spacing, invalid JSON, and
   * `\u` escapes, whose surrogate halves may sit in different frames).
   */
  add(frame: KiroFrame): boolean {
    const { bytes, payloadStart, payloadEnd } = frame;
    if (bytes === undefined || payloadStart === undefined || payloadEnd === undefined) return false;
    return this.accept(frame.eventType, frame.messageType, bytes, payloadStart, payloadEnd);
  }

  /** `add` for a frame the decoder did not make an object of (see FrameTaker). */
  accept(eventType: string, messageType: string, bytes: Buffer, payloadStart: number, payloadEnd: number): boolean {
    if (eventType !== 'assistantResponseEvent' || messageType === 'exception' || messageType === 'error') return false;
    const start = payloadStart + HEAD.length;
    const end = payloadEnd - 2;
    if (end < start || bytes[end] !== QUOTE || bytes[end + 1] !== CLOSE_BRACE) return false;
    for (let i = 0; i < HEAD.length; i++) if (bytes[payloadStart + i] !== HEAD[i]) return false;
    if (scratch.length < this.length + (end - start)) grow(this.length + (end - start));
    const out = scratch;
    let at = this.length;
    for (let i = start; i < end; i++) {
      const b = bytes[i];
      // A quote would end the string early (more members follow); raw control characters are invalid JSON.
      if (b === QUOTE || b < 0x20) return false;
      if (b === BACKSLASH) {
        const decoded = i + 1 < end ? SIMPLE_ESCAPES.get(bytes[i + 1]) : undefined;
        if (decoded === undefined) return false;
        out[at++] = decoded;
        i++;
        continue;
      }
      out[at++] = b;
    }
    this.length = at;
    return true;
  }

  /** The run's text ('' when empty), and the run emptied. */
  take(): string {
    if (this.length === 0) return '';
    const text = scratch.toString('utf8', 0, this.length);
    this.length = 0;
    if (scratch.length > MAX_KEPT_BYTES) scratch = Buffer.allocUnsafe(4096); // one huge run does not pin its buffer
    return text;
  }
}

function grow(needed: number): void {
  const next = Buffer.allocUnsafe(Math.max(needed, scratch.length * 2));
  scratch.copy(next);
  scratch = next;
}
