import type { FileMessage, RoomId, TextMessage } from '@sealroom/client';
import { useId, useState } from 'react';
import { QUICK_REACTIONS, typedReaction } from '../lib/reactions.js';
import { deleteForEveryone, react, startEdit, startReply } from '../store/actions/message-actions.js';

interface Props {
  roomId: RoomId;
  item: TextMessage | FileMessage;
  mine: boolean;
}

/** Reply, react, and (my texts only) edit and delete for everyone. */
export function MessageMenu({ roomId, item, mine }: Props) {
  const [picking, setPicking] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [other, setOther] = useState('');
  const otherId = useId();
  const own = mine && item.kind === 'text';
  const chosen = typedReaction(other);
  const pick = (emoji: string) => {
    setPicking(false);
    setOther('');
    void react(roomId, item.id, emoji);
  };

  return (
    <div className={`message-menu${picking || confirming ? ' open' : ''}`} role="toolbar" aria-label="Message actions" data-testid="message-menu">
      <button type="button" className="link-button" onClick={() => startReply(roomId, item)}>
        Reply
      </button>
      <button type="button" className="link-button" aria-expanded={picking} onClick={() => setPicking(!picking)}>
        React
      </button>
      {own && (
        <button type="button" className="link-button" onClick={() => startEdit(roomId, item)}>
          Edit
        </button>
      )}
      {own &&
        (confirming ? (
          <>
            <button
              type="button"
              className="link-button danger"
              onClick={() => {
                setConfirming(false);
                void deleteForEveryone(roomId, item.id);
              }}
            >
              Delete for everyone
            </button>
            <button type="button" className="link-button" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" className="link-button" onClick={() => setConfirming(true)}>
            Delete
          </button>
        ))}
      {picking && (
        <div className="reaction-picker" role="group" aria-label="Pick a reaction" data-testid="reaction-picker">
          {QUICK_REACTIONS.map((emoji) => (
            <button key={emoji} type="button" className="reaction-choice" aria-label={`React with ${emoji}`} onClick={() => pick(emoji)}>
              {emoji}
            </button>
          ))}
          <form
            className="reaction-other"
            onSubmit={(e) => {
              e.preventDefault();
              if (chosen) pick(chosen);
            }}
          >
            <label htmlFor={otherId} className="visually-hidden">
              Any other emoji
            </label>
            <input id={otherId} className="input" value={other} placeholder="Other…" maxLength={16} onChange={(e) => setOther(e.target.value)} />
            <button type="submit" className="link-button" disabled={!chosen}>
              Add
            </button>
          </form>
        </div>
      )}
    </div>
  );
}
