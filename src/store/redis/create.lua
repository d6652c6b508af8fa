-- Saves a new challenge with its TTL, in one atomic step.
-- KEYS[1]  the challenge hash: b binding tag, d digests (32 raw bytes per send,
--          concatenated), s sends, ms max sends, e expires_at, r resend_at,
--          p purge_at, a attempts used, ma max attempts (times in unix ms); a delivery
--          report adds ds (status code) and dp (provider)
-- ARGV     now, binding tag, first digest, expires_at, resend_at, purge_at,
--          max_attempts, max_sends, ttl_ms   (times in unix milliseconds)
-- Reply    {1} created | {0} an id that is still held (conflict)
local key = KEYS[1]
local held = redis.call('HGET', key, 'p')
if held then
  local p = tonumber(held)
  if not p then
    return redis.error_reply('SMSOTP_CORRUPT challenge record has a bad purge time')
  end
  -- A record past its purge time is already forgotten as far as callers are concerned
  -- (its key TTL runs on the Redis clock, purge_at on the app's).
  if tonumber(ARGV[1]) < p then
    return {0}
  end
  redis.call('DEL', key)
end
redis.call('HSET', key,
  'b', ARGV[2], 'd', ARGV[3], 'e', ARGV[4], 'r', ARGV[5], 'p', ARGV[6],
  'a', 0, 'ma', ARGV[7], 's', 1, 'ms', ARGV[8])
-- Set in the same script as the write, so no crash can leave a key without a TTL.
redis.call('PEXPIRE', key, ARGV[9])
return {1}
