import type { MemberInfo, PendingKnock, RoomSummary } from '@sealroom/client';
import { type DragEvent, useMemo, useState } from 'react';
import { roomMetaText } from '../lib/room-meta.js';
import { currentClient } from '../store/actions/client-handle.js';
import { sendFile } from '../store/actions/files.js';
import { selectRoom } from '../store/actions/rooms.js';
import { selectConnectionByRelay } from '../store/slices/connection/selectors.js';
import { selectKnocks, selectRemovedMe } from '../store/slices/rooms/selectors.js';
import { selectMembersOpen } from '../store/slices/ui/selectors.js';
import { alertsForRoom, selectAlerts } from '../store/slices/warnings/selectors.js';
import { dispatch, useAppStore } from '../store/store.js';
import { Composer } from './Composer.js';
import { KnockList } from './KnockList.js';
import { MessageList } from './MessageList.js';
import { TrustAlerts } from './TrustAlerts.js';

const NO_KNOCKS: readonly PendingKnock[] = [];

export function RoomView({ room, members }: { room: RoomSummary; members: readonly MemberInfo[] }) {
  const removedBy = useAppStore(selectRemovedMe)[room.id];
  const knocks = useAppStore(selectKnocks)[room.id] ?? NO_KNOCKS;
  const allAlerts = useAppStore(selectAlerts);
  const alerts = useMemo(() => alertsForRoom(allAlerts, room.id), [allAlerts, room.id]);
  const membersOpen = useAppStore(selectMembersOpen);
  const [dragging, setDragging] = useState(false);
  const online = members.filter((m) => m.online).length;
  const relayUrl = currentClient()?.room(room.id)?.relayUrl;
  const connection = useAppStore(selectConnectionByRelay)[relayUrl ?? '']?.state;

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (!room.active) return;
    for (const file of Array.from(e.dataTransfer.files)) void sendFile(room.id, file);
  };

  return (
    <main
      className="main"
      id="main"
      aria-labelledby="room-title"
      onDragOver={(e) => {
        if (!room.active || !e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
      data-testid="room-view"
    >
      <header className="room-header">
        <button type="button" className="button ghost back-button icon-button" onClick={() => selectRoom(null)} aria-label="Back to rooms">
          ←
        </button>
        <div className="room-title-block">
          <h1 id="room-title">{room.name}</h1>
          <span className="room-meta" data-testid="room-meta">
            {roomMetaText({ members: members.length, online, connection, disappearingMs: room.disappearingMs })}
          </span>
        </div>
        <div className="room-actions">
          {room.active && (
            <button type="button" className="button small" onClick={() => dispatch({ type: 'ui/panel', panel: { kind: 'invite', roomId: room.id } })}>
              Invite
            </button>
          )}
          <button type="button" className="button small" aria-pressed={membersOpen} onClick={() => dispatch({ type: 'ui/members-open', open: !membersOpen })}>
            Members
          </button>
          <button type="button" className="button small" onClick={() => dispatch({ type: 'ui/panel', panel: { kind: 'room-settings', roomId: room.id } })}>
            Settings
          </button>
        </div>
      </header>
      {(removedBy || room.status === 'removed') && (
        <div className="alerts">
          <p className="alert danger" role="alert" data-testid="removed-banner">
            You were removed from this room. New messages no longer reach you, and its old invite link cannot let you back in; what you already have stays here.
          </p>
        </div>
      )}
      <KnockList room={room} knocks={knocks} />
      {room.status === 'knocking' && (
        <div className="alerts">
          <p className="alert" role="status" data-testid="knocking">
            {room.knockDeclined === 'declined'
              ? 'A member declined your request to join.'
              : room.knockDeclined === 'link-expired'
                ? 'This invite link has expired. Ask for a new one.'
                : room.knockDeclined === 'link-used'
                  ? 'This invite link was already used. Ask for a new one.'
                  : room.linkPolicy?.approval
                    ? 'Waiting for an admin to let you in…'
                    : 'Waiting for a member to let you in…'}
          </p>
        </div>
      )}
      {room.status === 'catching-up' && (
        <div className="alerts">
          <p className="alert" role="status" data-testid="catching-up">
            Catching up on membership…
          </p>
        </div>
      )}
      {room.status === 'outdated' && (
        <div className="alerts">
          <p className="alert" role="status">
            This room was made with an older version of Sealroom. Its history stays here; ask for a new invite to keep talking.
          </p>
        </div>
      )}
      {room.status === 'left' && (
        <div className="alerts">
          <p className="alert" role="status">
            You left this room. Its history stays in this browser.
          </p>
        </div>
      )}
      <TrustAlerts alerts={alerts} members={members} roomId={room.id} />
      <MessageList roomId={room.id} members={members} />
      <Composer roomId={room.id} members={members} disabled={!room.active} />
      {dragging && <div className="drop-overlay">Drop to send, sealed, to this room</div>}
    </main>
  );
}
