// Request fields that OpenAI's two APIs (Chat Completions and Responses) spell the same way, read
// the same way by both parsers.
import { invalidRequest } from '../errors';
import { isRecord } from '../records';
import type { ImageBlock, ThinkingConfig, ToolSpec } from '../model';
import type { Fields } from './fields';

/**
 * A reasoning effort (`reasoning_effort`, `reasoning.effort`) as Kiro's adaptive thinking.
 * `none`, absent and unknown levels mean no thinking: OpenAI keeps adding levels, and
 * refusing one the client's model supports would break that client.
 */
export function thinkingFromEffort(effort: unknown): ThinkingConfig | undefined {
  switch (effort) {
    case 'minimal':
    case 'low':
      return { type: 'adaptive', effort: 'low' };
    case 'medium':
      return { type: 'adaptive', effort: 'medium' };
    case 'high':
    case 'xhigh':
      return { type: 'adaptive', effort: 'high' };
    default:
      return undefined;
  }
}

/** A function tool declaration; `name` is given where the caller qualifies it (namespaces). */
export function functionToolSpec(fn: Fields, name = fn.string('name')): ToolSpec {
  return {
    name,
    description: fn.optionalString('description') ?? '',
    inputSchema: fn.optionalObject('parameters')?.value ?? { type: 'object', properties: {} },
  };
}

/**
 * Tool-call arguments as the client sends them back; a call cut off by the output limit has
 * broken JSON, and rejecting it would make the whole conversation unusable.
 */
export function parseToolArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
}

/** An image URL: a base64 `data:` URL or a web URL; `path` names the field in errors. */
export function imageFromUrl(url: string, path: string): ImageBlock {
  if (!url.startsWith('data:')) return { type: 'image', source: { kind: 'url', url } };
  const match = /^data:([^;,]+)(?:;[^;,]+)*;base64,(.*)$/s.exec(url);
  if (!match) throw invalidRequest(`${path}: data URLs must be base64 encoded images`);
  return { type: 'image', source: { kind: 'base64', mediaType: match[1], data: match[2] } };
}

/**
 * A file part (Responses `input_file`, Chat `file`): text and JSON files are read inline; other
 * kinds (PDF, office files) become a note, since Kiro reads neither.
 */
export function fileText(part: Fields): string {
  const name = part.optionalString('filename') ?? 'file';
  const data = part.optionalString('file_data') ?? '';
  const match = /^data:(text\/[^;,]+|application\/json)(?:;[^;,]+)*;base64,(.*)$/s.exec(data);
  if (match) return `${name}:\n${Buffer.from(match[2], 'base64').toString('utf8')}`;
  return `[File "${name}" omitted: this model cannot read it through the proxy.]`;
}
