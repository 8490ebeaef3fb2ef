// Gemini's OpenAPI schema subset as JSON Schema (function parameters, `responseSchema`).
import { isRecord } from '../../records';

/** Gemini's OpenAPI subset spells types in capitals (`OBJECT`, `STRING`) and has `nullable`. */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'type' && typeof value === 'string') out.type = value.toLowerCase() === 'type_unspecified' ? undefined : value.toLowerCase();
    else if (key === 'properties' && isRecord(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, toJsonSchema(schema)]));
    } else if (key === 'nullable' || key === 'propertyOrdering') continue;
    else out[key] = toJsonSchema(value);
  }
  if (out.type === undefined) delete out.type;
  return (node as Record<string, unknown>).nullable === true ? orNull(out) : out;
}

/** JSON Schema has no `nullable`: null joins the types (and the enum, which would refuse it). */
function orNull(schema: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(schema.anyOf)) return { ...schema, anyOf: [...schema.anyOf, { type: 'null' }] };
  if (typeof schema.type !== 'string') return schema; // no type: null is allowed already
  return { ...schema, type: [schema.type, 'null'], ...(Array.isArray(schema.enum) ? { enum: [...schema.enum, null] } : {}) };
}

