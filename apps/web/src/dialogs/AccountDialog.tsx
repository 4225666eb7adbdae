import { type FormEvent, useCallback, useState } from 'react';
import { Dialog } from '../components/Dialog.js';
import { PasswordField } from '../components/PasswordField.js';
import { meetsPolicy, type RatedPassword } from '../lib/strength.js';
import { changePassword, lock } from '../store/actions/identity.js';
import { ExportForm, RestoreForm, SubmitRow, type FormResult } from './BackupForms.js';
import { setReadReceipts } from '../store/actions/receipts.js';
import { selectIdentity } from '../store/slices/session/selectors.js';
import { selectReadReceipts } from '../store/slices/ui/selectors.js';
import { dispatch, useAppStore } from '../store/store.js';

export default function AccountDialog() {
  const identity = useAppStore(selectIdentity);
  const close = () => dispatch({ type: 'ui/panel', panel: null });
  return (
    <Dialog title="Your identity" onClose={close} testId="account-dialog">
      <dl className="stack">
        <div>
          <dt className="label">Name</dt>
          <dd>{identity?.displayName}</dd>
        </div>
        <div>
          <dt className="label">Your key fingerprint</dt>
          <dd className="fingerprint" data-testid="my-fingerprint">
            {identity?.fingerprint}
          </dd>
        </div>
      </dl>
      <ReceiptsSetting />
      <ExportForm />
      <RestoreForm />
      <ChangePasswordForm />
      <div className="dialog-actions">
        <button type="button" className="button" onClick={() => void lock()}>
          Lock now
        </button>
        <button type="button" className="button" onClick={close}>
          Done
        </button>
      </div>
    </Dialog>
  );
}

function ReceiptsSetting() {
  const enabled = useAppStore(selectReadReceipts);
  return (
    <section className="stack" aria-labelledby="receipts-title">
      <h3 id="receipts-title">Receipts</h3>
      <label className="row">
        <input type="checkbox" checked={enabled} onChange={(e) => setReadReceipts(e.target.checked)} data-testid="read-receipts-toggle" /> Send read receipts
      </label>
      <p className="hint">
        Others see when you have read their messages. Turned off, you do not see when they read yours either. Delivery (✓✓) is always shared.
      </p>
    </section>
  );
}

function ChangePasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [strength, setStrength] = useState<RatedPassword | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<FormResult | null>(null);
  const onStrength = useCallback((s: RatedPassword) => setStrength(s), []);
  const ready = current.length > 0 && meetsPolicy(next, strength) && next !== current;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready || busy) return;
    setBusy(true);
    const outcome = await changePassword(current, next);
    setBusy(false);
    if (outcome.ok) {
      setCurrent('');
      setNext('');
      setResult({ ok: true, text: 'Password changed. Use the new one from now on.' });
    } else {
      setResult({ ok: false, text: outcome.error.message });
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} className="stack" aria-labelledby="change-title">
      <h3 id="change-title">Change password</h3>
      <PasswordField label="Current password" value={current} onChange={setCurrent} autoComplete="current-password" name="old-password" />
      <PasswordField
        label="New password"
        value={next}
        onChange={setNext}
        withStrength
        onStrength={onStrength}
        autoComplete="new-password"
        name="new-password"
      />
      <SubmitRow label="Change password" busyLabel="Changing…" disabled={!ready} busy={busy} result={result} />
    </form>
  );
}
