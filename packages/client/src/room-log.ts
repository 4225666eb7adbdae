/**
 * A room's membership log as this device holds it (PROTOCOL B.6–B.9): the entries, the log
 * state they produce, the current and previous epoch's secrets and the link secrets, with
 * the keys and rosters derived from them. Secrets exist at rest only sealed in the log
 * record; keys exist only in memory (non-extractable), derived again after a reload.
 */
import {
  deriveLobbyKeys,
  epochKeysFor,
  fromBase64Url,
  loadRoster,
  toBase64Url,
  type CreatedRoom,
  type EpochKeys,
  type EpochRoster,
  type LobbyKeys,
  type LogState,
  type OpenedWelcome,
} from '@sealroom/protocol';
import { logKey, newLogRecord, type LogRecord } from './records.js';
import type { Vault } from './vault.js';

/** What a new epoch brings: its entry, state and secrets (an opened or created commit). */
export interface NextEpoch {
  entry: Uint8Array;
  secrets: Uint8Array;
  state: LogState;
  epochSecret: Uint8Array;
  linkSecret: Uint8Array;
  epochKeys: EpochKeys;
}

const decode = (b64: string): Uint8Array => {
  const bytes = fromBase64Url(b64);
  if (bytes === undefined) throw new RangeError('corrupt log record');
  return bytes;
};

export class RoomLog {
  /** The current epoch's keys and roster (null while knocking or after leaving). */
  current: EpochKeys | null = null;
  roster: EpochRoster | null = null;
  /** The previous epoch's, watched until the next commit. */
  previous: EpochKeys | null = null;
  previousRoster: EpochRoster | null = null;
  /** Lobby keys by lobby relay room id: the current link's, older links', the one I knock with. */
  private readonly lobbies = new Map<string, { keys: LobbyKeys; linkSecret: Uint8Array }>();

  private constructor(
    private readonly vault: Vault,
    private readonly roomId: string,
    readonly record: LogRecord,
  ) {}

  static async load(vault: Vault, roomId: string): Promise<RoomLog> {
    const log = new RoomLog(vault, roomId, (await vault.get<LogRecord>(logKey(roomId))) ?? newLogRecord());
    await log.derive();
    return log;
  }

  get state(): LogState | null {
    return this.record.state;
  }

  /** The state, for a caller that knows I am a member. */
  get memberState(): LogState {
    const state = this.record.state;
    if (state === null) throw new RangeError('not a member of this room');
    return state;
  }

  get entries(): Uint8Array[] {
    return this.record.entries.map(decode);
  }

  get linkSecret(): Uint8Array | null {
    return this.record.linkSecret === null ? null : decode(this.record.linkSecret);
  }

  get epochSecret(): Uint8Array | null {
    return this.record.epochSecret === null ? null : decode(this.record.epochSecret);
  }

  get secrets(): Uint8Array | null {
    return this.record.secrets === null ? null : decode(this.record.secrets);
  }

  /** The lobby of the current link (the one I knock in, while knocking). */
  currentLobby(): LobbyKeys | null {
    const secret = this.record.linkSecret;
    if (secret === null) return null;
    for (const { keys, linkSecret } of this.lobbies.values()) if (toBase64Url(linkSecret) === secret) return keys;
    return null;
  }

  lobbyKeys(relayRoom: string): LobbyKeys | undefined {
    return this.lobbies.get(relayRoom)?.keys;
  }

  /** The room as its creator made it. Caller persists. */
  async adoptGenesis(created: CreatedRoom): Promise<void> {
    Object.assign(this.record, {
      entries: [toBase64Url(created.genesis)],
      state: created.state,
      previousState: null,
      secrets: null,
      epochSecret: toBase64Url(created.epochSecret),
      previousEpochSecret: null,
      linkSecret: toBase64Url(created.linkSecret),
      oldLinks: [],
    } satisfies Partial<LogRecord>);
    await this.derive();
  }

  /** The link I knock with. Caller persists. */
  async setKnockLink(linkSecret: Uint8Array): Promise<LobbyKeys> {
    this.record.linkSecret = toBase64Url(linkSecret);
    await this.derive();
    return this.currentLobby()!;
  }

  /** A verified welcome: the whole log and the current epoch. Caller persists. */
  async adoptWelcome(opened: OpenedWelcome): Promise<void> {
    Object.assign(this.record, {
      entries: opened.entries.map((e) => toBase64Url(e)),
      state: opened.state,
      previousState: null,
      secrets: toBase64Url(opened.secrets),
      epochSecret: toBase64Url(opened.epochSecret),
      previousEpochSecret: null,
      linkSecret: toBase64Url(opened.linkSecret),
      oldLinks: [],
    } satisfies Partial<LogRecord>);
    await this.derive();
  }

  /**
   * A confirmed commit: its entry joins the log, the current epoch becomes the previous one.
   * When the link was reset and `keepOldLobby` is set, the old link stays usable to answer
   * knocks already seen in its lobby. Caller persists.
   */
  async adoptCommit(next: NextEpoch, keepOldLobby: boolean): Promise<void> {
    const r = this.record;
    const oldLink = r.linkSecret;
    const newLink = toBase64Url(next.linkSecret);
    if (keepOldLobby && oldLink !== null && oldLink !== newLink) {
      const lobby = (await deriveLobbyKeys(decode(oldLink))).relayRoomIdB64;
      if (!r.oldLinks.some((l) => l.lobby === lobby)) r.oldLinks.push({ lobby, linkSecret: oldLink });
    }
    r.entries.push(toBase64Url(next.entry));
    r.previousState = r.state;
    r.state = next.state;
    r.secrets = toBase64Url(next.secrets);
    r.previousEpochSecret = r.epochSecret;
    r.epochSecret = toBase64Url(next.epochSecret);
    r.linkSecret = newLink;
    this.previous = this.current;
    this.previousRoster = this.roster;
    this.current = next.epochKeys;
    this.roster = await loadRoster(next.state, next.epochKeys);
    await this.deriveLobbies();
  }

  /** Stops keeping an old link (its knocks are answered). Caller persists. */
  async dropOldLink(lobby: string): Promise<void> {
    this.record.oldLinks = this.record.oldLinks.filter((l) => l.lobby !== lobby);
    await this.deriveLobbies();
  }

  /** The previous epoch is no longer watched. Caller persists. */
  dropPrevious(): void {
    this.record.previousEpochSecret = null;
    this.record.previousState = null;
    this.previous = null;
    this.previousRoster = null;
  }

  /** I left or was removed: every secret goes; the entries and state stay for the history. */
  forgetSecrets(): void {
    Object.assign(this.record, { secrets: null, epochSecret: null, previousEpochSecret: null, previousState: null, linkSecret: null, oldLinks: [] });
    this.current = this.roster = this.previous = this.previousRoster = null;
    this.lobbies.clear();
  }

  persist(): Promise<void> {
    return this.vault.set(logKey(this.roomId), this.record);
  }

  private async derive(): Promise<void> {
    const r = this.record;
    if (r.state !== null && r.epochSecret !== null) {
      this.current = await epochKeysFor(r.state, decode(r.epochSecret));
      this.roster = await loadRoster(r.state, this.current);
    } else {
      this.current = this.roster = null;
    }
    if (r.previousState !== null && r.previousEpochSecret !== null) {
      this.previous = await epochKeysFor(r.previousState, decode(r.previousEpochSecret));
      this.previousRoster = await loadRoster(r.previousState, this.previous);
    } else {
      this.previous = this.previousRoster = null;
    }
    await this.deriveLobbies();
  }

  private async deriveLobbies(): Promise<void> {
    const r = this.record;
    const wanted = [...(r.linkSecret === null ? [] : [r.linkSecret]), ...r.oldLinks.map((l) => l.linkSecret)];
    const known = new Set([...this.lobbies.values()].map((l) => toBase64Url(l.linkSecret)));
    for (const secret of wanted) {
      if (known.has(secret)) continue;
      const linkSecret = decode(secret);
      const keys = await deriveLobbyKeys(linkSecret);
      this.lobbies.set(keys.relayRoomIdB64, { keys, linkSecret });
    }
    const keep = new Set(wanted);
    for (const [room, lobby] of this.lobbies) if (!keep.has(toBase64Url(lobby.linkSecret))) this.lobbies.delete(room);
  }
}
