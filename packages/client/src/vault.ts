/**
 * Everything the client keeps, except the password-wrapped identity blob, goes through
 * the vault: JSON records sealed under the storage key (AES-256-GCM via the protocol's
 * at-rest functions) before they touch the storage. Each record is bound to its storage
 * key name, so a storage that swaps two records gets a failed open, not confusion.
 */
import type { ClientStorage } from './platform.js';
import { fromUtf8, openAtRest, sealAtRest, utf8 } from '@sealroom/protocol';

export interface AtRestCipher {
  seal(plaintext: Uint8Array, context: string): Promise<Uint8Array>;
  /** Undefined when the record fails to authenticate. */
  open(sealed: Uint8Array, context: string): Promise<Uint8Array | undefined>;
}

export class Vault {
  /** Per-key write chains, so two writes to one record land in call order. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(
    private readonly storage: ClientStorage,
    private readonly cipher: AtRestCipher,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    await this.writes.get(key);
    const sealed = await this.storage.get(key);
    if (sealed === undefined) return undefined;
    const plain = await this.cipher.open(sealed, key);
    const text = plain === undefined ? undefined : fromUtf8(plain);
    if (text === undefined) return undefined;
    return JSON.parse(text) as T;
  }

  set(key: string, value: unknown): Promise<void> {
    const plain = utf8(JSON.stringify(value));
    return this.chain(key, async () => {
      await this.storage.set(key, await this.cipher.seal(plain, key));
    });
  }

  delete(key: string): Promise<void> {
    return this.chain(key, () => this.storage.delete(key));
  }

  keys(prefix: string): Promise<string[]> {
    return this.storage.keys(prefix);
  }

  /** Resolves when every write issued so far has landed. */
  async flush(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }

  private chain(key: string, write: () => Promise<void>): Promise<void> {
    const previous = this.writes.get(key) ?? Promise.resolve();
    const next = previous.then(write, write);
    this.writes.set(key, next);
    void next.finally(() => {
      if (this.writes.get(key) === next) this.writes.delete(key);
    });
    return next;
  }
}

/** The vault's cipher: AES-256-GCM under the storage key the identity unwraps (at-rest.ts). */
export function atRestCipher(storageKey: CryptoKey): AtRestCipher {
  return {
    seal: (plaintext, context) => sealAtRest(storageKey, context, plaintext),
    open: async (sealed, context) => {
      const opened = await openAtRest(storageKey, context, sealed);
      return opened.ok ? opened.plaintext : undefined;
    },
  };
}
