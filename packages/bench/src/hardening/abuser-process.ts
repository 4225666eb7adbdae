// The abuser of `pnpm test:abuse`, in a process of its own: its CPU is measured apart from
// the honest clients' (whose latencies would otherwise include the abuser's work on the
// same event loop), and reported beside the relay's. Driven over the IPC channel by
// abuse-test.ts: `prepare`, then `start`/`stop` per phase, then `exit`.
import { prepareRooms, scenarios, type AbuserRooms, type Scenario } from './abuse-scenarios.js';

export type AbuserCommand =
  | { readonly t: 'prepare'; readonly url: string; readonly address: string }
  | { readonly t: 'start'; readonly scenarios: readonly string[] }
  | { readonly t: 'stop' }
  | { readonly t: 'exit' };

export type AbuserReply =
  | { readonly t: 'prepared'; readonly said: string }
  | { readonly t: 'started' }
  | { readonly t: 'stopped'; readonly said: string }
  | { readonly t: 'failed'; readonly error: string };

let all: Scenario[] = [];
let running: { stop(): Promise<string> }[] = [];

function reply(message: AbuserReply): void {
  process.send!(message);
}

async function handle(command: AbuserCommand): Promise<void> {
  switch (command.t) {
    case 'prepare': {
      const prepared: { rooms: AbuserRooms; said: string } = await prepareRooms(command.url, command.address);
      all = scenarios(command.url, command.address, prepared.rooms);
      reply({ t: 'prepared', said: prepared.said });
      return;
    }
    case 'start': {
      const chosen = all.filter((scenario) => command.scenarios.includes(scenario.name));
      running = await Promise.all(chosen.map((scenario) => scenario.start()));
      reply({ t: 'started' });
      return;
    }
    case 'stop': {
      const said = await Promise.all(running.map((scenario) => scenario.stop()));
      running = [];
      reply({ t: 'stopped', said: said.join(' | ') });
      return;
    }
    case 'exit':
      process.exit(0);
  }
}

process.on('message', (command: AbuserCommand) => {
  handle(command).catch((error: unknown) => reply({ t: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
});
process.on('disconnect', () => process.exit(0));
