// Random digits for the ids replies carry (message, completion, response, item and tool-call
// ids). randomBytes makes a synchronous randomFillSync call every time; randomUUID draws on a
// cached entropy pool, which showed in the per-request CPU profile.
import { randomUUID } from 'node:crypto';

/** `digits` random lowercase hex digits (30 of a v4 UUID's 32 are random: its version and variant digits are left out). */
export function randomHex(digits: number): string {
  let out = '';
  while (out.length < digits) {
    const uuid = randomUUID(); // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx
    out += uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(15, 18) + uuid.slice(20, 23) + uuid.slice(24);
  }
  return out.slice(0, digits);
}
