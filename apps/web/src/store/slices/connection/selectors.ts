import type { ConnectionState } from '@sealroom/client';
import type { AppState } from '../../state.js';

/** What the quiet indicator shows: the worst state across the relays in use. */
export type OverallConnection = 'online' | 'connecting' | 'offline' | 'idle';

const SEVERITY: Record<ConnectionState, number> = { open: 0, connecting: 1, reconnecting: 2, offline: 3 };

export function overallConnection(byRelay: AppState['connection']['byRelay']): OverallConnection {
  const states = Object.values(byRelay).map((r) => r.state);
  if (states.length === 0) return 'idle';
  const worst = states.reduce((a, b) => (SEVERITY[b] > SEVERITY[a] ? b : a));
  if (worst === 'open') return 'online';
  if (worst === 'connecting') return 'connecting';
  return 'offline';
}

export const selectConnectionByRelay = (s: AppState) => s.connection.byRelay;
