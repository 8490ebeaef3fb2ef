// Request-body generators for the fuzz tests: random JSON, random bytes, truncated and
// invalid-UTF-8 bodies, and real requests mutated (wrong types, missing and extra fields, huge
// strings, deep nesting). Each yields the body bytes and a label of how it was made.
import fc from 'fast-check';

export interface FuzzBody {
  kind: string;
  bytes: Buffer;
}

const KNOWN_KEYS = [
  'role', 'content', 'type', 'text', 'tool_use_id', 'tool_calls', 'tool_call_id', 'id', 'name', 'input', 'arguments', 'source',
  'image_url', 'url', 'function', 'parameters', 'input_schema', 'messages', 'system', 'tools', 'tool_choice', 'thinking',
  'budget_tokens', 'stream', 'stream_options', 'include_usage', 'max_tokens', 'model', 'cache_control', 'signature', 'data',
  'media_type', 'metadata', 'user_id', 'is_error', 'output_config', 'effort', 'reasoning_effort', 'n', 'response_format',
  'stop', 'stop_sequences', 'stopSequences', 'max_completion_tokens', 'max_output_tokens', 'maxOutputTokens', 'generationConfig', 'ttl',
  'max_uses', 'allowed_domains', 'blocked_domains', 'encrypted_content', 'page_age', 'web_search_options', 'filters',
  'googleSearch', 'excludeDomains', 'googleSearchRetrieval',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty',
];

const weird = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 1e308, -1e308, '', [], {}, 'user', 'assistant', 'tool', 'text', 'image', 'tool_use', 'tool_result', 'function', 'x'.repeat(70)),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.array(fc.constantFrom<unknown>(null, 1, 'a', {}, []), { maxLength: 5 }),
);

type Op =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'insert'; at: number; key: string; value: unknown }
  | { kind: 'huge'; at: number; size: number }
  | { kind: 'deep'; at: number; depth: number; object: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: weird }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.string({ maxLength: 8 })), value: weird }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), at: fc.nat(), size: fc.constantFrom(1_000, 70_000, 400_000) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deep' as const),
      at: fc.nat(),
      // Shallow enough for any parser, and far deeper than any recursion in the proxy can take.
      depth: fc.oneof(fc.integer({ min: 10, max: 2000 }), fc.integer({ min: 20_000, max: 100_000 })),
      object: fc.boolean(),
    }),
  },
);

interface Node {
  parent: any;
  key: string | number;
}

/** Every slot of a JSON value (for replace/delete) and every container (for insert). */
function slots(root: any): { nodes: Node[]; containers: any[] } {
  const nodes: Node[] = [];
  const containers: any[] = [];
  const walk = (value: any) => {
    if (value === null || typeof value !== 'object') return;
    containers.push(value);
    for (const key of Array.isArray(value) ? value.keys() : Object.keys(value)) {
      nodes.push({ parent: value, key });
      walk(value[key]);
    }
  };
  walk(root);
  return { nodes, containers };
}

const DEEP = '__fuzz_deep__';

/** The text of `depth` nested arrays or objects around a leaf, balanced. */
function nestedText(depth: number, object: boolean): string {
  return object ? '{"a":'.repeat(depth) + '"leaf"' + '}'.repeat(depth) : '['.repeat(depth) + '"leaf"' + ']'.repeat(depth);
}

export function applyOps(seed: unknown, ops: Op[]): unknown {
  const root = { root: structuredClone(seed) };
  for (const o of ops) {
    const { nodes, containers } = slots(root.root);
    const node: Node = nodes.length ? nodes[o.at % nodes.length] : { parent: root, key: 'root' };
    switch (o.kind) {
      case 'replace':
        node.parent[node.key] = structuredClone(o.value);
        break;
      case 'delete':
        if (Array.isArray(node.parent)) node.parent.splice(node.key as number, 1);
        else delete node.parent[node.key];
        break;
      case 'insert': {
        const target = containers.length ? containers[o.at % containers.length] : root;
        if (Array.isArray(target)) target.splice(o.at % (target.length + 1), 0, structuredClone(o.value));
        else Object.defineProperty(target, o.key, { value: structuredClone(o.value), enumerable: true, writable: true, configurable: true });
        break;
      }
      case 'huge':
        node.parent[node.key] = 'A'.repeat(o.size);
        break;
      case 'deep':
        // A placeholder, expanded in the text (building 200k levels as objects would overflow
        // JSON.stringify in the generator itself).
        node.parent[node.key] = `${DEEP}${o.depth}:${o.object ? 1 : 0}`;
        break;
    }
  }
  return root.root;
}

const encode = (value: unknown) =>
  Buffer.from(
    (JSON.stringify(value) ?? 'null').replace(new RegExp(`"${DEEP}(\\d+):([01])"`, 'g'), (_, depth, object) => nestedText(Number(depth), object === '1')),
    'utf8',
  );

const BAD_UTF8 = [[0xff], [0xfe], [0xc0, 0xaf], [0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x00]];

/** All body generators for one endpoint, weighted towards mutated real requests. */
export function bodyArbitrary(seeds: unknown[]): fc.Arbitrary<FuzzBody> {
  const seed = fc.constantFrom(...seeds);
  const mutated = fc.tuple(seed, fc.array(op, { minLength: 1, maxLength: 4 })).map(([s, ops]) => ({ kind: 'mutated', bytes: encode(applyOps(s, ops)) }));
  const randomJson = fc.jsonValue({ maxDepth: 8 }).map((v) => ({ kind: 'random-json', bytes: encode(v) }));
  const randomObject = fc.dictionary(fc.constantFrom(...KNOWN_KEYS), weird, { maxKeys: 8 }).map((v) => ({ kind: 'random-object', bytes: encode(v) }));
  const randomBytes = fc.uint8Array({ maxLength: 512 }).map((b) => ({ kind: 'random-bytes', bytes: Buffer.from(b) }));
  const truncated = fc.tuple(seed, fc.double({ min: 0, max: 1, noNaN: true })).map(([s, f]) => {
    const b = encode(s);
    return { kind: 'truncated', bytes: b.subarray(0, Math.floor(b.length * f)) };
  });
  const badUtf8 = fc
    .tuple(seed, fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...BAD_UTF8)), { minLength: 1, maxLength: 3 }))
    .map(([s, inserts]) => {
      let b = encode(s);
      for (const [f, bytes] of inserts) {
        const at = Math.floor(b.length * f);
        b = Buffer.concat([b.subarray(0, at), Buffer.from(bytes), b.subarray(at)]);
      }
      return { kind: 'invalid-utf8', bytes: b };
    });
  const deepText = fc.tuple(fc.integer({ min: 200, max: 100_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => ({
    kind: 'deep-text',
    // Unbalanced on purpose: the depth check must stop it before JSON.parse or the stack does.
    bytes: Buffer.from(open.repeat(depth)),
  }));
  return fc.oneof(
    { weight: 12, arbitrary: mutated },
    { weight: 2, arbitrary: randomJson },
    { weight: 2, arbitrary: randomObject },
    { weight: 1, arbitrary: randomBytes },
    { weight: 1, arbitrary: truncated },
    { weight: 1, arbitrary: badUtf8 },
    { weight: 1, arbitrary: deepText },
  );
}
