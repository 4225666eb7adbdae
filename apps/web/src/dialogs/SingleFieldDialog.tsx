import { type FormEvent, type ReactNode, useState } from 'react';
import { Dialog } from '../components/Dialog.js';
import type { Outcome } from '../store/actions/feedback.js';
import { dispatch } from '../store/store.js';

interface Props {
  title: string;
  testId: string;
  /** Whether the field holds something worth submitting; the dialog adds "not busy". */
  canSubmit: boolean;
  submitLabel: string;
  busyLabel: string;
  /** Runs the action; on failure its message is shown under the field and the dialog stays. */
  onSubmit(): Promise<Outcome<unknown>>;
  /** The field, given the current error so it can mark itself invalid. */
  children(error: string | null): ReactNode;
}

/**
 * The form shared by the new-room and join-room dialogs: one field, an error line,
 * Cancel and a submit button that shows the action is under way.
 */
export function SingleFieldDialog({ title, testId, canSubmit, submitLabel, busyLabel, onSubmit, children }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => dispatch({ type: 'ui/panel', panel: null });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!canSubmit || busy) return;
    setBusy(true);
    const outcome = await onSubmit();
    setBusy(false);
    if (!outcome.ok) setError(outcome.error.message);
  };

  return (
    <Dialog title={title} onClose={close} testId={testId}>
      <form onSubmit={submit}>
        {children(error)}
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={!canSubmit || busy}>
            {busy ? busyLabel : submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
