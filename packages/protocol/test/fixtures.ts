/**
 * Shared fixtures. RSA-3072 key generation costs about a second, so each test file creates a
 * few identities once and reuses them. Password wrapping in tests uses a low PBKDF2 count
 * through the explicit dangerous option.
 */
import { generateIdentity, wrapIdentity, type KdfOptions, type UnlockedIdentity, type WrappedIdentity } from '../src/index.js';

export const TEST_KDF: KdfOptions = { iterations: 1_000, dangerouslyAllowWeakKdfForTests: true };
export const PASSWORD = 'correct horse battery staple';

export interface Person {
  unlocked: UnlockedIdentity;
  wrapped: WrappedIdentity;
}

export async function makePeople<const N extends readonly string[]>(names: N): Promise<{ [K in keyof N]: Person }> {
  const people: Person[] = [];
  for (const name of names) {
    const generated = await generateIdentity(name);
    people.push(await wrapIdentity(generated, PASSWORD, TEST_KDF));
  }
  return people as { [K in keyof N]: Person };
}

export const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
export const dec = (data: Uint8Array): string => new TextDecoder().decode(data);

/** Copy with one byte XOR-ed. */
export function flip(data: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = data.slice();
  out[index] = (out[index] ?? 0) ^ mask;
  return out;
}
