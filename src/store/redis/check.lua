-- Checks candidate digests against a challenge, in one atomic step, applying the
-- subject's failure ceiling in the same step when one is given.
-- KEYS[1]  the challenge hash
-- KEYS[2]  the subject's failure counter (n = failures, e = forget at, unix ms); only
--          read when ARGV[2] is '1'
-- ARGV     now (unix ms), guarded ('1' or '0'), max failures, counter TTL (ms, at
--          least 1), forget-at after a failure now (unix ms), the claimed binding tag,
--          then the candidate digests (32 raw bytes each)
-- Reply    {0} not found (or another binding: nothing changes) | {1} expired
--          | {2} locked | {3} approved (deleted) | {4, attempts_left} rejected
--          | {5} subject locked
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then
  return {0}
end
local f = redis.call('HMGET', key, 'e', 'p', 'a', 'ma', 's', 'b')
local e, p, a, ma, s =
  tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), tonumber(f[4]), tonumber(f[5])
if not (e and p and a and ma and s and f[6]) or s < 1 then
  return redis.error_reply('SMSOTP_CORRUPT challenge record lacks a field')
end
local now = tonumber(ARGV[1])
if now >= p then
  redis.call('DEL', key)
  return {0}
end
-- Another binding (number, purpose or subject) is a stranger: it learns nothing and
-- spends nothing of the owner's. Tags are keyed HMACs compared as interned strings
-- (see the comparison note below).
if f[6] ~= ARGV[6] then
  return {0}
end
if now >= e then
  return {1}
end
if a >= ma then
  return {2}
end
local guarded = ARGV[2] == '1'
local failures = 0
if guarded then
  local g = redis.call('HMGET', KEYS[2], 'n', 'e')
  local n, forget = tonumber(g[1]), tonumber(g[2])
  if (g[1] or g[2]) and not (n and forget) then
    return redis.error_reply('SMSOTP_CORRUPT subject counter lacks a field')
  end
  if n and forget > now then
    failures = n
  end
  -- Refused without counting or comparing.
  if failures >= tonumber(ARGV[3]) then
    return {5}
  end
end
-- Count the attempt before comparing: whatever happens next, a guess has been paid for.
a = redis.call('HINCRBY', key, 'a', 1)
-- Constant time: Lua 5.1 interns every string, so `==` between two strings is a
-- pointer comparison that takes the same time whether they differ in the first byte
-- or the last. (Interning the candidate when the script is called hashes it and may
-- memcmp it against stored strings in the same bucket; what that could leak is bytes
-- of keyed HMACs, which do not help anyone guess a code without the key.) Every
-- stored digest is compared with every candidate, with no early exit.
local matched = false
for i = 1, s do
  local d = redis.call('HGET', key, 'd' .. i)
  if not d then
    return redis.error_reply('SMSOTP_CORRUPT challenge record lacks a digest')
  end
  for j = 7, #ARGV do
    if d == ARGV[j] then
      matched = true
    end
  end
end
if guarded then
  if matched then
    redis.call('DEL', KEYS[2])
  else
    -- The count lives on for a window after the latest failure.
    redis.call('HSET', KEYS[2], 'n', failures + 1, 'e', ARGV[5])
    redis.call('PEXPIRE', KEYS[2], ARGV[4])
  end
end
if matched then
  redis.call('DEL', key)
  return {3}
end
return {4, ma - a}
