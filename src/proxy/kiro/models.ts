// Client model name → Kiro `modelId` (docs/kiro-protocol.md §3.3). Clients ask for Anthropic names
// (`claude-sonnet-4-5-20250929`), OpenAI names (`gpt-4o`) or Kiro's own dotted ids; Kiro only
// accepts its own ids and answers anything else with 400 INVALID_MODEL_ID.

/** Kiro model ids we know are (or were recently) accepted on the wire. */
export const KIRO_MODEL_IDS = [
  'auto',
  'claude-sonnet-4',
  'claude-sonnet-4.5',
  'claude-sonnet-4.6',
  'claude-sonnet-5',
  'claude-haiku-4.5',
  'claude-opus-4.5',
  'claude-opus-4.6',
  'claude-opus-4.7',
  'claude-opus-4.8',
  'claude-opus-5',
  'claude-sonnet-4.5-1m',
  'claude-sonnet-4.6-1m',
  'claude-opus-4.6-1m',
  // Kiro's older upper-case ids (real IDE captures, §3.3): sent as they are.
  'CLAUDE_SONNET_4_20250514_V1_0',
  'CLAUDE_SONNET_4_5_20250929_V1_0',
  'CLAUDE_3_7_SONNET_20250219_V1_0',
  'CLAUDE_3_5_HAIKU_20241022_V1_0',
] as const;

export type KiroModelId = (typeof KIRO_MODEL_IDS)[number];

const KNOWN = new Set<string>(KIRO_MODEL_IDS);

/** Non-Claude names clients send by habit. */
const ALIASES: Record<string, KiroModelId> = {
  'gpt-4o': 'claude-sonnet-4',
  'gpt-4': 'claude-sonnet-4',
  'gpt-4o-mini': 'claude-haiku-4.5',
  'gpt-3.5-turbo': 'claude-haiku-4.5',
  o1: 'claude-opus-4.5',
  'o1-preview': 'claude-opus-4.5',
};

/** Normalised names that Kiro only knows under an upper-case legacy id. */
const LEGACY_IDS: Record<string, KiroModelId> = {
  'claude-3.7-sonnet': 'CLAUDE_3_7_SONNET_20250219_V1_0',
};

/**
 * Where an unknown name of a family goes. Only ids confirmed by several sources (§3.3 [C]):
 * the newer single-source ids pass through when asked for by name, but are not a safe guess.
 */
const FAMILY_BEST: Record<ClaudeFamily, KiroModelId> = {
  opus: 'claude-opus-4.6',
  sonnet: 'claude-sonnet-4.6',
  haiku: 'claude-haiku-4.5',
};

type ClaudeFamily = 'opus' | 'sonnet' | 'haiku';

const ONE_MILLION_SUFFIX = /(?:\[1m\]|-1m)$/;
/** Date stamps, `-latest` and `-thinking` say nothing about which Kiro model to use. */
const IGNORED_SUFFIX = /-(?:\d{8}|latest|thinking)$/;
/** Bedrock (`us.anthropic.claude-…-v1:0`) and Vertex (`claude-…@20250929`) spellings of the same names. */
const CLOUD_PREFIX = /^(?:[a-z]+(?:-[a-z]+)?\.)?anthropic\./; // us. eu. apac. global. us-gov.
const CLOUD_SUFFIX = /(?:-v\d+(?::\d+)?|@\d{8})$/;
/** `claude-sonnet-4-5`, `claude-sonnet-4.5`, `claude-opus-4`. */
const NEW_STYLE = /^claude-(opus|sonnet|haiku)-(\d+)(?:[-.](\d{1,2}))?$/;
/** `claude-3-7-sonnet`, `claude-3.5-haiku`, `claude-3-opus`. */
const OLD_STYLE = /^claude-(\d+)(?:[-.](\d{1,2}))?-(opus|sonnet|haiku)$/;
const FAMILY = /opus|sonnet|haiku/;

/**
 * The Kiro model id for a client's model name, in this order (issue 13 §4): the user's mapping
 * (exact names, sent as is); the exact id in the accounts' live list (`live`, the union of their
 * ListAvailableModels, matched without regard to case and passed on in Kiro's own spelling); the
 * client's naming styles of it (`claude-opus-5-20260701`, `claude-opus-4-6`, Bedrock and Vertex
 * forms, `[1m]`); then the newest listed model of the same Claude tier (`claude-opus-5-5` →
 * `claude-opus-5` when that is the newest Opus an account lists); then `defaultModel`.
 * Before any account reported its list, the built-in table stands in for it.
 */
export function resolveKiroModel(
  requested: string,
  mapping: Record<string, string>,
  defaultModel: string,
  live?: ReadonlySet<string>,
): string {
  if (Object.hasOwn(mapping, requested)) return mapping[requested];
  const listed = listedIn(live);
  const raw = requested.trim();
  // Upper-case legacy wire ids work without being listed ("hidden", §1.4).
  const exact = listed(raw) ?? (KNOWN.has(raw) && !/^[a-z]/.test(raw) ? raw : undefined);
  if (exact) return exact;
  // Provider prefixes (`anthropic/claude-…`) carry no information for us.
  let name = raw.toLowerCase().replace(/^.*\//, '');
  const byName = listed(name);
  if (byName) return byName;
  const alias = ALIASES[name];
  if (alias) return alias;

  const wantsOneMillion = ONE_MILLION_SUFFIX.test(name);
  name = name.replace(ONE_MILLION_SUFFIX, '').replace(CLOUD_PREFIX, '').replace(CLOUD_SUFFIX, '');
  while (IGNORED_SUFFIX.test(name)) name = name.replace(IGNORED_SUFFIX, '');

  const normalised = normaliseClaudeName(name);
  if (normalised && LEGACY_IDS[normalised]) return LEGACY_IDS[normalised];
  const known = normalised && listed(normalised);
  if (known) return withContextVariant(known, wantsOneMillion, listed, !!live);
  const family = FAMILY.exec(name)?.[0] as ClaudeFamily | undefined;
  if (family) {
    const newest = live ? newestOfTier(live, family) : undefined;
    return withContextVariant(newest ?? FAMILY_BEST[family], wantsOneMillion, listed, !!live);
  }
  return defaultModel;
}

/**
 * Kiro ids of models that are not Claude (§11.6). Asked for by one of these names while no
 * account lists it, the client gets a 404 instead of another model: the name is unambiguous.
 * Other unknown names (say `gpt-5.1-codex`, Codex's default) still go to `defaultModel`.
 */
const OTHER_KIRO_MODELS = new Set(['gpt-5.6', 'deepseek-3.2', 'glm-5', 'minimax-m2.5', 'qwen3-coder-next']);

/**
 * The requested name when it is a Kiro model no account lists (so it must not be served as
 * another), else undefined. Unknown until some account has reported its list.
 */
export function unlistedModel(requested: string, mapping: Record<string, string>, live: ReadonlySet<string> | undefined): string | undefined {
  if (!live || Object.hasOwn(mapping, requested)) return undefined;
  const name = requested.trim().toLowerCase().replace(/^.*\//, '');
  return OTHER_KIRO_MODELS.has(name) && !listedIn(live)(name) ? requested : undefined;
}

/** Looks an id up in the live list without regard to case; without a list, in the built-in table. */
function listedIn(live: ReadonlySet<string> | undefined): (id: string) => string | undefined {
  if (!live) return inBuiltInTable;
  const byLower = lowerCaseIndexes.get(live) ?? lowerCaseIndex(live);
  return (id) => byLower.get(id.toLowerCase());
}

const inBuiltInTable = (id: string): string | undefined => (KNOWN.has(id) ? id : undefined);

/** Per live set (the pool keeps one while the accounts' lists stay the same): built once, not per request. */
const lowerCaseIndexes = new WeakMap<ReadonlySet<string>, Map<string, string>>();

function lowerCaseIndex(live: ReadonlySet<string>): Map<string, string> {
  const byLower = new Map([...live].map((id) => [id.toLowerCase(), id]));
  lowerCaseIndexes.set(live, byLower);
  return byLower;
}

/** The highest-versioned `claude-<tier>-<version>` the accounts list (no `-1m` variants). */
function newestOfTier(live: ReadonlySet<string>, tier: ClaudeFamily): string | undefined {
  let best: { id: string; major: number; minor: number } | undefined;
  for (const id of live) {
    const match = new RegExp(`^claude-${tier}-(\\d+)(?:\\.(\\d+))?$`).exec(id);
    if (!match) continue;
    const major = Number(match[1]);
    const minor = Number(match[2] ?? 0);
    if (!best || major > best.major || (major === best.major && minor > best.minor)) best = { id, major, minor };
  }
  return best?.id;
}

/** `claude-<family>-<major>[.<minor>]` or `claude-<major>[.<minor>]-<family>`, or undefined. */
function normaliseClaudeName(name: string): string | undefined {
  const modern = NEW_STYLE.exec(name);
  if (modern) return `claude-${modern[1]}-${version(modern[2], modern[3])}`;
  const legacy = OLD_STYLE.exec(name);
  if (legacy) return `claude-${version(legacy[1], legacy[2])}-${legacy[3]}`;
  return undefined;
}

/** `4-0` is Anthropic's alias for `4` (`claude-sonnet-4-0`). */
function version(major: string, minor: string | undefined): string {
  return minor === undefined || minor === '0' ? major : `${major}.${minor}`;
}

/**
 * A client asking for 1M context (`[1m]`, `-1m`) gets the explicit `-1m` id when Kiro has one
 * and the plain model is smaller; 4.6+ models already have 1M, and their `-1m` ids are [S].
 */
function withContextVariant(id: string, wantsOneMillion: boolean, listed: (id: string) => string | undefined, live: boolean): string {
  const variant = wantsOneMillion ? listed(`${id}-1m`) : undefined;
  // A listed `-1m` id is Kiro's own answer (§11.6); from our table only where the plain one is smaller.
  return variant && (live || contextWindowOf(id) < LARGE_CONTEXT_WINDOW) ? variant : id;
}

const DEFAULT_CONTEXT_WINDOW = 200_000;
const LARGE_CONTEXT_WINDOW = 1_000_000;
const DOTTED_VERSION = /^claude-[a-z]+-(\d+)(?:\.(\d+))?$/;

/** Input tokens a Kiro model accepts: 1M for `-1m` ids and 4.6+ models (§3.3), else 200k. */
export function contextWindowOf(kiroModel: string): number {
  if (kiroModel.endsWith('-1m')) return LARGE_CONTEXT_WINDOW;
  const match = DOTTED_VERSION.exec(kiroModel);
  if (!match) return DEFAULT_CONTEXT_WINDOW;
  const major = Number(match[1]);
  const minor = Number(match[2] ?? 0);
  return major > 4 || (major === 4 && minor >= 6) ? LARGE_CONTEXT_WINDOW : DEFAULT_CONTEXT_WINDOW;
}

/**
 * The ids `/v1/models` (and the Gemini list) show: Anthropic-style names of the models we
 * know, the aliases, and the user's mapped names. `available` is what the accounts' Kiro
 * `ListAvailableModels` reported (union over accounts); when it is known, a built-in name
 * is listed only if it resolves to a model some account can use, so the list never offers
 * what the pool could not route. The ids themselves never change with discovery.
 */
export function listClientModels(mapping: Record<string, string>, available?: ReadonlySet<string>, defaultModel = 'claude-sonnet-4.5'): string[] {
  const dotted = [...KIRO_MODEL_IDS.filter((id) => id.startsWith('claude-') && !id.endsWith('-1m')), ...Object.keys(LEGACY_IDS)];
  const anthropicStyle = dotted.map((id) => id.replace(/\./g, '-'));
  const usable = (name: string) => {
    if (!available || available.size === 0) return true;
    const kiro = resolveKiroModel(name, {}, defaultModel);
    // Hidden models (upper-case legacy ids) work without being listed (§1.4).
    return available.has(kiro) || !/^[a-z]/.test(kiro);
  };
  const builtIn = [...anthropicStyle, ...Object.keys(ALIASES)].filter(usable);
  return [...new Set([...builtIn, ...Object.keys(mapping)])];
}

