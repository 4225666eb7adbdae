import { type FormEvent, useState } from 'react';
import { Brand } from '../components/Brand.js';
import { PasswordField } from '../components/PasswordField.js';
import { unlock } from '../store/actions/identity.js';
import { selectBusy, selectSessionError } from '../store/slices/session/selectors.js';
import { selectPendingInvite } from '../store/slices/ui/selectors.js';
import { useAppStore } from '../store/store.js';

export function Unlock() {
  const [password, setPassword] = useState('');
  const busy = useAppStore(selectBusy);
  const error = useAppStore(selectSessionError);
  const invite = useAppStore(selectPendingInvite);
  const unlocking = busy === 'unlocking';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (password.length === 0 || unlocking) return;
    const ok = await unlock(password);
    if (ok) setPassword('');
  };

  return (
    <main className="center-screen" id="main">
      <form className="card" onSubmit={submit} aria-labelledby="unlock-title">
        <Brand />
        <h1 id="unlock-title">Welcome back</h1>
        {invite ? (
          <p className="notice" role="status">
            Unlock to join the room you were invited to.
          </p>
        ) : (
          <p className="lead">Your identity and rooms in this browser are locked. Enter your password to open them.</p>
        )}
        <PasswordField
          label="Password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
          autoFocus
          error={!unlocking && error ? error.message : null}
        />
        <button type="submit" className="button primary" disabled={password.length === 0 || unlocking}>
          {unlocking ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
    </main>
  );
}
