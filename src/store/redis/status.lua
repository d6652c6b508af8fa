-- Reads where a challenge stands. Read only.
-- KEYS[1]  the challenge hash
-- ARGV     now (unix ms)[, a binding tag: the challenge as that binding sees it]
-- Reply    {0} not held (or, with a tag, held for another binding)
--          | {1, phase, expires_at, resend_at, attempts_left, sends_left, delivery}
--          with phase 0 pending, 1 expired, 2 locked; delivery -1 when none reported
local f = redis.call('HMGET', KEYS[1], 'p', 'e', 'r', 'a', 'ma', 's', 'ms', 'ds', 'b')
local p, e, r, a, ma, s, ms = tonumber(f[1]), tonumber(f[2]), tonumber(f[3]),
  tonumber(f[4]), tonumber(f[5]), tonumber(f[6]), tonumber(f[7])
if not (p and e and r and a and ma and s and ms and f[9]) then
  if f[1] or f[2] or f[3] or f[4] or f[5] or f[6] or f[7] or f[8] or f[9] then
    return redis.error_reply('SMSOTP_CORRUPT challenge record lacks a field')
  end
  return {0}
end
if tonumber(ARGV[1]) >= p then
  return {0}
end
-- Another binding is a stranger, as in resend.lua and check.lua.
if ARGV[2] and f[9] ~= ARGV[2] then
  return {0}
end
local phase = 0
if tonumber(ARGV[1]) >= e then
  phase = 1
elseif a >= ma then
  phase = 2
end
return {1, phase, e, r, math.max(ma - a, 0), math.max(ms - s, 0), tonumber(f[8]) or -1}
