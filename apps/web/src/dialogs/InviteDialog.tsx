import type { LinkPolicy, RoomSummary } from '@sealroom/client';
import { DAY_MS, HOUR_MS } from '@sealroom/units';
import { useState } from 'react';
import { Dialog } from '../components/Dialog.js';
import { QrImage } from '../components/QrImage.js';
import { composerInput } from '../lib/composer-focus.js';
import { inviteLink, setLinkPolicy } from '../store/actions/rooms.js';
import { dispatch } from '../store/store.js';

const COPIED_NOTICE_MS = 3000;

/** How long a new link works; a few clear choices (0: until it is reset). */
export const LINK_EXPIRY_CHOICES: { label: string; ms: number }[] = [
  { label: 'Until it is reset', ms: 0 },
  { label: '1 hour', ms: HOUR_MS },
  { label: '1 day', ms: DAY_MS },
  { label: '1 week', ms: 7 * DAY_MS },
];

/** What the current link does, in a sentence. */
export function describePolicy(policy: LinkPolicy | null): string {
  if (policy === null) return '';
  const who = policy.approval ? 'Whoever opens it asks to join, and an admin decides.' : 'Anyone who opens it joins and reads what is said from then on.';
  const uses = policy.singleUse ? ' It works for one person, then a new link is made.' : '';
  const until = policy.expiresAt === null ? '' : ` It expires ${new Date(policy.expiresAt).toLocaleString()}.`;
  return `${who}${uses}${until}`;
}

/** @param afterCreate the room was just made: closing puts the cursor in its composer. */
export default function InviteDialog({ room, afterCreate = false }: { room: RoomSummary; afterCreate?: boolean }) {
  // The room's summary changes with its link (a reset, a new policy): read the link afresh.
  const link = inviteLink(room.id) ?? '';
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const close = () => dispatch({ type: 'ui/panel', panel: null });
  const isAdmin = room.myRole === 'admin' && room.active;

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
    setTimeout(() => setCopied(null), COPIED_NOTICE_MS);
  };

  return (
    <Dialog title={`Invite people to ${room.name}`} onClose={close} testId="invite-dialog" returnFocus={afterCreate ? composerInput : undefined}>
      <p data-testid="link-policy">{describePolicy(room.linkPolicy)} Send it only to the people you mean, over a channel you trust.</p>
      <div className="field">
        <label htmlFor="invite-link">Invite link</label>
        <input id="invite-link" className="input invite-link" readOnly value={link} onFocus={(e) => e.currentTarget.select()} data-testid="invite-link" />
      </div>
      <div className="row">
        <button type="button" className="button primary" onClick={() => void copy()}>
          Copy link
        </button>
        <span role="status" className="hint">
          {copied === 'yes' ? 'Copied.' : copied === 'failed' ? 'Could not copy: select the link and copy it.' : ''}
        </span>
      </div>
      <QrImage text={link} label="QR code of the invite link" />
      <p className="hint">The secret part of the link never reaches the relay: it stays after the # sign.</p>
      {isAdmin && room.linkPolicy !== null && <LinkPolicyForm roomId={room.id} current={room.linkPolicy} />}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={close}>
          Done
        </button>
      </div>
    </Dialog>
  );
}

/** Admins: a new link with a chosen policy (the old link stops working at once). */
function LinkPolicyForm({ roomId, current }: { roomId: string; current: LinkPolicy }) {
  const [approval, setApproval] = useState(current.approval);
  const [singleUse, setSingleUse] = useState(current.singleUse);
  const [expiryMs, setExpiryMs] = useState(0);
  const [state, setState] = useState<'idle' | 'busy' | 'done'>('idle');

  const makeNew = async () => {
    setState('busy');
    const outcome = await setLinkPolicy(roomId, { approval, singleUse, expiresAt: expiryMs === 0 ? null : Date.now() + expiryMs });
    setState(outcome.ok ? 'done' : 'idle');
  };

  return (
    <fieldset className="field" data-testid="link-policy-form">
      <legend className="label">A new link</legend>
      <label className="hint row">
        <input type="checkbox" checked={approval} onChange={(e) => setApproval(e.target.checked)} /> An admin approves each newcomer
      </label>
      <label className="hint row">
        <input type="checkbox" checked={singleUse} onChange={(e) => setSingleUse(e.target.checked)} /> Single use: works for one person
      </label>
      <label className="hint" htmlFor="link-expiry">
        Works for
      </label>
      <select id="link-expiry" className="input" value={String(expiryMs)} onChange={(e) => setExpiryMs(Number(e.target.value))}>
        {LINK_EXPIRY_CHOICES.map((c) => (
          <option key={c.label} value={String(c.ms)}>
            {c.label}
          </option>
        ))}
      </select>
      <div className="row">
        <button type="button" className="button" disabled={state === 'busy'} onClick={() => void makeNew()}>
          Reset the link
        </button>
        <span role="status" className="hint">
          {state === 'busy' ? 'Making a new link…' : state === 'done' ? 'The invite link was reset: the old one no longer works.' : ''}
        </span>
      </div>
    </fieldset>
  );
}
