/**
 * Runs the relay as a real child process (its CLI, from source through tsx) so a test can
 * kill it with SIGKILL: no close frames, no "going away", just a dead peer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
/** A relay that has not said where it listens within this long failed to start, ms. */
const START_TIMEOUT_MS = 20_000;

export interface RelayProcess {
  url: string;
  port: number;
  kill(): Promise<void>;
}

export function spawnRelay(port = 0): Promise<RelayProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--conditions=@sealroom/source',
      '--import',
      'tsx',
      '-e',
      `import('@sealroom/relay').then((m) => m.main(['--memory', '--port', '${port}', '--log-level', 'warn']))`,
    ],
    { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay did not start: ${output}`));
    }, START_TIMEOUT_MS);
    const onData = (data: Buffer) => {
      output += String(data);
      const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve({
        url: match[1]!,
        port: Number(match[2]),
        kill: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (data: Buffer) => (output += String(data)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${code}: ${output}`));
    });
  });
}
