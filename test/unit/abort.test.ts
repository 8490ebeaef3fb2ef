import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { LightAbortController, abortWith } from '../../src/proxy/abort';

describe('LightAbortController', () => {
  test('abort() without a reason gives an AbortError, made once and kept', () => {
    const c = new LightAbortController();
    assert.equal(c.signal.reason, undefined);
    c.abort();
    assert.equal(c.signal.aborted, true);
    const reason: unknown = c.signal.reason;
    assert.ok(reason instanceof DOMException);
    assert.equal((reason as DOMException).name, 'AbortError');
    assert.equal(c.signal.reason, reason, 'the same error on every read');
    assert.throws(() => c.signal.throwIfAborted(), (err) => err === reason);
  });

  test('a given reason is kept, and the first abort wins', () => {
    const c = new LightAbortController();
    const why = new Error('first byte timeout');
    c.abort(why);
    c.abort(new Error('later'));
    assert.equal(c.signal.reason, why);
  });

  test('listeners run once with an abort event, also when linked to a parent', () => {
    const parent = new LightAbortController();
    const child = new LightAbortController();
    abortWith(parent.signal, child);
    const heard: string[] = [];
    child.signal.addEventListener('abort', (event) => heard.push(event.type), { once: true });
    child.signal.onabort = () => heard.push('onabort');
    parent.abort();
    parent.abort();
    assert.deepEqual(heard, ['onabort', 'abort']);
    assert.equal(child.signal.aborted, true);
    assert.ok(child.signal.reason instanceof DOMException);
  });
});
