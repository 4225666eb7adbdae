/**
 * A FIFO async mutex. A room's state (sender keys, ring, members, cursor) is read and
 * replaced across awaits by both the receiving path and the sending path; running them
 * one at a time keeps each read-modify-persist step whole.
 */
export class AsyncLock implements TaskLock {
  private tail: Promise<void> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** What a part of a room needs of the room's lock: running a task under it. */
export interface TaskLock {
  run<T>(task: () => Promise<T>): Promise<T>;
}
