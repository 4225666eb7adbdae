import { selectToasts } from '../store/slices/ui/selectors.js';
import { dispatch, useAppStore } from '../store/store.js';

export function Toasts() {
  const toasts = useAppStore(selectToasts);
  return (
    <div className="toast-region" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className="toast" data-tone={t.tone}>
          <span>{t.text}</span>
          <button type="button" className="button ghost small" onClick={() => dispatch({ type: 'ui/toast-dismiss', id: t.id })} aria-label="Dismiss notice">
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
