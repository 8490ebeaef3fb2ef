// Deterministic randomness for the simulator. Every id, token, delta split and TCP cut comes
// from one seeded generator, so a failing test replays byte-for-byte with the same seed.

const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * mulberry32: tiny, fast, good enough for test data (not for crypto).
 * @param {number} seed
 */
export function createRng(seed = 1) {
  let s = seed >>> 0;
  /** @returns {number} float in [0, 1) */
  function next() {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** integer in [min, max] inclusive */
  const int = (min, max) => min + Math.floor(next() * (max - min + 1));
  /** @param {number} n @param {string} [alphabet] */
  const str = (n, alphabet = ALNUM) => {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[Math.floor(next() * alphabet.length)];
    return out;
  };
  const hex = (n) => str(n, '0123456789abcdef');
  const bytes = (n) => Buffer.from(Array.from({ length: n }, () => int(0, 255)));
  const uuid = () => {
    const h = hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[int(0, 3)]}${h.slice(17, 20)}-${h.slice(20)}`;
  };
  return {
    next, int, str, hex, bytes, uuid,
    /** Kiro tool ids: `tooluse_` + 22 URL-safe chars (§4.4). */
    toolUseId: () => 'tooluse_' + str(22, URL_SAFE),
    /** Social access tokens start `aoa`, refresh tokens `aor` and are long (§6.1). */
    accessToken: () => 'aoa' + str(180),
    refreshToken: () => 'aor' + str(160),
    /** Kiro API keys start `ksk_` (§11.3); the length of the rest is not documented. */
    apiKey: () => 'ksk_' + str(48),
  };
}

/** @typedef {ReturnType<typeof createRng>} Rng */
