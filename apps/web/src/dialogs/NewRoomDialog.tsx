import { useState } from 'react';
import { createRoom } from '../store/actions/rooms.js';
import { SingleFieldDialog } from './SingleFieldDialog.js';

/** Room names are shown in lists; keep them to a line. */
const MAX_ROOM_NAME_LENGTH = 60;

export default function NewRoomDialog() {
  const [name, setName] = useState('');
  return (
    <SingleFieldDialog
      title="New room"
      testId="new-room-dialog"
      canSubmit={name.trim() !== ''}
      submitLabel="Create room"
      busyLabel="Creating…"
      onSubmit={() => createRoom(name.trim())}
    >
      {() => (
        <div className="field">
          <label htmlFor="room-name">Room name</label>
          <input
            id="room-name"
            className="input"
            value={name}
            maxLength={MAX_ROOM_NAME_LENGTH}
            onChange={(e) => setName(e.target.value)}
            data-autofocus
            required
            aria-describedby="room-name-hint"
          />
          <span id="room-name-hint" className="hint">
            Only members see the name; it travels sealed like every message.
          </span>
        </div>
      )}
    </SingleFieldDialog>
  );
}
