// Cheap token estimate for usage numbers Kiro does not report. No tokenizer: Claude's tokenizer
// is not public and a BPE table would cost startup time on the request hot path. Rules of thumb:
// ~4 ASCII characters per token, ~1 token per CJK character, ~2 other characters per token.

/**
 * Fractional token weight of `text`; sum weights of pieces and round once at the end.
 * `utf8Bytes`: its UTF-8 size, when the caller knows it already.
 */
export function tokenWeight(text: string, utf8Bytes = Buffer.byteLength(text, 'utf8')): number {
  // All ASCII (its UTF-8 is one byte per character), as most prompts, JSON and every base64 image
  // are: counted natively, ~30× faster than the loop below (2.4 ms → 0.08 ms for 500 KB).
  if (utf8Bytes === text.length) return text.length / 4;
  let ascii = 0;
  let wide = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) ascii++;
    else if (isWide(code)) wide++;
    else other++;
  }
  return ascii / 4 + wide + other / 2;
}

export function estimateTokens(text: string): number {
  return Math.ceil(tokenWeight(text));
}

/** CJK ideographs, kana, hangul, and full-width forms: each is roughly one token. */
function isWide(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) || // CJK unified ideographs
    (code >= 0x3000 && code <= 0x30ff) || // CJK punctuation, hiragana, katakana
    (code >= 0x3400 && code <= 0x4dbf) || // CJK extension A
    (code >= 0xac00 && code <= 0xd7af) || // hangul syllables
    (code >= 0xf900 && code <= 0xfaff) || // CJK compatibility ideographs
    (code >= 0xff00 && code <= 0xffef) // full-width forms
  );
}
