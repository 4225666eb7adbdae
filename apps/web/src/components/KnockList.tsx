import type { PendingKnock, RoomSummary } from '@sealroom/client';
import { useState } from 'react';
import { neutraliseBidi } from '../lib/text.js';
import { approveKnock, declineKnock } from '../store/actions/rooms.js';

/**
 * Knocks waiting for an admin (approval links): who asks to join, with the fingerprint to
 * check and what to be careful about, and the two answers. Only admins get knocks.
 */
export function KnockList({ room, knocks }: { room: RoomSummary; knocks: readonly PendingKnock[] }) {
  if (knocks.length === 0 || room.myRole !== 'admin' || !room.active) return null;
  return (
    <section className="alerts" aria-labelledby="knocks-title" data-testid="knocks">
      <div className="alert">
        <h2 id="knocks-title">Waiting to join</h2>
        <ul className="member-list">
          {knocks.map((k) => (
            <KnockRow key={k.knockId} roomId={room.id} knock={k} />
          ))}
        </ul>
      </div>
    </section>
  );
}

function KnockRow({ roomId, knock }: { roomId: string; knock: PendingKnock }) {
  const [busy, setBusy] = useState(false);
  const name = neutraliseBidi(knock.displayName);
  const answer = (work: () => Promise<unknown>) => {
    setBusy(true);
    void work().finally(() => setBusy(false));
  };
  return (
    <li className="member" data-testid="knock" data-name={knock.displayName}>
      <span className="member-name">{name}</span>
      {knock.removedBefore && <span className="error-text">⚠ An admin removed this person before</span>}
      {(knock.nameClash || knock.mixedScript) && <span className="error-text">⚠ This name looks like another member&apos;s</span>}
      <span className="fingerprint" title="Key fingerprint">
        {knock.fingerprint}
      </span>
      <div className="row">
        <button type="button" className="button small primary" disabled={busy} onClick={() => answer(() => approveKnock(roomId, knock.knockId))}>
          Let {name} in
        </button>
        <button type="button" className="button small" disabled={busy} onClick={() => answer(() => declineKnock(roomId, knock.knockId))}>
          Decline
        </button>
      </div>
    </li>
  );
}
