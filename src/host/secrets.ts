// A typed wrapper over VS Code's SecretStorage (OS keychain on desktop): every secret we keep
// has a key and a type here, values never pass through a log, and `onDidChange` tells us when
// another window wrote one. Structural types, so tests use an in-memory fake without VS Code.
import type { StoredAccount } from '../proxy/pool/account';
import type { Disposable } from './lifecycle';

/** The slice of `vscode.SecretStorage` we use. */
export interface SecretStorageLike {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
  onDidChange(listener: (e: { key: string }) => unknown): Disposable;
}

export interface AccountsSecret {
  version: 1;
  accounts: StoredAccount[];
}

/** Every secret the extension keeps, by key. */
export interface SecretShapes {
  'kiro.accounts': AccountsSecret;
  'kiro.apiKey': string;
}

export type SecretKey = keyof SecretShapes;

export class TypedSecrets {
  constructor(private readonly storage: SecretStorageLike) {}

  /** The raw stored text; for comparing against what this window wrote. */
  async raw(key: SecretKey): Promise<string | undefined> {
    return this.storage.get(key);
  }

  async get<K extends SecretKey>(key: K): Promise<SecretShapes[K] | undefined> {
    const text = await this.storage.get(key);
    if (text === undefined) return undefined;
    return decode(key, text) as SecretShapes[K];
  }

  /** Stores the value and returns the exact text stored. */
  async set<K extends SecretKey>(key: K, value: SecretShapes[K]): Promise<string> {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    await this.storage.store(key, text);
    return text;
  }

  async delete(key: SecretKey): Promise<void> {
    await this.storage.delete(key);
  }

  onDidChange(key: SecretKey, listener: () => void): Disposable {
    return this.storage.onDidChange((e) => {
      if (e.key === key) listener();
    });
  }
}

function decode(key: SecretKey, text: string): unknown {
  if (key === 'kiro.apiKey') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Never echo the text: it holds tokens.
    throw new Error(`The stored secret "${key}" is not valid JSON.`);
  }
}
