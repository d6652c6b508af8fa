-- Links a provider's message to a live challenge, for as long as the challenge is held.
-- KEYS[1]  the challenge hash
-- KEYS[2]  the link (a string: the challenge key without the prefix, see
--          delivery.lua); left out on a Redis Cluster, where the link lives in the
--          message's slot and the store writes it in a second step
-- ARGV     now (unix ms), the link's value
-- Reply    {1} linked | {0} no live challenge | {2, ms the challenge has left} (no
--          link key given: the caller writes the link with that TTL)
local f = redis.call('HMGET', KEYS[1], 'p', 'b')
local p = tonumber(f[1])
if not (p and f[2]) then
  if f[1] or f[2] then
    return redis.error_reply('SMSOTP_CORRUPT challenge record lacks its purge time')
  end
  return {0}
end
local left = p - tonumber(ARGV[1])
if left <= 0 then
  return {0}
end
if KEYS[2] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', left)
  return {1}
end
return {2, left}
