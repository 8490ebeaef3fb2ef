// Splits Kiro's answer text into thinking and visible text. With thinking requested through the
// prompt (protocol doc §3.4) the model opens its answer with `<thinking>…</thinking>`. Only a
// tag at the very start of the answer counts, so a `<thinking>` later on (in code, in quotes,
// in prose about tags) stays text without having to understand markdown. Tags may be split
// across deltas; the least text needed to decide is held back.

export interface TaggedText {
  kind: 'thinking' | 'text';
  text: string;
}

const OPEN = '<thinking>';
const CLOSE = '</thinking>';

type State = 'undecided' | 'thinking' | 'after-thinking' | 'text';

export class ThinkingTagSplitter {
  private state: State = 'undecided';
  private held = '';

  /** True when the answer ended inside the thinking block (the model was cut off while thinking). */
  get endedInThinking(): boolean {
    return this.state === 'thinking';
  }

  push(delta: string): TaggedText[] {
    const out: TaggedText[] = [];
    this.feed(delta, out);
    return out;
  }

  finish(): TaggedText[] {
    const out: TaggedText[] = [];
    if (this.held) out.push({ kind: this.state === 'thinking' ? 'thinking' : 'text', text: this.held });
    this.held = '';
    return out;
  }

  private feed(delta: string, out: TaggedText[]): void {
    switch (this.state) {
      case 'text':
        if (delta) out.push({ kind: 'text', text: delta });
        return;
      case 'undecided':
        return this.decide(this.held + delta, out);
      case 'thinking':
        return this.readThinking(this.held + delta, out);
      case 'after-thinking':
        return this.skipNewlines(delta, out);
    }
  }

  private decide(buffered: string, out: TaggedText[]): void {
    const start = buffered.trimStart();
    if (start.startsWith(OPEN)) {
      this.state = 'thinking';
      this.held = '';
      return this.readThinking(start.slice(OPEN.length), out);
    }
    if (OPEN.startsWith(start)) {
      this.held = buffered;
      return;
    }
    this.state = 'text';
    this.held = '';
    out.push({ kind: 'text', text: buffered });
  }

  private readThinking(buffered: string, out: TaggedText[]): void {
    const close = buffered.indexOf(CLOSE);
    if (close >= 0) {
      if (close > 0) out.push({ kind: 'thinking', text: buffered.slice(0, close) });
      this.state = 'after-thinking';
      this.held = '';
      return this.skipNewlines(buffered.slice(close + CLOSE.length), out);
    }
    const keep = partialTagSuffix(buffered, CLOSE);
    if (buffered.length > keep) out.push({ kind: 'thinking', text: buffered.slice(0, buffered.length - keep) });
    this.held = buffered.slice(buffered.length - keep);
  }

  /** Drops the blank line the model puts between `</thinking>` and the answer. */
  private skipNewlines(delta: string, out: TaggedText[]): void {
    let at = 0;
    while (at < delta.length && (delta[at] === '\n' || delta[at] === '\r')) at++;
    if (at === delta.length) return;
    this.state = 'text';
    out.push({ kind: 'text', text: delta.slice(at) });
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `tag` (which starts with its only '<'). */
function partialTagSuffix(text: string, tag: string): number {
  const lt = text.lastIndexOf('<');
  if (lt < 0 || text.length - lt >= tag.length) return 0;
  return tag.startsWith(text.slice(lt)) ? text.length - lt : 0;
}
