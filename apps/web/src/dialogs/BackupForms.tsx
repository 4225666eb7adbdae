import type { BackupProgress } from '@sealroom/client';
import { type FormEvent, useState } from 'react';
import { PasswordField } from '../components/PasswordField.js';
import { BackupProgressBar } from '../components/BackupProgressBar.js';
import { exportBackup, importBackup } from '../store/actions/identity.js';
import { selectSessionError } from '../store/slices/session/selectors.js';
import { useAppStore } from '../store/store.js';

/** What the last submit of a form came to, shown beside its button. */
export interface FormResult {
  ok: boolean;
  text: string;
}

/** Export: the identity with its rooms, their secrets and state, and (by default) the history. */
export function ExportForm() {
  const [password, setPassword] = useState('');
  const [history, setHistory] = useState(true);
  const [progress, setProgress] = useState<BackupProgress | null>(null);
  const [result, setResult] = useState<FormResult | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!password || busy) return;
    setBusy(true);
    setResult(null);
    const outcome = await exportBackup(password, { history, onProgress: setProgress });
    setBusy(false);
    setProgress(null);
    setPassword('');
    setResult(
      outcome.ok
        ? { ok: true, text: 'Backup saved. It holds your keys and rooms, locked with your current password: keep both safe.' }
        : { ok: false, text: outcome.error.message },
    );
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="stack" aria-labelledby="export-title">
      <h3 id="export-title">Back up everything</h3>
      <p className="hint">
        Saves a file with your keys and your rooms (their secrets, members and, if you like, the messages), sealed under your password. Import it in another
        browser to carry on there. Disappearing messages are never saved in it.
      </p>
      <PasswordField
        label="Password for the backup (your current one)"
        value={password}
        onChange={setPassword}
        autoComplete="current-password"
        name="export-password"
      />
      <label className="row">
        <input type="checkbox" checked={history} onChange={(e) => setHistory(e.target.checked)} data-testid="backup-history" />
        Include message history
      </label>
      <BackupProgressBar progress={busy ? progress : null} testId="export-progress" />
      <SubmitRow label="Export backup file" busyLabel="Preparing…" disabled={!password} busy={busy} result={result} />
    </form>
  );
}

/** Restore into this identity: rooms this browser lacks are added, the others brought up to date, no message twice. */
export function RestoreForm() {
  const [file, setFile] = useState<File | null>(null);
  const [password, setPassword] = useState('');
  const [progress, setProgress] = useState<BackupProgress | null>(null);
  const [result, setResult] = useState<FormResult | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file || !password || busy) return;
    setBusy(true);
    setResult(null);
    const ok = await importBackup(file, password, setProgress);
    setBusy(false);
    setProgress(null);
    setPassword('');
    setResult(
      ok
        ? { ok: true, text: 'Backup restored into this browser.' }
        : { ok: false, text: selectSessionError(useAppStore.getState())?.message ?? 'The backup could not be restored.' },
    );
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="stack" aria-labelledby="restore-title">
      <h3 id="restore-title">Restore from a backup</h3>
      <p className="hint">Brings in rooms and messages from a backup of this identity made elsewhere. Messages you already have are not added twice.</p>
      <div className="field">
        <label htmlFor="restore-file">Backup file</label>
        <input id="restore-file" className="input" type="file" accept=".json,application/json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </div>
      <PasswordField label="Backup password" value={password} onChange={setPassword} autoComplete="current-password" name="restore-password" />
      <BackupProgressBar progress={busy ? progress : null} testId="restore-progress" />
      <SubmitRow label="Restore backup" busyLabel="Restoring…" disabled={!file || !password} busy={busy} result={result} />
    </form>
  );
}

/** Both forms end the same way: their submit button, then the outcome of the last try. */
export function SubmitRow({
  label,
  busyLabel,
  disabled,
  busy,
  result,
}: {
  label: string;
  busyLabel: string;
  disabled: boolean;
  busy: boolean;
  result: FormResult | null;
}) {
  return (
    <div className="row">
      <button type="submit" className="button" disabled={disabled || busy}>
        {busy ? busyLabel : label}
      </button>
      {result && (
        <span className={result.ok ? 'verified' : 'error-text'} role="status">
          {result.text}
        </span>
      )}
    </div>
  );
}
