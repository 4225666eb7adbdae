import { lazy, Suspense, useEffect } from 'react';
import { Toasts } from './components/Toasts.js';
import { Unlock } from './screens/Unlock.js';
import { Welcome } from './screens/Welcome.js';
import { selectTotalUnread } from './store/slices/rooms/selectors.js';
import { selectPhase } from './store/slices/session/selectors.js';
import { useAppStore } from './store/store.js';

const loadChat = () => import('./screens/Chat.js');
const Chat = lazy(loadChat);

/** Fetch the chat screen while the user types their password. */
export function preloadChat(): void {
  void loadChat();
}

export function App() {
  const phase = useAppStore(selectPhase);
  const unread = useAppStore(selectTotalUnread);
  // A background tab shows that something arrived, never what or from whom.
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Sealroom` : 'Sealroom';
  }, [unread]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {phase === 'booting' ? (
        <main className="center-screen" id="main" aria-busy="true">
          <p className="hint">Opening Sealroom…</p>
        </main>
      ) : phase === 'none' ? (
        <Welcome />
      ) : phase === 'locked' ? (
        <Unlock />
      ) : (
        <Suspense
          fallback={
            <main className="center-screen" id="main" aria-busy="true">
              <p className="hint">Opening your rooms…</p>
            </main>
          }
        >
          <Chat />
        </Suspense>
      )}
      <Toasts />
    </>
  );
}
