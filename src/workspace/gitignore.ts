// Whether a path is already ignored by the root .gitignore, by a simple reading of its patterns
// (basename and anchored globs, directory patterns, negation), and the line edits to add ours.
import { appendLine, eolOf, joinLines, removeLine, splitLines } from './lines';

function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) out += '\\[';
      else {
        out += `[${glob.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function patternMatches(pattern: string, path: string): boolean {
  const dirOnly = pattern.endsWith('/');
  let glob = dirOnly ? pattern.slice(0, -1) : pattern;
  const anchored = glob.includes('/');
  glob = glob.replace(/^\//, '');
  const re = globToRegExp(glob);
  const segments = path.split('/');
  // A pattern that matches a parent folder ignores everything below it.
  for (let i = 1; i <= segments.length; i++) {
    if (i === segments.length && dirOnly) continue;
    const candidate = anchored ? segments.slice(0, i).join('/') : segments[i - 1];
    if (re.test(candidate)) return true;
  }
  return false;
}

/** `path` is relative to the repository root, with forward slashes. */
export function isIgnored(gitignore: string, path: string): boolean {
  let ignored = false;
  for (const { body } of splitLines(gitignore)) {
    let pattern = body.trim();
    if (!pattern || pattern.startsWith('#')) continue;
    const negated = pattern.startsWith('!');
    if (negated) pattern = pattern.slice(1);
    if (patternMatches(pattern, path)) ignored = !negated;
  }
  return ignored;
}

export function addIgnoreLine(text: string, path: string): string {
  const lines = splitLines(text);
  appendLine(lines, path, eolOf(text));
  return joinLines(lines);
}

/** Removes the last line that is exactly `path` (the one we appended). */
export function removeIgnoreLine(text: string, path: string): string {
  const lines = splitLines(text);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].body.trim() === path) {
      removeLine(lines, i);
      break;
    }
  }
  return joinLines(lines);
}
