-- Links a provider's message to a live challenge, for as long as the challenge is held.
-- KEYS[1]  the challenge hash
-- KEYS[2]  the link (a string holding the challenge id's text form)
-- ARGV     now (unix ms), the challenge id's text form
-- Reply    {1} linked | {0} no live challenge
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then
  return {0}
end
local p = tonumber(redis.call('HGET', key, 'p'))
if not p then
  return redis.error_reply('SMSOTP_CORRUPT challenge record lacks its purge time')
end
local now = tonumber(ARGV[1])
if now >= p then
  return {0}
end
-- '%.0f': Lua 5.1 would print a large number in exponent form, which PX refuses.
redis.call('SET', KEYS[2], ARGV[2], 'PX', string.format('%.0f', p - now))
return {1}
