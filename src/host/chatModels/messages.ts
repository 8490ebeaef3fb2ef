// VS Code's chat messages (`LanguageModelChatRequestMessage` and its parts) → the engine's
// Conversation, so a request from VS Code's chat takes the same road to Kiro as an HTTP one:
// the exchange, history repair and request building. Parts are recognised by shape, not by
// class: the messages VS Code hands a provider are rebuilt from its own transfer objects, and
// this stays testable without VS Code.
import type { Block, Conversation, Message, ThinkingConfig, ToolChoice, ToolSpec } from '../../proxy/model';
import { sessionKey } from '../../proxy/protocols/session';
import type { LanguageModelChatRequestMessage, ProvideLanguageModelChatResponseOptions } from './vscodeLm';

const USER = 1;
const ASSISTANT = 2;
const SYSTEM = 3;
const TOOL_MODE_REQUIRED = 2;

export interface ConversationOptions {
  /** The Kiro model id the picker showed. */
  model: string;
  thinking?: ThinkingConfig;
}

export function conversationOf(
  messages: readonly LanguageModelChatRequestMessage[],
  options: Pick<ProvideLanguageModelChatResponseOptions, 'tools' | 'toolMode'>,
  { model, thinking }: ConversationOptions,
): Conversation {
  const systemParts: string[] = [];
  const dialogue: Message[] = [];
  for (const message of messages) {
    if (message.role === SYSTEM) {
      // Instructions before the dialogue are the system prompt; a later one is passed on where it was.
      const text = message.content.map(partText).join('');
      if (dialogue.length === 0) systemParts.push(text);
      else dialogue.push({ role: 'user', content: [{ type: 'text', text }] });
      continue;
    }
    const role = message.role === ASSISTANT ? 'assistant' : message.role === USER ? 'user' : undefined;
    if (!role) throw new TypeError(`Unknown message role ${String(message.role)}.`);
    dialogue.push({ role, content: message.content.flatMap(blocksOf) });
  }
  const system = systemParts.filter((part) => part).join('\n\n');
  const tools = (options.tools ?? []).map(toolSpecOf);
  return {
    model,
    system,
    messages: dialogue,
    tools,
    toolChoice: toolChoiceOf(options.toolMode, tools),
    thinking,
    // VS Code sends no conversation id: the fingerprint of how it began keeps it on one account.
    sessionId: sessionKey(undefined, { system, messages: dialogue }),
  };
}

function toolSpecOf(tool: { name: string; description: string; inputSchema?: object }): ToolSpec {
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: (tool.inputSchema as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} },
  };
}

function toolChoiceOf(toolMode: number | undefined, tools: ToolSpec[]): ToolChoice | undefined {
  if (tools.length === 0) return undefined;
  return toolMode === TOOL_MODE_REQUIRED ? { type: 'any' } : { type: 'auto' };
}

type Shape = Record<string, unknown>;

function isShape(part: unknown): part is Shape {
  return typeof part === 'object' && part !== null;
}

/** `LanguageModelThinkingPart`: its constructor always sets `id` and `metadata`, a text part has neither. */
function isThinking(part: Shape): boolean {
  return Object.hasOwn(part, 'metadata') || Array.isArray(part.value);
}

function blocksOf(part: unknown): Block[] {
  if (!isShape(part)) return [];
  if (typeof part.callId === 'string' && typeof part.name === 'string') {
    const input = isShape(part.input) && !Array.isArray(part.input) ? part.input : {};
    return [{ type: 'tool_use', id: part.callId, name: part.name, input }];
  }
  if (typeof part.callId === 'string' && Array.isArray(part.content)) return toolResultBlocks(part.callId, part.content, part.isError === true);
  if (isThinking(part)) {
    // Kiro takes earlier reasoning back as text (the request builder inlines it); no signature needed.
    const text = thinkingText(part.value);
    return text ? [{ type: 'thinking', text }] : [];
  }
  if (typeof part.value === 'string') return [{ type: 'text', text: part.value }];
  if (isData(part)) return dataBlocks(part);
  // LanguageModelPromptTsxPart and parts newer than this code: what they say, if anything.
  return part.value === undefined ? [] : [{ type: 'text', text: JSON.stringify(part.value) }];
}

function thinkingText(value: unknown): string {
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'string').join('');
  return typeof value === 'string' ? value : '';
}

interface DataShape {
  mimeType: string;
  data: Uint8Array;
}

function isData(part: Shape): part is Shape & DataShape {
  return typeof part.mimeType === 'string' && part.data instanceof Uint8Array;
}

/** Images go to Kiro as images, text and JSON as text; other data (cache hints, markers) means nothing to Kiro. */
function dataBlocks(part: DataShape): Block[] {
  const mime = part.mimeType.toLowerCase();
  if (mime.startsWith('image/')) {
    return [{ type: 'image', source: { kind: 'base64', mediaType: mime, data: Buffer.from(part.data).toString('base64') } }];
  }
  if (mime.startsWith('text/') || mime.includes('json')) return [{ type: 'text', text: Buffer.from(part.data).toString('utf8') }];
  return [];
}

/** Flattened text for the result; its images travel as separate blocks right after it, as the HTTP protocols send them. */
function toolResultBlocks(callId: string, content: unknown[], isError: boolean): Block[] {
  const nested = content.flatMap(blocksOf);
  const images = nested.filter((block) => block.type === 'image');
  const text = nested
    .map((block) => (block.type === 'text' || block.type === 'thinking' ? block.text : ''))
    .filter((t) => t)
    .join('\n');
  return [{ type: 'tool_result', toolUseId: callId, content: text, isError }, ...images];
}

/** The text of a system message's part (VS Code puts only text there). */
function partText(part: unknown): string {
  return blocksOf(part)
    .map((block) => (block.type === 'text' ? block.text : ''))
    .join('');
}
