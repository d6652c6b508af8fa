-- Reads where a challenge stands. Read only.
-- KEYS[1]  the challenge hash
-- ARGV     now (unix ms)
-- Reply    {0} not held
--          | {1, phase, expires_at, resend_at, attempts_left, sends_left, delivery}
--          with phase 0 pending, 1 expired, 2 locked; delivery -1 when none reported
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then
  return {0}
end
local f = redis.call('HMGET', key, 'e', 'p', 'r', 'a', 'ma', 's', 'ms', 'ds')
local e, p, r, a, ma, s, ms = tonumber(f[1]), tonumber(f[2]), tonumber(f[3]),
  tonumber(f[4]), tonumber(f[5]), tonumber(f[6]), tonumber(f[7])
if not (e and p and r and a and ma and s and ms) then
  return redis.error_reply('SMSOTP_CORRUPT challenge record lacks a field')
end
local now = tonumber(ARGV[1])
if now >= p then
  return {0}
end
local phase = 0
if now >= e then
  phase = 1
elseif a >= ma then
  phase = 2
end
return {1, phase, e, r, math.max(ma - a, 0), math.max(ms - s, 0), tonumber(f[8]) or -1}
