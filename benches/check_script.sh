#!/usr/bin/env bash
# check.lua on the server alone: redis-benchmark sends EVALSHA of the check script
# (the full rejected path: challenge read, subject ceiling read, attempt counted,
# failure counted) and of a trivial script (`return 1`), at 16 and 64 connections,
# against the Redis at HOST:PORT (default 127.0.0.1:6379). Keys live under a
# throwaway prefix with a TTL and are deleted at the end.
#
#   bash benches/check_script.sh [HOST] [PORT] [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1}
port=${2:-6379}
n=${3:-300000}
cli() { redis-cli -h "$host" -p "$port" "$@"; }

prefix="smsotp-bench-$$"
challenge="$prefix:{beef}:AAAAAAAAAAAAAAAAAAAAAA"
subject="$prefix:{beef}:f:u:someone"
check=$(cli -x script load < src/store/redis/check.lua)
create=$(cli -x script load < src/store/redis/create.lua)
trivial=$(cli script load "return 1")
now=$(($(date +%s) * 1000))
binding=BBBBBBBBBBBBBBBB                     # 16 bytes, as a binding tag
digest=DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD  # 32 bytes would do; trimmed below
digest=${digest:0:32}
wrong=WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW
# Attempts and failures allowed far beyond the run, so every call takes the full
# rejected path (read, ceiling, count attempt, count failure).
cli evalsha "$create" 1 "$challenge" "$now" "$binding" "$digest" $((now + 3600000)) \
  "$now" $((now + 7200000)) 1000000000000 3 7200000 >/dev/null

run() {
  redis-benchmark -h "$host" -p "$port" -c "$1" -n "$n" -q "${@:2}" | tr '\r' '\n' | grep -E 'requests per second' | tail -n 1
}
for c in 16 64; do
  t=$(run "$c" evalsha "$trivial" 0)
  k=$(run "$c" evalsha "$check" 2 "$challenge" "$subject" "$now" "$binding" \
    1000000000000 86400000 $((now + 86400000)) "$wrong")
  tq=$(echo "$t" | grep -oE '[0-9.]+ requests' | cut -d' ' -f1)
  kq=$(echo "$k" | grep -oE '[0-9.]+ requests' | cut -d' ' -f1)
  printf 'c=%-3s trivial EVALSHA %10s/s   check.lua %10s/s   ratio %s\n' "$c" "$tq" "$kq" \
    "$(awk -v a="$kq" -v b="$tq" 'BEGIN { printf "%.2f", a / b }')"
done
cli del "$challenge" "$subject" >/dev/null
