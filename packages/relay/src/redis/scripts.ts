/**
 * The Lua scripts that make every room operation atomic across relay processes. Redis
 * runs a script to completion before any other command, so cursor assignment, XADD,
 * trimming and the fan-out publish happen as one step that every process sees in the
 * same order.
 *
 * Common arguments, in this order, for every script:
 *   ARGV[1] now (ms, integer, the caller's clock)
 *   ARGV[2] max envelopes per room
 *   ARGV[3] max bytes per room (sum of envelope lengths)
 *   ARGV[4] max age (ms), the relay's limit; a room may have a tighter one (meta.maxAge)
 *   ARGV[5] idle TTL (ms) of the room's admission key and metadata
 *
 * Keys of one room share the hash tag `{room}` so they live in one cluster slot:
 *   KEYS[1] log   stream of envelopes, id `<ms>-<seq>`, one field `e` = envelope bytes
 *   KEYS[2] meta  hash: head (last id), trimmed (highest id dropped), bytes, maxAge
 *   KEYS[3] key   the admission key (append only refreshes its TTL)
 *
 * Nothing else is stored: no origin, no addresses, no timestamps beyond the ids.
 */

/** Most entries examined per XRANGE while trimming; trimming is amortised O(1) per append. */
const TRIM_BATCH_ENTRIES = 64;

const COMMON = `
local now = tonumber(ARGV[1])
local maxCount = tonumber(ARGV[2])
local maxBytes = tonumber(ARGV[3])
local relayMaxAge = tonumber(ARGV[4])
local idleTtl = tonumber(ARGV[5])

local function effective_max_age(meta)
  local room = tonumber(redis.call('HGET', meta, 'maxAge'))
  if room and room < relayMaxAge then return room end
  return relayMaxAge
end

-- Drops the oldest entries until the log is within count, bytes and age, then records
-- the highest dropped id so a reader asking from before it is told about the gap.
-- XTRIM MAXLEN ~ would be cheaper per call but keeps up to a macro node of extra
-- entries and cannot say which ids went, so the cut point is found here and applied
-- with an exact XTRIM MINID; each entry is examined once when it is dropped.
local function trim(log, meta, maxAge)
  local len = redis.call('XLEN', log)
  if len == 0 then
    -- The log expired as a whole (its TTL is the age limit), was dropped, or never
    -- existed: everything up to head is gone.
    local head = redis.call('HGET', meta, 'head')
    if head and redis.call('HGET', meta, 'trimmed') ~= head then
      redis.call('HSET', meta, 'trimmed', head, 'bytes', 0)
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
      local ms = tonumber(string.match(id, '^(%d+)-'))
      local size = string.len(entry[2][2])
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
  redis.call('HSET', meta, 'trimmed', lastDropped, 'bytes', bytes - removedBytes)
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
 * Append. ARGV[6] envelope, ARGV[7] origin (16 bytes), ARGV[8] fan-out channel,
 * ARGV[9] sequence numbers per ms. Returns the new id.
 */
export const APPEND_SCRIPT = `${COMMON}
local log, meta, admission = KEYS[1], KEYS[2], KEYS[3]
local envelope, origin, channel = ARGV[6], ARGV[7], ARGV[8]
local seqPerMs = tonumber(ARGV[9])
local maxAge = effective_max_age(meta)

-- Cursor = stream id (see cursor.ts). Ids must strictly increase even when the
-- caller's clock is behind another process's, so the time part never goes back.
local ms, seq = now, 0
local head = redis.call('HGET', meta, 'head')
if head then
  local lastMs = tonumber(string.match(head, '^(%d+)-'))
  local lastSeq = tonumber(string.match(head, '-(%d+)$'))
  if lastMs >= now then
    ms, seq = lastMs, lastSeq + 1
    if seq >= seqPerMs then ms, seq = lastMs + 1, 0 end
  end
end
-- 0-0 is not a valid stream id, and cursor 0 means "before the first envelope".
if ms == 0 and seq == 0 then seq = 1 end
local id = string.format('%.0f-%d', ms, seq)

redis.call('XADD', log, id, 'e', envelope)
redis.call('HSET', meta, 'head', id)
redis.call('HINCRBY', meta, 'bytes', string.len(envelope))
trim(log, meta, maxAge)
expire_log(log, maxAge)
redis.call('PEXPIRE', meta, idleTtl)
redis.call('PEXPIRE', admission, idleTtl)
-- Sharded pub/sub: the channel carries the room's hash tag, so in a cluster it lives
-- on the shard that ran this script.
redis.call('SPUBLISH', channel, origin .. id .. '\\n' .. envelope)
return id
`;

/**
 * Read. ARGV[6] XRANGE start ('-' or '(<id>'), ARGV[7] count.
 * Returns { head id or '', trimmed id or '', entries }.
 */
export const READ_SCRIPT = `${COMMON}
local log, meta = KEYS[1], KEYS[2]
-- Trim first: an envelope past its age (disappearing messages) is never served.
trim(log, meta, effective_max_age(meta))
local entries = redis.call('XRANGE', log, ARGV[6], '+', 'COUNT', tonumber(ARGV[7]))
return { redis.call('HGET', meta, 'head') or '', redis.call('HGET', meta, 'trimmed') or '', entries }
`;

/** Tighten the room's max age to ARGV[6] ms (never loosens), then trim. */
export const SET_MAX_AGE_SCRIPT = `${COMMON}
local log, meta = KEYS[1], KEYS[2]
local requested = tonumber(ARGV[6])
local current = tonumber(redis.call('HGET', meta, 'maxAge'))
if not current or requested < current then
  redis.call('HSET', meta, 'maxAge', requested)
end
local maxAge = effective_max_age(meta)
trim(log, meta, maxAge)
expire_log(log, maxAge)
redis.call('PEXPIRE', meta, idleTtl)
return 1
`;

/** Trim only (periodic sweep). Returns { entries retained, bytes retained }. */
export const SWEEP_SCRIPT = `${COMMON}
local log, meta = KEYS[1], KEYS[2]
trim(log, meta, effective_max_age(meta))
return { redis.call('XLEN', log), tonumber(redis.call('HGET', meta, 'bytes')) or 0 }
`;
