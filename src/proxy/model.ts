// The internal conversation model. Every client protocol (Anthropic, OpenAI Chat,
// Responses, Gemini) parses into `Conversation` and renders from `ReplyEvent`, so
// history repair and Kiro request building exist exactly once.

export type Role = 'user' | 'assistant';

export interface TextBlock {
  type: 'text';
  text: string;
}

/** An image is either inline base64 or a URL that must be fetched before it is sent to Kiro. */
export interface ImageBlock {
  type: 'image';
  source: { kind: 'base64'; mediaType: string; data: string } | { kind: 'url'; url: string };
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface ToolResultBlock {
  type: 'tool_result';
  toolUseId: string;
  /** Flattened text of the result; images inside results travel as separate image blocks. */
  content: string;
  isError: boolean;
}

export interface ThinkingBlock {
  type: 'thinking';
  text: string;
  signature?: string;
}

export type Block = TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock;

export interface Message {
  role: Role;
  content: Block[];
}

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the tool's input. */
  inputSchema: Record<string, unknown>;
}

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'any' }
  | { type: 'none' }
  | { type: 'tool'; name: string };

export type ThinkingEffort = 'low' | 'medium' | 'high';

export type ThinkingConfig =
  | { type: 'enabled'; budgetTokens: number }
  | { type: 'adaptive'; effort: ThinkingEffort };

/** Structured output the client asked for. Kiro has none: the request builder makes it an instruction. */
export type ResponseFormat = { type: 'json_object' } | { type: 'json_schema'; schema: unknown };

export interface Conversation {
  /** The model name exactly as the client asked for it. */
  model: string;
  /** System prompt, already joined into one string ('' when absent). */
  system: string;
  messages: Message[];
  tools: ToolSpec[];
  toolChoice?: ToolChoice;
  thinking?: ThinkingConfig;
  responseFormat?: ResponseFormat;
  /** Output limit the client asked for; Kiro has none, so the exchange cuts the reply (reply-limits.ts). */
  maxTokens?: number;
  /** Texts that end the reply before they appear (Anthropic `stop_sequences`, Chat `stop`, Gemini `stopSequences`). */
  stopSequences?: string[];
  /** Prompt-cache breakpoints the client set (`cache_control`); they become Kiro cache points. */
  cache?: CacheBreakpoints;
  /** The client's own session id (Claude Code session, OpenAI `user`, response chain), for stickiness. */
  sessionId?: string;
  /** The client offered its protocol's hosted web search; the proxy runs it through Kiro's. */
  webSearch?: WebSearchTool;
}

/** What the client allows its hosted web search to do (Anthropic's `web_search_*` tool fields). */
export interface WebSearchTool {
  /** Searches allowed in one reply; more get a `max_uses_exceeded` result. */
  maxUses?: number;
  /** Only results from these domains (and their subdomains). */
  allowedDomains?: string[];
  /** Never results from these domains. */
  blockedDomains?: string[];
  /**
   * The client wants exactly this search, nothing else (Claude Code's WebSearch side request:
   * the tool alone, with `tool_choice` naming it). The query is the last user text.
   */
  forced?: boolean;
}

export interface WebSearchResult {
  title: string;
  url: string;
  snippet: string;
  /** Epoch milliseconds. */
  publishedAt?: number;
  domain?: string;
}

/** Why a search gave no results; each protocol names these its own way. */
export type WebSearchFailure = 'invalid_input' | 'unavailable' | 'max_uses_exceeded' | 'rate_limited' | 'query_too_long';

export type WebSearchOutcome = { results: WebSearchResult[] } | { failure: WebSearchFailure; message: string };

/** One search the proxy ran for the client. */
export interface WebSearchBlock {
  type: 'web_search';
  id: string;
  query: string;
  outcome: WebSearchOutcome;
}

/** Where the client marked the end of a cacheable prefix: after the system prompt, a tool, a message. */
export interface CacheBreakpoints {
  system: boolean;
  /** Indexes into `Conversation.tools`. */
  tools: number[];
  /** Indexes into `Conversation.messages`. */
  messages: number[];
}

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'context_window_exceeded';

export interface Usage {
  /** Prompt tokens Kiro read fresh: without the cache reads and writes below. */
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens served from Kiro's prompt cache. */
  cacheReadTokens?: number;
  /** Prompt tokens written to Kiro's prompt cache. */
  cacheWriteTokens?: number;
  /** Kiro credits charged for the call (from `meteringEvent`). */
  credits?: number;
  /** Web searches run for this reply; set only when the client offered web search. */
  webSearchRequests?: number;
}

/**
 * What the exchange yields while Kiro answers. Blocks never interleave: a thinking or
 * text run, or a tool call from `tool_start` to `tool_end`, is closed before the next opens.
 */
export type ReplyEvent =
  | { type: 'thinking'; text: string }
  | { type: 'thinking_signature'; signature: string }
  | { type: 'text'; text: string }
  | { type: 'tool_start'; id: string; name: string }
  | { type: 'tool_input'; id: string; partialJson: string }
  | { type: 'tool_end'; id: string; input: Record<string, unknown> }
  | WebSearchBlock
  | { type: 'end'; stopReason: StopReason; usage: Usage; truncated?: boolean; stopSequence?: string };

/** A complete answer, for the non-streaming form of every endpoint. */
export interface Reply {
  content: Array<TextBlock | ThinkingBlock | ToolUseBlock | WebSearchBlock>;
  stopReason: StopReason;
  /** The stop sequence that ended the reply (stopReason `stop_sequence`). */
  stopSequence?: string;
  usage: Usage;
  truncated: boolean;
}
