import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateTokens, tokenWeight } from '../../src/proxy/tokens';

test('about four ASCII characters per token, rounded up', () => {
  assert.equal(estimateTokens(''), 0);
  assert.equal(estimateTokens('abc'), 1);
  assert.equal(estimateTokens('abcdefgh'), 2);
  assert.equal(estimateTokens('x'.repeat(4001)), 1001);
});

test('one token per CJK character, half a token per other non-ASCII unit', () => {
  assert.equal(estimateTokens('你好世界'), 4);
  assert.equal(estimateTokens('こんにちは'), 5);
  assert.equal(estimateTokens('한국어'), 3);
  assert.equal(tokenWeight('привет'), 3);
  assert.equal(tokenWeight('🌍'), 1); // a surrogate pair
});

test('ASCII text, however long, weighs a quarter token per character', () => {
  const code = 'export const answer = "forty-two";\n'.repeat(5000);
  assert.equal(tokenWeight(code), code.length / 4);
  // One character past ASCII takes the counting path: the rest still weighs the same.
  assert.equal(tokenWeight(code + 'é'), code.length / 4 + 0.5);
  assert.equal(tokenWeight('\u007f'), 0.25);
  assert.equal(tokenWeight('\u0080'), 0.5);
});

test('weights of pieces add up to the weight of the whole', () => {
  const pieces = ['Hello, ', '世界', '! ', 'naïve'];
  const sum = pieces.reduce((total, piece) => total + tokenWeight(piece), 0);
  assert.equal(sum, tokenWeight(pieces.join('')));
});
