import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDepth, parseJsonText } from '../../src/proxy/server/body';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const refused = (text: string, max: number) => assert.throws(() => checkDepth(text, max), /nests deeper than/);

describe('request body limits', () => {
  it('refuses nesting past the limit, and takes it up to the limit', () => {
    checkDepth(nested(3), 3);
    refused(nested(4), 3);
    refused(`{"a":{"b":[{"c":1}]}}`, 3);
  });

  it('does not count brackets inside strings, whatever their escapes', () => {
    checkDepth(`["[[[[", "{{{{"]`, 1);
    // An escaped quote does not end the string…
    checkDepth(String.raw`["a\"[[[["]`, 1);
    checkDepth(String.raw`["a\\\"[[[["]`, 1);
    // …a quote after an escaped backslash does.
    refused(String.raw`["a\\", [[1]]]`, 2);
    // A string left open hides the rest.
    checkDepth(`["[[[[`, 1);
  });

  it('parses UTF-8 JSON and refuses what is not', () => {
    assert.deepEqual(parseJsonText(Buffer.from('{"text":"naïve \\"[[\\" 世界"}')), { text: 'naïve "[[" 世界' });
    assert.throws(() => parseJsonText(Buffer.from([0x7b, 0xff, 0x7d])), /not valid UTF-8/);
    assert.throws(() => parseJsonText(Buffer.from('{"a":')), /not valid JSON/);
    assert.throws(() => parseJsonText(Buffer.from(nested(300))), /nests deeper than 256/);
  });
});
