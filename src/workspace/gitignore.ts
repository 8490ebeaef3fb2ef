// Whether a path is already ignored by the root .gitignore (read by `ignore`, which follows git's
// own rules), and the line edits to add ours.
import ignore from 'ignore';
import { appendLine, eolOf, joinLines, removeLine, splitLines } from './lines';

/** `path` is relative to the repository root, with forward slashes. */
export function isIgnored(gitignore: string, path: string): boolean {
  return ignore().add(gitignore).ignores(path);
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
