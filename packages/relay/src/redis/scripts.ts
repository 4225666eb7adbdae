/**
 * The Lua scripts that make every room operation atomic across relay processes. Redis
 * runs a script to completion before any other command, so cursor assignment, XADD,
 * trimming and the fan-out publish happen as one step that every process sees in the
 * same order.
 *
 * Common arguments, in this order, for the room scripts (append, read, register, sweep):
 *   ARGV[1] now (ms, integer, the caller's clock)
 *   ARGV[2] max envelopes per room
 *   ARGV[3] max bytes per room (sum of envelope lengths)
 *   ARGV[4] max age (ms), the relay's limit; a room registered with less keeps meta.maxAge
 *   ARGV[5] idle TTL (ms) of the room's admission key, metadata, pinned envelopes and processes
 *   ARGV[6] a fresh epoch, used only if the room has to start a new incarnation
 *
 * Keys of one room share the hash tag `{room}` so they live in one cluster slot, in this
 * order (the append batch takes them for each room it holds):
 *   log    stream of unpinned envelopes, id `<cursor>-0`, fields `t` = time (ms),
 *          `e` = envelope bytes
 *   meta   hash: epoch (the incarnation), head (last cursor), logged (last cursor put in
 *          the log), trimmed (highest cursor dropped), bytes (log bytes), pinnedBytes,
 *          lastT (latest `t`), firstT (`t` of the oldest entry in the log), maxAge,
 *          touched (when the idle TTLs were last refreshed)
 *   key    the admission key (append only refreshes its TTL)
 *   pins   hash: cursor → envelope, the pinned envelopes (never trimmed)
 *   procs  hash: process id → 1, the relay processes with members in the room (fanout.ts)
 *
 * Cursors are contiguous per incarnation (1, 2, 3, …): the stream id carries the cursor, and
 * its time goes in the entry, so age trimming still reads entries oldest first.
 *
 * Nothing else is stored: no addresses, no timestamps beyond `t`, and of the relay
 * processes only their random ids.
 */

/** Most entries examined per XRANGE while trimming; trimming is amortised O(1) per append. */
const TRIM_BATCH_ENTRIES = 64;
/**
 * Appends refresh a room's idle TTLs (30 days by default) at most this often, ms: four
 * PEXPIREs per envelope were a fifth of the append's cost, and a minute changes nothing
 * about when an idle room goes.
 */
export const TTL_REFRESH_MS = 60_000;

const COMMON = `
local now = tonumber(ARGV[1])
local maxCount = tonumber(ARGV[2])
local maxBytes = tonumber(ARGV[3])
local relayMaxAge = tonumber(ARGV[4])
local idleTtl = tonumber(ARGV[5])
local freshEpoch = ARGV[6]

local function effective_max_age(roomMaxAge)
  local room = tonumber(roomMaxAge)
  if room and room < relayMaxAge then return room end
  return relayMaxAge
end

-- Starts a new incarnation when the room's metadata is gone (Redis lost its data, or the
-- metadata expired): cursors restart at 1 under an epoch no client has seen, and what is
-- left of the old incarnation goes, so the two never mix.
local function new_incarnation(log, meta, pins)
  redis.call('DEL', log, pins)
  redis.call('HSET', meta, 'epoch', freshEpoch, 'head', 0, 'logged', 0, 'trimmed', 0, 'bytes', 0, 'pinnedBytes', 0)
  return freshEpoch
end

local function ensure_epoch(log, meta, pins)
  local epoch = redis.call('HGET', meta, 'epoch')
  if epoch then return epoch end
  return new_incarnation(log, meta, pins)
end

-- Drops the oldest entries until the log is within count, bytes and age, then records
-- the highest dropped cursor so a reader asking from before it is told about the gap, and
-- the time of the oldest entry kept (so an append knows without reading whether trimming
-- is due). XTRIM MAXLEN ~ would be cheaper per call but keeps up to a macro node of extra
-- entries and cannot say which ids went, so the cut point is found here and applied with an
-- exact XTRIM MINID; each entry is examined once when it is dropped.
local function trim(log, meta, maxAge)
  local len = redis.call('XLEN', log)
  if len == 0 then
    -- The log expired as a whole (its TTL is the age limit), was dropped, or never
    -- existed: every cursor it held is gone (pinned ones are not in it).
    local logged = redis.call('HGET', meta, 'logged')
    if logged and redis.call('HGET', meta, 'trimmed') ~= logged then
      redis.call('HSET', meta, 'trimmed', logged, 'bytes', 0)
    end
    redis.call('HDEL', meta, 'firstT')
    return
  end
  local bytes = tonumber(redis.call('HGET', meta, 'bytes')) or 0
  local minMs = now - maxAge
  local dropCount = len - maxCount
  local removed, removedBytes = 0, 0
  local lastDropped, firstKept, firstKeptT = nil, nil, nil
  local start = '-'
  -- Usually nothing is due and one look at the oldest entry settles it; the batch
  -- grows only while entries are being dropped (XRANGE copies whole envelopes).
  local batchSize = 1
  while not firstKept do
    local batch = redis.call('XRANGE', log, start, '+', 'COUNT', batchSize)
    batchSize = math.min(batchSize * 2, ${TRIM_BATCH_ENTRIES})
    if #batch == 0 then break end
    for _, entry in ipairs(batch) do
      local id = entry[1]
      local ms = tonumber(entry[2][2])
      local size = string.len(entry[2][4])
      if removed < dropCount or bytes - removedBytes > maxBytes or ms < minMs then
        removed = removed + 1
        removedBytes = removedBytes + size
        lastDropped = id
      else
        firstKept = id
        firstKeptT = entry[2][2]
        break
      end
    end
    if lastDropped then start = '(' .. lastDropped end
  end
  if removed == 0 then
    redis.call('HSET', meta, 'firstT', firstKeptT)
    return
  end
  if firstKept then
    redis.call('XTRIM', log, 'MINID', firstKept)
    redis.call('HSET', meta, 'firstT', firstKeptT)
  else
    redis.call('DEL', log)
    redis.call('HDEL', meta, 'firstT')
  end
  redis.call('HSET', meta, 'trimmed', string.match(lastDropped, '^(%d+)-'), 'bytes', bytes - removedBytes)
end

local function expire_log(log, maxAge)
  -- The newest entry is at most maxAge old when this runs, so the whole log may go
  -- when maxAge has passed without an append: no envelope outlives the age limit at
  -- rest even in a room no process looks at again.
  if redis.call('EXISTS', log) == 1 then
    redis.call('PEXPIRE', log, math.max(maxAge, 1))
  end
end
`;

/**
 * The appends of one event-loop turn of one relay process, for any number of rooms, in one
 * call (append-batch.ts builds it). ARGV[7] this process's id, ARGV[8] the channel prefix
 * (a process's channel is prefix .. id), ARGV[9] max pinned envelopes per room, ARGV[10]
 * the key prefix (a room's keys are prefix .. ':{' .. room .. '}:' .. part, as above),
 * ARGV[11] the batch: one binary string holding every group (a room and the epoch its
 * appends expect), so a turn of n envelopes is one argument rather than 2n + 8 per room,
 * which is what the relay spent its Redis time encoding. Each group, big-endian:
 *
 *   u8 room length ‖ room ‖ u8 epoch length ‖ expected epoch ('' for any) ‖ u32 count ‖
 *   count × ( u8 pinned (1 or 0) ‖ u32 envelope length ‖ envelope )
 *
 * The script names the room's keys itself: like any batch over several rooms it is for a
 * single Redis, not a cluster (a cluster would take one call per shard; see
 * docs/BENCHMARKS.md on sharding).
 *
 * For each group: when the room's epoch is not the one expected, nothing is stored and the
 * group answers '!' .. epoch (the room's incarnation changed: the caller finds out how).
 * Otherwise every envelope takes the next cursor, the room is trimmed once, and the group
 * answers its epoch then one cursor per envelope (0 for a pinned one refused past the
 * limit). Then every other process listed in a room's procs gets, on its own channel, one
 * message with its rooms' new envelopes (fanout.ts has the layout); a process nobody listens
 * for any more (PUBLISH reached no one) is taken off those rooms.
 */
export const APPEND_BATCH_SCRIPT = `${COMMON}
local self, channelPrefix = ARGV[7], ARGV[8]
local maxPinned = tonumber(ARGV[9])
local keyPrefix, batch = ARGV[10], ARGV[11]
local reply = {}
local outbox, outboxRooms = {}, {}
local pos, size = 1, string.len(batch)
while pos <= size do
  local roomLength = string.byte(batch, pos)
  local room = string.sub(batch, pos + 1, pos + roomLength)
  pos = pos + 1 + roomLength
  local expectedLength = string.byte(batch, pos)
  local expected = string.sub(batch, pos + 1, pos + expectedLength)
  pos = pos + 1 + expectedLength
  local count = struct.unpack('>I4', batch, pos)
  pos = pos + 4
  local base = keyPrefix .. ':{' .. room .. '}:'
  local log, meta, admission, pins, procs = base .. 'log', base .. 'meta', base .. 'key', base .. 'pins', base .. 'procs'
  local m = redis.call('HMGET', meta, 'epoch', 'head', 'lastT', 'maxAge', 'bytes', 'pinnedBytes', 'firstT', 'touched', 'logged', 'trimmed')
  local epoch = m[1]
  if expected ~= '' and epoch ~= expected then
    reply[#reply + 1] = '!' .. (epoch or '')
    for i = 1, count do pos = pos + 5 + struct.unpack('>I4', batch, pos + 1) end
  else
    if not epoch then epoch = new_incarnation(log, meta, pins) m = { epoch, '0', false, false, '0', '0', false, false, '0', '0' } end
    reply[#reply + 1] = epoch
    local head = tonumber(m[2]) or 0
    local maxAge = effective_max_age(m[4])
    local bytes = tonumber(m[5]) or 0
    local pinnedBytes = tonumber(m[6]) or 0
    local firstT = tonumber(m[7])
    -- Entry times never go back, so trimming by age can stop at the first entry it keeps
    -- even when relay processes' clocks disagree a little.
    local t = now
    local lastT = tonumber(m[3])
    if lastT and lastT > t then t = lastT end
    local tText = string.format('%.0f', t)
    local len = redis.call('XLEN', log)
    local fields = {}
    if len == 0 then
      -- The log expired as a whole since the last append: what it held is gone.
      bytes, firstT = 0, nil
      if m[9] and m[9] ~= m[10] then fields[#fields + 1] = 'trimmed' fields[#fields + 1] = m[9] end
    end
    local pinCount = nil
    local logged = nil
    local entries = {}
    for i = 1, count do
      local pinned = string.byte(batch, pos) == 1
      local length = struct.unpack('>I4', batch, pos + 1)
      local envelope = string.sub(batch, pos + 5, pos + 4 + length)
      pos = pos + 5 + length
      if pinned then pinCount = pinCount or redis.call('HLEN', pins) end
      if pinned and pinCount >= maxPinned then
        reply[#reply + 1] = 0
      else
        head = head + 1
        local cursorText = string.format('%.0f', head)
        if pinned then
          pinCount = pinCount + 1
          redis.call('HSET', pins, cursorText, envelope)
          pinnedBytes = pinnedBytes + string.len(envelope)
        else
          redis.call('XADD', log, cursorText .. '-0', 't', tText, 'e', envelope)
          bytes = bytes + string.len(envelope)
          len = len + 1
          logged = cursorText
          if not firstT then firstT = t end
        end
        reply[#reply + 1] = head
        entries[#entries + 1] = head
        entries[#entries + 1] = envelope
      end
    end
    local fresh = #entries / 2
    if fresh > 0 then
      local n = #fields
      fields[n + 1], fields[n + 2], fields[n + 3], fields[n + 4] = 'head', string.format('%.0f', head), 'bytes', bytes
      if pinCount then fields[n + 5], fields[n + 6] = 'pinnedBytes', pinnedBytes end
      if logged then
        n = #fields
        fields[n + 1], fields[n + 2], fields[n + 3], fields[n + 4], fields[n + 5], fields[n + 6] = 'logged', logged, 'lastT', tText, 'firstT', string.format('%.0f', firstT)
      end
      local touched = tonumber(m[8])
      local refresh = not touched or now - touched >= ${TTL_REFRESH_MS} or now < touched
      if refresh then fields[#fields + 1] = 'touched' fields[#fields + 1] = ARGV[1] end
      redis.call('HSET', meta, unpack(fields))
      if logged then
        if len > maxCount or bytes > maxBytes or firstT < now - maxAge then trim(log, meta, maxAge) end
        -- See expire_log; the log was just written to, so no EXISTS first (a log trimming
        -- emptied is gone, and PEXPIRE on it does nothing).
        redis.call('PEXPIRE', log, math.max(maxAge, 1))
      end
      if refresh then
        for _, key in ipairs({ meta, admission, pins, procs }) do redis.call('PEXPIRE', key, idleTtl) end
      end
      local section = nil
      for _, process in ipairs(redis.call('HKEYS', procs)) do
        if process ~= self then
          -- Built only when another process has members here (one process: never).
          if not section then
            local parts = { struct.pack('>B', string.len(room)) .. room .. struct.pack('>B', string.len(epoch)) .. epoch .. struct.pack('>I4', fresh) }
            for i = 1, #entries, 2 do
              parts[#parts + 1] = struct.pack('>dI4', entries[i], string.len(entries[i + 1]))
              parts[#parts + 1] = entries[i + 1]
            end
            section = table.concat(parts)
          end
          local queue = outbox[process]
          if not queue then
            queue = {}
            outbox[process] = queue
            outboxRooms[process] = {}
          end
          queue[#queue + 1] = section
          local rooms = outboxRooms[process]
          rooms[#rooms + 1] = procs
        end
      end
    elseif #fields > 0 then
      redis.call('HSET', meta, unpack(fields))
    end
  end
end
for process, queue in pairs(outbox) do
  if redis.call('PUBLISH', channelPrefix .. process, table.concat(queue)) == 0 then
    for _, procs in ipairs(outboxRooms[process]) do redis.call('HDEL', procs, process) end
  end
end
return reply
`;

/**
 * Read. KEYS log, meta, key, pins; ARGV[7] XRANGE start ('-' or '(<cursor>-0'), ARGV[8]
 * count, ARGV[9] the cursor read after (pinned envelopes above it are returned). Returns
 * { head, trimmed, epoch or '' when the room is unknown, log entries, pinned envelopes as
 * cursor, envelope, … }.
 */
export const READ_SCRIPT = `${COMMON}
local log, meta, admission, pins = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local after = tonumber(ARGV[9])
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then
  -- A registered room whose metadata is gone starts a new incarnation; an unknown room
  -- is only reported as such (a read creates nothing).
  if redis.call('EXISTS', admission) == 0 then return { '0', '0', '', {}, {} } end
  epoch = ensure_epoch(log, meta, pins)
end
-- Trim first: an envelope past its age (disappearing messages) is never served.
trim(log, meta, effective_max_age(redis.call('HGET', meta, 'maxAge')))
local entries = redis.call('XRANGE', log, ARGV[7], '+', 'COUNT', tonumber(ARGV[8]))
local pinned = {}
local all = redis.call('HGETALL', pins)
for index = 1, #all, 2 do
  if tonumber(all[index]) > after then
    pinned[#pinned + 1] = all[index]
    pinned[#pinned + 1] = all[index + 1]
  end
end
return { redis.call('HGET', meta, 'head') or '0', redis.call('HGET', meta, 'trimmed') or '0', epoch, entries, pinned }
`;

/**
 * Registration of this process as one with members in the room. KEYS log, meta, key, pins,
 * procs; ARGV[7] this process's id. From this script on, every append to the room reaches
 * the process (APPEND_BATCH_SCRIPT), so what it returns is where its feed starts. Returns
 * {} when the room has no admission key (unknown, or forgotten), else { epoch, head, the
 * room's own max age or '', admission key }; a registered room whose metadata is gone
 * starts a new incarnation here.
 */
export const REGISTER_SCRIPT = `${COMMON}
local log, meta, admission, pins, procs = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local key = redis.call('GET', admission)
if not key then return {} end
local epoch = ensure_epoch(log, meta, pins)
redis.call('HSET', procs, ARGV[7], '1')
for _, name in ipairs({ meta, admission, pins, procs }) do redis.call('PEXPIRE', name, idleTtl) end
return { epoch, redis.call('HGET', meta, 'head') or '0', redis.call('HGET', meta, 'maxAge') or '', key }
`;

/**
 * A new incarnation for a room whose history went back (membership.ts). KEYS log, meta, key,
 * pins; ARGV[7] the epoch the caller's members are in, ARGV[8] the highest cursor the caller
 * knows existed in it. When the room is still in that epoch with a head below that cursor,
 * what is left of it goes and cursors restart at 1 under the fresh epoch, keeping the
 * admission key and the room's retention age; otherwise nothing changes (another process
 * did it first, or nothing went back). Returns the room's epoch afterwards ('' if unknown).
 */
export const RESTART_SCRIPT = `${COMMON}
local log, meta, admission, pins = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then return '' end
if epoch == ARGV[7] and (tonumber(redis.call('HGET', meta, 'head')) or 0) < tonumber(ARGV[8]) then
  redis.call('HDEL', meta, 'firstT', 'lastT', 'touched')
  epoch = new_incarnation(log, meta, pins)
  redis.call('PEXPIRE', meta, idleTtl)
end
return epoch
`;

/**
 * Registration. KEYS[1] key, KEYS[2] meta, KEYS[3] log, KEYS[4] pins; ARGV[1] admission key,
 * ARGV[2] idle TTL (ms), ARGV[3] the room's max age (ms), ARGV[4] a fresh epoch. Sets the key
 * unless one is registered and then starts the room's new incarnation; returns the key
 * registered before (nil when this call registered it).
 */
export const CLAIM_SCRIPT = `
local key, meta, log, pins = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local previous = redis.call('GET', key)
if previous then return previous end
redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
-- Whatever a forgotten incarnation left behind is not part of the new one.
redis.call('DEL', meta, log, pins)
redis.call('HSET', meta, 'epoch', ARGV[4], 'head', 0, 'logged', 0, 'trimmed', 0, 'bytes', 0, 'pinnedBytes', 0, 'maxAge', ARGV[3])
redis.call('PEXPIRE', meta, ARGV[2])
return false
`;

/**
 * The admission key, refreshing the TTLs of the key, the metadata and the pinned envelopes
 * (a room people keep joining stays registered with its commits and its cursor counter).
 * KEYS[1] key, KEYS[2] meta, KEYS[3] pins; ARGV[1] idle TTL (ms).
 */
export const ADMISSION_KEY_SCRIPT = `
local key = redis.call('GET', KEYS[1])
if key then
  for index = 1, 3 do redis.call('PEXPIRE', KEYS[index], ARGV[1]) end
end
return key
`;

/** Trim only (periodic sweep). Returns { envelopes retained, bytes retained }, pinned included. */
export const SWEEP_SCRIPT = `${COMMON}
local log, meta, admission, pins = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
trim(log, meta, effective_max_age(redis.call('HGET', meta, 'maxAge')))
local bytes = (tonumber(redis.call('HGET', meta, 'bytes')) or 0) + (tonumber(redis.call('HGET', meta, 'pinnedBytes')) or 0)
return { redis.call('XLEN', log) + redis.call('HLEN', pins), bytes }
`;
