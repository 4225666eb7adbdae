/**
 * File transfers in a room (PROTOCOL C.6): my offers and their streams ({@link FileSender}),
 * the offers I receive and accept ({@link FileReceiver}), and the file-control payloads
 * routed to whichever end they concern. The room provides a {@link FileRoom} port; nothing
 * here reaches into the session. After a reconnect nothing resumes on the receiving end: a
 * sender resends from the first unacknowledged chunk.
 */
import type { FileManifest } from '@sealroom/protocol';
import type { FileMessage, FileSource } from './api.js';
import type { FileFailureCode } from './codes.js';
import { FileReceiver } from './file-receiver.js';
import type { FileControl, FileRoom } from './file-room.js';
import { FileSender } from './file-sender.js';

export class FileTransfers {
  private readonly sender: FileSender;
  private readonly receiver: FileReceiver;

  constructor(private readonly room: FileRoom) {
    this.sender = new FileSender(room);
    this.receiver = new FileReceiver(room);
  }

  send(source: FileSource): Promise<FileMessage> {
    return this.sender.send(source);
  }

  accept(fileId: string, sink: WritableStream<Uint8Array>): Promise<void> {
    return this.receiver.accept(fileId, sink);
  }

  decline(fileId: string): Promise<void> {
    return this.receiver.decline(fileId);
  }

  /**
   * Who offered this file id, if anyone did: me for my own offers. File ids are random, so a
   * second offer under a known id from someone else is a member trying to pass its file off
   * as another's (acceptance goes by file id).
   */
  offeredBy(fileId: string): string | undefined {
    if (this.sender.has(fileId)) return this.room.myIdentityId;
    return this.receiver.offeredBy(fileId);
  }

  /** A verified offer from a member, already in the timeline as `item`. */
  onOffer(manifest: FileManifest, sender: string, item: FileMessage): void {
    this.receiver.onOffer(manifest, sender, item);
  }

  /**
   * A file-chunk envelope. Chunks name no sender: only holders of the file key (the
   * manifest's audience) can make one that opens, and the sender's trailer digest catches
   * a co-recipient's forgery. Called under the room lock.
   */
  onChunk(envelope: Uint8Array): Promise<void> {
    return this.receiver.onChunk(envelope);
  }

  /** A digest trailer from `from` (PROTOCOL B.13): counts only from the manifest's sender. Called under the room lock. */
  onDigest(fileId: string, digest: Uint8Array, from: string): Promise<void> {
    return this.receiver.onDigest(fileId, digest, from);
  }

  /** A file control from another member (`from`, an identity id). */
  async onControl(payload: FileControl, from: string): Promise<void> {
    switch (payload.t) {
      case 'file-accept':
        return this.sender.onAccept(payload.file, from);
      case 'file-progress':
        return this.sender.onProgress(payload.file, from, payload.next);
      case 'file-resend':
        return this.sender.onResend(payload.file, from, payload.ranges);
      case 'file-cancel':
        // From the file's sender (my receive fails), or from an accepter of my file (my send fails for it).
        await this.receiver.onCancel(payload.file, from);
        return this.sender.onCancel(payload.file, from, payload.code);
      case 'file-decline':
        return; // informational
    }
  }

  /** A member left or was removed. */
  onMemberGone(identityId: string): void {
    this.receiver.onMemberGone(identityId);
    this.sender.onMemberGone(identityId);
  }

  /** The room went inactive or the client is locked: every transfer ends. */
  stopAll(code: FileFailureCode): void {
    this.sender.stopAll();
    this.receiver.stopAll(code);
  }
}
