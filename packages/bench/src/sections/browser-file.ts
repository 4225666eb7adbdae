// The browser file figure: a 100 MB file from one browser context to another on loopback,
// through a real relay serving the built app, driven through the app's own screens
// (browser-file-journey.ts). MB/s runs from the moment the sender picks the file to the
// moment the receiver's page shows it received and checked: the offer,
// the (immediate) accept, the transfer and the receiver's check, as the user waits for it.
import { linkSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext } from '@playwright/test';
import { SECOND_MS } from '@sealroom/units';
import type { BenchContext } from '../context.js';
import { machineBetween, sampleMachine, treeCpuSeconds } from '../proc-stats.js';
import { REPO_ROOT, startServer } from '../servers.js';
import { OTHER_CORES_MAX } from '../starvation.js';
import { median, spread, type Spread } from '../stats.js';
import { meetInRoom, newPerson, personAgain, savedBytes, sendFile, type FileJourney, type Person, type Unwatched } from './browser-file-journey.js';
import { evaluateUnwatched, pickFileUnwatched, startChromium, type UnwatchedChromium } from './browser-unwatched.js';

const CHROMIUM_HELPER = pathToFileURL(`${REPO_ROOT}scripts/chromium.mjs`).href;
const BENCH_PASSWORD = 'correct horse battery staple, benchmark only';
const BYTES_PER_MB = 1_000_000;
/** crypto.getRandomValues refuses more than 65,536 bytes per call (WebCrypto spec). */
const RANDOM_FILL_LIMIT = 65_536;

export interface BrowserFileTrial {
  journey: FileJourney;
  /** Picked → received and checked, MB/s. */
  mbps: number;
  /** Accept clicked → received and checked, MB/s. */
  acceptedMbps: number;
  /** Cores busy with other people's work during the transfer (machine minus this process tree). */
  otherCores: number;
  /** Cores this process tree (relay, Chromium, harness) used during the transfer. */
  ownCores: number;
}

export interface BrowserFileFigures {
  bytes: number;
  relayArgs: string[];
  trials: BrowserFileTrial[];
  mbps: Spread;
  acceptedMbps: Spread;
  /** Picked → offer shown to the receiver, ms (the sender's work before the first byte can flow). */
  offerMs: Spread;
  /** Why the figure cannot carry a verdict: the machine was crowded during a transfer. */
  starved?: string;
}

/** A file of random bytes in a fresh temporary directory; the caller removes the directory. */
function randomFile(bytes: number): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sealroom-bench-'));
  const file = path.join(dir, 'bench.bin');
  const data = Buffer.allocUnsafe(bytes);
  for (let offset = 0; offset < bytes; offset += RANDOM_FILL_LIMIT) crypto.getRandomValues(data.subarray(offset, Math.min(bytes, offset + RANDOM_FILL_LIMIT)));
  writeFileSync(file, data);
  return { dir, file };
}

function defaultContext(browser: Browser): BrowserContext {
  const context = browser.contexts()[0];
  if (context === undefined) throw new Error('a Chromium reached over CDP without its default context');
  return context;
}

export async function measureBrowserFile(context: BenchContext): Promise<BrowserFileFigures> {
  const { bytes, trials: trialCount, timeoutMs } = context.profile.browserFile;
  const { chromium } = await import('@playwright/test');
  const helper = (await import(CHROMIUM_HELPER)) as { CHROMIUM_ARGS: string[]; chromiumExecutable(): string | undefined };
  // The relay's per-connection byte rate (16 MiB/s by default, 32 MiB burst) would cap the
  // transfer by configuration; it is lifted, as in the files section.
  const relayArgs = context.relay.benchArgs;
  const relay = await startServer('relay', { relayArgs });
  // Each person has a Chromium of their own, which the harness lets go of while the file
  // moves (browser-unwatched.ts: Playwright's DevTools sessions would copy every frame).
  const executablePath = helper.chromiumExecutable() ?? chromium.executablePath();
  const browsers: UnwatchedChromium[] = [];
  const { dir, file } = randomFile(bytes);
  try {
    const receiverChromium = await startChromium(executablePath, helper.CHROMIUM_ARGS);
    browsers.push(receiverChromium);
    const senderChromium = await startChromium(executablePath, helper.CHROMIUM_ARGS);
    browsers.push(senderChromium);
    const attach = async (): Promise<{ receiver: Person; sender: Person; unwatched: Unwatched }> => {
      const [receiverBrowser, senderBrowser] = await Promise.all([
        chromium.connectOverCDP(receiverChromium.endpoint),
        chromium.connectOverCDP(senderChromium.endpoint),
      ]);
      const [receiverContext, senderContext] = [defaultContext(receiverBrowser), defaultContext(senderBrowser)];
      const fresh = receiverContext.pages().every((page) => !page.url().startsWith(relay.httpUrl));
      return {
        receiver: fresh ? await newPerson(receiverContext, relay.httpUrl) : personAgain(receiverContext, relay.httpUrl),
        sender: fresh ? await newPerson(senderContext, relay.httpUrl) : personAgain(senderContext, relay.httpUrl),
        unwatched: {
          // Closing a browser reached over CDP disconnects: its pages go on, its DevTools sessions end.
          letGo: async () => {
            await Promise.all([receiverBrowser.close(), senderBrowser.close()]);
          },
          evaluate: (who, expression) => evaluateUnwatched(who === 'sender' ? senderChromium : receiverChromium, relay.httpUrl, expression),
          pickFile: (selector, named) => pickFileUnwatched(senderChromium, relay.httpUrl, selector, named),
        },
      };
    };
    const first = await attach();
    await meetInRoom(first.receiver, first.sender, BENCH_PASSWORD);
    context.log('web: two browsers in one room; sending the file');
    let people: Awaited<ReturnType<typeof attach>> | undefined = first;
    const trials: BrowserFileTrial[] = [];
    for (let trial = 0; trial < trialCount; trial += 1) {
      const ownBefore = treeCpuSeconds();
      const machineBefore = sampleMachine();
      const started = performance.now();
      let journey: FileJourney;
      const { sender, receiver, unwatched } = people ?? (await attach());
      people = undefined;
      try {
        // A new name each time (a link to the same bytes): earlier transfers stay on screen.
        const named = path.join(dir, `bench-${trial + 1}.bin`);
        linkSync(file, named);
        journey = await sendFile(sender, receiver, named, timeoutMs, unwatched);
      } catch (error) {
        const saved = await savedBytes(unwatched).catch(() => 0);
        const seconds = (performance.now() - started) / SECOND_MS;
        throw new Error(
          `the ${bytes / BYTES_PER_MB} MB transfer did not complete in ${timeoutMs / SECOND_MS} s: ${saved / BYTES_PER_MB} MB saved (≈ ${(saved / BYTES_PER_MB / seconds).toFixed(1)} MB/s) — ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
          { cause: error },
        );
      }
      const seconds = (performance.now() - started) / SECOND_MS;
      const machine = machineBetween(machineBefore, sampleMachine());
      const own = treeCpuSeconds() - ownBefore;
      const mb = bytes / BYTES_PER_MB;
      const result: BrowserFileTrial = {
        journey,
        mbps: mb / ((journey.receiverCompleteAt - journey.pickedAt) / SECOND_MS),
        acceptedMbps: mb / ((journey.receiverCompleteAt - journey.acceptClickedAt) / SECOND_MS),
        otherCores: Math.max(0, (machine.busySeconds - own) / seconds),
        ownCores: own / seconds,
      };
      trials.push(result);
      context.log(
        `web: file ${trial + 1}/${trialCount}: ${result.mbps.toFixed(1)} MB/s picked → received (${result.acceptedMbps.toFixed(1)} MB/s from accept); others used ${result.otherCores.toFixed(2)} cores`,
      );
    }
    const crowded = trials.find((trial) => trial.otherCores > OTHER_CORES_MAX);
    return {
      bytes,
      relayArgs,
      trials,
      mbps: spread(trials.map((trial) => trial.mbps)),
      acceptedMbps: spread(trials.map((trial) => trial.acceptedMbps)),
      offerMs: spread(trials.map((trial) => trial.journey.offerShownAt - trial.journey.pickedAt)),
      ...(crowded
        ? {
            starved: `other processes kept ${crowded.otherCores.toFixed(2)} cores busy during a transfer (median over transfers ${median(trials.map((trial) => trial.otherCores)).toFixed(2)}): an absolute speed on a crowded machine is not the app's`,
          }
        : {}),
    };
  } finally {
    for (const browser of browsers) await browser.stop().catch((error: unknown) => context.log(`web: a Chromium did not stop cleanly: ${String(error)}`));
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
