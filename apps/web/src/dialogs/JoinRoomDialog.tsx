import { type FormEvent, useState } from 'react';
import { Dialog } from '../components/Dialog.js';
import { joinRoom } from '../store/actions.js';
import { dispatch } from '../store/store.js';

export default function JoinRoomDialog() {
  const [link, setLink] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => dispatch({ type: 'ui/panel', panel: null });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!link.trim() || busy) return;
    setBusy(true);
    const outcome = await joinRoom(link, false);
    setBusy(false);
    if (!outcome.ok) setError(outcome.error.message);
  };

  return (
    <Dialog title="Join a room" onClose={close} testId="join-dialog">
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="join-link">Invite link</label>
          <input
            id="join-link"
            className="input invite-link"
            value={link}
            onChange={(e) => setLink(e.target.value)}
            autoFocus
            required
            spellCheck={false}
            autoComplete="off"
            aria-invalid={error ? true : undefined}
          />
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
          <button type="submit" className="button primary" disabled={!link.trim() || busy}>
            {busy ? 'Joining…' : 'Join'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
