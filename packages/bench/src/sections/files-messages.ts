// What the files section's sender side and its receiver thread (files-receiver.ts) say to
// each other, and the plain receiver's progress envelope.

export type ReceiverRequest =
  | { type: 'plain'; wsUrl: string; room: { id: Uint8Array; admissionKey: Uint8Array }; size: number; chunkBytes: number; progressEvery: number }
  | { type: 'encrypted'; relayUrl: string; invite: string; password: string }
  /** Closes the plain receiver, or with `all` every client of the thread. */
  | { type: 'close'; all: boolean };

export type ReceiverReply = { type: 'ready' } | { type: 'plain-done' } | { type: 'file-complete' } | { type: 'failed'; message: string } | { type: 'closed' };

/** The plain receiver's progress report, u32 chunks received: the only envelopes the sender gets. */
export const PROGRESS_BYTES = 4;

export function progressEnvelope(chunks: number): Uint8Array {
  const bytes = new Uint8Array(PROGRESS_BYTES);
  new DataView(bytes.buffer).setUint32(0, chunks);
  return bytes;
}
