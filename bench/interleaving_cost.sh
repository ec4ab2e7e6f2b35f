#!/usr/bin/env bash
# What interleaving and the exposure log cost a GetFeed (count 20): the
# server's CPU per request (/proc/<pid>/stat around a closed-loop run of 2
# callers; robust to a shared machine where latency is not) and latency,
# for: no exposure log, the log (the default), an interleaved experiment
# whose arms share retrieval (weights differ), and one whose arms retrieve
# apart (a source budget differs). Rounds alternate the four.
#   bench/interleaving_cost.sh [DATA_DIR] [ROUNDS]
# DATA_DIR defaults to a 20k-item demo catalog made once in bench/data/.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1
data=${1:-bench/data/interleaving-20k}
rounds=${2:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ ! -e "$data/index/CURRENT" ]; then
  build/tools/demo/zhongcao_demo_catalog --data_dir="$data" --items=20000 --users=2000 >&2
fi
: > "$work/plain.toml"
cat > "$work/shared.toml" <<'TOML'
[[experiments]]
name = "ranker"
interleaved = true
  [[experiments.arms]]
  name = "control"
  [[experiments.arms]]
  name = "fresher"
  settings = { weights = { freshness = 0.5 } }
TOML
sed 's/fresher/less_trending/; s/weights = { freshness = 0.5 }/budgets = { trending = 50 }/' \
  "$work/shared.toml" > "$work/apart.toml"

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() {
  local name=$1 config=$2 extra=$3
  build/service/zhongcao_server --data_dir="$data" --listen=127.0.0.1:50871 \
    --config="$config" --build_index_on_start=false $extra 2>"$work/server.log" &
  local pid=$!
  sleep 4
  build/tools/loadgen/zhongcao_loadgen --target=127.0.0.1:50871 --mode=closed \
    --concurrency=2 --duration=3s --warmup=0s --mix=GetFeed:100 --user_count=2000 \
    >/dev/null 2>&1
  local before after line n
  before=$(cpu $pid)
  build/tools/loadgen/zhongcao_loadgen --target=127.0.0.1:50871 --mode=closed \
    --concurrency=2 --duration=15s --warmup=0s --mix=GetFeed:100 --user_count=2000 \
    >"$work/$name.txt" 2>&1
  after=$(cpu $pid)
  kill -TERM $pid
  wait $pid || true
  line=$(grep '^GetFeed' "$work/$name.txt")
  n=$(echo "$line" | awk '{print $3}')
  printf '| %s | %s | %s | %s | %.2f |\n' "$name" "$n" "$(echo "$line" | awk '{print $6}')" \
    "$(echo "$line" | awk '{print $8}')" "$(echo "($after - $before) * 1000 / $(getconf CLK_TCK) / $n" | bc -l)"
}
echo "| run | requests | p50 ms | p99 ms | server CPU ms/request |"
echo "|---|---|---|---|---|"
for _ in $(seq "$rounds"); do
  run no_log "$work/plain.toml" "--exposure_log=false"
  run log "$work/plain.toml" ""
  run interleaved_shared "$work/shared.toml" ""
  run interleaved_apart "$work/apart.toml" ""
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
