import type { RoomId, SearchHit } from '@sealroom/client';
import { type KeyboardEvent, useDeferredValue, useEffect, useId, useMemo, useRef, useState } from 'react';
import { Dialog } from '../components/Dialog.js';
import { dayLabel, formatTime } from '../lib/format.js';
import { buildSearchIndex, snippet } from '../lib/search.js';
import { selectRoom } from '../store/actions/rooms.js';
import { selectIdentity } from '../store/slices/session/selectors.js';
import { dispatch, useAppStore } from '../store/store.js';

/** Results listed at once; the count says when there are more. */
const RESULTS_SHOWN = 50;

/**
 * Search over the history this tab has decrypted, in one room or all of them. The index is
 * built in memory when the dialog opens (and again when the timelines change) and dropped
 * when it closes; locking closes it. Arrow keys move through the results, Enter opens one.
 */
export default function SearchDialog({ roomId }: { roomId: RoomId | null }) {
  const byRoom = useAppStore((s) => s.timeline.byRoom);
  const summaries = useAppStore((s) => s.rooms.summaries);
  const me = useAppStore(selectIdentity)?.identityId ?? null;
  const [query, setQuery] = useState('');
  const [scope, setScope] = useState<RoomId | null>(roomId);
  const [picked, setActive] = useState(0);
  // Day labels are relative to when the dialog opened.
  const [now] = useState(() => Date.now());
  const inputRef = useRef<HTMLInputElement>(null);
  const listId = useId();
  const deferred = useDeferredValue(query);

  const index = useMemo(() => buildSearchIndex(byRoom, me), [byRoom, me]);
  const result = useMemo(() => index.search(deferred, { roomId: scope ?? undefined, limit: RESULTS_SHOWN }), [index, deferred, scope]);
  const active = Math.min(picked, Math.max(0, result.hits.length - 1));

  // After the dialog's own effect has opened it (a parent's effects run after its children's).
  useEffect(() => inputRef.current?.focus(), []);

  const close = () => dispatch({ type: 'ui/panel', panel: null });
  const open = (hit: SearchHit) => {
    selectRoom(hit.document.roomId);
    dispatch({ type: 'ui/focus-item', roomId: hit.document.roomId, itemId: hit.document.id });
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const count = result.hits.length;
    if (count === 0) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = (active + (e.key === 'ArrowDown' ? 1 : count - 1)) % count;
      setActive(next);
      document.getElementById(`${listId}-${next}`)?.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const hit = result.hits[active];
      if (hit) open(hit);
    }
  };
  const scopeName = scope ? (summaries[scope]?.name ?? 'this room') : null;

  return (
    <Dialog title="Search messages" onClose={close} testId="search-dialog">
      <div className="stack search" onKeyDown={onKeyDown}>
        <div className="row">
          <input
            ref={inputRef}
            // Not type="search": there Escape clears the text instead of closing the dialog.
            type="text"
            enterKeyHint="search"
            className="input"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setActive(0);
            }}
            placeholder="Search your messages"
            aria-label="Search your messages"
            role="combobox"
            aria-expanded={result.hits.length > 0}
            aria-controls={listId}
            aria-activedescendant={result.hits.length > 0 ? `${listId}-${active}` : undefined}
            data-testid="search-input"
          />
          {roomId && (
            <select
              className="input"
              value={scope ?? ''}
              onChange={(e) => {
                setScope(e.target.value || null);
                setActive(0);
              }}
              aria-label="Where to search"
              data-testid="search-scope"
            >
              <option value={roomId}>In {summaries[roomId]?.name ?? 'this room'}</option>
              <option value="">In all rooms</option>
            </select>
          )}
        </div>
        <p className="hint" role="status" data-testid="search-count">
          {deferred.trim() === ''
            ? `Searches the messages stored on this device${scopeName ? ` in ${scopeName}` : ''}. Nothing is sent anywhere.`
            : result.total === 0
              ? 'No messages match.'
              : result.total > result.hits.length
                ? `${result.total} messages match; the newest ${result.hits.length} are shown.`
                : `${result.total} ${result.total === 1 ? 'message matches' : 'messages match'}.`}
        </p>
        <ul className="search-results" id={listId} role="listbox" aria-label="Results">
          {result.hits.map((hit, i) => (
            <li
              key={`${hit.document.roomId}/${hit.document.id}`}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={`search-result${i === active ? ' active' : ''}`}
              data-testid="search-result"
              onClick={() => open(hit)}
              onMouseMove={() => setActive(i)}
            >
              <div className="search-meta">
                <span className="search-room">{summaries[hit.document.roomId]?.name ?? 'Room'}</span>
                <span className="search-sender">{hit.document.senderName}</span>
                <time dateTime={new Date(hit.document.sentAt).toISOString()}>{`${dayLabel(hit.document.sentAt, now)} ${formatTime(hit.document.sentAt)}`}</time>
              </div>
              <div className="search-text">
                {snippet(hit.document.text, hit.highlights).map((part, j) =>
                  part.match ? <mark key={j}>{part.text}</mark> : <span key={j}>{part.text}</span>,
                )}
              </div>
            </li>
          ))}
        </ul>
      </div>
    </Dialog>
  );
}
