import type { MemberInfo, RoomId } from '@sealroom/client';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import { selectIdentity } from '../store/slices/session/selectors.js';
import { selectRoomItems, selectRoomLoaded, timelineRows, visibleTo } from '../store/slices/timeline/selectors.js';
import { useAppStore } from '../store/store.js';
import { TimelineRow } from './TimelineRow.js';

/** A first guess at a row's height before it is measured, in px. */
const ESTIMATED_ROW_PX = 72;
/** Rows rendered beyond the viewport on each side, for smooth scrolling. */
const OVERSCAN_ROWS = 10;
/** Within this distance of the bottom, new messages keep the view pinned to the end, in px. */
const PINNED_SLACK_PX = 120;

/**
 * The conversation, virtualised: only the rows near the viewport are in the DOM, so a
 * room with thousands of messages scrolls as fast as one with ten.
 */
export function MessageList({ roomId, members }: { roomId: RoomId; members: readonly MemberInfo[] }) {
  const items = useAppStore(selectRoomItems(roomId));
  const loaded = useAppStore(selectRoomLoaded(roomId));
  const identity = useAppStore(selectIdentity);
  const me = identity?.identityId ?? null;
  const myName = identity?.displayName ?? null;
  const names = useMemo(() => members.map((m) => m.displayName), [members]);
  // Re-label day separators when the day rolls over; the list is rebuilt on change anyway.
  const rows = useMemo(
    () =>
      timelineRows(
        items.filter((i) => visibleTo(i, me)),
        Date.now(),
      ),
    [items, me],
  );

  const scrollRef = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  // The React Compiler cannot memoise around TanStack Virtual's mutable instance; this
  // component is not compiled, and re-renders on scroll by design.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ESTIMATED_ROW_PX,
    overscan: OVERSCAN_ROWS,
    getItemKey: (index) => rows[index]?.key ?? index,
  });

  useEffect(() => {
    pinned.current = true;
  }, [roomId]);

  useLayoutEffect(() => {
    if (pinned.current && rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
  }, [rows.length, roomId, virtualizer]);

  // Rows are measured after they render, and the viewport changes size (phone rotation,
  // a banner above the list): whenever the content or the box changes while pinned, stay
  // at the end, so the newest message never drifts out of view.
  const totalSize = virtualizer.getTotalSize();
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [totalSize]);
  const hasRows = rows.length > 0;
  useEffect(() => {
    const el = scrollRef.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (pinned.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
    // The scroll box only exists once there is something to show.
  }, [loaded, hasRows]);

  // A room that holds only its creation line still reads as empty, with the line above.
  const onlyCreated = rows.every((r) => r.kind === 'day' || (r.item.kind === 'system' && r.item.event.type === 'room-created'));
  if (loaded && onlyCreated) {
    return (
      <div className="empty" data-testid="empty-room">
        {rows.length > 0 && (
          <p className="system-line" data-testid="system-line">
            You created this room
          </p>
        )}
        <h2>No messages yet</h2>
        <p>Everything written here is sealed on this device before it leaves. Say hello, or invite someone first.</p>
      </div>
    );
  }

  return (
    <div
      ref={scrollRef}
      className="messages"
      role="log"
      aria-label="Messages"
      aria-live="polite"
      tabIndex={0}
      data-testid="messages"
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < PINNED_SLACK_PX;
      }}
    >
      <div className="messages-inner" style={{ height: totalSize }}>
        {virtualizer.getVirtualItems().map((v) => {
          const row = rows[v.index];
          if (!row) return null;
          return (
            <div key={v.key} data-index={v.index} ref={virtualizer.measureElement} className="message-row" style={{ transform: `translateY(${v.start}px)` }}>
              {row.kind === 'day' ? (
                <div className="day-separator" role="separator">
                  {row.label}
                </div>
              ) : (
                <TimelineRow item={row.item} me={me} myName={myName} names={names} members={members} />
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
