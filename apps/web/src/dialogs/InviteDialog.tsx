import { useState } from 'react';
import { Dialog } from '../components/Dialog.js';
import { QrImage } from '../components/QrImage.js';
import { inviteLink } from '../store/actions/rooms.js';
import { dispatch } from '../store/store.js';

const COPIED_NOTICE_MS = 3000;

export default function InviteDialog({ roomId, roomName }: { roomId: string; roomName: string }) {
  const link = inviteLink(roomId) ?? '';
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const close = () => dispatch({ type: 'ui/panel', panel: null });

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
    <Dialog title={`Invite people to ${roomName}`} onClose={close} testId="invite-dialog">
      <p>
        Anyone who opens this link can join and read what is said from then on. Send it only to the people you mean, over
        a channel you trust.
      </p>
      <div className="field">
        <label htmlFor="invite-link">Invite link</label>
        <input
          id="invite-link"
          className="input invite-link"
          readOnly
          value={link}
          onFocus={(e) => e.currentTarget.select()}
          data-testid="invite-link"
        />
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
      <div className="dialog-actions">
        <button type="button" className="button" onClick={close}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
