import { type ReactNode, useEffect, useId, useRef } from 'react';

interface Props {
  title: string;
  onClose(): void;
  children: ReactNode;
  /** Name for tests and for the dialog's accessible description. */
  testId?: string;
  /** Where focus goes when the dialog closes, if not back to where it was when it opened. */
  returnFocus?: () => HTMLElement | null;
}

/**
 * A modal on the native `<dialog>`: the browser traps focus, Escape closes it, and focus
 * returns to where it was when it closes. The field marked `data-autofocus` gets focus on
 * opening: `showModal` would otherwise focus the first button (✕), since React's
 * `autoFocus` leaves no attribute for the browser to find, so typing went nowhere and
 * Enter closed the dialog.
 */
export function Dialog({ title, onClose, children, testId, returnFocus }: Props) {
  const returnTo = useRef(returnFocus);
  useEffect(() => {
    returnTo.current = returnFocus;
  });
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    dialog?.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => {
      dialog?.close();
      (returnTo.current?.() ?? previous)?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div className="dialog-body">
        <div className="dialog-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="button ghost icon-button" onClick={onClose} aria-label="Close dialog">
            ✕
          </button>
        </div>
        {children}
      </div>
    </dialog>
  );
}
