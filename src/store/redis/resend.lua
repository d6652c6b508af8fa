-- Records a resend: adds the new code's digest and restarts the cooldown, in one
-- atomic step. Never touches the attempt count or the expiry (nor the key's TTL).
-- KEYS[1]  the challenge hash (see create.lua)
-- ARGV     now, next resend_at (unix ms), new digest, the claimed binding tag
-- Reply    {0} not found | {1} expired | {2} locked | {3} max sends
--          | {4, resend_at} cooldown
--          | {5, expires_at, resend_at, attempts_left, sends_left, delivery[, provider]}
--            with delivery -1 when none was reported, else followed by its provider
local key = KEYS[1]
local f = redis.call('HMGET', key, 'p', 'b', 'e', 'r', 'a', 'ma', 's', 'ms', 'd', 'ds', 'dp')
local p, b, e, r, a, ma, s, ms, d = tonumber(f[1]), f[2], tonumber(f[3]), tonumber(f[4]),
  tonumber(f[5]), tonumber(f[6]), tonumber(f[7]), tonumber(f[8]), f[9]
if not (p and b and e and r and a and ma and s and ms and d) then
  if f[1] or f[2] or f[3] or f[4] or f[5] or f[6] or f[7] or f[8] or f[9] then
    return redis.error_reply('SMSOTP_CORRUPT challenge record lacks a field')
  end
  return {0}
end
local now = tonumber(ARGV[1])
if now >= p then
  redis.call('DEL', key)
  return {0}
end
-- Another binding is a stranger: nothing changes. Tags are keyed HMACs; string
-- equality is a pointer comparison (see check.lua).
if b ~= ARGV[4] then
  return {0}
end
if now >= e then
  return {1}
end
if a >= ma then
  return {2}
end
if s >= ms then
  return {3}
end
if now < r then
  return {4, r}
end
s = s + 1
redis.call('HSET', key, 'd', d .. ARGV[3], 's', s, 'r', ARGV[2])
-- The new message starts with no report; the old one's goes back below.
redis.call('HDEL', key, 'ds', 'dp')
local ds = tonumber(f[10])
if ds and f[11] then
  return {5, e, tonumber(ARGV[2]), ma - a, ms - s, ds, f[11]}
end
return {5, e, tonumber(ARGV[2]), ma - a, ms - s, -1}
