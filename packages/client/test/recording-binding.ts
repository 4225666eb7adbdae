/**
 * A room binding for transport tests that records everything the connection hands it, in
 * the order it was handed, and checks the contract's ordering promises as it goes. The
 * relay's HMAC helper stands in for the protocol's admission proof: these tests are about
 * framing, admission, ordering and catch-up, not cryptography.
 */
import { admissionMac } from '@sealroom/relay';
import { toBase64Url } from '@sealroom/protocol';
import type { AdmissionProof, RelayReset, RoomBinding } from '../src/room-binding.js';
import type { TransportErrorCode } from '../src/codes.js';

export type Handed =
  | { kind: 'envelope'; cursor: number; text: string; live: boolean }
  | { kind: 'gap'; after: number; upTo: number }
  | { kind: 'reset'; reset: RelayReset }
  | { kind: 'epoch'; epoch: string }
  | { kind: 'ready' };

export class RecordingBinding implements RoomBinding {
  readonly roomId: string;
  /** Everything handed over, in order. */
  readonly handed: Handed[] = [];
  readonly errors: TransportErrorCode[] = [];
  last = 0;
  epoch: string | undefined;
  ready = false;
  /** Calls made while another queued call was still running: must stay 0. */
  overlaps = 0;
  private busy = false;

  constructor(
    readonly roomBytes: Uint8Array,
    private readonly key: Uint8Array,
    private readonly options: { maxAgeMs?: number; processMs?: number } = {},
  ) {
    this.roomId = toBase64Url(roomBytes);
  }

  /** The texts of the envelopes handed over, in order. */
  texts(): string[] {
    return this.handed.flatMap((h) => (h.kind === 'envelope' ? [h.text] : []));
  }

  cursors(): number[] {
    return this.handed.flatMap((h) => (h.kind === 'envelope' ? [h.cursor] : []));
  }

  async prove(nonce: Uint8Array): Promise<AdmissionProof> {
    return {
      mac: admissionMac(this.key, this.roomBytes, nonce),
      key: this.key,
      ...(this.options.maxAgeMs === undefined ? {} : { maxAgeMs: this.options.maxAgeMs }),
    };
  }

  cursor(): number {
    return this.last;
  }

  relayEpoch(): string | undefined {
    return this.epoch;
  }

  onRelayEpoch(epoch: string): void {
    this.epoch = epoch;
    this.handed.push({ kind: 'epoch', epoch });
  }

  onRelayReset(reset: RelayReset): void {
    this.last = 0;
    this.epoch = undefined;
    this.handed.push({ kind: 'reset', reset });
  }

  async onEnvelope(cursor: number, envelope: Uint8Array, live: boolean): Promise<void> {
    if (this.busy) this.overlaps += 1;
    this.busy = true;
    if (cursor <= this.last) throw new Error(`cursor ${cursor} handed over after ${this.last}`);
    this.handed.push({ kind: 'envelope', cursor, text: new TextDecoder().decode(envelope), live });
    if (this.options.processMs !== undefined) await new Promise((resolve) => setTimeout(resolve, this.options.processMs));
    this.last = cursor;
    this.busy = false;
  }

  onGap(after: number, upTo: number): void {
    this.handed.push({ kind: 'gap', after, upTo });
    this.last = Math.max(this.last, upTo);
  }

  onReady(): void {
    this.ready = true;
    this.handed.push({ kind: 'ready' });
  }

  onError(code: TransportErrorCode): void {
    this.errors.push(code);
  }

  onDisconnected(): void {
    this.ready = false;
  }
}
