import { lazy, Suspense } from 'react';
import { MembersPanel } from '../components/MembersPanel.js';
import { RoomView } from '../components/RoomView.js';
import { Sidebar } from '../components/Sidebar.js';
import { selectRoomMembers } from '../store/slices/members/selectors.js';
import { selectActiveRoom } from '../store/slices/rooms/selectors.js';
import { selectMembersOpen, selectPanel, selectView } from '../store/slices/ui/selectors.js';
import { dispatch, useAppStore } from '../store/store.js';

// Dialogs are split out of the first download: most visits never open them.
const InviteDialog = lazy(() => import('../dialogs/InviteDialog.js'));
const NewRoomDialog = lazy(() => import('../dialogs/NewRoomDialog.js'));
const JoinRoomDialog = lazy(() => import('../dialogs/JoinRoomDialog.js'));
const SafetyDialog = lazy(() => import('../dialogs/SafetyDialog.js'));
const RoomSettingsDialog = lazy(() => import('../dialogs/RoomSettingsDialog.js'));
const AccountDialog = lazy(() => import('../dialogs/AccountDialog.js'));

export default function Chat() {
  const room = useAppStore(selectActiveRoom);
  const members = useAppStore(selectRoomMembers(room?.id ?? null));
  const view = useAppStore(selectView);
  const membersOpen = useAppStore(selectMembersOpen);
  const showMembers = membersOpen && room !== null;

  return (
    <div className={`shell${showMembers ? ' with-members' : ''}`} data-view={room ? view : 'list'}>
      <Sidebar />
      {room ? (
        <RoomView key={room.id} room={room} members={members} />
      ) : (
        <main className="main" id="main" aria-labelledby="empty-title">
          <div className="empty">
            <h1 id="empty-title">Start a private conversation</h1>
            <p>Create a room and send its invite link, or open a link someone sent you. Everything is sealed on this device.</p>
            <div className="row">
              <button type="button" className="button primary" onClick={() => dispatch({ type: 'ui/panel', panel: { kind: 'new-room' } })}>
                New room
              </button>
              <button type="button" className="button" onClick={() => dispatch({ type: 'ui/panel', panel: { kind: 'join-room' } })}>
                Join with a link
              </button>
            </div>
          </div>
        </main>
      )}
      {showMembers && <MembersPanel room={room} members={members} />}
      <Suspense fallback={null}>
        <Panels />
      </Suspense>
    </div>
  );
}

function Panels() {
  const panel = useAppStore(selectPanel);
  const summaries = useAppStore((s) => s.rooms.summaries);
  const membersByRoom = useAppStore((s) => s.members.byRoom);
  if (!panel) return null;
  switch (panel.kind) {
    case 'new-room':
      return <NewRoomDialog />;
    case 'join-room':
      return <JoinRoomDialog />;
    case 'account':
      return <AccountDialog />;
    case 'invite': {
      const room = summaries[panel.roomId];
      return room ? <InviteDialog room={room} afterCreate={panel.afterCreate === true} /> : null;
    }
    case 'room-settings': {
      const room = summaries[panel.roomId];
      return room ? <RoomSettingsDialog room={room} /> : null;
    }
    case 'safety': {
      const member = membersByRoom[panel.roomId]?.find((m) => m.id === panel.member);
      return member ? <SafetyDialog roomId={panel.roomId} member={member} /> : null;
    }
  }
}
