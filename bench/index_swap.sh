#!/usr/bin/env bash
# The index-rebuild figures, measured on this machine:
#   - offline build time of ITEMS x 64 vectors with the default index type
#     (HNSW32,Flat), by zhongcao_build_index from a data directory;
#   - the server's resident memory before, at its peak during, and after a
#     LoadIndex swap of that snapshot;
#   - GetFeed latency (count 20, all sources) per second before, during and
#     after the swap, under a steady open-loop load of RATE requests/s.
# Writes bench/results/<date>-index-swap.md and .json. Not run by the tests.
#
#   ITEMS=1000000 USERS=100000 RATE=200 bench/index_swap.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ITEMS=${ITEMS:-1000000}
USERS=${USERS:-100000}
RATE=${RATE:-200}
PORT=${PORT:-50093}
WARMUP_S=${WARMUP_S:-30}  # a cold server's caches fill; not measured
BEFORE_S=${BEFORE_S:-30}  # steady load before the swap
AFTER_S=${AFTER_S:-30}    # and after it

tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target zhongcao_server zhongcao_demo_catalog_tool \
  zhongcao_build_index zhongcao_cli zhongcao_loadgen

data=bench/data/catalog-$ITEMS
if [ ! -e "$data/index/CURRENT" ]; then
  rm -rf "$data"
  echo "generating a catalog of $ITEMS items and $USERS users (cached in $data)" >&2
  build/tools/demo/zhongcao_demo_catalog --data_dir="$data" --items="$ITEMS" \
    --users="$USERS"
fi
# REUSE_WORK=<an earlier work directory> skips the build and swaps in its
# snapshot again.
work=${REUSE_WORK:-$(mktemp -d /tmp/zhongcao-swap-bench.XXXXXX)}
echo "work directory: $work" >&2

# 1. The offline build, with the machine otherwise idle.
if [ ! -e "$work/snapshot/MANIFEST" ]; then
  /usr/bin/time -v build/tools/index_build/zhongcao_build_index --data_dir="$data" \
    --out="$work/snapshot" --version="bench-$(date +%Y%m%d)" 2>"$work/build.time" |
    tee "$work/build.out"
fi

# 2. The server, one OpenMP thread per searching thread (STACK.md); no
# background compaction, so the only swap is the one measured.
export OMP_NUM_THREADS=1
build/service/zhongcao_server --data_dir="$data" --listen="127.0.0.1:$PORT" \
  --config=deploy/zhongcao.toml --compact_growing_at=0 >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until grep -q "zhongcao: serving" "$work/server.log"; do
  kill -0 $server 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.5
done
while kill -0 $server 2>/dev/null; do
  echo "$(date +%s.%N) $(awk '/VmRSS/ {print $2}' /proc/$server/status)"
  sleep 0.2
done >"$work/rss.txt" 2>/dev/null &
sampler=$!

# 3. Steady load; the swap in the middle of it.
duration=$((BEFORE_S + AFTER_S + 30))
load_start=$(date +%s.%N)
build/tools/loadgen/zhongcao_loadgen --target="127.0.0.1:$PORT" --mode=open \
  --rate="$RATE" --duration="${duration}s" --warmup="${WARMUP_S}s" --mix=GetFeed:100 \
  --user_prefix=u --user_count="$USERS" --interval=1s \
  --json_out="$work/load.json" >"$work/load.txt" &
loadgen=$!
sleep "$((WARMUP_S + BEFORE_S))"
swap_start=$(date +%s.%N)
build/tools/cli/zhongcao_cli --target="127.0.0.1:$PORT" load-index \
  --path="$work/snapshot" >"$work/swap.json"
swap_end=$(date +%s.%N)
wait $loadgen
kill $sampler 2>/dev/null || true
kill -TERM $server
wait $server || true
trap - EXIT

mkdir -p bench/results
out=bench/results/$(date +%Y-%m-%d)-index-swap
/usr/bin/python3 bench/index_swap_report.py --work="$work" --items="$ITEMS" \
  --users="$USERS" --rate="$RATE" --load_start="$load_start" \
  --swap_start="$swap_start" --swap_end="$swap_end" --out="$out"
echo "wrote $out.md and $out.json" >&2
