import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LOOP_SAMPLE_INTERVAL_MS, LoopDelay } from '../src/loop-delay.js';

async function buckets(registry: Registry): Promise<Record<string, number>> {
  const text = await registry.getSingleMetricAsString('sealroom_event_loop_delay_seconds');
  const out: Record<string, number> = {};
  for (const match of text.matchAll(/_bucket\{le="([^"]+)"\} (\d+)/g)) out[match[1]!] = Number(match[2]);
  return out;
}

describe('event-loop delay histogram', () => {
  it('records how late each tick came after the one before was due, not the first tick', async () => {
    const registry = new Registry();
    const delay = new LoopDelay(registry);
    delay.tick(1_000); // first tick: nothing due yet
    delay.tick(1_000 + LOOP_SAMPLE_INTERVAL_MS); // on time: 0 ms
    delay.tick(1_000 + 2 * LOOP_SAMPLE_INTERVAL_MS + 30); // 30 ms late
    delay.tick(1_000 + 3 * LOOP_SAMPLE_INTERVAL_MS + 30 + 700); // 700 ms late
    const counts = await buckets(registry);
    expect(counts['0.001']).toBe(1);
    expect(counts['0.02']).toBe(1);
    expect(counts['0.05']).toBe(2);
    expect(counts['0.5']).toBe(2);
    expect(counts['1']).toBe(3);
    expect(counts['+Inf']).toBe(3);
  });

  it('counts a tick that came early (a coarse timer) as no delay, never negative', async () => {
    const registry = new Registry();
    const delay = new LoopDelay(registry);
    delay.tick(0);
    delay.tick(LOOP_SAMPLE_INTERVAL_MS - 3);
    const counts = await buckets(registry);
    expect(counts['0.001']).toBe(1);
    const sum = /_sum (\S+)/.exec(await registry.getSingleMetricAsString('sealroom_event_loop_delay_seconds'))![1];
    expect(Number(sum)).toBe(0);
  });
});
