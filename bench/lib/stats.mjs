export function pct(values, p) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const i = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[i];
}
export const median = (v) => pct(v, 50);
export const round = (x, d = 3) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

/** Deterministic PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['the', 'proxy', 'stream', 'frame', 'delta', 'kiro', 'café', 'naïve', 'über', '中文', '日本語', '🙂', '🚀', 'x', 'quote"d', 'back\\slash', 'tab\there', 'line\nbreak', '{json:1}', '</thinking>', '  ', 'é', 'ß', 'Ω', 'a', 'ab', 'abc'];

/** Text of about `bytes` UTF-8 bytes with multi-byte characters, escapes and newlines. */
export function makeText(bytes, seed = 7) {
  const r = rng(seed);
  const parts = [];
  let n = 0;
  while (n < bytes) {
    const w = WORDS[Math.floor(r() * WORDS.length)] + ' ';
    parts.push(w);
    n += Buffer.byteLength(w);
  }
  return parts.join('');
}
