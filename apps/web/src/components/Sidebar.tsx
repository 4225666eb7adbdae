import { useMemo } from 'react';
import { lock } from '../store/actions/identity.js';
import { selectRoom } from '../store/actions/rooms.js';
import { selectActiveRoomId, selectSummaries, selectUnread, sortRooms } from '../store/slices/rooms/selectors.js';
import { selectIdentity } from '../store/slices/session/selectors.js';
import { dispatch, useAppStore } from '../store/store.js';
import { Brand } from './Brand.js';
import { ConnectionStatus } from './ConnectionStatus.js';

export function Sidebar() {
  const summaries = useAppStore(selectSummaries);
  const activeId = useAppStore(selectActiveRoomId);
  const unread = useAppStore(selectUnread);
  const identity = useAppStore(selectIdentity);
  const rooms = useMemo(() => sortRooms(summaries), [summaries]);

  return (
    <nav className="sidebar" aria-label="Rooms">
      <div className="sidebar-header">
        <Brand />
      </div>
      <div className="sidebar-section">
        <div className="row">
          <button type="button" className="button primary" onClick={() => dispatch({ type: 'ui/panel', panel: { kind: 'new-room' } })}>
            New room
          </button>
          <button type="button" className="button" onClick={() => dispatch({ type: 'ui/panel', panel: { kind: 'join-room' } })}>
            Join with a link
          </button>
        </div>
        <h2 className="hint" id="room-list-title">
          Your rooms
        </h2>
        {rooms.length === 0 ? (
          <p className="hint">No rooms yet. Create one and share its invite link, or open a link someone sent you.</p>
        ) : (
          <ul className="room-list" aria-labelledby="room-list-title" data-testid="room-list">
            {rooms.map((room) => {
              const count = unread[room.id] ?? 0;
              return (
                <li key={room.id}>
                  <button
                    type="button"
                    className="room-link"
                    aria-current={room.id === activeId ? 'true' : undefined}
                    onClick={() => selectRoom(room.id)}
                    data-testid="room-link"
                  >
                    <span className="room-link-name">
                      {room.name}
                      {!room.active && <span className="hint"> (left)</span>}
                    </span>
                    {count > 0 && (
                      <span className="badge" data-testid="unread">
                        {count}
                        <span className="visually-hidden"> unread</span>
                      </span>
                    )}
                  </button>
                </li>
              );
            })}
          </ul>
        )}
      </div>
      <div className="sidebar-footer">
        <div className="me">
          <span className="me-name" data-testid="my-name">
            {identity?.displayName}
          </span>
          <ConnectionStatus />
        </div>
        <div className="row">
          <button
            type="button"
            className="button small"
            aria-keyshortcuts="Control+K /"
            onClick={() => dispatch({ type: 'ui/panel', panel: { kind: 'search', roomId: null } })}
          >
            Search
          </button>
          <button type="button" className="button small" onClick={() => dispatch({ type: 'ui/panel', panel: { kind: 'account' } })}>
            Identity &amp; backup
          </button>
          <button type="button" className="button small" onClick={() => void lock()}>
            Lock
          </button>
        </div>
      </div>
    </nav>
  );
}
