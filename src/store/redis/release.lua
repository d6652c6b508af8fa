-- Gives back what reserve.lua took for a use that did not happen, in one atomic step.
-- KEYS[i]  counter hash of limit i (as reserve.lua keeps it). On a Redis Cluster the
--          store calls this once per slot with that slot's limits.
-- ARGV     reserved_at (unix ms), then per limit: cost, window (ms)
-- Reply    {1}
-- A counter goes down by the cost (never below zero) only while its window is still
-- the one that held reserved_at: a window that has ended, or a newer one, owes nothing.
local at = tonumber(ARGV[1])
for i = 1, #KEYS do
  local base = 2 * (i - 1) + 1
  local f = redis.call('HMGET', KEYS[i], 'n', 'e')
  local n, e = tonumber(f[1]), tonumber(f[2])
  if (f[1] or f[2]) and not (n and e) then
    return redis.error_reply('SMSOTP_CORRUPT rate counter lacks a field')
  end
  local cost, window = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
  if n and e > at and e - window <= at then
    -- Numbers handed to redis.call go out exactly (integers below 2^53).
    redis.call('HSET', KEYS[i], 'n', math.max(n - cost, 0))
  end
end
return {1}
