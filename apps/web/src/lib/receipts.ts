// What the receipts of a message of mine come to: a level for the mark and a sentence.
import type { IdentityId, MessageReceipts } from '@sealroom/client';

/** Up to this many readers are named in the summary; more are counted. */
const NAMED_READERS = 3;

/** "Bob", "Bob and Carol", "Bob, Carol and Dave", "5 members". */
function nameList(names: readonly string[]): string {
  if (names.length > NAMED_READERS) return `${names.length} members`;
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** What the receipts of a message of mine come to, in words and as a mark. */
export function receiptSummary(receipts: MessageReceipts, showRead: boolean, nameOf: (id: IdentityId) => string) {
  const total = receipts.audience.length;
  const delivered = receipts.delivered.length;
  const read = showRead ? receipts.read.length : 0;
  const level = total > 0 && read === total ? 'read' : total > 0 && delivered === total ? 'delivered' : 'sent';
  let text = `Sent; delivered to ${delivered} of ${total}`;
  if (read > 0) text += `, read by ${nameList(receipts.read.map(nameOf))}`;
  return { level, text, delivered, read, total } as const;
}
