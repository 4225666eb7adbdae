/**
 * Who is online in a room (PROTOCOL C.10): my own beats while the room is connected, and
 * the members whose beats (or texts) arrived live recently. Presence found in catch-up
 * history says nothing about now and is ignored by the caller. A member coming online asks
 * (`ask` on its first beat) and the others answer with a beat of their own, so a newcomer
 * knows who is there at once instead of after everyone's next periodic beat.
 */
import type { EventHub } from './events.js';
import type { AppPayload } from './payloads.js';
import type { Clock } from './platform.js';

/**
 * Presence beat interval while a room is connected, ms. Every beat is a group message the
 * relay retains and every member processes, so it is kept slow.
 */
export const PRESENCE_INTERVAL_MS = 30_000;

/**
 * Least time between two answers to members who came online, ms. Several arrivals (or one
 * member's two asking beats, at ready and when its announcement is acknowledged) within it
 * share one answer, so a burst of joins cannot make every member beat once per joiner.
 */
export const PRESENCE_ANSWER_GAP_MS = 5_000;

/** What presence needs from its room. */
export interface PresencePort {
  /** The room is active and ready (admitted and caught up): beats may go out. */
  isLive(): boolean;
  /** Another member is in the room and my announcement went out: a beat has readers. */
  hasAudience(): boolean;
  /** Whether an identity id is a current member. */
  isMember(identityId: string): boolean;
  /** Seals and publishes a beat (a group message, so the relay cannot tell it from a text). */
  sendBeat(payload: Extract<AppPayload, { t: 'presence' }>): Promise<unknown>;
}

export class Presence {
  /** Identity id → when its latest live beat (or text) arrived, epoch ms. */
  private readonly online = new Map<string, number>();
  private timer: unknown;
  private answerTimer: unknown;
  private answeredAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly port: PresencePort,
    private readonly deps: { roomId: string; clock: Clock; events: EventHub; timeoutMs: number },
  ) {}

  /** Whether another member counts as online now. */
  isOnline(identityId: string): boolean {
    const at = this.online.get(identityId);
    return at !== undefined && this.deps.clock.now() - at < this.deps.timeoutMs;
  }

  /** A beat or text from this member arrived live (`live` false: from catch-up, ignored). */
  markOnline(identityId: string, live: boolean): void {
    if (!live) return;
    const was = this.online.has(identityId);
    this.online.set(identityId, this.deps.clock.now());
    if (!was) this.emit();
  }

  /** The member said it goes offline. */
  markOffline(identityId: string): void {
    if (this.online.delete(identityId)) this.emit();
  }

  /** The member is gone from the room (the caller emits presence with the room's news). */
  forget(identityId: string): void {
    this.online.delete(identityId);
  }

  emit(): void {
    const now = this.deps.clock.now();
    const online = [...this.online.entries()].filter(([id, at]) => this.port.isMember(id) && now - at < this.deps.timeoutMs).map(([id]) => id);
    this.deps.events.emit('presence', { roomId: this.deps.roomId, online });
  }

  /**
   * Beats now and every {@link PRESENCE_INTERVAL_MS} while the room is live. The first beat
   * asks the others to answer: I just came online and know nothing of who else is.
   */
  start(): void {
    if (this.timer !== undefined) return;
    let first = true;
    const beat = () => {
      this.timer = undefined;
      if (!this.port.isLive()) return;
      if (this.port.hasAudience()) {
        const payload = { t: 'presence', ts: this.deps.clock.now(), state: 'online' } as const;
        void this.port.sendBeat(first ? { ...payload, ask: true } : payload).catch(() => undefined);
      }
      first = false;
      this.emit();
      this.timer = this.deps.clock.setTimeout(beat, PRESENCE_INTERVAL_MS);
    };
    beat();
  }

  /**
   * A member came online and asked who else is: answer with a beat, at once or, within
   * {@link PRESENCE_ANSWER_GAP_MS} of my last answer, once that gap is over.
   */
  answer(): void {
    if (this.answerTimer !== undefined) return;
    const send = () => {
      this.answerTimer = undefined;
      if (!this.port.isLive() || !this.port.hasAudience()) return;
      this.answeredAt = this.deps.clock.now();
      void this.port.sendBeat({ t: 'presence', ts: this.answeredAt, state: 'online' }).catch(() => undefined);
    };
    const wait = this.answeredAt + PRESENCE_ANSWER_GAP_MS - this.deps.clock.now();
    if (wait <= 0) send();
    else this.answerTimer = this.deps.clock.setTimeout(send, wait);
  }

  stop(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    if (this.answerTimer !== undefined) this.deps.clock.clearTimeout(this.answerTimer);
    this.timer = undefined;
    this.answerTimer = undefined;
  }

  /** Beats at once (my announcement was just acknowledged) and on from there. */
  restart(): void {
    this.stop();
    this.start();
  }

  /** Tells the room I am going offline, best effort. */
  async sayOffline(): Promise<void> {
    if (!this.port.isLive() || !this.port.hasAudience()) return;
    await this.port.sendBeat({ t: 'presence', ts: this.deps.clock.now(), state: 'offline' }).catch(() => undefined);
  }
}
