// The one place stop sequences and output limits are emulated (the exchange applies it to every reply).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplyEvent } from '../../src/proxy/model';
import { hasLimits, ReplyLimiter, type ReplyLimits } from '../../src/proxy/reply-limits';

const END: ReplyEvent = { type: 'end', stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 99 } };

function run(limits: ReplyLimits, events: ReplyEvent[]) {
  const limiter = new ReplyLimiter(limits, (outputTokens) => ({ inputTokens: 10, outputTokens }));
  const out: ReplyEvent[] = [];
  for (const event of events) {
    out.push(...limiter.push(event));
    if (limiter.cut) break;
  }
  const text = out.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('');
  return { out, text, end: out.at(-1), cut: limiter.cut };
}

const deltas = (text: string, size = 1): ReplyEvent[] => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => ({ type: 'text', text: text.slice(i * size, (i + 1) * size) }));

describe('ReplyLimiter', () => {
  test('a stop sequence split over single-character deltas ends the text before it', () => {
    const { text, end, cut } = run({ stopSequences: ['STOP'] }, [...deltas('abc STOP def'), END]);
    assert.equal(text, 'abc ');
    assert.deepEqual(end, { type: 'end', stopReason: 'stop_sequence', stopSequence: 'STOP', usage: { inputTokens: 10, outputTokens: 1 } });
    assert.equal(cut, true);
  });

  test('a held-back prefix that never completes is sent, in order, before what follows', () => {
    const { out } = run({ stopSequences: ['STOP'] }, [{ type: 'text', text: 'ST' }, { type: 'text', text: 'ART' }, { type: 'text', text: ' ST' }, { type: 'tool_start', id: 't', name: 'x' }, { type: 'tool_end', id: 't', input: {} }, END]);
    const toolAt = out.findIndex((e) => e.type === 'tool_start');
    assert.equal(out.slice(0, toolAt).map((e) => (e.type === 'text' ? e.text : '?')).join(''), 'START ST');
    assert.deepEqual(out.at(-1), END, 'Kiro\'s own end passes unchanged');
  });

  test('the earliest of several stop sequences wins, overlapping prefixes included', () => {
    assert.equal(run({ stopSequences: ['abcx', 'bc'] }, [...deltas('zabcx'), END]).text, 'za');
    assert.equal(run({ stopSequences: ['aab'] }, [...deltas('aaab'), END]).text, 'a');
  });

  test('the output limit counts tokens as usage does, CJK included, and cuts inside a delta', () => {
    const ascii = run({ maxTokens: 2 }, [{ type: 'text', text: 'abcdefghijkl' }, END]);
    assert.equal(ascii.text, 'abcdefgh');
    assert.deepEqual(ascii.end, { type: 'end', stopReason: 'max_tokens', usage: { inputTokens: 10, outputTokens: 2 } });
    assert.equal(run({ maxTokens: 3 }, [{ type: 'text', text: '你好世界' }, END]).text, '你好世');
  });

  test('thinking counts against the limit; a tool call cut short ends empty and truncated', () => {
    const thinking = run({ maxTokens: 1 }, [{ type: 'thinking', text: 'abcdefgh' }, { type: 'text', text: 'never' }, END]);
    assert.deepEqual(thinking.out.slice(0, 1), [{ type: 'thinking', text: 'abcd' }]);
    assert.equal(thinking.end?.type === 'end' && thinking.end.stopReason, 'max_tokens');
    const tool = run({ maxTokens: 2 }, [{ type: 'tool_start', id: 't', name: 'w' }, { type: 'tool_input', id: 't', partialJson: '{"path":"a.txt"}' }, END]);
    assert.deepEqual(tool.out.slice(1), [
      { type: 'tool_input', id: 't', partialJson: '{"path":' },
      { type: 'tool_end', id: 't', input: {} },
      { type: 'end', stopReason: 'max_tokens', usage: { inputTokens: 10, outputTokens: 2 }, truncated: true },
    ]);
  });

  test('a reply that fits passes unchanged, with Kiro\'s end; no limits means no transformer', () => {
    const events: ReplyEvent[] = [{ type: 'text', text: 'short' }, END];
    assert.deepEqual(run({ maxTokens: 100, stopSequences: ['zzz'] }, events).out, events);
    assert.equal(hasLimits({}), false);
    assert.equal(hasLimits({ stopSequences: [''] }), false);
    assert.equal(hasLimits({ maxTokens: 5 }), true);
  });
});
