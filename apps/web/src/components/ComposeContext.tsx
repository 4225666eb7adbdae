import type { RoomId } from '@sealroom/client';
import { excerpt } from '../lib/excerpt.js';
import { neutraliseBidi } from '../lib/text.js';
import { selectComposeTarget, selectItem } from '../store/slices/compose/selectors.js';
import { useAppStore } from '../store/store.js';

/** "Replying to Alice: …" or "Editing your message" above the composer, with a way out. */
export function ComposeContext({ roomId, me, onCancel }: { roomId: RoomId; me: string | null; onCancel: () => void }) {
  const target = useAppStore(selectComposeTarget(roomId));
  const item = useAppStore(selectItem(roomId, target?.itemId ?? null));
  if (!target || !item) return null;
  const editing = target.mode === 'edit';
  const who = item.sender === me ? 'yourself' : neutraliseBidi(item.senderName);
  return (
    <div className="compose-context" role="status" data-testid="compose-context">
      <span className="compose-context-text">
        <strong>{editing ? 'Editing your message' : `Replying to ${who}`}</strong> <span className="hint">{excerpt(item)}</span>
      </span>
      <button type="button" className="link-button" onClick={onCancel}>
        {editing ? 'Cancel editing' : 'Cancel reply'}
      </button>
    </div>
  );
}
