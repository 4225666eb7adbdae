// Shared by the baseline servers: argument parsing, the ready line the harness waits
// for, and a clean exit on SIGTERM/SIGINT.

/** @param {string[]} argv */
export function parseServerArgs(argv) {
  let port = 0;
  let host = '127.0.0.1';
  /** Bare switches such as `--batch`. */
  const flags = new Set();
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--port') port = Number(argv[++i]);
    else if (argv[i] === '--host') host = String(argv[++i]);
    else flags.add(argv[i]);
  }
  return { port, host, flags };
}

/** Prints the one JSON line the harness waits for: `{"ready":true,"port":N}`. */
/** @param {ReturnType<import('node:net').Server['address']>} address */
export function announceReady(address) {
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
}

/** @param {() => void} close */
export function exitOnSignals(close) {
  const stop = () => {
    close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The harness owns us: when it goes away (its IPC or stdin closes), so do we.
  process.stdin.on('end', stop);
  process.stdin.resume();
}
