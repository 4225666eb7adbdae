import type { RoomId } from '@sealroom/client';
import { excerpt } from '../lib/excerpt.js';
import { neutraliseBidi } from '../lib/text.js';
import { jumpTo } from '../store/actions/message-actions.js';
import { selectItem } from '../store/slices/compose/selectors.js';
import { useAppStore } from '../store/store.js';

interface Props {
  roomId: RoomId;
  /** Timeline id of the message replied to. */
  replyTo: string;
  me: string | null;
}

/**
 * The quote above a reply, read from this device's own copy of the original: a reply names
 * its original by id only, so nobody can put words in another member's quoted mouth.
 */
export function ReplyQuote({ roomId, replyTo, me }: Props) {
  const original = useAppStore(selectItem(roomId, replyTo));
  if (!original) {
    return (
      <p className="reply-quote unavailable" data-testid="reply-quote">
        Original message unavailable
      </p>
    );
  }
  const sender = original.sender === me ? 'You' : neutraliseBidi(original.senderName);
  const quoted = excerpt(original);
  return (
    <button
      type="button"
      className="reply-quote"
      data-testid="reply-quote"
      onClick={() => jumpTo(roomId, original.id)}
      aria-label={`Reply to ${sender}: ${quoted}. Show the original message`}
    >
      <span className="reply-quote-sender">{sender}</span>
      <span className="reply-quote-text">{quoted}</span>
    </button>
  );
}
