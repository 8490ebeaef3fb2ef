// Array helpers for the request path.

/**
 * `items.flatMap(map)`, as a loop: on Node 20 the built-in runs ~20× slower (64 µs against 3 µs
 * for 61 messages of two blocks), and parsing calls it once per message of every request.
 */
export function flatMapped<T, U>(items: readonly T[], map: (item: T) => readonly U[]): U[] {
  const out: U[] = [];
  for (const item of items) for (const mapped of map(item)) out.push(mapped);
  return out;
}
