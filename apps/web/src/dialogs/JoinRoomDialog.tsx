import { useState } from 'react';
import { joinRoom } from '../store/actions/rooms.js';
import { SingleFieldDialog } from './SingleFieldDialog.js';

export default function JoinRoomDialog() {
  const [link, setLink] = useState('');
  return (
    <SingleFieldDialog
      title="Join a room"
      testId="join-dialog"
      canSubmit={link.trim() !== ''}
      submitLabel="Join"
      busyLabel="Joining…"
      onSubmit={() => joinRoom(link, false)}
    >
      {(error) => (
        <div className="field">
          <label htmlFor="join-link">Invite link</label>
          <input
            id="join-link"
            className="input invite-link"
            value={link}
            onChange={(e) => setLink(e.target.value)}
            data-autofocus
            required
            spellCheck={false}
            autoComplete="off"
            aria-invalid={error ? true : undefined}
          />
        </div>
      )}
    </SingleFieldDialog>
  );
}
