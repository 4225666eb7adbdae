// What the identity screens say while they work and while a password is too short: plain
// words for each step of key creation (never the client's internal step names) and a
// count that agrees with its noun.
import type { KeyGenerationStep } from '@sealroom/client';

/** The label above the progress bar while an identity is being created. */
export const KEY_GENERATION_STEP_TEXT: Record<KeyGenerationStep, string> = {
  'encryption-key': 'Making your encryption key…',
  'signing-key': 'Making your signing key…',
  done: 'Locking your keys with your password…',
};

/** The hint under a password that is still shorter than the minimum. */
export function charactersNeededText(missing: number): string {
  return missing === 1 ? '1 more character needed.' : `${missing} more characters needed.`;
}
