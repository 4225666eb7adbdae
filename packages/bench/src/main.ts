// `pnpm bench [--quick] [--out PATH] [--only a,b] [--workers N] [--no-build]`
// Runs the suite on loopback, prints a Markdown report on stdout and writes a JSON report
// to the path printed at the end. Progress goes to stderr.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SECOND_MS } from '@sealroom/units';
import { prepareRelay } from './relay-build.js';
import type { BenchContext } from './context.js';
import { LoadAverageMonitor, machineInfo } from './machine.js';
import { FULL, QUICK, type Profile } from './profile.js';
import { jsonReport, markdownTable, summaryTable, failed, type SectionResult } from './report.js';
import { REPO_ROOT } from './servers.js';
import { SECTIONS } from './sections/index.js';

interface CliOptions {
  quick: boolean;
  out?: string;
  only?: string[];
  workers?: number;
  build: boolean;
  profileBrowser: boolean;
  profileRelay: boolean;
  compareRelay?: string;
}

const USAGE = `usage: pnpm bench [--quick] [--out PATH] [--only ${SECTIONS.map((section) => section.name).join(',')}] [--workers N] [--no-build] [--profile-browser] [--profile-relay] [--compare-relay PATH]`;

function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { quick: false, build: true, profileBrowser: false, profileRelay: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    switch (arg) {
      case '--':
        break;
      case '--quick':
        options.quick = true;
        break;
      case '--out':
        options.out = argv[++i];
        break;
      case '--only':
        options.only = (argv[++i] ?? '').split(',').filter(Boolean);
        break;
      case '--workers':
        options.workers = Number(argv[++i]);
        break;
      case '--no-build':
        options.build = false;
        break;
      case '--profile-browser':
        options.profileBrowser = true;
        break;
      case '--profile-relay':
        options.profileRelay = true;
        break;
      case '--compare-relay':
        options.compareRelay = path.resolve(argv[++i] ?? '');
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        process.stderr.write(`unknown argument ${arg}\n${USAGE}\n`);
        process.exit(2);
    }
  }
  return options;
}

function timestamp(date: Date): string {
  return date
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z');
}

// A stray rejection inside one section must not take the whole run (and its report) down.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`[bench] unhandled rejection (run continues): ${reason instanceof Error ? reason.message : String(reason)}\n`);
});

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const base = options.quick ? QUICK : FULL;
  const profile: Profile = { ...base, workers: options.workers && options.workers > 0 ? options.workers : base.workers };
  const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - started) / SECOND_MS).toFixed(0).padStart(4)}s] ${line}\n`);
  const started = performance.now();
  const startedAt = new Date();
  const machineBefore = machineInfo();
  const loadMonitor = new LoadAverageMonitor();

  log(`${profile.name} run; preparing the relay`);
  const relay = await prepareRelay({ build: options.build, log });
  const outPath = path.resolve(options.out ?? path.join(REPO_ROOT, 'bench-results', `${timestamp(startedAt)}.json`));
  const outDir = path.dirname(outPath);
  const context: BenchContext = {
    profile,
    relay,
    log,
    ...(options.profileBrowser ? { profileBrowser: { outDir } } : {}),
    ...(options.profileRelay ? { profileRelay: { outDir } } : {}),
    ...(options.compareRelay ? { relayCandidate: options.compareRelay } : {}),
  };

  const results: SectionResult[] = [];
  for (const section of SECTIONS) {
    if (options.only && !options.only.includes(section.name)) continue;
    log(`section ${section.name}`);
    try {
      results.push(await section.run(context));
    } catch (error) {
      log(`section ${section.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      results.push(failed(section.name, section.title, error));
    }
  }

  const durationSeconds = (performance.now() - started) / SECOND_MS;
  const loadAverage = loadMonitor.stop();
  const meta = {
    startedAt: startedAt.toISOString(),
    mode: profile.name,
    durationSeconds,
    machine: machineBefore,
    loadAverageAtEnd: machineInfo().loadAverage,
    /** 1-minute load average sampled through the run. */
    loadAverageDuringRun: loadAverage,
    relayBenchArgs: relay.benchArgs,
    relayDefaultArgs: relay.defaultArgs,
  };
  const busy = loadAverage.max > machineBefore.cpus ? ' — above the core count: processes waited for a CPU, so expect noise and verdicts withheld' : '';
  const lines = [
    `# Sealroom benchmarks (${profile.name} run, ${startedAt.toISOString()})`,
    '',
    `Machine: ${machineBefore.cpuModel}, ${machineBefore.cpus} cores, ${(machineBefore.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${machineBefore.node}, ${machineBefore.os}. Commit ${machineBefore.commit}. Took ${durationSeconds.toFixed(0)} s (wall clock).`,
    '',
    `Load average (1 min) during the run: ${loadAverage.start.toFixed(2)} at the start, mean ${loadAverage.mean.toFixed(2)}, max ${loadAverage.max.toFixed(2)}, ${loadAverage.end.toFixed(2)} at the end${busy}. Ratios compare servers within this run; a figure whose load the machine, not the server, could not carry says "machine starved — no verdict".`,
    '',
    markdownTable(summaryTable(results)),
  ];
  for (const result of results) {
    lines.push('', `## ${result.title}`);
    if (result.status !== 'ok') {
      lines.push('', result.status === 'unavailable' ? `Not available yet: ${result.reason}` : `Failed: ${result.reason}`);
      continue;
    }
    for (const table of result.tables) lines.push('', markdownTable(table));
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  mkdirSync(path.dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(jsonReport(meta, results), null, 2)}\n`);
  process.stdout.write(`\nJSON report: ${outPath}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
