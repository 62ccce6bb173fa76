// The append script: one message into a room's log in Redis, with everything decided on the way in, atomically
// (a Lua script runs alone): the checks every instance must see the same answer to, then the id, the stream entry,
// the byte and count caps, the loop guard, the replay cache, the rate limits' tokens, and the publish.
//
//   1. ifCaughtUp: nothing from others that the sender may see after its cursor (memory: server/cursor.ts)
//   2. the pause: agents are refused while the host or the loop guard paused them
//   3. the replay cache: a signed message's nonce, once per key (memory: room/identity.ts), bounded, with its floor
//   4. the rate limits: token buckets, all or nothing, the sender's first (memory: room/limits.ts)
//   5. INCR the id, XADD the entry, drop the oldest while over the count or the byte cap (memory: room/history.ts)
//   6. the loop guard's count of agent messages in a row; PUBLISH
//
// Time is the posting instance's clock (ARGV), as in memory, where tests inject their own.
//
// Stream entry fields: m (the message JSON, first: readers take fields[1]), c (its cost in the history, as
// history.ts counts it), f (the sender as names compare; "" for the room's own lines), t (the recipient, or "").
// The state hash: b (the kept entries' total cost), r (agent messages in a row), nf (the replay cache's floor).


/**
 * Token buckets as memory's createBucket (src/room/limits.ts) computes them, one hash per bucket (t: tokens, a: the
 * time they were counted), expiring once full again (a missing bucket is a full one). Needs `now` and `bucketPrefix`.
 * level(spec) reads one and remembers it; waitOf(list) is the longest wait among them (0: each has a token);
 * takeAll() takes one token from every bucket read.
 */
const BUCKETS_LUA = `
local function num(x) return string.format('%.17g', x) end
local buckets = {}
local function level(b)
  local key = bucketPrefix .. b.bucket .. ':' .. b.key
  local rate = b.perMinute / 60000
  local s = redis.call('HMGET', key, 't', 'a')
  local tokens = b.burst
  if s[1] then
    local elapsed = now - tonumber(s[2])
    if elapsed < 0 then elapsed = 0 end
    tokens = math.min(b.burst, tonumber(s[1]) + elapsed * rate)
  end
  table.insert(buckets, {key, tokens, rate, b.burst})
  if tokens >= 1 then return 0 end
  return math.max(1, math.ceil((1 - tokens) / rate / 1000))
end
local function waitOf(list)
  local w = 0
  for _, b in ipairs(list or {}) do w = math.max(w, level(b)) end
  return w
end
local function setAll(delta)
  for _, b in ipairs(buckets) do
    local left = math.min(b[4], b[2] + delta)
    redis.call('HSET', b[1], 't', num(left), 'a', num(now))
    redis.call('PEXPIRE', b[1], math.ceil((b[4] - left) / b[3]) + 1000)
  end
end
local function takeAll() setAll(-1) end
`;

/** KEYS: none (the buckets' keys are the prefix and the spec). ARGV: prefix, now, specs (JSON), mode. Returns the
 * longest wait in seconds (0: each bucket has a token). Modes: "take" one token from each, or none when any must
 * wait; "wait" only looks; "each" takes one from each bucket that has one (memory's take() after a failed password). */
export const BUCKETS_SCRIPT = `
local bucketPrefix = ARGV[1]
local now = tonumber(ARGV[2])
${BUCKETS_LUA}
local w = waitOf(cjson.decode(ARGV[3]))
if ARGV[4] == 'each' then
  local full = buckets
  buckets = {}
  for _, b in ipairs(full) do if b[2] >= 1 then table.insert(buckets, b) end end
  takeAll()
elseif ARGV[4] == 'take' and w == 0 then
  takeAll()
end
return w`;

/** KEYS: seq, log, state, paused, nonces, chain.
 * ARGV: message JSON without id, count cap, channel, room id, key lifetime (ms), guard (JSON), byte cap (-1: none),
 * the prefix of the rate-limit buckets' keys.
 * Returns {id, "paused"|"lifted"|""} when stored, {0, why, detail…} when refused (nothing changed). */
export const APPEND_SCRIPT = `
local g = cjson.decode(ARGV[6])
local now = g.now
local ttl = ARGV[5]
local bucketPrefix = ARGV[8]
${BUCKETS_LUA}
local function field(kv, name)
  for i = 1, #kv, 2 do if kv[i] == name then return kv[i + 1] end end
  return nil
end
local function idOf(entryId) return tonumber(string.match(entryId, '^(%d+)')) end

-- 1. ifCaughtUp
if g.caughtUpAfter then
  local after = g.caughtUpAfter
  local me = g.from or ''
  local last = tonumber(redis.call('GET', KEYS[1]) or '0')
  if after < last then
    local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
    local oldest = first[1] and idOf(first[1][1]) or (last + 1)
    local reset = after < oldest - 1
    local from = reset and oldest or (after + 1)
    local visible, words = 0, 0
    for _, e in ipairs(redis.call('XRANGE', KEYS[2], from .. '-0', '+', 'COUNT', 1000)) do
      local f, t = field(e[2], 'f') or '', field(e[2], 't') or ''
      if t == '' or t == me or f == me then
        visible = visible + 1
        if f ~= '' and f ~= me then words = words + 1 end
      end
    end
    if reset and after > 0 then words = math.max(1, visible) end
    if words > 0 then return {0, 'UNREAD_WAITING', words} end
  end
end

-- 2. the pause
if g.speaker == 'agent' then
  local p = redis.call('GET', KEYS[4])
  if p == 'host' or p == 'loop' then return {0, 'PAUSED', p} end
end

-- 3. the replay cache
local nonce = g.nonce
local floor = 0
if nonce then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. num(now - nonce.windowMs))
  floor = tonumber(redis.call('HGET', KEYS[3], 'nf') or '0')
  if nonce.sentAt <= floor then return {0, 'STALE_NONCE'} end
  if redis.call('ZSCORE', KEYS[5], nonce.id) then return {0, 'REPLAYED'} end
end

-- 4. the rate limits, checked all before any is taken
if g.limits then
  local w = waitOf(g.limits.mine)
  if w > 0 then return {0, 'RATE_LIMITED', w, 'sender'} end
  w = waitOf(g.limits.room)
  if w > 0 then return {0, 'RATE_LIMITED', w, 'room'} end
end

-- 5. the message
local id = redis.call('INCR', KEYS[1])
local json = '{"id":' .. id .. ',' .. string.sub(ARGV[1], 2)
local cost = g.cost.perChar * (g.cost.chars + string.len(tostring(id)))
redis.call('XADD', KEYS[2], id .. '-0', 'm', json, 'c', cost, 'f', g.from or '', 't', g.to or '')
local bytes = redis.call('HINCRBY', KEYS[3], 'b', cost)
local n = redis.call('XLEN', KEYS[2])
local cap = tonumber(ARGV[2])
local maxBytes = tonumber(ARGV[7])
local function over() return n > cap or (maxBytes >= 0 and bytes > maxBytes and n > 1) end
local cursor = '-'
local dropped = nil
local batch = 2 -- usually one or two go; a large message may push out many (the batch doubles)
while over() do
  for _, e in ipairs(redis.call('XRANGE', KEYS[2], cursor, '+', 'COUNT', batch)) do
    if not over() then break end
    bytes = bytes - tonumber(field(e[2], 'c') or '0')
    n = n - 1
    dropped = idOf(e[1])
    cursor = '(' .. e[1]
  end
  batch = math.min(batch * 2, 256)
end
if dropped then
  redis.call('XTRIM', KEYS[2], 'MINID', (dropped + 1) .. '-0')
  redis.call('HSET', KEYS[3], 'b', bytes)
  -- The chain hashes: the last dropped message's stays (the chain goes on from it), older ones go.
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. dropped)
end
redis.call('PEXPIRE', KEYS[6], ttl)

-- 6. tokens, nonce, loop guard, publish
takeAll()
if nonce then
  redis.call('ZADD', KEYS[5], num(nonce.sentAt), nonce.id)
  while redis.call('ZCARD', KEYS[5]) > nonce.max do
    local gone = redis.call('ZPOPMIN', KEYS[5])
    floor = math.max(floor, tonumber(gone[2]))
  end
  redis.call('HSET', KEYS[3], 'nf', num(floor))
  redis.call('PEXPIRE', KEYS[5], ttl)
end
local loop = ''
if g.speaker == 'agent' then
  local run = redis.call('HINCRBY', KEYS[3], 'r', 1)
  if (g.loopGuard or 0) > 0 and run >= g.loopGuard then
    redis.call('SET', KEYS[4], 'loop', 'PX', ttl)
    loop = 'paused'
  end
elseif g.speaker == 'human' then
  redis.call('HSET', KEYS[3], 'r', 0)
  if redis.call('GET', KEYS[4]) == 'loop' then
    redis.call('SET', KEYS[4], '', 'PX', ttl)
    loop = 'lifted'
  end
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('PUBLISH', ARGV[3], ARGV[4] .. ' ' .. json)
return {id, loop}`;
