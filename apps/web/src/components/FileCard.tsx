import type { FileMessage } from '@sealroom/client';
import { formatBytes } from '../lib/format.js';
import { FILE_FAILURE_TEXT } from '../lib/file-failures.js';
import { neutraliseBidi } from '../lib/text.js';
import { acceptFile, declineFile } from '../store/actions/files.js';
import { selectTransfer, transferFraction, transferRate } from '../store/slices/files/selectors.js';
import { useAppStore } from '../store/store.js';
import { triggerDownload } from '../lib/save.js';
import { Icon } from './Icon.js';
import { formatRate } from '../lib/transfer-rate.js';

export function FileCard({ item, mine }: { item: FileMessage; mine: boolean }) {
  const transfer = useAppStore(selectTransfer(item.file.fileId));
  const name = neutraliseBidi(item.file.name);
  const fraction = transfer ? transferFraction(transfer) : null;
  const failed = transfer?.status === 'failed' || item.transfer === 'failed';
  const complete = transfer?.status === 'complete' || item.transfer === 'complete';
  const declined = transfer?.status === 'declined' || item.transfer === 'declined';
  const active = transfer?.status === 'transferring';
  const offered = !mine && !transfer && item.transfer === 'offered';
  const rate = transfer ? transferRate(transfer) : null;

  return (
    <div className="file-card" data-testid="file-card" data-status={transfer?.status ?? item.transfer}>
      <span className="file-name">
        <Icon name="file" size={16} /> {name}
      </span>
      <span className="hint">
        {formatBytes(item.file.size)}
        {item.file.mimeType ? ` · ${item.file.mimeType}` : ''}
      </span>
      {offered && (
        <div className="row">
          <button type="button" className="button primary small" onClick={() => void acceptFile(item)}>
            Accept and save
          </button>
          <button type="button" className="button small" onClick={() => void declineFile(item)}>
            Decline
          </button>
        </div>
      )}
      {(active || (transfer?.direction === 'send' && transfer.status !== 'failed' && !complete)) && (
        <label className="hint">
          {mine ? 'Sending' : 'Receiving'}
          {fraction !== null ? ` ${Math.round(fraction * 100)}%` : '…'}
          {rate !== null && ` · ${formatRate(rate)}`}
          <progress max={1} value={fraction ?? undefined} aria-label={`${mine ? 'Sending' : 'Receiving'} ${name}`} data-testid="file-progress" />
        </label>
      )}
      {complete && (
        <span className="verified" data-testid="file-complete">
          ✓ {mine ? 'Sent' : 'Received and checked'}
          {transfer?.url && (
            <>
              {' · '}
              <button type="button" className="button ghost small" onClick={() => triggerDownload(transfer.url ?? '', item.file.name)}>
                Save again
              </button>
            </>
          )}
          {transfer?.savedTo === 'disk' && ' · saved to disk'}
        </span>
      )}
      {failed && (
        <p className="error-text" role="alert" data-testid="file-error">
          {FILE_FAILURE_TEXT[transfer?.code ?? 'TRANSFER_FAILED']}
        </p>
      )}
      {declined && <span className="hint">Declined</span>}
    </div>
  );
}
