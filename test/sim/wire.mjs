// Writes event-stream bytes the way a real network delivers them: in uneven pieces that cut
// frames at arbitrary offsets (§4.2 "frames are split arbitrarily across TCP chunks"), with
// optional stalls and connection drops.

/**
 * Sleep that ends early when `signal` aborts (client went away or simulator closing).
 * @param {number} ms @param {AbortSignal} signal
 */
export function sleep(ms, signal) {
  if (!ms || ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(undefined); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Wait until the signal aborts (a stall that only ends when someone hangs up). @param {AbortSignal} signal */
export const waitForAbort = (signal) => new Promise((resolve) => {
  if (signal.aborted) resolve(undefined); else signal.addEventListener('abort', () => resolve(undefined), { once: true });
});

/**
 * One write, done when the bytes are handed to the socket or when the peer hangs up: Node
 * never calls a write's callback once the socket is destroyed under it, so waiting for the
 * callback alone would leave the reply unrecorded forever.
 * @param {import('node:http').ServerResponse} res @param {Buffer} chunk @param {AbortSignal} signal
 */
function write(res, chunk, signal) {
  return new Promise((resolve) => {
    const done = () => { signal.removeEventListener('abort', done); resolve(undefined); };
    signal.addEventListener('abort', done, { once: true });
    res.write(chunk, done);
  });
}

/**
 * Choose byte offsets at which to cut `total` bytes into writes.
 * 'random' guarantees at least one cut strictly inside a frame, so a decoder that assumes
 * frame-aligned chunks always fails against the simulator.
 * @param {number[]} frameStarts offsets where frames begin (plus the end offset)
 * @param {number} total
 * @param {'random'|'frame'|'single'} mode
 * @param {import('./prng.mjs').Rng} rng
 * @param {number} maxChunk
 * @returns {number[]} ascending cut offsets, excluding 0 and total
 */
export function chooseCuts(frameStarts, total, mode, rng, maxChunk = 160) {
  if (total === 0 || mode === 'single') return [];
  if (mode === 'frame') return frameStarts.filter((o) => o > 0 && o < total);
  const cuts = [];
  for (let at = rng.int(1, maxChunk); at < total; at += rng.int(1, maxChunk)) cuts.push(at);
  const boundaries = new Set(frameStarts);
  if (total > 1 && cuts.every((c) => boundaries.has(c))) {
    // Force a mid-frame cut inside the first frame longer than one byte.
    const end = frameStarts.find((o) => o > 1) ?? total;
    const mid = Math.max(1, Math.floor(end / 2));
    if (!cuts.includes(mid)) cuts.push(mid);
    cuts.sort((a, b) => a - b);
  }
  return cuts;
}

/**
 * Stream segments to an HTTP response with faults applied.
 * @param {import('node:http').ServerResponse} res
 * @param {Array<{bytes: Buffer, frame: boolean}>} segments
 * @param {{rng: import('./prng.mjs').Rng, signal: AbortSignal, chunking?: 'random'|'frame'|'single', maxChunk?: number,
 *          frameDelayMs?: number, stallAfterFrames?: number, resetAfterFrames?: number}} opts
 * @param {(chunk: Buffer) => void} [onChunk] observer for every write (tests, debugging)
 * @returns {Promise<'ended'|'stalled'|'reset'|'aborted'>}
 */
export async function writeStream(res, segments, opts, onChunk) {
  const { rng, signal } = opts;
  const limitFrames = opts.resetAfterFrames ?? opts.stallAfterFrames;
  // Keep segments up to the frame limit (garbage after the last kept frame is dropped too).
  const kept = [];
  let frames = 0;
  for (const s of segments) {
    if (limitFrames !== undefined && frames >= limitFrames) break;
    kept.push(s);
    if (s.frame) frames++;
  }
  const starts = [];
  let offset = 0;
  for (const s of kept) { if (s.frame) starts.push(offset); offset += s.bytes.length; }
  starts.push(offset);
  const bytes = Buffer.concat(kept.map((s) => s.bytes));
  const cuts = chooseCuts(starts, bytes.length, opts.chunking ?? 'random', rng, opts.maxChunk);

  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    if (signal.aborted || res.destroyed) return 'aborted';
    const chunk = bytes.subarray(from, to);
    from = to;
    if (!chunk.length) continue;
    await write(res, chunk, signal);
    onChunk?.(chunk);
    // Yield between writes so each write leaves as its own TCP segment / HTTP chunk.
    if (opts.frameDelayMs) await sleep(opts.frameDelayMs, signal);
    else await new Promise((resolve) => setImmediate(resolve));
  }
  if (opts.resetAfterFrames !== undefined) {
    res.socket?.destroy();
    return 'reset';
  }
  if (opts.stallAfterFrames !== undefined) {
    await waitForAbort(signal);
    return 'stalled';
  }
  res.end();
  return 'ended';
}
