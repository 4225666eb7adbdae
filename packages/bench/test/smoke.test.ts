// Smoke tests: the harness runs end to end at a tiny scale and produces a report of the
// documented shape. No figure is asserted against a speed (benchmarks print figures; they
// do not pass or fail on them).
import { describe, expect, it } from 'vitest';
import { io as socketIoClient } from 'socket.io-client';
import type { BenchContext } from '../src/context.js';
import { openConnection, type RoomSpec } from '../src/load/connections.js';
import { randomRoom } from '../src/load/generator.js';
import { openNaive, sealNaive } from '../src/naive-scheme.js';
import { QUICK, type Profile } from '../src/profile.js';
import { jsonReport, markdownTable, summaryTable } from '../src/report.js';
import { runFanout } from '../src/sections/fanout.js';
import { startServer } from '../src/servers.js';

const TINY: Profile = {
  ...QUICK,
  workers: 1,
  timing: { warmupMs: 100, measureMs: 300, drainQuietMs: 100, drainMaxMs: 1_000 },
  fanout: {
    rounds: 1,
    workloads: [{ key: 'fanoutTiny', connections: 20, roomSize: 5, envelopeBytes: 64, relayLimits: 'default', rates: [5], referenceStep: 0 }],
  },
};

/** Envelopes sent back to back in the delivery test. */
const BURST = 50;
const TEST_RSA_BITS = 2048;
const TEST_RSA_BYTES = TEST_RSA_BITS / 8;

describe('bench harness', () => {
  it('runs a tiny fan-out against the baselines and reports the documented shape', async () => {
    const context: BenchContext = {
      profile: TINY,
      // The relay has its own tests; this checks the harness, so the baselines are enough.
      relay: { available: false, reason: 'not measured in the smoke test', benchArgs: [], defaultArgs: [], missingFlags: [] },
      log: () => {},
    };
    const result = await runFanout(context);
    expect(result.status).toBe('ok');
    const report = jsonReport({ mode: 'test' }, [result]) as {
      relay: {
        fanout: {
          fanoutTiny: {
            relayVs: Record<string, unknown>;
            servers: Record<string, { saturationDeliveriesPerSec: { median: number }; steps: { p99Ms: number; cpuMicrosPerDelivery: number }[][] }>;
          };
        };
      };
      summary: Record<string, unknown>;
      sections: Record<string, { status: string }>;
    };
    const workload = report.relay.fanout.fanoutTiny;
    // The same steps for every server, the batched baseline among them.
    expect(Object.keys(workload.servers).sort()).toEqual(['bare-ws', 'bare-ws-batched', 'socket.io']);
    for (const server of Object.values(workload.servers)) {
      expect(server.saturationDeliveriesPerSec.median).toBeGreaterThan(0);
      expect(server.steps).toHaveLength(1);
      expect(Number.isFinite(server.steps[0]![0]!.p99Ms)).toBe(true);
      expect(server.steps[0]![0]!.cpuMicrosPerDelivery).toBeGreaterThanOrEqual(0);
    }
    // Ratios are left out, not faked, when the relay was not measured.
    expect(workload.relayVs).toEqual({});
    expect(report.summary).toEqual({});
    expect(report.sections.fanout!.status).toBe('ok');
    const markdown = markdownTable(summaryTable([result]));
    expect(markdown).toContain('| Figure | Value | Spread over rounds | Target | Verdict |');
    expect(markdown).toContain('| Relay fan-out (20 conns, default limits) | not available yet |');
  });

  it.each([
    ['bare-ws', []],
    ['bare-ws', ['--batch']],
    ['socket.io', []],
  ] as const)('%s %j delivers every envelope, in order, to every other member of the room, never back to the sender', async (kind, serverArgs) => {
    const server = await startServer(kind, { serverArgs: [...serverArgs] });
    const room = randomRoom();
    const elsewhere = randomRoom();
    const received: bigint[][] = [[], [], [], []];
    try {
      const connections = await Promise.all(
        [room, room, room, elsewhere].map((spec, index) =>
          openConnection({
            kind,
            url: server.wsUrl,
            room: spec,
            envelopeBytes: 16,
            events: { onDelivery: (envelope) => received[index]!.push(envelope.readBigUInt64BE(0)), onError: () => {} },
          }),
        ),
      );
      // A burst within one event-loop turn: the batched server corks and writes it as one.
      const stamps = Array.from({ length: BURST }, (_, index) => BigInt(index + 1));
      for (const stamp of stamps) expect(connections[0]!.send(stamp)).toBe(true);
      await expect.poll(() => received.slice(1, 3).map((stampsSeen) => stampsSeen.length)).toEqual([BURST, BURST]);
      // Give a wrong delivery (echo, or to another room) time to show up before checking.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(received).toEqual([[], stamps, stamps, []]);
      await Promise.all(connections.map((connection) => connection.close()));
    } finally {
      await server.stop();
    }
  });

  it('speaks Socket.IO well enough that the real socket.io-client receives what the bench client sends', async () => {
    const server = await startServer('socket.io');
    const room: RoomSpec = randomRoom();
    const roomName = Buffer.from(room.id).toString('hex');
    const real = socketIoClient(`http://127.0.0.1:${server.port}`, { transports: ['websocket'] });
    try {
      await new Promise<void>((resolve) => real.once('connect', () => resolve()));
      await real.emitWithAck('join', roomName);
      const received = new Promise<Buffer>((resolve) => real.once('m', (data: Buffer) => resolve(data)));
      const deliveries: Buffer[] = [];
      const bench = await openConnection({
        kind: 'socket.io',
        url: server.wsUrl,
        room,
        envelopeBytes: 32,
        events: { onDelivery: (envelope) => deliveries.push(envelope), onError: () => {} },
      });
      const stamp = 123_456_789n;
      expect(bench.send(stamp)).toBe(true);
      const envelope = await received;
      expect(envelope.length).toBe(32);
      expect(envelope.readBigUInt64BE(0)).toBe(stamp);
      // And the other way: the real client's binary event reaches the bench client.
      real.emit('m', Buffer.from(envelope));
      await expect.poll(() => deliveries.length).toBe(1);
      await bench.close();
    } finally {
      real.close();
      await server.stop();
    }
  });

  it('seals the naive scheme to every recipient, opens it for each, and rejects tampering', async () => {
    const rsa = (name: 'RSA-OAEP' | 'RSA-PSS', usages: KeyUsage[]) =>
      crypto.subtle.generateKey(
        { name, modulusLength: TEST_RSA_BITS, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
        false,
        usages,
      ) as Promise<CryptoKeyPair>;
    const [oaep, pss] = await Promise.all([rsa('RSA-OAEP', ['encrypt', 'decrypt']), rsa('RSA-PSS', ['sign', 'verify'])]);
    const ids = [1, 2, 3].map((fill) => new Uint8Array(32).fill(fill));
    const payload = new TextEncoder().encode('hello, room');
    const envelope = await sealNaive({
      roomId: new Uint8Array(32),
      sender: { memberId: ids[0]!, signingKey: pss.privateKey, modulusBytes: TEST_RSA_BYTES },
      recipients: [ids[1]!, ids[2]!].map((memberId) => ({ memberId, encryptionKey: oaep.publicKey })),
      payload,
    });
    const open = (bytes: Uint8Array, memberId: Uint8Array) =>
      openNaive({ envelope: bytes, me: { memberId, decryptionKey: oaep.privateKey }, senderVerifyKey: pss.publicKey, modulusBytes: TEST_RSA_BYTES });
    for (const recipient of [ids[1]!, ids[2]!]) {
      const opened = await open(envelope, recipient);
      expect(opened.ok && new TextDecoder().decode(opened.payload)).toBe('hello, room');
    }
    expect(await open(envelope, ids[0]!)).toEqual({ ok: false, code: 'NOT_A_RECIPIENT' });
    const flipped = envelope.slice();
    flipped[100] = flipped[100]! ^ 1;
    expect(await open(flipped, ids[1]!)).toEqual({ ok: false, code: 'BAD_SIGNATURE' });
    expect(await open(envelope.subarray(0, 50), ids[1]!)).toEqual({ ok: false, code: 'MALFORMED' });
  });
});
