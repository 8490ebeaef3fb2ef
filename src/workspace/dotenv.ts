// Line-safe edits of `.env` files: only the lines of our keys change, everything else (comments,
// order, blank lines, `export` prefixes, terminators) stays byte-for-byte.
import { appendLine, eolOf, joinLines, removeLine, splitLines, type Line } from './lines';

const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.]*)(\s*=\s*)(.*)$/;

/** Quotes only when needed: single quotes are literal in dotenv, double quotes when a `'` or newline is inside. */
export function quoteEnvValue(value: string): string {
  if (/^[A-Za-z0-9_./:@+\-=,~%]*$/.test(value)) return value;
  if (!/['\r\n]/.test(value)) return `'${value}'`;
  const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  return `"${escaped}"`;
}

/** The value as dotenv parsers read it (quotes removed, inline comment dropped). */
export function unquoteEnvValue(raw: string): string {
  const text = raw.trim();
  if (text.startsWith("'")) {
    const end = text.indexOf("'", 1);
    return end > 0 ? text.slice(1, end) : text.slice(1);
  }
  if (text.startsWith('"')) {
    let out = '';
    for (let i = 1; i < text.length; i++) {
      const c = text[i];
      if (c === '"') break;
      if (c === '\\' && i + 1 < text.length) {
        const next = text[++i];
        out += next === 'n' ? '\n' : next === 'r' ? '\r' : next;
      } else out += c;
    }
    return out;
  }
  return text.replace(/\s+#.*$/, '');
}

/** Later assignments win in dotenv parsers, so the last line of a key is the one that counts. */
function findKey(lines: Line[], key: string): number {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = ASSIGNMENT.exec(lines[i].body);
    if (m && m[2] === key) return i;
  }
  return -1;
}

export function getEnvLine(text: string, key: string): string | undefined {
  const lines = splitLines(text);
  const index = findKey(lines, key);
  return index < 0 ? undefined : lines[index].body;
}

export function getEnvValue(text: string, key: string): string | undefined {
  const line = getEnvLine(text, key);
  const m = line === undefined ? null : ASSIGNMENT.exec(line);
  return m ? unquoteEnvValue(m[4]) : undefined;
}

export function setEnvValue(text: string, key: string, value: string): string {
  const lines = splitLines(text);
  const index = findKey(lines, key);
  if (index >= 0) {
    const m = ASSIGNMENT.exec(lines[index].body)!;
    lines[index] = { ...lines[index], body: `${m[1]}${key}${m[3]}${quoteEnvValue(value)}` };
  } else {
    appendLine(lines, `${key}=${quoteEnvValue(value)}`, eolOf(text));
  }
  return joinLines(lines);
}

/** Puts back the exact line we replaced, or removes ours when there was none. */
export function restoreEnvLine(text: string, key: string, previousLine: string | undefined): string {
  const lines = splitLines(text);
  const index = findKey(lines, key);
  if (index < 0) {
    if (previousLine !== undefined) appendLine(lines, previousLine, eolOf(text));
  } else if (previousLine !== undefined) {
    lines[index] = { ...lines[index], body: previousLine };
  } else {
    removeLine(lines, index);
  }
  return joinLines(lines);
}
