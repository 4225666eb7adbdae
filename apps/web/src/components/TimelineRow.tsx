import type { MemberInfo, SystemEvent } from '@sealroom/client';
import { SECOND_MS } from '@sealroom/units';
import { memo } from 'react';
import { formatDuration, formatTime } from '../lib/format.js';
import { memberLabel } from '../lib/member-label.js';
import { neutraliseBidi } from '../lib/text.js';
import { WARNING_LINE_TEXT } from '../lib/warnings.js';
import type { DisplayItem } from '../store/slices/timeline/initialState.js';
import { FileCard } from './FileCard.js';
import { Icon } from './Icon.js';
import { MessageMenu } from './MessageMenu.js';
import { MessageText } from './MessageText.js';
import { ReceiptMark } from './ReceiptMark.js';
import { Reactions } from './Reactions.js';
import { ReplyQuote } from './ReplyQuote.js';

/** Bodies longer than this scroll inside their bubble instead of filling the screen. */
const CLAMP_BODY_CHARS = 2000;

function systemText(event: SystemEvent, nameOf: (id: string) => string, labelOf: (id: string, name: string) => string): string {
  switch (event.type) {
    case 'room-created':
      return 'You created this room';
    case 'member-joined':
      return `${labelOf(event.member, event.name)} joined`;
    case 'member-left':
      return `${neutraliseBidi(event.name)} left${event.linkReset ? '; the invite link was reset' : ''}`;
    case 'member-removed':
      return `${neutraliseBidi(event.name)} was removed by ${nameOf(event.by)}${event.linkReset ? '; the invite link was reset' : ''}`;
    case 'role-changed':
      return `${nameOf(event.by)} made ${neutraliseBidi(event.name)} ${event.role === 'admin' ? 'an admin' : 'a member'}`;
    case 'link-changed':
      return `${nameOf(event.by)} changed the invite link; the old one no longer works`;
    case 'joined-room':
      return `You joined: ${nameOf(event.by)} let you in. Anything sent before you joined is sealed from you by design.`;
    case 'stale-epoch':
      return `${neutraliseBidi(event.name)} sent something before seeing the latest membership change; it will appear once they catch up.`;
    case 'timer-set':
      return event.disappearingMs
        ? `${nameOf(event.by)} set messages to disappear after ${formatDuration(Math.round(event.disappearingMs / SECOND_MS))}`
        : `${nameOf(event.by)} turned disappearing messages off`;
    case 'gap':
      return 'Some messages from while you were away are no longer held by the relay and could not be fetched.';
    case 'before-join':
      return `${event.count} earlier ${event.count === 1 ? 'message was' : 'messages were'} sent before you joined; they are sealed from newcomers by design.`;
    case 'removed-me':
      return `You were removed from this room by ${nameOf(event.by)}.`;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toLocaleUpperCase() + text.slice(1);
}

interface Props {
  item: DisplayItem;
  me: string | null;
  myName: string | null;
  names: readonly string[];
  members: readonly MemberInfo[];
}

export const TimelineRow = memo(function TimelineRow({ item, me, myName, names, members }: Props) {
  const labelOf = (id: string, name: string) => memberLabel(id, neutraliseBidi(name), members);
  const nameOf = (id: string) => (id === me ? 'you' : labelOf(id, members.find((m) => m.id === id)?.displayName ?? 'a former member'));

  if (item.kind === 'warning') {
    return (
      <div className="warning-line" role="note" data-testid="warning-line">
        <strong>⚠ {WARNING_LINE_TEXT[item.warning]}</strong> <span className="hint">({item.code})</span>
      </div>
    );
  }
  if (item.kind === 'system') {
    return (
      <p className={item.event.type === 'gap' ? 'gap-line' : 'system-line'} data-testid="system-line">
        {capitalise(systemText(item.event, nameOf, labelOf))}
      </p>
    );
  }
  const mine = item.sender === me;
  const deleted = item.kind === 'text' && item.deleted === true;
  const isPrivate = item.kind === 'text' && item.directTo !== null;
  const classes = ['message', mine ? 'mine' : '', isPrivate ? 'private' : '', item.kind === 'text' && item.mentionsMe ? 'mentions-me' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <article
      className={classes}
      data-testid="message"
      data-state={item.state}
      data-private={isPrivate ? 'true' : undefined}
      data-deleted={deleted ? 'true' : undefined}
      aria-label={`${mine ? 'You' : labelOf(item.sender, item.senderName)}${isPrivate ? ', private' : ''}`}
    >
      <header className="message-head">
        <span className="message-sender">{mine ? 'You' : labelOf(item.sender, item.senderName)}</span>
        {isPrivate && item.kind === 'text' && (
          <span className="private-tag">
            <Icon name="lock" size={13} /> Private {mine ? `to ${nameOf(item.directTo ?? '')}` : 'to you'}
          </span>
        )}
        <time dateTime={new Date(item.sentAt).toISOString()}>{formatTime(item.sentAt)}</time>
        {mine && item.state === 'pending' && <span className="state pending">Sending…</span>}
        {mine && item.state === 'sent' && item.kind === 'text' && <ReceiptMark receipts={item.receipts} nameOf={nameOf} />}
        {mine && item.state === 'sent' && item.kind === 'file' && (
          <span className="state" aria-label="Sent">
            ✓
          </span>
        )}
        {item.kind === 'text' && item.editedAt !== undefined && !deleted && (
          <span className="edited" data-testid="edited">
            edited
          </span>
        )}
        {item.expiresAt !== null && (
          <span className="hint" title="Disappearing message">
            <Icon name="timer" size={13} />
            <span className="visually-hidden">Disappearing message</span>
          </span>
        )}
        {!deleted && <MessageMenu roomId={item.roomId} item={item} mine={mine} />}
      </header>
      {item.kind === 'text' && item.replyTo !== undefined && !deleted && <ReplyQuote roomId={item.roomId} replyTo={item.replyTo} me={me} />}
      {deleted ? (
        <p className="message-deleted" data-testid="message-deleted">
          Message deleted
        </p>
      ) : item.kind === 'text' ? (
        <div
          className={`message-body${item.text.length > CLAMP_BODY_CHARS ? ' clamped' : ''}`}
          data-testid="message-body"
          // A scrolling body must be reachable by keyboard.
          tabIndex={item.text.length > CLAMP_BODY_CHARS ? 0 : undefined}
        >
          <MessageText text={item.text} names={names} myName={myName} />
        </div>
      ) : (
        <FileCard item={item} mine={mine} />
      )}
      {!deleted && <Reactions roomId={item.roomId} item={item} me={me} nameOf={nameOf} />}
    </article>
  );
});
