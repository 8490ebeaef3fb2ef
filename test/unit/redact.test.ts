// The log scrubber on the secrets that came with Kiro API keys and per-account proxies.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redact } from '../../src/proxy/logger';
import { safeMessage } from '../../src/proxy/kiro/errors';

describe('scrubbing API keys and proxy credentials', () => {
  it('removes a ksk_ key wherever it appears', () => {
    const key = 'ksk_' + 'AbC9-_x'.repeat(6);
    assert.equal(redact(`key ${key} refused`), 'key [redacted] refused');
    assert.equal(redact(JSON.stringify({ kiroApiKey: key })), '{"kiroApiKey":"[redacted]"}');
    assert.doesNotMatch(safeMessage(`Kiro said: ${key} is invalid`), /ksk_A/);
  });

  it('removes user:password from URLs and keeps the host', () => {
    assert.equal(redact('via socks5://alice:s3cr%40t@10.0.0.2:1080 failed'), 'via socks5://[redacted]@10.0.0.2:1080 failed');
    assert.equal(redact('proxy http://bob:pw@proxy.example:3128'), 'proxy http://[redacted]@proxy.example:3128');
    assert.equal(redact('plain http://proxy.example:3128 stays'), 'plain http://proxy.example:3128 stays');
  });
});
