// Section 2: resident memory per idle, admitted connection, for the relay and both
// baselines: RSS with N joined connections minus RSS before them, divided by N.
import { readFileSync } from 'node:fs';
import { SECOND_MS } from '@sealroom/units';
import type { BenchContext } from '../context.js';
import type { ServerKind } from '../load/connections.js';
import { LoadGenerator, LOOPBACK_SOURCE_ADDRESSES } from '../load/generator.js';
import { sampleProcess } from '../proc-stats.js';
import { fmtFixed, fmtInt, fmtKiB, fmtMiB, fmtRatio, finiteOrUndefined, type SectionResult, type Verdict } from '../report.js';
import { startServer } from '../servers.js';
import { median, ratio } from '../stats.js';

/** Idle connections share rooms like real ones do: ten to a room. */
const IDLE_ROOM_SIZE = 10;
/** Envelope size is irrelevant when idle; the smallest the connections accept. */
const IDLE_ENVELOPE_BYTES = 8;
/** RSS samples taken over the settle period; their median is the figure. */
const RSS_SAMPLES = 5;
/** Target from DESIGN.md §5: memory per idle joined connection within 1.5× bare ws. */
const TARGET_MEMORY_VS_BARE = 1.5;
/** File descriptors the client side needs beyond its sockets (stdio, pipes, workers). */
const FD_HEADROOM = 200;

const LABELS: Record<ServerKind, string> = { relay: 'Sealroom relay', 'bare-ws': 'bare ws broadcast', 'socket.io': 'Socket.IO rooms' };

interface IdleFigure {
  kind: ServerKind;
  connections: number;
  baselineRssBytes: number;
  loadedRssBytes: number;
  perConnectionBytes: number;
}

async function settledRss(pid: number, settleMs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RSS_SAMPLES; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, settleMs / RSS_SAMPLES));
    samples.push(sampleProcess(pid)?.rssBytes ?? Number.NaN);
  }
  return median(samples);
}

function openFileLimit(): number {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    return match?.[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

function ephemeralPorts(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return (high ?? 0) - (low ?? 0) + 1;
  } catch {
    return Number.NaN;
  }
}

export async function runIdle(context: BenchContext): Promise<SectionResult> {
  const wanted = context.profile.idle.connections;
  const fdLimit = openFileLimit();
  const portsPerAddress = ephemeralPorts();
  // Each client socket costs one descriptor here and one in the server (a process of its own).
  let connections = Math.min(wanted, Number.isFinite(fdLimit) ? fdLimit - FD_HEADROOM : wanted);
  connections -= connections % IDLE_ROOM_SIZE;
  const kinds: ServerKind[] = ['bare-ws', 'socket.io'];
  if (context.relay.available) kinds.push('relay');

  const figures: IdleFigure[] = [];
  for (const kind of kinds) {
    const server = await startServer(kind, { relayArgs: context.relay.benchArgs });
    let generator: LoadGenerator | undefined;
    try {
      const baselineRssBytes = await settledRss(server.pid, context.profile.idle.settleMs);
      generator = await LoadGenerator.open({
        kind,
        urls: [server.wsUrl],
        connections,
        roomSize: IDLE_ROOM_SIZE,
        envelopeBytes: IDLE_ENVELOPE_BYTES,
        workers: context.profile.workers,
      });
      const loadedRssBytes = await settledRss(server.pid, context.profile.idle.settleMs);
      const figure = { kind, connections, baselineRssBytes, loadedRssBytes, perConnectionBytes: (loadedRssBytes - baselineRssBytes) / connections };
      figures.push(figure);
      context.log(`idle ${kind}: ${fmtInt(connections)} connections, ${fmtMiB(baselineRssBytes)} → ${fmtMiB(loadedRssBytes)}, ${fmtKiB(figure.perConnectionBytes)} each`);
    } finally {
      await generator?.close();
      await server.stop();
    }
  }

  const byKind = new Map(figures.map((figure) => [figure.kind, figure]));
  const relay = byKind.get('relay');
  const bare = byKind.get('bare-ws')!;
  const memoryVsBare = ratio(relay?.perConnectionBytes, bare.perConnectionBytes);
  const verdicts: Verdict[] = relay
    ? [
        { figure: 'Relay memory per idle connection vs bare ws', value: `${fmtRatio(memoryVsBare)} (${fmtKiB(relay.perConnectionBytes)} vs ${fmtKiB(bare.perConnectionBytes)})`, target: `≤ ${TARGET_MEMORY_VS_BARE}×`, met: memoryVsBare <= TARGET_MEMORY_VS_BARE },
        { figure: `Relay RSS with ${fmtInt(relay.connections)} idle connections`, value: fmtMiB(relay.loadedRssBytes), target: 'a few hundred MB at most' },
      ]
    : [{ figure: 'Relay memory per idle connection', value: 'not available yet', target: `≤ ${TARGET_MEMORY_VS_BARE}× bare ws` }];
  const json: Record<string, unknown> = {
    idle: {
      connections,
      roomSize: IDLE_ROOM_SIZE,
      sourceAddresses: LOOPBACK_SOURCE_ADDRESSES.length,
      openFileLimit: finiteOrUndefined(fdLimit),
      ephemeralPortsPerAddress: finiteOrUndefined(portsPerAddress),
      servers: Object.fromEntries(
        figures.map((figure) => [
          figure.kind,
          { baselineRssBytes: figure.baselineRssBytes, loadedRssBytes: figure.loadedRssBytes, perConnectionBytes: figure.perConnectionBytes },
        ]),
      ),
    },
  };
  if (relay) json.memoryPerConnRatioVsBareWs = finiteOrUndefined(memoryVsBare);
  return {
    name: 'idle',
    jsonKey: 'relay',
    title: 'Idle memory',
    status: 'ok',
    tables: [
      {
        title: `Idle memory: ${fmtInt(connections)} admitted, idle connections (rooms of ${IDLE_ROOM_SIZE})`,
        headers: ['Server', 'RSS before', `RSS with ${fmtInt(connections)}`, 'Per connection', 'vs bare ws'],
        rows: (['relay', 'bare-ws', 'socket.io'] as ServerKind[])
          .filter((kind) => byKind.has(kind))
          .map((kind) => {
            const f = byKind.get(kind)!;
            return [LABELS[kind], fmtMiB(f.baselineRssBytes), fmtMiB(f.loadedRssBytes), fmtKiB(f.perConnectionBytes), fmtRatio(ratio(f.perConnectionBytes, bare.perConnectionBytes))];
          }),
        notes: [
          `Clients connect from ${LOOPBACK_SOURCE_ADDRESSES.length} loopback source addresses (${LOOPBACK_SOURCE_ADDRESSES[0]}…${LOOPBACK_SOURCE_ADDRESSES.at(-1)}); ${fmtInt(portsPerAddress)} ephemeral ports per address, open-file limit ${fmtInt(fdLimit)}.`,
          `RSS is the median of ${RSS_SAMPLES} samples over ${fmtFixed(context.profile.idle.settleMs / SECOND_MS, 1)} s after the last connection was admitted; no forced GC in any server.`,
          ...(connections < wanted ? [`Asked for ${fmtInt(wanted)} connections; the open-file limit allowed ${fmtInt(connections)}.`] : []),
          ...(context.relay.missingFlags.length > 0 ? [`Relay flags missing for this test: ${context.relay.missingFlags.join(', ')}.`] : []),
        ],
      },
    ],
    verdicts,
    json,
  };
}
