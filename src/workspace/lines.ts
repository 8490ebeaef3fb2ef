// Line-level helpers shared by the line-based writers (.env, TOML, .gitignore). Every line keeps
// its own terminator, so joining the pieces gives back the exact bytes we read.

export interface Line {
  body: string;
  /** '\n', '\r\n' or '' for a last line without a terminator. */
  eol: string;
}

export function splitLines(text: string): Line[] {
  const out: Line[] = [];
  const pattern = /([^\r\n]*)(\r\n|\n|$)/g;
  for (let m = pattern.exec(text); m && m.index < text.length; m = pattern.exec(text)) {
    out.push({ body: m[1], eol: m[2] });
    if (m[2] === '') break;
  }
  return out;
}

export function joinLines(lines: Line[]): string {
  return lines.map((l) => l.body + l.eol).join('');
}

/** The terminator the file already uses, so our lines match it. */
export function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** Appends a line, first terminating the current last line if it has no terminator. */
export function appendLine(lines: Line[], body: string, eol: string): void {
  const last = lines[lines.length - 1];
  if (last && last.eol === '') last.eol = eol;
  lines.push({ body, eol });
}

export function isBlank(line: Line | undefined): boolean {
  return line !== undefined && line.body.trim() === '';
}

/** Removes a line; a last line without terminator takes the previous line's terminator with it. */
export function removeLine(lines: Line[], index: number): void {
  const [removed] = lines.splice(index, 1);
  if (removed.eol === '' && index > 0) lines[index - 1].eol = '';
}
