import type { ConnectionState } from '@sealroom/client';

export interface ConnectionSliceState {
  /** Per relay endpoint; a room names the relay it lives on. */
  byRelay: Record<string, { state: ConnectionState; retryInMs: number | null }>;
}

export const initialConnectionState: ConnectionSliceState = { byRelay: {} };
