/**
 * The two ends of a backup as the client performs them: making the file (the identity
 * re-wrapped under the backup password, then the rooms sealed under its storage key), and
 * opening one (outer checks, the password, every part) before anything is written. Errors
 * are {@link SealroomClientError}s: `WRONG_PASSWORD`, or `BAD_BACKUP` with a message saying
 * what is wrong with the file.
 */
import {
  exportBackup as exportWrappedBackup,
  importBackup as importWrappedBackup,
  unwrapIdentity,
  utf8,
  type BackupFile,
  type KdfOptions,
  type UnlockedIdentity,
  type WrappedIdentity,
} from '@sealroom/protocol';
import { openBackup, collectParts, sealBackup, type BackupRoom, type OnBackupProgress } from './backup.js';
import type { ExportBackupOptions } from './api.js';

export { restoreRooms } from './backup.js';
import { BACKUP_VERSION_KEYS, readOuterBackup, type OuterBackup } from './backup-format.js';
import { SealroomClientError } from './errors.js';
import type { ClientStorage } from './platform.js';
import { KEY_ROOM_INDEX } from './records.js';
import { atRestCipher, Vault } from './vault.js';

/** The backup with rooms, or the identity alone when the client is locked (no storage key to read rooms with). */
export async function makeBackupFile(
  wrapped: WrappedIdentity,
  password: string,
  kdf: KdfOptions,
  unlocked: { vault: Vault; storageKey: CryptoKey } | undefined,
  now: number,
  options: ExportBackupOptions,
): Promise<Uint8Array> {
  // Proves the password, then re-wraps under it with fresh salt and IVs (PROTOCOL B.2).
  const exported = await exportWrappedBackup(wrapped, password, kdf.dangerouslyAllowWeakKdfForTests === true ? { ...kdf } : {});
  if (!exported.ok) throw new SealroomClientError(exported.code === 'WRONG_PASSWORD' ? 'WRONG_PASSWORD' : 'STORAGE_CORRUPT', exported.code);
  if (unlocked === undefined) return utf8(exported.text);
  const identity = (JSON.parse(exported.text) as BackupFile).identity;
  const history = options.history ?? true;
  const parts = await collectParts(unlocked.vault, { history, onProgress: options.onProgress });
  return utf8(await sealBackup({ identity, storageKey: unlocked.storageKey, parts, history, now, onProgress: options.onProgress }));
}

/** A backup file's outer layer, checked without the password. */
function readBackupFile(bytes: Uint8Array): OuterBackup {
  const outer = readOuterBackup(bytes);
  if (!outer.ok) throw new SealroomClientError('BAD_BACKUP', outer.error.detail);
  return outer.value;
}

/** The identity id a backup is of (readable without the password), for the "same identity?" check. */
function backupIdentityId(outer: OuterBackup): string | undefined {
  if (outer.v !== BACKUP_VERSION_KEYS) return outer.file.identity.id;
  const parsed = JSON.parse(outer.text) as { identity?: { id?: unknown } };
  return typeof parsed.identity?.id === 'string' ? parsed.identity.id : undefined;
}

export interface OpenedBackupFile {
  wrapped: WrappedIdentity;
  unlocked: UnlockedIdentity;
  rooms: BackupRoom[];
}

/** Unwraps the identity with the password and opens and checks every part. Writes nothing. */
async function openBackupFile(outer: OuterBackup, password: string, onProgress?: OnBackupProgress): Promise<OpenedBackupFile> {
  if (outer.v === BACKUP_VERSION_KEYS) {
    const imported = await importWrappedBackup(outer.text, password);
    if (!imported.ok)
      throw new SealroomClientError(
        imported.code === 'WRONG_PASSWORD' ? 'WRONG_PASSWORD' : 'BAD_BACKUP',
        `the identity in the backup is unreadable (${imported.code})`,
      );
    return { wrapped: imported.wrapped, unlocked: imported.unlocked, rooms: [] };
  }
  const opened = await unwrapIdentity(outer.file.identity, password);
  if (!opened.ok)
    throw new SealroomClientError(
      opened.code === 'WRONG_PASSWORD' ? 'WRONG_PASSWORD' : 'BAD_BACKUP',
      `the identity in the backup is unreadable (${opened.code})`,
    );
  const rooms = await openBackup(opened.unlocked.storageKey, outer.file, onProgress);
  if (!rooms.ok) throw new SealroomClientError('BAD_BACKUP', rooms.error.detail);
  return { wrapped: outer.file.identity, unlocked: opened.unlocked, rooms: rooms.rooms };
}

/**
 * Everything an import checks before it writes: the file, that it is of the identity stored
 * here if one is (another identity: `IDENTITY_EXISTS`), the password, every part, and that
 * its storage key opens this browser's rooms (a file made to look like my identity, with
 * other keys inside, must not overwrite them). Returns the vault to restore into.
 */
export async function openBackupForImport(
  storage: ClientStorage,
  stored: WrappedIdentity | undefined,
  bytes: Uint8Array,
  password: string,
  onProgress?: OnBackupProgress,
): Promise<{ opened: OpenedBackupFile; vault: Vault }> {
  const outer = readBackupFile(bytes);
  if (stored !== undefined && stored.id !== backupIdentityId(outer)) throw new SealroomClientError('IDENTITY_EXISTS');
  const opened = await openBackupFile(outer, password, onProgress);
  const vault = new Vault(storage, atRestCipher(opened.unlocked.storageKey));
  if ((await storage.get(KEY_ROOM_INDEX)) !== undefined && (await vault.get(KEY_ROOM_INDEX)) === undefined) {
    throw new SealroomClientError('BAD_BACKUP', "the backup's keys do not open this browser's rooms");
  }
  return { opened, vault };
}
