// The optional API key clients must send. Generated from crypto randomness on first use, kept
// in SecretStorage (shared by all windows), registered with the logger so it is never printed.
import { randomBytes } from 'node:crypto';
import { registerSecret } from '../proxy/logger';
import type { TypedSecrets } from './secrets';
import type { Disposable } from './lifecycle';

const KEY = 'kiro.apiKey';

export function generateApiKey(): string {
  return `kp-${randomBytes(24).toString('base64url')}`;
}

export class ApiKeyService {
  private cached?: string;
  private reading?: Promise<string>;

  constructor(private readonly secrets: TypedSecrets) {}

  /** The key, created on first call. Calls made while one reads the keychain share it (one key, not two). */
  get(): Promise<string> {
    if (this.cached) return Promise.resolve(this.cached);
    this.reading ??= this.readOrCreate().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readOrCreate(): Promise<string> {
    let key = await this.secrets.get(KEY);
    if (!key) {
      key = generateApiKey();
      await this.secrets.set(KEY, key);
    }
    registerSecret(key);
    this.cached = key;
    return key;
  }

  /** The key if one exists, without creating it. */
  async peek(): Promise<string | undefined> {
    if (this.cached) return this.cached;
    const key = await this.secrets.get(KEY);
    if (key) {
      registerSecret(key);
      this.cached = key;
    }
    return key;
  }

  async regenerate(): Promise<string> {
    const key = generateApiKey();
    registerSecret(key);
    await this.secrets.set(KEY, key);
    this.cached = key;
    return key;
  }

  /** Another window regenerated the key: forget ours. */
  onDidChange(listener: (key: string | undefined) => void): Disposable {
    return this.secrets.onDidChange(KEY, () => {
      this.cached = undefined;
      void this.peek().then(listener, () => listener(undefined));
    });
  }
}
