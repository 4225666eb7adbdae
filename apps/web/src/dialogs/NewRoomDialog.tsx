import { type FormEvent, useState } from 'react';
import { Dialog } from '../components/Dialog.js';
import { createRoom } from '../store/actions.js';
import { dispatch } from '../store/store.js';

/** Room names are shown in lists; keep them to a line. */
const MAX_ROOM_NAME_LENGTH = 60;

export default function NewRoomDialog() {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => dispatch({ type: 'ui/panel', panel: null });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed || busy) return;
    setBusy(true);
    const outcome = await createRoom(trimmed);
    setBusy(false);
    if (!outcome.ok) setError(outcome.error.message);
  };

  return (
    <Dialog title="New room" onClose={close} testId="new-room-dialog">
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="room-name">Room name</label>
          <input
            id="room-name"
            className="input"
            value={name}
            maxLength={MAX_ROOM_NAME_LENGTH}
            onChange={(e) => setName(e.target.value)}
            autoFocus
            required
            aria-describedby="room-name-hint"
          />
          <span id="room-name-hint" className="hint">
            Only members see the name; it travels sealed like every message.
          </span>
        </div>
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={!name.trim() || busy}>
            {busy ? 'Creating…' : 'Create room'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
