import type { MemberInfo, RoomSummary } from '@sealroom/client';
import { useMemo, useState } from 'react';
import { neutraliseBidi } from '../lib/text.js';
import { setDirectTarget } from '../store/actions/messages.js';
import { removeMember, setRole } from '../store/actions/rooms.js';
import { clashingNames, sortMembers } from '../store/slices/members/selectors.js';
import { dispatch } from '../store/store.js';

export function MembersPanel({ room, members }: { room: RoomSummary; members: readonly MemberInfo[] }) {
  const sorted = useMemo(() => sortMembers(members), [members]);
  const clashes = useMemo(() => clashingNames(members), [members]);
  const iAmAdmin = members.some((m) => m.isMe && m.role === 'admin');
  const online = members.filter((m) => m.online).length;

  return (
    <aside className="panel" aria-labelledby="members-title" data-testid="members-panel">
      <div className="panel-header">
        <h2 id="members-title">
          Members{' '}
          <span className="hint">
            ({members.length}, {online} online)
          </span>
        </h2>
        <button type="button" className="button ghost small" onClick={() => dispatch({ type: 'ui/members-open', open: false })} aria-label="Close members">
          ✕
        </button>
      </div>
      <div className="panel-body">
        <ul className="member-list">
          {sorted.map((m) => (
            <MemberRow
              key={m.id}
              member={m}
              room={room}
              clash={m.nameClash || clashes.has(m.id)}
              canRemove={iAmAdmin && !m.isMe && !m.isCreator && room.active}
            />
          ))}
        </ul>
        {members.length <= 1 && <p className="hint">Nobody else is here yet. Share the invite link to bring people in.</p>}
      </div>
    </aside>
  );
}

function MemberRow({ member, room, clash, canRemove }: { member: MemberInfo; room: RoomSummary; clash: boolean; canRemove: boolean }) {
  const [confirming, setConfirming] = useState(false);
  const name = neutraliseBidi(member.displayName);
  return (
    <li className="member" data-testid="member" data-name={member.displayName}>
      <span className="member-name">
        <span className={`dot${member.online ? ' online' : ''}`} aria-hidden="true" />
        <span>{name}</span>
        {member.isMe && <span className="hint">(you)</span>}
        {member.isCreator ? <span className="hint">· creator</span> : member.role === 'admin' && <span className="hint">· admin</span>}
        <span className="visually-hidden">{member.online ? ', online' : ', offline'}</span>
      </span>
      {member.verified && !member.isMe && (
        <span className="verified" data-testid="verified-badge">
          ✓ Verified
        </span>
      )}
      {clash && (
        <span className="error-text" data-testid="name-clash">
          ⚠ Another member uses this name
        </span>
      )}
      <span className="fingerprint" title="Key fingerprint" data-testid="fingerprint">
        {member.fingerprint}
      </span>
      {!member.isMe && (
        <div className="row">
          <button
            type="button"
            className="button small"
            onClick={() => dispatch({ type: 'ui/panel', panel: { kind: 'safety', roomId: room.id, member: member.id } })}
            aria-label={`Safety number with ${member.displayName}`}
          >
            Safety number
          </button>
          {room.active && (
            <button
              type="button"
              className="button small"
              onClick={() => setDirectTarget(room.id, member.id)}
              aria-label={`Private message to ${member.displayName}`}
            >
              Private message
            </button>
          )}
          {canRemove && (
            <button
              type="button"
              className="button small"
              onClick={() => void setRole(room.id, member.id, member.role === 'admin' ? 'member' : 'admin')}
              aria-label={member.role === 'admin' ? `Remove admin: ${member.displayName}` : `Make admin: ${member.displayName}`}
            >
              {member.role === 'admin' ? 'Remove admin' : 'Make admin'}
            </button>
          )}
          {canRemove &&
            (confirming ? (
              <>
                <button
                  type="button"
                  className="button small danger solid"
                  onClick={() => void removeMember(room.id, member.id).then(() => setConfirming(false))}
                >
                  Remove {member.displayName}
                </button>
                <button type="button" className="button small" onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </>
            ) : (
              <button
                type="button"
                className="button small danger"
                onClick={() => setConfirming(true)}
                aria-label={`Remove ${member.displayName} from the room`}
              >
                Remove
              </button>
            ))}
        </div>
      )}
    </li>
  );
}
