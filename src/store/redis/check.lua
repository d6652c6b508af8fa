-- Checks candidate digests against a challenge, in one atomic step, applying the
-- subject's failure ceiling in the same step when one is given.
-- KEYS[1]  the challenge hash (see create.lua)
-- KEYS[2]  only with a ceiling: the subject's failure counter, in the challenge's slot:
--          a string, the forget-at time (unix ms, 15 digits) then the failure count
-- ARGV     now (unix ms), the claimed binding tag; with a ceiling, max failures and
--          forget-at after a failure now (unix ms, 15 digits, zero-padded); then the
--          candidate digests (32 raw bytes each)
-- Reply    {0} not found (or another binding: nothing changes) | {1} expired
--          | {2} locked | {3} approved (deleted) | {4, attempts_left} rejected
--          | {5} subject locked
-- Lean on purpose: every redis.call costs about a microsecond of the server's one
-- thread, several times what the command itself does. Each key is read once (one
-- HMGET of the fields the step needs, no EXISTS: a missing key reads as all nils) and
-- written once; the subject's count and its forget-at time are one string, so a
-- failure is one SET with its TTL rather than HSET and PEXPIRE.
local key, subject = KEYS[1], KEYS[2]
local f = redis.call('HMGET', key, 'p', 'b', 'e', 'a', 'ma', 's', 'd')
local p, b, e, a, ma, s, d =
  tonumber(f[1]), f[2], tonumber(f[3]), tonumber(f[4]), tonumber(f[5]), tonumber(f[6]), f[7]
if not (p and b and e and a and ma and s and d) then
  if f[1] or f[2] or f[3] or f[4] or f[5] or f[6] or f[7] then
    return redis.error_reply('SMSOTP_CORRUPT challenge record lacks a field')
  end
  return {0}
end
if s < 1 or #d ~= 32 * s then
  return redis.error_reply('SMSOTP_CORRUPT challenge record lacks a digest')
end
local now = tonumber(ARGV[1])
if now >= p then
  redis.call('DEL', key)
  return {0}
end
-- Another binding (number, purpose or subject) is a stranger: it learns nothing and
-- spends nothing of the owner's. Tags are keyed HMACs compared as interned strings
-- (see the comparison note below).
if b ~= ARGV[2] then
  return {0}
end
if now >= e then
  return {1}
end
if a >= ma then
  return {2}
end
local failures, first = 0, 3
if subject then
  first = 5
  local g = redis.call('GET', subject)
  if g then
    local forget, n = tonumber(string.sub(g, 1, 15)), tonumber(string.sub(g, 16))
    if not (forget and n) then
      return redis.error_reply('SMSOTP_CORRUPT subject counter is malformed')
    end
    if forget > now then
      failures = n
    end
  end
  -- Refused without counting or comparing.
  if failures >= tonumber(ARGV[3]) then
    return {5}
  end
end
-- Constant time: Lua 5.1 interns every string, so `==` between two strings is a
-- pointer comparison that takes the same time whether they differ in the first byte
-- or the last. (Interning a candidate or a digest cut from `d` hashes it and may
-- memcmp it against strings in the same bucket; what that could leak is bytes of keyed
-- HMACs, which do not help anyone guess a code without the key.) Every stored digest
-- is compared with every candidate, with no early exit.
local matched = false
for i = 0, s - 1 do
  local digest = string.sub(d, 32 * i + 1, 32 * i + 32)
  for j = first, #ARGV do
    if digest == ARGV[j] then
      matched = true
    end
  end
end
-- The attempt is paid for before anyone learns the answer: nothing runs between the
-- comparison and the writes below, so a guess either consumes the challenge or counts.
if matched then
  if subject then
    redis.call('DEL', key, subject)
  else
    redis.call('DEL', key)
  end
  return {3}
end
a = redis.call('HINCRBY', key, 'a', 1)
if subject then
  -- The count lives on for a window after the latest failure: forget-at minus now.
  -- (Numbers handed to redis.call go out exactly, integers below 2^53; the count is
  -- small, so `..` prints it exactly too.)
  local forget = tonumber(ARGV[4])
  redis.call('SET', subject, ARGV[4] .. (failures + 1), 'PX', math.max(forget - now, 1))
end
return {4, ma - a}
