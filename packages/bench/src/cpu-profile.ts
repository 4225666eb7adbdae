// Summarises a V8 CPU profile (Chrome DevTools Protocol `Profiler.stop`): self time per
// function, to say what limits a figure rather than guess.
import { MILLISECOND_US } from '@sealroom/units';

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  /** Microseconds between consecutive samples. */
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  selfMs: number;
  share: number;
}

/** The `limit` functions with the most self time, with their share of the profile. */
export function topSelfTime(profile: CpuProfile, limit: number): SelfTime[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  samples.forEach((nodeId, index) => {
    // A sample's duration is the gap to the next one.
    const micros = deltas[index + 1] ?? 0;
    const frame = byNode.get(nodeId)?.callFrame;
    if (!frame) return;
    const file = frame.url.split('/').pop() ?? '';
    const name = `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
    selfMicros.set(name, (selfMicros.get(name) ?? 0) + micros);
    total += micros;
  });
  return [...selfMicros.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, micros]) => ({ name, selfMs: micros / MILLISECOND_US, share: total === 0 ? 0 : micros / total }));
}
