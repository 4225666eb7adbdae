// How an action reports back: an outcome the UI waits on, or a toast.
import { describeError } from '../../lib/errors.js';
import type { AppError } from '../events.js';
import { dispatch } from '../store.js';

/** How long an informational toast stays, in ms (an error toast twice as long). */
const TOAST_MS = 5000;

let sequence = 0;
/** A unique id for a local event (toast, warning), by prefix. */
export const nextId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(sequence += 1)}`;

export function toast(text: string, tone: 'info' | 'error' = 'info'): void {
  const id = nextId('toast');
  dispatch({ type: 'ui/toast', id, text, tone });
  setTimeout(() => dispatch({ type: 'ui/toast-dismiss', id }), tone === 'error' ? TOAST_MS * 2 : TOAST_MS);
}

/** Result of an action the UI waits on: ok, or an error to show beside the form. */
export type Outcome<T = void> = { ok: true; value: T } | { ok: false; error: AppError };

export async function attempt<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}
