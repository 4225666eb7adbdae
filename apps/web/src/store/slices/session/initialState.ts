import type { IdentityInfo, KeyGenerationStep } from '@sealroom/client';
import type { AppError, Busy } from '../../events.js';

/** `'booting'` until the client has told us whether an identity is stored. */
export type SessionPhase = 'booting' | 'none' | 'locked' | 'unlocked';

export interface SessionState {
  phase: SessionPhase;
  identity: IdentityInfo | null;
  busy: Busy;
  /** Key generation progress while creating an identity. */
  progress: { step: KeyGenerationStep; fraction: number } | null;
  error: AppError | null;
}

export const initialSessionState: SessionState = {
  phase: 'booting',
  identity: null,
  busy: null,
  progress: null,
  error: null,
};
