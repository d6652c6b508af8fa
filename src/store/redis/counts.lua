-- Reads rate counters without counting. Read only.
-- KEYS     the counter hashes (as hit.lua keeps them)
-- ARGV     now (unix ms)
-- Reply    one count per key: units used in the current window, 0 when none
local now = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local f = redis.call('HMGET', KEYS[i], 'n', 'e')
  local n, e = tonumber(f[1]), tonumber(f[2])
  if (f[1] or f[2]) and not (n and e) then
    return redis.error_reply('SMSOTP_CORRUPT rate counter lacks a field')
  end
  if n and e > now then
    out[i] = n
  else
    out[i] = 0
  end
end
return out
