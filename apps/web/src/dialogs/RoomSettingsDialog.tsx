import type { RoomSummary } from '@sealroom/client';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '@sealroom/units';
import { useState } from 'react';
import { Dialog } from '../components/Dialog.js';
import { requestNotifications } from '../store/actions/messages.js';
import { leaveRoom, setDisappearingTimer } from '../store/actions/rooms.js';
import { dispatch } from '../store/store.js';

/** The timers offered; a few clear choices rather than a free-form field. */
export const DISAPPEARING_CHOICES: { label: string; ms: number | null }[] = [
  { label: 'Off: keep messages', ms: null },
  { label: '30 seconds', ms: 30 * SECOND_MS },
  { label: '5 minutes', ms: 5 * MINUTE_MS },
  { label: '1 hour', ms: HOUR_MS },
  { label: '1 day', ms: DAY_MS },
  { label: '1 week', ms: 7 * DAY_MS },
];

export default function RoomSettingsDialog({ room }: { room: RoomSummary }) {
  const [confirmLeave, setConfirmLeave] = useState(false);
  const [permission, setPermission] = useState<string>(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  );
  const close = () => dispatch({ type: 'ui/panel', panel: null });
  const known = DISAPPEARING_CHOICES.some((c) => c.ms === room.disappearingMs);

  return (
    <Dialog title={`${room.name}: settings`} onClose={close} testId="room-settings">
      <div className="field">
        <label htmlFor="timer">Disappearing messages</label>
        <select
          id="timer"
          className="input"
          value={room.disappearingMs === null ? '' : String(room.disappearingMs)}
          disabled={!room.active}
          onChange={(e) => void setDisappearingTimer(room.id, e.target.value === '' ? null : Number(e.target.value))}
          aria-describedby="timer-hint"
          data-testid="timer-select"
        >
          {DISAPPEARING_CHOICES.map((c) => (
            <option key={c.label} value={c.ms === null ? '' : String(c.ms)}>
              {c.label}
            </option>
          ))}
          {!known && room.disappearingMs !== null && <option value={String(room.disappearingMs)}>Custom</option>}
        </select>
        <span id="timer-hint" className="hint">
          Applies to everyone in the room from now on: new messages are deleted from every member's device, and from the
          relay, once the time is up.
        </span>
      </div>
      <div className="field">
        <span className="label">Mentions</span>
        {permission === 'granted' ? (
          <span className="hint">You will get a notification when someone mentions you while this tab is in the background.</span>
        ) : permission === 'denied' ? (
          <span className="hint">Notifications are blocked for this site in your browser settings.</span>
        ) : permission === 'unsupported' ? (
          <span className="hint">This browser cannot show notifications.</span>
        ) : (
          <button type="button" className="button small" onClick={() => void requestNotifications().then(setPermission)}>
            Notify me when I am mentioned
          </button>
        )}
      </div>
      {room.active && (
        <div className="field">
          <span className="label">Leave</span>
          <span className="hint">
            The others rotate their keys, so you cannot read anything sent after you leave. Your copy of the history stays
            in this browser.
          </span>
          {confirmLeave ? (
            <div className="row">
              <button type="button" className="button danger solid" onClick={() => void leaveRoom(room.id)}>
                Leave {room.name}
              </button>
              <button type="button" className="button" onClick={() => setConfirmLeave(false)}>
                Stay
              </button>
            </div>
          ) : (
            <div className="row">
              <button type="button" className="button danger" onClick={() => setConfirmLeave(true)}>
                Leave room…
              </button>
            </div>
          )}
        </div>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={close}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
