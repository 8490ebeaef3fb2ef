// Line-safe edits of TOML (Codex CLI's config.toml). We own exactly one table and a few top-level
// keys; every other table, comment and blank line is left as it was.
import { appendLine, eolOf, isBlank, joinLines, removeLine, splitLines, type Line } from './lines';
import { parse as parseToml } from 'smol-toml';

const HEADER = /^\s*\[/;

export function tomlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

function unquoteToml(raw: string): string {
  const text = raw.replace(/\s+#.*$/, '').trim();
  if (text.startsWith("'")) return text.slice(1, text.lastIndexOf("'"));
  if (text.startsWith('"')) {
    try {
      return JSON.parse(text.slice(0, text.lastIndexOf('"') + 1)) as string;
    } catch {
      return text.slice(1, -1);
    }
  }
  return text;
}

/** Index of the quote that closes the one-line string opened at `start`, or the line's end. */
function closingQuote(body: string, start: number): number {
  let i = start + 1;
  while (i < body.length && body[i] !== body[start]) i += body[start] === '"' && body[i] === '\\' ? 2 : 1;
  return i;
}

/** The multi-line string delimiter (`"""` or `'''`) still open at the end of the line, if any. */
function openStringAfter(body: string, open: string | undefined): string | undefined {
  for (let i = 0; i < body.length; i++) {
    if (open) {
      if (open === '"""' && body[i] === '\\') i++;
      else if (body.startsWith(open, i)) {
        // Up to two quotes right before the delimiter are text: `"""say "hi""""`.
        while (body[i + 3] === open[0]) i++;
        i += 2;
        open = undefined;
      }
    } else if (body[i] === '#') break;
    else if (body.startsWith('"""', i) || body.startsWith("'''", i)) {
      open = body.slice(i, i + 3);
      i += 2;
    } else if (body[i] === '"' || body[i] === "'") i = closingQuote(body, i);
  }
  return open;
}

/** Per line, whether it is TOML to read: a line that starts inside a multi-line string is text, never a header or a key. */
function codeLines(lines: Line[]): boolean[] {
  let open: string | undefined;
  return lines.map(({ body }) => {
    const code = open === undefined;
    open = openStringAfter(body, open);
    return code;
  });
}

function isHeader(lines: Line[], code: boolean[], index: number): boolean {
  return code[index] && HEADER.test(lines[index].body);
}

/** Lines before the first `[table]` header: the only place a top-level key may live. */
function topLevelEnd(lines: Line[], code = codeLines(lines)): number {
  const index = lines.findIndex((_, i) => isHeader(lines, code, i));
  return index < 0 ? lines.length : index;
}

function keyPattern(key: string): RegExp {
  return new RegExp(`^\\s*${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=(.*)$`);
}

function findTopLevelKey(lines: Line[], key: string): number {
  const code = codeLines(lines);
  const end = topLevelEnd(lines, code);
  const pattern = keyPattern(key);
  for (let i = 0; i < end; i++) if (code[i] && pattern.test(lines[i].body)) return i;
  return -1;
}

/** Why a real TOML reader (smol-toml) refuses `text`, or undefined when it reads it. */
function tomlError(text: string): string | undefined {
  try {
    parseToml(text);
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0].replace(/^Invalid TOML document: /, '');
  }
}

export function isToml(text: string): boolean {
  return tomlError(text) === undefined;
}

/** Throws unless `text` reads as TOML; `what` says which text it is. */
export function assertParsesAsToml(text: string, what: string): void {
  const reason = tomlError(text);
  if (reason !== undefined) throw new Error(`${what} would not be valid TOML (${reason}); edit it by hand, nothing was changed`);
}

/** Refuses files that define our table as a dotted key or inline table: line edits would corrupt them. */
export function assertEditableToml(text: string, table: string): void {
  const lines = splitLines(text);
  const code = codeLines(lines);
  const root = table.split('.')[0];
  const inline = new RegExp(`^\\s*${root}\\s*[.=]`);
  if (lines.slice(0, topLevelEnd(lines, code)).some((l, i) => code[i] && inline.test(l.body))) {
    throw new Error(`defines "${root}" inline; edit it by hand, nothing was changed`);
  }
}

export function getTomlTopLevel(text: string, key: string): string | undefined {
  const lines = splitLines(text);
  const index = findTopLevelKey(lines, key);
  return index < 0 ? undefined : lines[index].body;
}

export function getTomlTopLevelValue(text: string, key: string): string | undefined {
  const line = getTomlTopLevel(text, key);
  return line === undefined ? undefined : unquoteToml(keyPattern(key).exec(line)![1]);
}

export function setTomlTopLevel(text: string, key: string, value: string): string {
  const lines = splitLines(text);
  const body = `${key} = ${tomlString(value)}`;
  const index = findTopLevelKey(lines, key);
  if (index >= 0) {
    lines[index] = { ...lines[index], body };
    return joinLines(lines);
  }
  // After the last top-level line that says something, so a leading comment block stays on top.
  let at = topLevelEnd(lines);
  while (at > 0 && isBlank(lines[at - 1])) at--;
  if (at === lines.length) appendLine(lines, body, eolOf(text));
  else lines.splice(at, 0, { body, eol: eolOf(text) });
  return joinLines(lines);
}

export function restoreTomlTopLevel(text: string, key: string, previousLine: string | undefined): string {
  const lines = splitLines(text);
  const index = findTopLevelKey(lines, key);
  if (index >= 0 && previousLine !== undefined) lines[index] = { ...lines[index], body: previousLine };
  else if (index >= 0) removeLine(lines, index);
  else if (previousLine !== undefined) return setTomlTopLevel(text, key, unquoteToml(previousLine.split('=').slice(1).join('=')));
  return joinLines(lines);
}

function headerPattern(table: string): RegExp {
  const parts = table.split('.').map((p) => `(?:${p}|"${p}"|'${p}')`);
  return new RegExp(`^\\s*\\[\\s*${parts.join('\\s*\\.\\s*')}\\s*\\]\\s*(?:#.*)?$`);
}

/** [start, end) of the table: its header to the next header, minus trailing blanks and comments (they introduce the next table). */
function tableRange(lines: Line[], table: string): [number, number] | undefined {
  const code = codeLines(lines);
  const start = lines.findIndex((l, i) => code[i] && headerPattern(table).test(l.body));
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && !isHeader(lines, code, end)) end++;
  while (end > start + 1 && (isBlank(lines[end - 1]) || /^\s*#/.test(lines[end - 1].body))) end--;
  return [start, end];
}

/** The table as it stands in the file (header included), or undefined. */
export function getTomlTable(text: string, table: string): string | undefined {
  const lines = splitLines(text);
  const range = tableRange(lines, table);
  return range ? joinLines(lines.slice(range[0], range[1])) : undefined;
}

export function renderTomlTable(table: string, entries: Array<[string, string]>, eol = '\n'): string {
  return [`[${table}]`, ...entries.map(([k, v]) => `${k} = ${tomlString(v)}`)].map((l) => l + eol).join('');
}

/** Replaces the table wholesale, or appends it after a blank line. `gap` says whether we added that blank line. */
export function setTomlTable(text: string, table: string, block: string): { text: string; gap: boolean } {
  const lines = splitLines(text);
  const blockLines = splitLines(block);
  const range = tableRange(lines, table);
  if (range) {
    lines.splice(range[0], range[1] - range[0], ...blockLines);
    return { text: joinLines(lines), gap: false };
  }
  const gap = lines.length > 0 && !isBlank(lines[lines.length - 1]);
  if (gap) appendLine(lines, '', eolOf(text));
  else if (lines.length > 0 && lines[lines.length - 1].eol === '') lines[lines.length - 1].eol = eolOf(text);
  lines.push(...blockLines);
  return { text: joinLines(lines), gap };
}

export function restoreTomlTable(text: string, table: string, previousBlock: string | undefined, gap: boolean): string {
  const lines = splitLines(text);
  const range = tableRange(lines, table);
  if (!range) return previousBlock === undefined ? text : setTomlTable(text, table, previousBlock).text;
  const [start, end] = range;
  if (previousBlock !== undefined) {
    lines.splice(start, end - start, ...splitLines(previousBlock));
    return joinLines(lines);
  }
  lines.splice(start, end - start);
  if (gap && isBlank(lines[start - 1])) lines.splice(start - 1, 1);
  return joinLines(lines);
}
