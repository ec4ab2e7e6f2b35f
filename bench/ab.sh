#!/usr/bin/env bash
# Two server builds (or flag sets) measured side by side: each on its own
# copy of one cached catalog, both under the same open-loop load at the same
# time, then the same again with the two swapped. On this machine single
# runs drift by 25-40% within minutes; two servers measured at once see the
# same drift, so their ratio is the change's. Run in both orders, because
# the first server started is a few percent slower.
#
#   bench/ab.sh --a=/tmp/server-before --b=build/service/zhongcao_server
#   bench/ab.sh --a=build/service/zhongcao_server --b_flags="--source_threads=0" \
#     --rate=200 --duration=30 --mix=GetFeed:1
#   bench/ab.sh ... --mix=GetRelated:1 --items_file=<ids, one per line> --rate=1000
#
# Options: --a, --b (server binaries; --b defaults to --a), --a_flags,
# --b_flags (more zhongcao_server flags), --catalog (a cached data directory
# of bench/run.sh, default the 1M one), --mix (loadgen --mix, default
# GetFeed:1), --rate (per server, default 200/s), --duration (s, default
# 30), --items_file, --rounds (default 1: one run in each order).
# Prints per server and round: the loadgen's line (p50/p90/p99 ms) and the
# server's CPU per answered call. Not run by tests.
set -euo pipefail
cd "$(dirname "$0")/.."

a="" b="" a_flags="" b_flags="" mix="GetFeed:1" rate=200 duration=30 rounds=1
items_file="" catalog=bench/data/catalog-l16-1000000-u100000
for arg in "$@"; do
  case "$arg" in
    --a=*) a=${arg#*=} ;;
    --b=*) b=${arg#*=} ;;
    --a_flags=*) a_flags=${arg#*=} ;;
    --b_flags=*) b_flags=${arg#*=} ;;
    --catalog=*) catalog=${arg#*=} ;;
    --mix=*) mix=${arg#*=} ;;
    --rate=*) rate=${arg#*=} ;;
    --duration=*) duration=${arg#*=} ;;
    --items_file=*) items_file=${arg#*=} ;;
    --rounds=*) rounds=${arg#*=} ;;
    *) echo "unknown option $arg (see the header of $0)" >&2; exit 2 ;;
  esac
done
[ -n "$a" ] || { echo "--a=<server binary> is required" >&2; exit 2; }
b=${b:-$a}
[ -d "$catalog/index" ] || { echo "no catalog at $catalog (bench/run.sh --catalog_only)" >&2; exit 2; }
users=$(basename "$catalog" | sed -n 's/.*-u\([0-9]*\)$/\1/p')
loadgen=${BUILD_DIR:-build}/tools/loadgen/zhongcao_loadgen

work=$(mktemp -d "${TMPDIR:-/tmp}/zhongcao-ab-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# As run.sh's clone_catalog: hard links for files nothing rewrites in place.
clone() {
  mkdir -p "$2"
  cp -al "$1/." "$2/"
  (cd "$1" && find . -type f ! -name '*.sst' ! -path './index/v*/*') |
    while read -r rel; do cp -p --remove-destination "$1/$rel" "$2/$rel"; done
}

start() {  # binary flags dir port -> pid
  clone "$catalog" "$3"
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=1 "$1" --data_dir="$3" --listen="127.0.0.1:$4" \
    --config=deploy/zhongcao.toml --compact_growing_at=0 $2 >"$3.log" 2>&1 &
  local pid=$!
  until grep -q "zhongcao: serving" "$3.log"; do
    kill -0 $pid 2>/dev/null || { cat "$3.log" >&2; exit 1; }
    sleep 0.5
  done
  echo $pid
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

load() {  # port mode-args... -> loadgen output on stdout
  local port=$1
  shift
  local extra=()
  [ -n "$items_file" ] && extra+=(--items_file="$items_file")
  "$loadgen" --target="127.0.0.1:$port" --user_prefix=u --user_count="$users" \
    --id_width=6 --mix="$mix" --feed_count=20 "${extra[@]}" "$@"
}

run_pair() {  # label first-binary first-flags second-binary second-flags
  local label=$1
  local p1 p2
  p1=$(start "$2" "$3" "$work/$label-1" 50191)
  pids+=("$p1")
  p2=$(start "$4" "$5" "$work/$label-2" 50192)
  pids+=("$p2")
  # Warm both caches the same way, then the measured open loops at once.
  load 50191 --mode=closed --concurrency=8 --warmup=2s --duration=12s >/dev/null 2>&1 &
  load 50192 --mode=closed --concurrency=8 --warmup=2s --duration=12s >/dev/null 2>&1 &
  wait
  local c1 c2
  c1=$(cpu_ticks "$p1")
  c2=$(cpu_ticks "$p2")
  load 50191 --mode=open --rate="$rate" --warmup=0s --duration="${duration}s" \
    --seed=3 >"$work/$label-1.txt" 2>/dev/null &
  load 50192 --mode=open --rate="$rate" --warmup=0s --duration="${duration}s" \
    --seed=3 >"$work/$label-2.txt" 2>/dev/null &
  wait
  c1=$(($(cpu_ticks "$p1") - c1))
  c2=$(($(cpu_ticks "$p2") - c2))
  kill "$p1" "$p2"
  wait "$p1" "$p2" 2>/dev/null || true
  pids=()
  local hz
  hz=$(getconf CLK_TCK)
  for s in 1 2; do
    local which ticks line ok
    if [ "$label" = "${label%-ba}" ]; then which=$([ $s = 1 ] && echo A || echo B)
    else which=$([ $s = 1 ] && echo B || echo A); fi
    ticks=$([ $s = 1 ] && echo "$c1" || echo "$c2")
    line=$(grep -E "^all " "$work/$label-$s.txt")
    ok=$(echo "$line" | awk '{print $3}')
    printf '%-10s %s %s | CPU/call %s ms\n' "$label" "$which" "$line" \
      "$(awk -v t="$ticks" -v hz="$hz" -v ok="$ok" 'BEGIN { printf "%.3f", ok ? t * 1000 / hz / ok : 0 }')"
  done
}

echo "A: $a $a_flags"
echo "B: $b $b_flags"
echo "load per server: --mix=$mix, open loop $rate/s for ${duration}s; catalog $catalog"
echo "round      who call       requests   ok errors rate/s p50 ms p90 ms p99 ms p99.9 ms max ms"
for ((r = 1; r <= rounds; ++r)); do
  run_pair "r$r-ab" "$a" "$a_flags" "$b" "$b_flags"
  run_pair "r$r-ba" "$b" "$b_flags" "$a" "$a_flags"
done
