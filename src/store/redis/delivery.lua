-- Records a delivery report on the challenge a message is linked to.
-- KEYS[1]  on a single server: the link (see link.lua), read here; on a Redis
--          Cluster: the challenge hash itself, since the store has read the link in
--          its own slot first
-- ARGV     now (unix ms), delivery code, provider name, and on a single server the
--          key prefix
-- Reply    {0} no live challenge | {1, challenge id text} (single server) | {1}
-- On a single server the challenge's key is only known once the link is read, so it
-- is not in KEYS: a standalone Redis allows that, a cluster would not.
local key, id = KEYS[1], nil
if ARGV[4] then
  local link = redis.call('GET', KEYS[1])
  if not link then
    return {0}
  end
  key = ARGV[4] .. ':' .. link
  -- The link is '{group}:<id>': the id starts after the 7-character tag and colon.
  id = string.sub(link, 8)
end
local f = redis.call('HMGET', key, 'p', 'b', 'ds')
local p = tonumber(f[1])
if not (p and f[2]) then
  if f[1] or f[2] then
    return redis.error_reply('SMSOTP_CORRUPT challenge record lacks its purge time')
  end
  return {0}
end
if tonumber(ARGV[1]) >= p then
  return {0}
end
-- A report that gets less far than the one held (a stale or replayed "failed" after
-- "delivered") leaves it. Progress: pending 0, failed 1, delivered 2; the codes are
-- 0 pending, 1 delivered, 2 and 3 failed.
local progress = {[0] = 0, [1] = 2, [2] = 1, [3] = 1}
local held = progress[tonumber(f[3]) or -1] or -1
if held <= (progress[tonumber(ARGV[2])] or 0) then
  redis.call('HSET', key, 'ds', ARGV[2], 'dp', ARGV[3])
end
if id then
  return {1, id}
end
return {1}
