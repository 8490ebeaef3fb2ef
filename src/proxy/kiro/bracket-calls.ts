// Finds tool calls that Kiro wrote as text, `[Called <name> with args: {…}]` (protocol doc §4.6),
// while the text streams. From a `[` on, text is held back only while it can still become such
// a call; the JSON is brace-matched (string and escape aware), so `]` or `}` inside strings do
// not end it early.

export type BracketPiece =
  | { kind: 'text'; text: string }
  | { kind: 'call'; name: string; argumentsJson: string; input: Record<string, unknown> };

/** A would-be call longer than this is given up on and released as text. */
const MAX_CALL_CHARS = 1024 * 1024;

export class BracketCallExtractor {
  /** Text held back because it may be a call; starts with '[' when not empty. */
  private held = '';
  private matcher = new CallMatcher();
  /** Characters of `held` the matcher has already consumed. */
  private matched = 0;

  push(text: string): BracketPiece[] {
    const out: BracketPiece[] = [];
    this.held += text;
    this.scan(out);
    return out;
  }

  /** Releases whatever is held back: at the end of the answer an unfinished call is just text. */
  finish(): BracketPiece[] {
    const out: BracketPiece[] = [];
    pushText(out, this.held);
    this.held = '';
    this.restartMatcher();
    return out;
  }

  private scan(out: BracketPiece[]): void {
    while (this.held) {
      if (this.held[0] !== '[') {
        const bracket = this.held.indexOf('[');
        pushText(out, bracket < 0 ? this.held : this.held.slice(0, bracket));
        this.held = bracket < 0 ? '' : this.held.slice(bracket);
        this.restartMatcher();
        continue;
      }
      let step: Step = 'more';
      while (step === 'more' && this.matched < this.held.length) {
        step = this.matcher.feed(this.held.charCodeAt(this.matched), this.matched);
        this.matched++;
      }
      const call = step === 'done' ? this.matcher.call(this.held) : undefined;
      if (call) {
        out.push(call);
        this.held = this.held.slice(this.matched);
      } else if (step === 'fail' || step === 'done' || this.held.length > MAX_CALL_CHARS) {
        // Not a call after all: release the '[' and look again from the next character.
        pushText(out, '[');
        this.held = this.held.slice(1);
      } else {
        return; // Still undecided: wait for more text.
      }
      this.restartMatcher();
    }
  }

  private restartMatcher(): void {
    this.matcher = new CallMatcher();
    this.matched = 0;
  }
}

function pushText(out: BracketPiece[], text: string): void {
  if (!text) return;
  const last = out[out.length - 1];
  if (last?.kind === 'text') last.text += text;
  else out.push({ kind: 'text', text });
}

type Step = 'more' | 'fail' | 'done';

const enum Part {
  Called, // "[Called"
  SpaceBeforeName,
  Name,
  SpaceBeforeWith,
  With, // "with"
  SpaceBeforeArgs,
  Args, // "args:"
  SpaceBeforeJson,
  Json,
  SpaceBeforeClose,
}

const CALLED = '[Called';
const WITH = 'with';
const ARGS = 'args:';

/** Character-by-character matcher for one `[Called name with args: {…}]`, started on its '['. */
class CallMatcher {
  private part = Part.Called;
  /** Characters read in the current part. */
  private count = 0;
  private nameStart = 0;
  private nameEnd = 0;
  private jsonStart = 0;
  private jsonEnd = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  feed(code: number, at: number): Step {
    switch (this.part) {
      case Part.Called:
        return this.literal(CALLED, code, Part.SpaceBeforeName);
      case Part.SpaceBeforeName:
        if (isSpace(code)) return this.counted();
        if (this.count === 0 || !isNameChar(code)) return 'fail';
        this.nameStart = at;
        return this.enter(Part.Name, 1);
      case Part.Name:
        if (isNameChar(code)) return 'more';
        if (!isSpace(code)) return 'fail';
        this.nameEnd = at;
        return this.enter(Part.SpaceBeforeWith, 1);
      case Part.SpaceBeforeWith:
        if (isSpace(code)) return 'more';
        return code === WITH.charCodeAt(0) ? this.enter(Part.With, 1) : 'fail';
      case Part.With:
        return this.literal(WITH, code, Part.SpaceBeforeArgs);
      case Part.SpaceBeforeArgs:
        if (isSpace(code)) return this.counted();
        return this.count > 0 && code === ARGS.charCodeAt(0) ? this.enter(Part.Args, 1) : 'fail';
      case Part.Args:
        return this.literal(ARGS, code, Part.SpaceBeforeJson);
      case Part.SpaceBeforeJson:
        if (isSpace(code)) return 'more';
        if (code !== OPEN_BRACE) return 'fail';
        this.jsonStart = at;
        this.depth = 1;
        return this.enter(Part.Json, 1);
      case Part.Json:
        return this.json(code, at);
      case Part.SpaceBeforeClose:
        if (isSpace(code)) return 'more';
        return code === CLOSE_BRACKET ? 'done' : 'fail';
    }
  }

  /** The call matched in `text`, or undefined when its arguments are not a JSON object. */
  call(text: string): BracketPiece | undefined {
    const argumentsJson = text.slice(this.jsonStart, this.jsonEnd);
    let input: unknown;
    try {
      input = JSON.parse(argumentsJson);
    } catch {
      return undefined;
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
    return { kind: 'call', name: text.slice(this.nameStart, this.nameEnd), argumentsJson, input: input as Record<string, unknown> };
  }

  private literal(word: string, code: number, next: Part): Step {
    if (code !== word.charCodeAt(this.count)) return 'fail';
    this.count++;
    return this.count === word.length ? this.enter(next, 0) : 'more';
  }

  private json(code: number, at: number): Step {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (code === BACKSLASH) this.escaped = true;
      else if (code === QUOTE) this.inString = false;
      return 'more';
    }
    if (code === QUOTE) this.inString = true;
    else if (code === OPEN_BRACE) this.depth++;
    else if (code === CLOSE_BRACE && --this.depth === 0) {
      this.jsonEnd = at + 1;
      this.part = Part.SpaceBeforeClose;
    }
    return 'more';
  }

  private enter(part: Part, count: number): Step {
    this.part = part;
    this.count = count;
    return 'more';
  }

  private counted(): Step {
    this.count++;
    return 'more';
  }
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** `\w` plus '-' and '.', which MCP tool names use. */
function isNameChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x5f ||
    code === 0x2d ||
    code === 0x2e
  );
}
