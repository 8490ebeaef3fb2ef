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
 * The Kiro model id for a client's model name. The user's mapping (exact names) wins and its
 * value is sent as is; then aliases, Kiro ids, Anthropic-style names, the family's best model,
 * and finally `defaultModel` for names no rule knows.
 */
/**
 * `discovered` holds the ids Kiro's ListAvailableModels reported for the accounts, so a model
 * newer than our table (say `claude-sonnet-4.7`) is reachable by name as soon as Kiro offers it.
 */
export function resolveKiroModel(
  requested: string,
  mapping: Record<string, string>,
  defaultModel: string,
  discovered?: ReadonlySet<string>,
): string {
  if (Object.hasOwn(mapping, requested)) return mapping[requested];
  const raw = requested.trim();
  if (KNOWN.has(raw) || discovered?.has(raw)) return raw;
  // Provider prefixes (`anthropic/claude-…`) carry no information for us.
  let name = raw.toLowerCase().replace(/^.*\//, '');
  const alias = ALIASES[name];
  if (alias) return alias;

  const wantsOneMillion = ONE_MILLION_SUFFIX.test(name);
  name = name.replace(ONE_MILLION_SUFFIX, '').replace(CLOUD_PREFIX, '').replace(CLOUD_SUFFIX, '');
  while (IGNORED_SUFFIX.test(name)) name = name.replace(IGNORED_SUFFIX, '');

  const normalised = normaliseClaudeName(name);
  if (normalised && (KNOWN.has(normalised) || LEGACY_IDS[normalised])) {
    return withContextVariant(LEGACY_IDS[normalised] ?? normalised, wantsOneMillion);
  }
  if (normalised && discovered?.has(normalised)) {
    const wide = `${normalised}-1m`;
    return wantsOneMillion && discovered.has(wide) ? wide : normalised;
  }
  const family = FAMILY.exec(name)?.[0] as ClaudeFamily | undefined;
  if (family) return withContextVariant(FAMILY_BEST[family], wantsOneMillion);
  return defaultModel;
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
function withContextVariant(id: string, wantsOneMillion: boolean): string {
  const variant = `${id}-1m`;
  return wantsOneMillion && KNOWN.has(variant) && contextWindowOf(id) < LARGE_CONTEXT_WINDOW ? variant : id;
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

