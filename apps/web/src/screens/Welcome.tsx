import type { BackupProgress } from '@sealroom/client';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { BackupProgressBar } from '../components/BackupProgressBar.js';
import { Brand } from '../components/Brand.js';
import { PasswordField } from '../components/PasswordField.js';
import { KEY_GENERATION_STEP_TEXT } from '../lib/identity-texts.js';
import { loadStrengthChecker, meetsPolicy, type RatedPassword } from '../lib/strength.js';
import { createIdentity, importBackup } from '../store/actions/identity.js';
import { selectBusy, selectProgress, selectSessionError } from '../store/slices/session/selectors.js';
import { selectPendingInvite } from '../store/slices/ui/selectors.js';
import { useAppStore } from '../store/store.js';

/** Display names are shown to others; keep them to a line. */
const MAX_NAME_LENGTH = 40;

export function Welcome() {
  const [mode, setMode] = useState<'create' | 'import'>('create');
  const invite = useAppStore(selectPendingInvite);
  // Fetch the strength estimator's dictionaries while the user types a name, so the meter
  // answers on the first keystroke of the password.
  useEffect(() => {
    void loadStrengthChecker();
  }, []);
  return (
    <main className="center-screen" id="main">
      <div className="card">
        <Brand />
        {invite && (
          <p className="notice" role="status">
            You have been invited to a room. Set up Sealroom in this browser first; you will join right after.
          </p>
        )}
        {mode === 'create' ? <CreateForm onImport={() => setMode('import')} /> : <ImportForm onCreate={() => setMode('create')} />}
      </div>
    </main>
  );
}

function CreateForm({ onImport }: { onImport(): void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [strength, setStrength] = useState<RatedPassword | null>(null);
  const [touched, setTouched] = useState(false);
  const busy = useAppStore(selectBusy);
  const progress = useAppStore(selectProgress);
  const error = useAppStore(selectSessionError);
  const onStrength = useCallback((s: RatedPassword) => setStrength(s), []);

  const trimmed = name.trim();
  const mismatch = confirm.length > 0 && confirm !== password;
  const ready = trimmed.length > 0 && meetsPolicy(password, strength) && confirm === password;
  const creating = busy === 'creating';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!ready || creating) return;
    void createIdentity(trimmed, password);
  };

  return (
    <form onSubmit={submit} aria-labelledby="welcome-title" noValidate>
      <h1 id="welcome-title">Private group chat, sealed in your browser</h1>
      <p className="lead">
        No account and no phone number. Your keys are made here and locked with a password only you know. The relay only ever forwards sealed envelopes.
      </p>
      <div className="field">
        <label htmlFor="display-name">Your name, as others will see it</label>
        <input
          id="display-name"
          className="input"
          value={name}
          maxLength={MAX_NAME_LENGTH}
          onChange={(e) => setName(e.target.value)}
          autoComplete="nickname"
          required
          autoFocus
          disabled={creating}
          aria-invalid={touched && trimmed.length === 0 ? true : undefined}
        />
      </div>
      <PasswordField
        label="Password"
        name="new-password"
        value={password}
        onChange={setPassword}
        withStrength
        onStrength={onStrength}
        userInputs={trimmed ? [trimmed, 'sealroom'] : ['sealroom']}
        autoComplete="new-password"
      />
      <PasswordField
        label="Repeat the password"
        name="confirm-password"
        value={confirm}
        onChange={setConfirm}
        autoComplete="new-password"
        error={mismatch ? 'The two passwords differ.' : null}
      />
      <p className="hint">There is no way to recover a forgotten password. After you start, you can export a backup of your identity.</p>
      {creating && progress && (
        <div className="progress-block" role="status" aria-live="polite">
          <label htmlFor="keygen-progress" className="label">
            {KEY_GENERATION_STEP_TEXT[progress.step]}
          </label>
          <progress id="keygen-progress" max={1} value={progress.fraction} />
        </div>
      )}
      {error && !creating && (
        <p className="error-text" role="alert">
          {error.message}
        </p>
      )}
      <div className="stack">
        <button type="submit" className="button primary" disabled={!ready || creating}>
          {creating ? 'Making your keys…' : 'Create my identity'}
        </button>
        <button type="button" className="button ghost" onClick={onImport} disabled={creating}>
          I have a backup file
        </button>
      </div>
    </form>
  );
}

function ImportForm({ onCreate }: { onCreate(): void }) {
  const [file, setFile] = useState<File | null>(null);
  const [password, setPassword] = useState('');
  const busy = useAppStore(selectBusy);
  const error = useAppStore(selectSessionError);
  const importing = busy === 'importing';
  const [progress, setProgress] = useState<BackupProgress | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!file || password.length === 0 || importing) return;
    setProgress(null);
    void importBackup(file, password, setProgress);
  };

  return (
    <form onSubmit={submit} aria-labelledby="import-title">
      <h1 id="import-title">Restore your identity</h1>
      <p className="lead">Choose the backup file you exported, and enter the password you used for it.</p>
      <div className="field">
        <label htmlFor="backup-file">Backup file</label>
        <input id="backup-file" className="input" type="file" accept=".json,application/json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required />
      </div>
      <PasswordField label="Backup password" value={password} onChange={setPassword} autoComplete="current-password" />
      <BackupProgressBar progress={importing ? progress : null} testId="import-progress" />
      {error && !importing && (
        <p className="error-text" role="alert">
          {error.message}
        </p>
      )}
      <div className="stack">
        <button type="submit" className="button primary" disabled={!file || password.length === 0 || importing}>
          {importing ? 'Restoring…' : 'Restore identity'}
        </button>
        <button type="button" className="button ghost" onClick={onCreate} disabled={importing}>
          Create a new identity instead
        </button>
      </div>
    </form>
  );
}
