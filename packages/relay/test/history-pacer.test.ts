import { describe, expect, it } from 'vitest';
import { HIGH_WATER_BYTES, HistoryPacer, SLICE_BYTES, TURN_BYTES, type PacedAnswer } from '../src/history-pacer.js';

/** A connection as the pacer sees it: what it was sent, and what it has not read. */
interface FakeConn {
  name: string;
  log: string[];
  buffered: number;
  open: boolean;
  drained?: () => void;
}

/** The event loop, turned by hand: `later` queues, `turn()` runs what was queued. */
function harness() {
  const queued: (() => void)[] = [];
  const pacer = new HistoryPacer<FakeConn>({
    later: (fn) => queued.push(fn),
    buffered: (conn) => conn.buffered,
    whenDrained: (conn, fn) => {
      expect(conn.drained).toBeUndefined();
      conn.drained = fn;
    },
  });
  const turn = (): number => {
    const now = queued.splice(0);
    for (const fn of now) fn();
    return now.length;
  };
  /** Turns until nothing is scheduled; how many turns that took. */
  const settle = (): number => {
    let turns = 0;
    while (turn() > 0) turns += 1;
    return turns;
  };
  return { pacer, turn, settle, queued };
}

function conn(name: string): FakeConn {
  return { name, log: [], buffered: 0, open: true };
}

/** An answer of `frames` frames of `bytes` each; each send is logged as `<tag>:<index>`. */
function answer(c: FakeConn, tag: string, frames: number, bytes: number, options: { gap?: boolean; unread?: boolean } = {}): PacedAnswer<FakeConn> {
  return {
    conn: c,
    frames,
    begin: () => {
      if (options.gap) c.log.push(`${tag}:gap`);
    },
    stillWanted: () => c.open,
    send: (index) => {
      if (!c.open) return undefined;
      c.log.push(`${tag}:${index}`);
      // A reader that does not read: everything sent stays buffered.
      if (options.unread) c.buffered += bytes;
      return bytes;
    },
    finish: () => c.log.push(`${tag}:end`),
  };
}

const frames = (c: FakeConn, tag: string) => c.log.filter((entry) => entry.startsWith(`${tag}:`) && /\d$/.test(entry)).length;

describe('HistoryPacer: catch-up in slices, yielding between them', () => {
  it('sends nothing in the turn the answer is queued, and a large answer over several turns, its end last', () => {
    const { pacer, turn, settle } = harness();
    const a = conn('a');
    const frameBytes = 8 * 1024;
    const count = 100; // 800 KiB: more than a turn
    pacer.enqueue(answer(a, 'h', count, frameBytes, { gap: true }));
    expect(a.log).toEqual([]);
    turn();
    // One turn sends at most TURN_BYTES (whole frames), then yields.
    expect(frames(a, 'h')).toBe(TURN_BYTES / frameBytes);
    expect(a.log[0]).toBe('h:gap');
    expect(a.log).not.toContain('h:end');
    settle();
    expect(a.log).toEqual(['h:gap', ...Array.from({ length: count }, (_, i) => `h:${i}`), 'h:end']);
    expect(pacer.pending).toBe(0);
  });

  it('gives answers to different connections turns within a turn (round robin by slices), not one after the other', () => {
    const { pacer, turn, settle } = harness();
    const a = conn('a');
    const b = conn('b');
    const frameBytes = 16 * 1024;
    pacer.enqueue(answer(a, 'a', 64, frameBytes)); // 1 MiB each
    pacer.enqueue(answer(b, 'b', 64, frameBytes));
    turn();
    const perSlice = SLICE_BYTES / frameBytes;
    // TURN_BYTES over both, a slice at a time: each got half.
    expect(frames(a, 'a')).toBe(TURN_BYTES / frameBytes / 2);
    expect(frames(b, 'b')).toBe(TURN_BYTES / frameBytes / 2);
    expect(frames(a, 'a') % perSlice).toBe(0);
    settle();
    expect(a.log.at(-1)).toBe('a:end');
    expect(b.log.at(-1)).toBe('b:end');
  });

  it('a small answer queued behind a large one of another connection goes out in the first turn', () => {
    const { pacer, turn } = harness();
    const big = conn('abuser');
    const small = conn('honest');
    pacer.enqueue(answer(big, 'big', 1000, 8 * 1024));
    pacer.enqueue(answer(small, 'small', 3, 300));
    turn();
    expect(small.log).toEqual(['small:0', 'small:1', 'small:2', 'small:end']);
    expect(frames(big, 'big')).toBeLessThan(1000);
  });

  it('sends one frame per slice even when a frame is larger than a slice or a turn', () => {
    const { pacer, turn, settle } = harness();
    const a = conn('a');
    pacer.enqueue(answer(a, 'h', 3, TURN_BYTES * 2));
    turn();
    expect(a.log).toEqual(['h:0']);
    expect(settle()).toBe(2);
    expect(a.log).toEqual(['h:0', 'h:1', 'h:2', 'h:end']);
  });

  it("sends one connection's answers one after the other, each from its gap to its end", () => {
    const { pacer, settle } = harness();
    const a = conn('a');
    pacer.enqueue(answer(a, 'x', 40, 8 * 1024));
    pacer.enqueue(answer(a, 'y', 2, 100, { gap: true }));
    settle();
    expect(a.log.indexOf('x:end')).toBeLessThan(a.log.indexOf('y:gap'));
    expect(a.log.slice(-4)).toEqual(['y:gap', 'y:0', 'y:1', 'y:end']);
  });

  it('answers with no frames still end', () => {
    const { pacer, settle } = harness();
    const a = conn('a');
    pacer.enqueue(answer(a, 'h', 0, 0));
    settle();
    expect(a.log).toEqual(['h:end']);
  });
});

describe('HistoryPacer: backpressure', () => {
  it('stops feeding a reader that does not read at the high-water mark, schedules nothing while it waits, and resumes when it drains', () => {
    const { pacer, settle, queued } = harness();
    const slow = conn('slow');
    const frameBytes = 8 * 1024;
    const count = 200; // 1.6 MiB
    pacer.enqueue(answer(slow, 'h', count, frameBytes, { unread: true }));
    settle();
    // Fed up to the mark (whole frames), then parked: no turn is scheduled, nothing spins.
    expect(slow.buffered).toBe(HIGH_WATER_BYTES);
    expect(frames(slow, 'h')).toBe(HIGH_WATER_BYTES / frameBytes);
    expect(queued).toEqual([]);
    expect(slow.drained).toBeDefined();
    // The reader reads everything: the socket drains and the answer goes on.
    slow.buffered = 0;
    const drained = slow.drained!;
    slow.drained = undefined;
    drained();
    settle();
    expect(frames(slow, 'h')).toBe(2 * (HIGH_WATER_BYTES / frameBytes));
    expect(slow.buffered).toBe(HIGH_WATER_BYTES);
  });

  it('keeps feeding other connections while one is parked', () => {
    const { pacer, settle } = harness();
    const slow = conn('slow');
    const fast = conn('fast');
    slow.buffered = HIGH_WATER_BYTES;
    pacer.enqueue(answer(slow, 's', 10, 1024));
    pacer.enqueue(answer(fast, 'f', 10, 1024));
    settle();
    expect(slow.log).toEqual([]);
    expect(fast.log.at(-1)).toBe('f:end');
  });

  it('drops the rest of an answer, without its end, once the connection is no longer there, and starts nothing after it', () => {
    const { pacer, settle } = harness();
    const a = conn('a');
    pacer.enqueue(answer(a, 'x', 100, 8 * 1024, { unread: true }));
    pacer.enqueue(answer(a, 'y', 5, 100));
    settle();
    const sent = a.log.length;
    expect(sent).toBeGreaterThan(0);
    // The connection closes while parked: the drain wait ends with the close.
    a.open = false;
    const drained = a.drained!;
    a.drained = undefined;
    drained();
    settle();
    expect(a.log.length).toBe(sent);
    expect(a.log).not.toContain('x:end');
    expect(pacer.pending).toBe(0);
  });

  it('stops an answer whose frame the connection refused (cut as a slow consumer)', () => {
    const { pacer, settle } = harness();
    const a = conn('a');
    const cutAfter = 3;
    let sent = 0;
    pacer.enqueue({
      conn: a,
      frames: 10,
      begin: () => undefined,
      stillWanted: () => true,
      send: (index) => {
        if (sent === cutAfter) return undefined;
        sent += 1;
        a.log.push(`h:${index}`);
        return 100;
      },
      finish: () => a.log.push('h:end'),
    });
    settle();
    expect(a.log).toEqual(['h:0', 'h:1', 'h:2']);
    expect(pacer.pending).toBe(0);
  });
});
