import { describe, expect, it } from 'vitest';
import { JobWindow } from '../src/job-window.js';

/** A job that ends when told to. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('JobWindow', () => {
  it('keeps at most `limit` jobs pending: add waits while the window is full', async () => {
    const window = new JobWindow(2);
    const jobs = [deferred(), deferred(), deferred()];
    await window.add(jobs[0]!.promise);
    let secondAdded = false;
    const second = window.add(jobs[1]!.promise).then(() => (secondAdded = true));
    await Promise.resolve();
    expect(secondAdded).toBe(false); // two pending: the second add waits for a free slot
    jobs[0]!.resolve();
    await second;
    expect(secondAdded).toBe(true);
    const third = window.add(jobs[2]!.promise);
    jobs[1]!.resolve();
    await third;
    let drained = false;
    const drain = window.drain().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    jobs[2]!.resolve();
    await drain;
    expect(drained).toBe(true);
  });

  it('rethrows the first failure from the next add and from drain', async () => {
    const window = new JobWindow(4);
    const failing = deferred();
    await window.add(failing.promise);
    failing.reject(new Error('first'));
    await window.add(Promise.reject(new Error('second'))).catch(() => undefined);
    await expect(window.add(Promise.resolve())).rejects.toThrow('first');
    await expect(window.drain()).rejects.toThrow('first');
  });

  it('refuses an empty window', () => {
    expect(() => new JobWindow(0)).toThrow(RangeError);
  });
});
