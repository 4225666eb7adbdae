/**
 * The Lua scripts that make every room operation atomic across relay processes. Redis
 * runs a script to completion before any other command, so cursor assignment, XADD,
 * trimming and the fan-out publish happen as one step that every process sees in the
 * same order.
 *
 * Common arguments, in this order, for the room scripts (append, read, sweep):
 *   ARGV[1] now (ms, integer, the caller's clock)
 *   ARGV[2] max envelopes per room
 *   ARGV[3] max bytes per room (sum of envelope lengths)
 *   ARGV[4] max age (ms), the relay's limit; a room registered with less keeps meta.maxAge
 *   ARGV[5] idle TTL (ms) of the room's admission key, metadata and pinned envelopes
 *   ARGV[6] a fresh epoch, used only if the room has to start a new incarnation
 *
 * Keys of one room share the hash tag `{room}` so they live in one cluster slot:
 *   KEYS[1] log   stream of unpinned envelopes, id `<cursor>-0`, fields `t` = time (ms),
 *                 `e` = envelope bytes
 *   KEYS[2] meta  hash: epoch (the incarnation), head (last cursor, an INCR counter),
 *                 logged (last cursor put in the log), trimmed (highest cursor dropped),
 *                 bytes (log bytes), pinnedBytes, lastT (latest `t`), maxAge
 *   KEYS[3] key   the admission key (append only refreshes its TTL)
 *   KEYS[4] pins  hash: cursor → envelope, the pinned envelopes (never trimmed)
 *
 * Cursors are contiguous per incarnation (1, 2, 3, …): the stream id carries the cursor, and
 * its time goes in the entry, so age trimming still reads entries oldest first.
 *
 * Nothing else is stored: no origin, no addresses, no timestamps beyond `t`.
 */

/** Most entries examined per XRANGE while trimming; trimming is amortised O(1) per append. */
const TRIM_BATCH_ENTRIES = 64;

const COMMON = `
local now = tonumber(ARGV[1])
local maxCount = tonumber(ARGV[2])
local maxBytes = tonumber(ARGV[3])
local relayMaxAge = tonumber(ARGV[4])
local idleTtl = tonumber(ARGV[5])
local freshEpoch = ARGV[6]

local function effective_max_age(meta)
  local room = tonumber(redis.call('HGET', meta, 'maxAge'))
  if room and room < relayMaxAge then return room end
  return relayMaxAge
end

-- The room's epoch, starting a new incarnation when its metadata is gone (Redis lost its
-- data, or the metadata expired): cursors restart at 1 under an epoch no client has seen,
-- and what is left of the old incarnation goes, so the two never mix.
local function ensure_epoch(log, meta, pins)
  local epoch = redis.call('HGET', meta, 'epoch')
  if epoch then return epoch end
  redis.call('DEL', log, pins)
  redis.call('HSET', meta, 'epoch', freshEpoch, 'head', 0, 'logged', 0, 'trimmed', 0, 'bytes', 0, 'pinnedBytes', 0)
  return freshEpoch
end

-- Drops the oldest entries until the log is within count, bytes and age, then records
-- the highest dropped cursor so a reader asking from before it is told about the gap.
-- XTRIM MAXLEN ~ would be cheaper per call but keeps up to a macro node of extra
-- entries and cannot say which ids went, so the cut point is found here and applied
-- with an exact XTRIM MINID; each entry is examined once when it is dropped.
local function trim(log, meta, maxAge)
  local len = redis.call('XLEN', log)
  if len == 0 then
    -- The log expired as a whole (its TTL is the age limit), was dropped, or never
    -- existed: every cursor it held is gone (pinned ones are not in it).
    local logged = redis.call('HGET', meta, 'logged')
    if logged and redis.call('HGET', meta, 'trimmed') ~= logged then
      redis.call('HSET', meta, 'trimmed', logged, 'bytes', 0)
    end
    return
  end
  local bytes = tonumber(redis.call('HGET', meta, 'bytes')) or 0
  local minMs = now - maxAge
  local dropCount = len - maxCount
  local removed, removedBytes = 0, 0
  local lastDropped, firstKept = nil, nil
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
        break
      end
    end
    if lastDropped then start = '(' .. lastDropped end
  end
  if removed == 0 then return end
  if firstKept then
    redis.call('XTRIM', log, 'MINID', firstKept)
  else
    redis.call('DEL', log)
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
 * Append. ARGV[7] envelope, ARGV[8] origin (16 bytes), ARGV[9] fan-out channel,
 * ARGV[10] '1' when pinned, ARGV[11] max pinned envelopes per room. Returns the new
 * cursor, or 0 when a pinned append was refused because the room holds ARGV[11] already.
 */
export const APPEND_SCRIPT = `${COMMON}
local log, meta, admission, pins = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local envelope, origin, channel = ARGV[7], ARGV[8], ARGV[9]
local pinned = ARGV[10] == '1'
local maxPinned = tonumber(ARGV[11])
ensure_epoch(log, meta, pins)
if pinned and redis.call('HLEN', pins) >= maxPinned then return 0 end

local cursor = redis.call('HINCRBY', meta, 'head', 1)
local cursorText = string.format('%.0f', cursor)
if pinned then
  redis.call('HSET', pins, cursorText, envelope)
  redis.call('HINCRBY', meta, 'pinnedBytes', string.len(envelope))
else
  -- Entry times never go back, so trimming by age can stop at the first entry it keeps
  -- even when relay processes' clocks disagree a little.
  local t = now
  local lastT = tonumber(redis.call('HGET', meta, 'lastT'))
  if lastT and lastT > t then t = lastT end
  local maxAge = effective_max_age(meta)
  redis.call('XADD', log, cursorText .. '-0', 't', string.format('%.0f', t), 'e', envelope)
  redis.call('HSET', meta, 'logged', cursorText, 'lastT', string.format('%.0f', t))
  redis.call('HINCRBY', meta, 'bytes', string.len(envelope))
  trim(log, meta, maxAge)
  expire_log(log, maxAge)
end
redis.call('PEXPIRE', meta, idleTtl)
redis.call('PEXPIRE', admission, idleTtl)
redis.call('PEXPIRE', pins, idleTtl)
-- Sharded pub/sub: the channel carries the room's hash tag, so in a cluster it lives
-- on the shard that ran this script.
redis.call('SPUBLISH', channel, origin .. cursorText .. '\\n' .. envelope)
return cursor
`;

/**
 * Read. ARGV[7] XRANGE start ('-' or '(<cursor>-0'), ARGV[8] count, ARGV[9] the cursor
 * read after (pinned envelopes above it are returned). Returns { head, trimmed, epoch or
 * '' when the room is unknown, log entries, pinned envelopes as cursor, envelope, … }.
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
trim(log, meta, effective_max_age(meta))
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
trim(log, meta, effective_max_age(meta))
local bytes = (tonumber(redis.call('HGET', meta, 'bytes')) or 0) + (tonumber(redis.call('HGET', meta, 'pinnedBytes')) or 0)
return { redis.call('XLEN', log) + redis.call('HLEN', pins), bytes }
`;
