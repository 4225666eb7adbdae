import type { IdentityId, MessageReceipts } from '@sealroom/client';
import { useId, useState } from 'react';
import { receiptSummary } from '../lib/receipts.js';
import { selectReadReceipts } from '../store/slices/ui/selectors.js';
import { useAppStore } from '../store/store.js';

interface Props {
  receipts: MessageReceipts | undefined;
  nameOf: (id: IdentityId) => string;
}

/**
 * The state of a message I sent, by the message: ✓ the relay has it, ✓✓ delivered to every
 * member it was sealed for, ✓✓ in the accent colour when all of them read it. Hovering or
 * pressing it (a button: keyboard focusable, its label says it all) shows who has it and who
 * read it. With my read receipts off, others' are not shown either.
 */
export function ReceiptMark({ receipts, nameOf }: Props) {
  const showRead = useAppStore(selectReadReceipts);
  const [pinned, setPinned] = useState(false);
  const [hovered, setHovered] = useState(false);
  const detailsId = useId();
  if (receipts === undefined || receipts.audience.length === 0) {
    return (
      <span className="state" aria-label="Sent" data-testid="receipt-mark" data-level="sent">
        ✓
      </span>
    );
  }
  const summary = receiptSummary(receipts, showRead, nameOf);
  const open = pinned || hovered;
  const read = new Set(showRead ? receipts.read : []);
  const delivered = new Set(receipts.delivered);
  const groups = [
    { label: 'Read by', ids: receipts.audience.filter((id) => read.has(id)) },
    { label: showRead ? 'Delivered, not read yet' : 'Delivered to', ids: receipts.audience.filter((id) => delivered.has(id) && !read.has(id)) },
    { label: 'Not delivered yet', ids: receipts.audience.filter((id) => !delivered.has(id)) },
  ].filter((g) => g.ids.length > 0);
  return (
    <span className="receipt" onMouseEnter={() => setHovered(true)} onMouseLeave={() => setHovered(false)}>
      <button
        type="button"
        className={`state receipt-mark ${summary.level}`}
        aria-label={summary.text}
        aria-expanded={open}
        aria-controls={detailsId}
        data-testid="receipt-mark"
        data-level={summary.level}
        data-delivered={summary.delivered}
        data-read={summary.read}
        data-audience={summary.total}
        onClick={() => setPinned((p) => !p)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && open) {
            e.stopPropagation();
            setPinned(false);
            setHovered(false);
          }
        }}
      >
        {summary.level === 'sent' ? '✓' : '✓✓'}
      </button>
      {open && (
        <span id={detailsId} className="receipt-details" role="group" aria-label="Receipts" data-testid="receipt-details">
          <span className="receipt-line">{summary.text}</span>
          {groups.map((g) => (
            <span key={g.label} className="receipt-line">
              <strong>{g.label}:</strong> {g.ids.map(nameOf).join(', ')}
            </span>
          ))}
        </span>
      )}
    </span>
  );
}
