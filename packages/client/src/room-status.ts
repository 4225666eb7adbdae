/**
 * Whether a room can act now, shared by the parts that send or wait for a reconnect: ready
 * (admitted and caught up on the current connection) and dead (its client was locked or
 * closed, so its keys must not be used again).
 */
export class RoomStatus {
  ready = false;
  dead = false;
  private waiters: (() => void)[] = [];

  /** `isActive`: false once I left the room or was removed. */
  constructor(private readonly isActive: () => boolean) {}

  /** Resolves at the next `onReady` (after a reconnect's catch-up) or when the room goes inactive. */
  nextReady(): Promise<void> {
    if (!this.isActive() || this.dead) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Wakes everyone waiting in {@link nextReady}. */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
