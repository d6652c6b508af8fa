-- Records a delivery report on the challenge a message is linked to.
-- KEYS[1]  the link (see link.lua)
-- ARGV     now (unix ms), key prefix, delivery code, provider name
-- Reply    {0} no live challenge | {1, challenge id text}
-- The challenge's key is only known once the link is read, so it is not in KEYS: this
-- script needs a single Redis (or one primary), not a cluster.
local id = redis.call('GET', KEYS[1])
if not id then
  return {0}
end
local key = ARGV[2] .. ':{' .. id .. '}'
if redis.call('EXISTS', key) == 0 then
  return {0}
end
local p = tonumber(redis.call('HGET', key, 'p'))
if not p then
  return redis.error_reply('SMSOTP_CORRUPT challenge record lacks its purge time')
end
if tonumber(ARGV[1]) >= p then
  return {0}
end
redis.call('HSET', key, 'ds', ARGV[3], 'dp', ARGV[4])
return {1, id}
