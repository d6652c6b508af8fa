#!/usr/bin/env bash
# check.lua on the server alone: redis-benchmark sends EVALSHA of the check script
# (the full rejected path: challenge read, subject ceiling read, attempt counted,
# failure counted) and of a trivial script (`return 1`), at 16 and 64 connections,
# alternating, ROUNDS times, against the Redis at HOST:PORT (default 127.0.0.1:6379).
# With BEFORE=<git revision>, that revision's check.lua (the layout before issue 10)
# is measured in the same rounds. Keys live under a throwaway prefix and are deleted.
#
#   bash benches/check_script.sh [HOST] [PORT] [REQUESTS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1}
port=${2:-6379}
n=${3:-200000}
rounds=${4:-3}
cli() { redis-cli -h "$host" -p "$port" "$@"; }

prefix="smsotp-bench-$$"
challenge="$prefix:{beef}:AAAAAAAAAAAAAAAAAAAAAA"
subject="$prefix:{beef}:f:u:someone"
check=$(cli -x script load < src/store/redis/check.lua)
create=$(cli -x script load < src/store/redis/create.lua)
trivial=$(cli script load "return 1")
now=$(($(date +%s) * 1000))
binding=BBBBBBBBBBBBBBBB                 # 16 bytes, as a binding tag
digest=DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD  # 32 bytes, as a code digest
wrong=WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW
huge=1000000000000
# Attempts and failures allowed far beyond the run, so every call takes the full
# rejected path (read, ceiling, count attempt, count failure).
cli evalsha "$create" 1 "$challenge" "$now" "$binding" "$digest" $((now + 3600000)) \
  "$now" $((now + 7200000)) "$huge" 3 7200000 >/dev/null
if [[ -n "${BEFORE:-}" ]]; then
  old_challenge="$prefix:{old}"
  old_subject="$prefix:subject:{old}"
  old_check=$(git show "$BEFORE:src/store/redis/check.lua" | cli -x script load)
  old_create=$(git show "$BEFORE:src/store/redis/create.lua" | cli -x script load)
  cli evalsha "$old_create" 1 "$old_challenge" "$now" "$binding" "$digest" \
    $((now + 3600000)) "$now" $((now + 7200000)) "$huge" 3 7200000 >/dev/null
fi

rate() {
  redis-benchmark -h "$host" -p "$port" -c "$1" -n "$n" -q "${@:2}" | tr '\r' '\n' \
    | grep -oE '[0-9.]+ requests per second' | tail -n 1 | cut -d' ' -f1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in 16 64; do
  for r in $(seq 1 "$rounds"); do
    t=$(rate "$c" evalsha "$trivial" 0)
    k=$(rate "$c" evalsha "$check" 2 "$challenge" "$subject" "$now" "$binding" \
      "$huge" "$(printf '%015d' $((now + 86400000)))" "$wrong")
    line=$(printf 'c=%-3s round %s  trivial %9s/s  check.lua %9s/s  ratio %s' \
      "$c" "$r" "$t" "$k" "$(ratio "$k" "$t")")
    if [[ -n "${BEFORE:-}" ]]; then
      o=$(rate "$c" evalsha "$old_check" 2 "$old_challenge" "$old_subject" "$now" 1 \
        "$huge" 86400000 $((now + 86400000)) "$binding" "$wrong")
      line+=$(printf '  before %9s/s  ratio %s' "$o" "$(ratio "$o" "$t")")
    fi
    echo "$line"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
cli del "$challenge" "$subject" >/dev/null
if [[ -n "${BEFORE:-}" ]]; then cli del "$old_challenge" "$old_subject" >/dev/null; fi
