// JSON values arrive as `unknown`: one check for "a JSON object" that every parser shares.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
