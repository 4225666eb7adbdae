import { overallConnection, selectConnectionByRelay } from '../store/slices/connection/selectors.js';
import { useAppStore } from '../store/store.js';

const LABELS = {
  online: 'Connected',
  connecting: 'Connecting…',
  offline: 'Offline: messages will be sent when the connection returns',
  idle: 'Not connected yet',
} as const;

/** A quiet indicator: connection trouble should never be louder than the conversation. */
export function ConnectionStatus() {
  const byRelay = useAppStore(selectConnectionByRelay);
  const state = overallConnection(byRelay);
  return (
    <span className="status" role="status" aria-live="polite" data-testid="connection" data-state={state}>
      <span className={`dot ${state === 'online' ? 'online' : state === 'offline' ? '' : 'connecting'}`} aria-hidden="true" />
      {state === 'offline' ? 'Offline' : LABELS[state]}
      <span className="visually-hidden">{state === 'offline' ? `: ${LABELS.offline}` : ''}</span>
    </span>
  );
}
