-- Reserves one use against several fixed-window limits, all or nothing, in one atomic
-- step: every limit is checked first, and only if all have room are all charged.
-- release.lua gives a reservation back when the use does not happen.
-- KEYS[i]  counter hash of limit i: n = units used, e = window end (unix ms). On a
--          Redis Cluster the store calls this once per slot with that slot's limits.
-- ARGV     now, then per limit: limit, key TTL (the window in ms, at least 1), cost,
--          end of a window opened now
-- Reply    {1} allowed | {0, index (0-based) of the first full limit, its window end}
local now = tonumber(ARGV[1])
local fresh = {}
for i = 1, #KEYS do
  local base = 4 * (i - 1) + 1
  local f = redis.call('HMGET', KEYS[i], 'n', 'e')
  local n, e = tonumber(f[1]), tonumber(f[2])
  if (f[1] or f[2]) and not (n and e) then
    return redis.error_reply('SMSOTP_CORRUPT rate counter lacks a field')
  end
  -- The window is over when the key has expired (Redis clock) or its end has passed
  -- (app clock, the one every other decision uses).
  if not n or e <= now then
    n = 0
    e = tonumber(ARGV[base + 4])
    fresh[i] = true
  end
  if n + tonumber(ARGV[base + 3]) > tonumber(ARGV[base + 1]) then
    return {0, i - 1, e}
  end
end
local opened = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local base = 4 * (i - 1) + 1
  -- A key listed twice opens its window once and is charged twice, as the in-memory
  -- store does. Values are the ARGV strings themselves: exact, and nothing to format.
  if fresh[i] and not opened[key] then
    opened[key] = true
    redis.call('HSET', key, 'n', ARGV[base + 3], 'e', ARGV[base + 4])
    -- Fixed window: the TTL is set when the window opens and never extended.
    redis.call('PEXPIRE', key, ARGV[base + 2])
  else
    redis.call('HINCRBY', key, 'n', ARGV[base + 3])
  end
end
return {1}
