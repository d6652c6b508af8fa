-- Checks candidate digests against a challenge, in one atomic step.
-- KEYS[1]  the challenge hash
-- ARGV     now (unix ms), then one or more candidate digests (32 raw bytes each)
-- Reply    {0} not found | {1} expired | {2} locked | {3} approved (deleted)
--          | {4, attempts_left} rejected
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then
  return {0}
end
local f = redis.call('HMGET', key, 'e', 'p', 'a', 'ma', 's')
local e, p, a, ma, s =
  tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), tonumber(f[4]), tonumber(f[5])
if not (e and p and a and ma and s) or s < 1 then
  return redis.error_reply('SMSOTP_CORRUPT challenge record lacks a field')
end
local now = tonumber(ARGV[1])
if now >= p then
  redis.call('DEL', key)
  return {0}
end
if now >= e then
  return {1}
end
if a >= ma then
  return {2}
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
  for j = 2, #ARGV do
    if d == ARGV[j] then
      matched = true
    end
  end
end
if matched then
  redis.call('DEL', key)
  return {3}
end
return {4, ma - a}
