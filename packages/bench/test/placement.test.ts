// How the load generator lays connections out: rooms whole or split over relay processes
// (the scale-out figures depend on it), and source addresses within the relay's default
// per-address limit (the 1,000-connection workload runs the relay as shipped).
import { describe, expect, it } from 'vitest';
import { planConnections } from '../src/load/generator.js';

/** The relay's default `maxConnectionsPerAddress` (packages/relay/src/options.ts). */
const RELAY_DEFAULT_CONNECTIONS_PER_ADDRESS = 64;
const URLS = ['ws://a', 'ws://b', 'ws://c', 'ws://d'];

function byRoom(plans: ReturnType<typeof planConnections>): Map<number, number[]> {
  const processes = new Map<number, number[]>();
  for (const connection of plans.flat()) processes.set(connection.room, [...(processes.get(connection.room) ?? []), connection.urlIndex]);
  return processes;
}

describe('connection layout', () => {
  it('keeps every room on one process when rooms are whole, and deals rooms over the processes in turn', () => {
    const rooms = byRoom(planConnections({ connections: 200, roomSize: 10, workers: 2, urls: URLS.slice(0, 4), placement: 'whole' }));
    expect(rooms.size).toBe(20);
    for (const [room, processes] of rooms) expect(processes).toEqual(Array(10).fill(room % 4));
  });

  it('spreads the members of every room over the processes when rooms are split', () => {
    const two = byRoom(planConnections({ connections: 200, roomSize: 10, workers: 2, urls: URLS.slice(0, 2), placement: 'split' }));
    for (const processes of two.values()) expect([...processes].sort()).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    const four = byRoom(planConnections({ connections: 200, roomSize: 10, workers: 2, urls: URLS, placement: 'split' }));
    for (const processes of four.values()) expect([...processes].sort()).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 3, 3]);
  });

  it('gives each worker whole rooms and every connection exactly once', () => {
    const plans = planConnections({ connections: 1_000, roomSize: 10, workers: 2, urls: URLS.slice(0, 1) });
    expect(plans.flat()).toHaveLength(1_000);
    const workerOfRoom = new Map<number, number>();
    plans.forEach((connections, worker) => {
      for (const { room } of connections) {
        expect(workerOfRoom.get(room) ?? worker).toBe(worker);
        workerOfRoom.set(room, worker);
      }
    });
  });

  it('keeps 1,000 connections within the relay’s default limit per source address', () => {
    const perAddress = new Map<string, number>();
    for (const { localAddress } of planConnections({ connections: 1_000, roomSize: 10, workers: 2, urls: URLS.slice(0, 1) }).flat())
      perAddress.set(localAddress, (perAddress.get(localAddress) ?? 0) + 1);
    expect(Math.max(...perAddress.values())).toBeLessThanOrEqual(RELAY_DEFAULT_CONNECTIONS_PER_ADDRESS);
    for (const address of perAddress.keys()) expect(address).toMatch(/^127\.0\.0\.\d+$/);
  });
});
