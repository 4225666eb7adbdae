/**
 * A clock that runs in real time until `pause()`, then stands still except when the test
 * moves it with `advance(ms)`, which runs every timer that falls due. A test can then let
 * the network run at its own pace while a client's timeouts (stall, resend) see only the
 * time the test gives them.
 */
import type { Clock } from '../src/index.js';

export interface PausableClock extends Clock {
  pause(): void;
  /** Moves a paused clock forward and runs the timers that fall due, earliest first. */
  advance(ms: number): void;
}

export function pausableClock(): PausableClock {
  let pausedAt: number | undefined;
  let nextId = 1;
  const timers = new Map<number, { at: number; run: () => void; handle?: ReturnType<typeof setTimeout> }>();
  const now = () => pausedAt ?? Date.now();
  const fire = (id: number) => {
    const timer = timers.get(id);
    if (timer === undefined) return;
    timers.delete(id);
    timer.run();
  };
  return {
    now,
    setTimeout(run, ms) {
      const id = nextId++;
      const timer: { at: number; run: () => void; handle?: ReturnType<typeof setTimeout> } = { at: now() + ms, run };
      if (pausedAt === undefined) timer.handle = setTimeout(() => fire(id), ms);
      timers.set(id, timer);
      return id;
    },
    clearTimeout(id) {
      const timer = timers.get(id as number);
      if (timer === undefined) return;
      clearTimeout(timer.handle);
      timers.delete(id as number);
    },
    pause() {
      if (pausedAt !== undefined) return;
      pausedAt = Date.now();
      for (const timer of timers.values()) clearTimeout(timer.handle);
    },
    advance(ms) {
      if (pausedAt === undefined) throw new Error('advance() needs a paused clock');
      pausedAt += ms;
      const due = [...timers.entries()].filter(([, timer]) => timer.at <= now()).sort((a, b) => a[1].at - b[1].at);
      for (const [id] of due) fire(id);
    },
  };
}
