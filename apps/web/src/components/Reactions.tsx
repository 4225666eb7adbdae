import type { FileMessage, RoomId, TextMessage } from '@sealroom/client';
import { reactorNames } from '../lib/reactions.js';
import { react } from '../store/actions/message-actions.js';

interface Props {
  roomId: RoomId;
  item: TextMessage | FileMessage;
  me: string | null;
  nameOf: (id: string) => string;
}

/** Reaction counts under a message; each names who reacted, and toggles mine when pressed. */
export function Reactions({ roomId, item, me, nameOf }: Props) {
  const entries = Object.entries(item.reactions ?? {}).filter(([, ids]) => ids.length > 0);
  if (entries.length === 0) return null;
  return (
    <div className="reactions" data-testid="reactions">
      {entries.map(([emoji, ids]) => {
        const mine = me !== null && ids.includes(me);
        const who = reactorNames(ids, nameOf);
        return (
          <button
            key={emoji}
            type="button"
            className={`reaction${mine ? ' mine' : ''}`}
            aria-pressed={mine}
            title={who}
            aria-label={`${emoji} ${ids.length}: ${who}`}
            data-testid="reaction"
            data-emoji={emoji}
            onClick={() => void react(roomId, item.id, emoji)}
          >
            <span aria-hidden="true">{emoji}</span> <span className="reaction-count">{ids.length}</span>
          </button>
        );
      })}
    </div>
  );
}
