// The identity: create, unlock, import, lock, change the password, export a backup.
import type { BackupProgress, ExportBackupOptions } from '@sealroom/client';
import { describeError } from '../../lib/errors.js';
import { triggerDownload } from '../../lib/save.js';
import { dispatch, useAppStore } from '../store.js';
import { requireClient } from './client-handle.js';
import { attempt, type Outcome } from './feedback.js';
import { afterUnlock } from './startup.js';

async function identityAction(busy: 'creating' | 'unlocking' | 'importing', work: () => Promise<unknown>): Promise<boolean> {
  dispatch({ type: 'session/busy', busy });
  try {
    await work();
    const c = requireClient();
    dispatch({ type: 'identity', state: 'unlocked', identity: c.identity() });
    await afterUnlock();
    return true;
  } catch (error) {
    dispatch({ type: 'session/error', error: describeError(error) });
    return false;
  } finally {
    dispatch({ type: 'session/busy', busy: null });
  }
}

export function createIdentity(displayName: string, password: string): Promise<boolean> {
  return identityAction('creating', () =>
    requireClient().createIdentity({
      displayName,
      password,
      onProgress: ({ step, fraction }) => dispatch({ type: 'session/progress', step, fraction }),
    }),
  );
}

/**
 * User Timing mark set when an unlock succeeds (DevTools' performance panel shows it; the
 * catch-up benchmark in packages/bench measures from it to the newest message rendered).
 */
export const UNLOCKED_MARK = 'sealroom:identity-unlocked';

export function unlock(password: string): Promise<boolean> {
  return identityAction('unlocking', async () => {
    await requireClient().unlock(password);
    performance.mark(UNLOCKED_MARK);
  });
}

/** Restores a backup: into an empty browser, or merged into this identity's rooms (same identity only). */
export function importBackup(file: Blob, password: string, onProgress?: (progress: BackupProgress) => void): Promise<boolean> {
  return identityAction('importing', async () => requireClient().importBackup(new Uint8Array(await file.arrayBuffer()), password, { onProgress }));
}

export async function lock(): Promise<void> {
  dispatch({ type: 'session/busy', busy: 'locking' });
  // Received files kept for "Save again" are plaintext in memory: let them go.
  for (const transfer of Object.values(useAppStore.getState().files.transfers)) {
    if (transfer.url) URL.revokeObjectURL(transfer.url);
  }
  try {
    await requireClient().lock();
    dispatch({ type: 'identity', state: 'locked', identity: null });
  } finally {
    dispatch({ type: 'session/busy', busy: null });
  }
}

export function changePassword(oldPassword: string, newPassword: string): Promise<Outcome> {
  return attempt(() => requireClient().changePassword(oldPassword, newPassword));
}

/** Backup files are named by the identity's display name and the date, never by secrets. */
export function exportBackup(password: string, options: ExportBackupOptions = {}): Promise<Outcome> {
  return attempt(async () => {
    const c = requireClient();
    const bytes = await c.exportBackup(password, options);
    const name = (c.identity()?.displayName ?? 'identity').replace(/[^\p{L}\p{N}_-]+/gu, '-').slice(0, 40);
    const url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: 'application/json' }));
    triggerDownload(url, `sealroom-${name}-${new Date().toISOString().slice(0, 10)}.sealroom-backup.json`);
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });
}
