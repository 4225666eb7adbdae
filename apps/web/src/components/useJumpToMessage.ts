import type { RoomId } from '@sealroom/client';
import { useEffect, useRef, useState } from 'react';
import { selectJump } from '../store/slices/compose/selectors.js';
import type { Row } from '../store/slices/timeline/selectors.js';
import { useAppStore } from '../store/store.js';

/** How long a message jumped to stays highlighted, in ms. */
export const JUMP_HIGHLIGHT_MS = 2500;

/**
 * A quote was clicked: scrolls the (virtualised) list to the original and returns its id while
 * it is highlighted. The list stops following new messages so the jump is not undone.
 */
export function useJumpToMessage(roomId: RoomId, rows: readonly Row[], scrollToIndex: (index: number) => void, unpin: () => void): string | null {
  const jump = useAppStore(selectJump);
  const [highlighted, setHighlighted] = useState<string | null>(null);
  // Read at jump time only: the rows change with every message, a jump happens once.
  const latest = useRef({ rows, scrollToIndex, unpin });
  useEffect(() => {
    latest.current = { rows, scrollToIndex, unpin };
  });
  useEffect(() => {
    if (jump === null || jump.roomId !== roomId) return;
    const index = latest.current.rows.findIndex((row) => row.kind === 'item' && row.item.id === jump.itemId);
    if (index < 0) return;
    latest.current.unpin();
    latest.current.scrollToIndex(index);
    const show = setTimeout(() => setHighlighted(jump.itemId), 0);
    const hide = setTimeout(() => setHighlighted(null), JUMP_HIGHLIGHT_MS);
    return () => {
      clearTimeout(show);
      clearTimeout(hide);
    };
  }, [jump, roomId]);
  return highlighted;
}
