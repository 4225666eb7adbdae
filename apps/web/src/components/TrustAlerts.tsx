import type { MemberInfo } from '@sealroom/client';
import { useState } from 'react';
import { neutraliseBidi } from '../lib/text.js';
import { acknowledgeAlert } from '../store/actions/trust.js';
import type { TrustAlert } from '../store/slices/warnings/initialState.js';
import { dispatch } from '../store/store.js';

/**
 * Key changes and name clashes: shown above the conversation until the user ticks a box
 * saying they understand and then presses a separate button. Escape, a stray click or a
 * reload of the panel does not make one go away.
 */
export function TrustAlerts({ alerts, members, roomId }: { alerts: readonly TrustAlert[]; members: readonly MemberInfo[]; roomId: string }) {
  if (alerts.length === 0) return null;
  return (
    <div className="alerts">
      {alerts.map((a) => (
        <AlertCard key={a.id} alert={a} member={members.find((m) => m.id === a.member) ?? null} roomId={roomId} />
      ))}
    </div>
  );
}

function AlertCard({ alert, member, roomId }: { alert: TrustAlert; member: MemberInfo | null; roomId: string }) {
  const [understood, setUnderstood] = useState(false);
  const name = member ? neutraliseBidi(member.displayName) : 'A member';
  const keyChanged = alert.kind === 'key-changed';
  const mixed = alert.kind === 'mixed-script';
  return (
    <section className="alert danger" role="alert" aria-labelledby={`${alert.id}-title`} data-testid="trust-alert" data-kind={alert.kind}>
      <h2 id={`${alert.id}-title`}>
        ⚠ {keyChanged ? `${name}'s security key has changed` : mixed ? `The name "${name}" mixes alphabets` : `Another member is also called "${name}"`}
      </h2>
      <p>
        {keyChanged
          ? `This can mean ${name} reinstalled or moved to a new browser, or that someone is impersonating them. Until you have compared safety numbers again, do not trust what this identity says.`
          : mixed
            ? 'Letters from different alphabets can make a name look like someone else’s. Check the fingerprint and compare safety numbers before trusting it.'
            : 'They are different people with different keys, and one may be impersonating the other. The conversation shows each with the start of its fingerprint; compare safety numbers before trusting either.'}
      </p>
      <div className="row">
        {member && (
          <button type="button" className="button small" onClick={() => dispatch({ type: 'ui/panel', panel: { kind: 'safety', roomId, member: member.id } })}>
            Compare safety number
          </button>
        )}
        <label className="row hint">
          <input type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />I understand the risk
        </label>
        <button type="button" className="button small danger" disabled={!understood} onClick={() => acknowledgeAlert(alert.id)}>
          Dismiss warning
        </button>
      </div>
    </section>
  );
}
