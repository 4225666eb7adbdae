/**
 * At most `limit` jobs pending at once: `add` waits while the window is full, so a loop that
 * starts cryptography (which WebCrypto runs off the main thread) keeps several jobs going
 * without holding more than `limit` of them in memory. The first failure is rethrown by the
 * next `add` or by `drain`; later ones are dropped.
 */
export class JobWindow {
  readonly #pending = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('the window holds at least one job');
  }

  async add(job: Promise<unknown>): Promise<void> {
    const tracked: Promise<void> = job
      .then(
        () => undefined,
        (error: unknown) => {
          this.#failure ??= { error };
        },
      )
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
    while (this.#pending.size >= this.limit) await Promise.race(this.#pending);
    this.#rethrow();
  }

  /** Waits for every pending job. */
  async drain(): Promise<void> {
    await Promise.all(this.#pending);
    this.#rethrow();
  }

  #rethrow(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }
}
