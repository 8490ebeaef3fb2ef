// Kiro's request as UTF-8 bytes, serialized entry by entry instead of as one string. A string
// over V8's 128 KB object limit gets freshly mapped memory of its own, and on a VM that is
// costly: a 232 KB string took 0.95 ms (62 page faults) where a 100 KB one took 8 µs. A long
// conversation's request is often several hundred KB; its pieces (each history entry, the
// rest of the request) stay small, and only their bytes are joined, in the buffer that is sent.
import { tokenWeight } from '../tokens';

/** A Kiro request body (./request) as far as writing it goes: `history` is the last key of conversationState. */
interface KiroRequestShape {
  conversationState: { history?: readonly unknown[] };
  profileArn?: string;
}

export interface KiroRequestBytes {
  /** Exactly `JSON.stringify(body)`, as UTF-8. */
  bytes: Buffer;
  /** The token weight of that text (see tokenWeight), summed over its pieces. */
  textWeight: number;
}

export function encodeKiroRequest(body: KiroRequestShape): KiroRequestBytes {
  const { history, ...state } = body.conversationState;
  const stateJson = JSON.stringify(state);
  const pieces = ['{"conversationState":'];
  if (history === undefined) {
    pieces.push(stateJson);
  } else {
    // The entries go in before conversationState's closing brace, where JSON.stringify puts them.
    const open = stateJson.slice(0, -1);
    pieces.push(open, open === '{' ? '"history":[' : ',"history":[');
    history.forEach((entry, i) => {
      // The comma is a piece of its own: joined to an entry, it would cost a copy of the entry.
      if (i > 0) pieces.push(',');
      pieces.push(JSON.stringify(entry));
    });
    pieces.push(']}');
  }
  pieces.push(body.profileArn === undefined ? '}' : `,"profileArn":${JSON.stringify(body.profileArn)}}`);

  const sizes = pieces.map((piece) => Buffer.byteLength(piece));
  const bytes = Buffer.allocUnsafe(sizes.reduce((sum, size) => sum + size, 0));
  let at = 0;
  let textWeight = 0;
  pieces.forEach((piece, i) => {
    at += bytes.write(piece, at);
    textWeight += tokenWeight(piece, sizes[i]);
  });
  return { bytes, textWeight };
}
