#!/usr/bin/env bash
# The benchmark suite in one command. On a catalog of ITEMS items x 64
# dimensions and USERS users (made by tools/demo with --latent_dim, cached
# under bench/data/), it starts a server and measures:
#   - the stage micro-benchmarks (zhongcao_micro_bench, short min_time);
#   - ANN recall and single-thread QPS of raw FAISS, zhongcao's index,
#     hnswlib and exact search over the server's own snapshot, plus the
#     server's GetRelated over gRPC on the same query items;
#   - GetRelated at saturation (closed loop);
#   - GetFeed p50/p99 at 500 requests/s offered (open loop) and at
#     saturation (closed loop);
#   - GetFeed at 500/s offered while 2,000 events/s arrive (one open loop);
#   - the server's resident memory (VmRSS, VmHWM) after that load;
#   - batched ingest over gRPC: item upserts/s and events/s.
# and writes bench/results/<date>[-<label>].md and .json, with the machine,
# its load next to every figure, the commands and the targets of issue 5.
#
#   bench/run.sh                 # 1M items, 100k users -> results/<date>.md
#   bench/run.sh --quick         # 20k items, 2k users, under two minutes warm
#   bench/run.sh --scaling       # 100k, 300k and 1M: results/scaling.md and .png
#   bench/run.sh --items=300000 --users=30000
#   bench/run.sh --catalog_only  # (with any of the above) only make the catalogs
#
# Environment: BUILD_DIR (build), JOBS (2), PORT (a free one), LATENT_DIM (16),
# SERVER_FLAGS (more zhongcao_server flags), MAX_CATALOG_AGE_HOURS (48),
# SCALING_SIZES ("100000 300000 1000000"; users are a tenth), PROFILE=1
# (perf-record the server during each load step: where a target is missed,
# the profile says why), KEEP_WORK=1 (keep the run's directory),
# SKIP_BUILD=1. Not run by tests.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-2}
PORT=${PORT:-}
LATENT_DIM=${LATENT_DIM:-16}
SERVER_FLAGS=${SERVER_FLAGS:-}
# The fresh source looks 72 h back and trending decays by the hour: a
# catalog made days ago gives cheaper feeds than a new one, so an old
# cache is regenerated rather than silently measured.
MAX_CATALOG_AGE_HOURS=${MAX_CATALOG_AGE_HOURS:-48}
SCALING_SIZES=${SCALING_SIZES:-100000 300000 1000000}

command="bench/run.sh${*:+ $*}"
mode=single
items=1000000
users=100000
label=""
regenerate=0
catalog_only=0
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
for arg in "$@"; do
  case "$arg" in
    --quick) mode=single; items=20000; users=2000; label=quick ;;
    --scaling) mode=scaling ;;
    --items=*) items=${arg#*=} ;;
    --users=*) users=${arg#*=} ;;
    --label=*) label=${arg#*=} ;;
    --regenerate) regenerate=1 ;;
    --catalog_only) catalog_only=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument $arg" >&2; usage >&2; exit 2 ;;
  esac
done

# matplotlib draws the scaling plot; only the benchmarks need it.
tools/install-deps.sh python3-matplotlib
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" -j"$JOBS" --target zhongcao_server \
    zhongcao_demo_catalog_tool zhongcao_loadgen zhongcao_micro_bench zhongcao_ann_compare \
    zhongcao_cli
fi
B=$BUILD_DIR
date_tag=$(date +%Y-%m-%d)
mkdir -p bench/results bench/data

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# The server's CPU time so far (user + system, in clock ticks), or "-"
# before it starts. Requests per second mix the server's work per request
# with the share of the cores it got beside the load generator; CPU time
# per request keeps only the first.
server_ticks() {
  if [ -n "${server:-}" ] && [ -r "/proc/$server/stat" ]; then
    # Fields after the parenthesised command name: utime is the 12th, stime the 13th.
    sed 's/^.*) //' "/proc/$server/stat" | awk '{print $12 + $13}'
  else
    echo -
  fi
}

listeners() { ss -Hltnp "sport = :$1" 2>/dev/null; }

# gRPC binds with SO_REUSEPORT, so a second server on a port another
# process serves starts without an error and the kernel splits the
# connections between the two: the figures would mix two catalogs. Hence
# a port nobody listens on, and a check once the server is up.
free_port() {
  local p
  for p in $(seq 50100 50199); do
    if [ -z "$(listeners "$p")" ]; then echo "$p"; return; fi
  done
  echo "no free port in 50100..50199" >&2
  exit 1
}

# Runs a step: records its command, wall time, the machine's load before
# and after and the server's CPU ticks before and after, to steps.tsv of
# the run's directory.
step() {
  local name=$1
  shift
  local before start end ticks_before
  before=$(loadavg)
  ticks_before=$(server_ticks)
  start=$(date +%s.%N)
  echo "== $name: $*" >&2
  local perf=""
  if [ "${PROFILE:-0}" = 1 ] && [ -n "${server:-}" ] && kill -0 "$server" 2>/dev/null; then
    perf record -F 499 -g -p "$server" -o "$work/$name.perf.data" >/dev/null 2>&1 &
    perf=$!
  fi
  "$@"
  if [ -n "$perf" ]; then
    kill -INT "$perf"
    wait "$perf" || true
    perf report -i "$work/$name.perf.data" --no-children --stdio -g none \
      --sort comm,dso,symbol --percent-limit 0.5 2>/dev/null |
      grep -v '^$' | cut -c1-200 | sed 's/ *$//' | head -80 >"$work/profile-$name.txt" || true
  fi
  end=$(date +%s.%N)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$start" "$end" "$before" \
    "$(loadavg)" "$ticks_before" "$(server_ticks)" "$(getconf CLK_TCK)" "$*" >>"$work/steps.tsv"
}

# A data directory to serve without changing the cache: hard links for
# files nothing rewrites in place (RocksDB tables, index snapshots), copies
# of the rest (RocksDB's MANIFEST, logs, CURRENT files).
clone_catalog() {
  local src=$1 dst=$2
  mkdir -p "$dst"
  cp -al "$src/." "$dst/"
  (cd "$src" && find . -type f ! -name '*.sst' ! -path './index/v*/*') |
    while read -r rel; do cp -p --remove-destination "$src/$rel" "$dst/$rel"; done
}

catalog_for() {  # items users -> cached data directory, generated if needed
  local n=$1 u=$2
  local data=bench/data/catalog-l${LATENT_DIM}-${n}-u${u}
  if [ -e "$data/index/CURRENT" ] && [ -e "$data.gen.txt" ] && [ "$regenerate" = 0 ]; then
    local age_h=$((($(date +%s) - $(stat -c %Y "$data.gen.txt")) / 3600))
    if [ "$age_h" -lt "$MAX_CATALOG_AGE_HOURS" ]; then
      echo "$data"
      return
    fi
    echo "catalog $data is ${age_h} h old (MAX_CATALOG_AGE_HOURS=$MAX_CATALOG_AGE_HOURS): regenerating" >&2
  fi
  rm -rf "$data" "$data.tmp"
  echo "generating $n items, $u users, latent dimension $LATENT_DIM into $data" >&2
  local start end
  start=$(date +%s.%N)
  {
    echo "command: $B/tools/demo/zhongcao_demo_catalog --data_dir=$data --items=$n --users=$u --latent_dim=$LATENT_DIM"
    echo "load before: $(loadavg)"
  } >"$data.gen.tmp"
  if ! "$B/tools/demo/zhongcao_demo_catalog" --data_dir="$data.tmp" --items="$n" \
    --users="$u" --latent_dim="$LATENT_DIM" >>"$data.gen.tmp" 2>&1; then
    cat "$data.gen.tmp" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  {
    echo "load after: $(loadavg)"
    echo "wall seconds: $(awk "BEGIN { print $end - $start }")"
  } >>"$data.gen.tmp"
  mv "$data.tmp" "$data"
  mv "$data.gen.tmp" "$data.gen.txt"
  cat "$data.gen.txt" >&2
  echo "$data"
}

# One size: every figure, then the report. Sets $last_json.
run_suite() {
  local n=$1 u=$2 tag=$3
  local quick=0
  [ "$n" -le 50000 ] && quick=1
  local data
  data=$(catalog_for "$n" "$u")
  work=$(mktemp -d bench/data/run-XXXXXX)
  echo "work directory: $work" >&2
  : >"$work/steps.tsv"
  loadavg >"$work/load_start.txt"

  # Durations: short for --quick, long enough at 1M for stable tails.
  local micro_min_time=0.1 ann_queries=1000 ann_min_time=0.3 ann_ef=""
  local warm=5 measure=20 feed_warm=10 feed_measure=30 ingest_measure=10
  if [ "$quick" = 1 ]; then
    micro_min_time=0.01 ann_queries=300 ann_min_time=0.05 ann_ef="--ef=10,16,32,48,64,96,128"
    warm=2 measure=6 feed_warm=2 feed_measure=8 ingest_measure=4
  fi

  # 1. Stage micro-benchmarks, alone on the machine (no server yet), over
  # bench/common's vectors of the same size.
  step micro "$B/bench/micro/zhongcao_micro_bench" --n="$n" \
    --benchmark_min_time="$micro_min_time" --benchmark_out="$work/micro.json" \
    --benchmark_out_format=json >"$work/micro.txt"

  # 2. The server, on a copy of the catalog: one OpenMP thread per
  # searching thread, no background compaction (the ingest below would
  # start one and the figures would measure it).
  clone_catalog "$data" "$work/data"
  local port=${PORT:-$(free_port)}
  if [ -n "$(listeners "$port")" ]; then
    echo "port $port is in use: $(listeners "$port")" >&2
    exit 1
  fi
  export OMP_NUM_THREADS=1
  # shellcheck disable=SC2086
  "$B/service/zhongcao_server" --data_dir="$work/data" --listen="127.0.0.1:$port" \
    --config=deploy/zhongcao.toml --compact_growing_at=0 $SERVER_FLAGS >"$work/server.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  until grep -q "zhongcao: serving" "$work/server.log"; do
    kill -0 $server 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.5
  done
  if [ "$(listeners "$port" | wc -l)" != 1 ] || ! listeners "$port" | grep -q "pid=$server,"; then
    echo "port $port is not ours alone: $(listeners "$port")" >&2
    exit 1
  fi
  grep -E '^Vm(RSS|HWM)' /proc/$server/status >"$work/memory_idle.txt"
  unset OMP_NUM_THREADS

  # 3. ANN engines over the served snapshot, and GetRelated on the same
  # query items; their ids feed the GetRelated load below.
  local snapshot
  snapshot="$data/index/$(cat "$data/index/CURRENT")"
  # shellcheck disable=SC2086
  step ann "$B/bench/ann/zhongcao_ann_compare" --snapshot="$snapshot" \
    --queries="$ann_queries" --min_time="$ann_min_time" $ann_ef \
    --related_target="127.0.0.1:$port" --query_ids_out="$work/query_items.txt" \
    --json_out="$work/ann.json" >"$work/ann.txt"
  /usr/bin/python3 bench/suite_report.py ids --snapshot="$snapshot" --out="$work/all_items.txt"

  # The item cache's warm-up at start (seconds at 1M items on an idle
  # machine) runs beside the ANN step at a low priority. The gRPC steps
  # measure the server after it (GetRelated at saturation: 5,200/s during
  # it, 6,800-8,100/s after it, 2026-12-07).
  local waited=0
  until grep -qE "zhongcao: (item cache warmed|warming the item cache failed)" \
    "$work/server.log"; do
    if [ "$waited" -ge 600 ]; then
      echo "the item cache warm-up had not ended after 300 s; measuring anyway" >&2
      break
    fi
    sleep 0.5
    waited=$((waited + 1))
  done

  local lg=("$B/tools/loadgen/zhongcao_loadgen" --target="127.0.0.1:$port"
    --user_prefix=u --user_count="$u" --id_width=6)
  # 4. GetRelated at saturation, 10 results as recall@10 is measured.
  step related_saturation "${lg[@]}" --mode=closed --concurrency=16 --mix=GetRelated:1 \
    --items_file="$work/query_items.txt" --feed_count=10 --warmup="${warm}s" \
    --duration="${measure}s" --json_out="$work/related_closed.json" >"$work/related_closed.txt"
  # 5. GetFeed, count 20, every source: a fixed offered rate, then saturation.
  # The store's cache counts around them: what share of a feed's item reads
  # the cache answered.
  "$B/tools/cli/zhongcao_cli" --target="127.0.0.1:$port" status >"$work/status_before_feeds.json"
  step feed_open "${lg[@]}" --mode=open --rate=500 --mix=GetFeed:1 --feed_count=20 \
    --warmup="${feed_warm}s" --duration="${feed_measure}s" \
    --json_out="$work/feed_open.json" >"$work/feed_open.txt"
  step feed_saturation "${lg[@]}" --mode=closed --concurrency=16 --mix=GetFeed:1 \
    --feed_count=20 --warmup="${warm}s" --duration="${measure}s" \
    --json_out="$work/feed_closed.json" >"$work/feed_closed.txt"
  "$B/tools/cli/zhongcao_cli" --target="127.0.0.1:$port" status >"$work/status_after_feeds.json"
  # 6. Memory after the read load.
  grep -E '^Vm(RSS|HWM)' /proc/$server/status >"$work/memory_after_load.txt"
  # 6b. Feeds while events arrive: 500 feeds/s and 2 batches of 1,000
  # events/s in one open loop. Events leave pending merges in the rows that
  # feeds read next, so feeds measured alone miss their cost. Before the
  # item ingest, whose new items would slow every read.
  step feed_with_events "${lg[@]}" --mode=open --rate=502 --mix=GetFeed:500,RecordEvents:2 \
    --feed_count=20 --event_batch=1000 --items_file="$work/all_items.txt" \
    --warmup="${feed_warm}s" --duration="${feed_measure}s" \
    --json_out="$work/feed_with_events.json" >"$work/feed_with_events.txt"
  # 7. Ingest last: new items land in the growing segment, which is
  # searched exactly and would slow every read measured after it.
  step ingest_items "${lg[@]}" --mode=closed --concurrency=4 --mix=UpsertItems:1 \
    --upsert_batch=1000 --warmup=2s --duration="${ingest_measure}s" --skip_checks \
    --json_out="$work/ingest_items.json" >"$work/ingest_items.txt"
  step ingest_events "${lg[@]}" --mode=closed --concurrency=4 --mix=RecordEvents:1 \
    --event_batch=1000 --items_file="$work/all_items.txt" --warmup=2s \
    --duration="${ingest_measure}s" --json_out="$work/ingest_events.json" \
    >"$work/ingest_events.txt"
  grep -E '^Vm(RSS|HWM)' /proc/$server/status >"$work/memory_after_ingest.txt"
  # RocksDB's write stalls over the whole run: a stop holds every write,
  # and shows in the ingest figures above only as a slower rate.
  "$B/tools/cli/zhongcao_cli" --target="127.0.0.1:$port" status >"$work/status_end.json"

  # 8. Stop; the copy is thrown away, so a slow shutdown snapshot is cut short.
  kill -TERM $server
  for _ in $(seq 1 120); do kill -0 $server 2>/dev/null || break; sleep 0.5; done
  kill -KILL $server 2>/dev/null || true
  wait $server 2>/dev/null || true
  trap - EXIT
  loadavg >"$work/load_end.txt"

  local out=bench/results/$date_tag${tag:+-$tag}
  if [ "${PROFILE:-0}" = 1 ]; then
    mkdir -p "$out-profiles"
    cp "$work"/profile-*.txt "$out-profiles/" 2>/dev/null || true
  fi
  /usr/bin/python3 bench/suite_report.py report --work="$work" --data="$data" --items="$n" \
    --users="$u" --latent_dim="$LATENT_DIM" --port="$port" --build_dir="$B" \
    --server_flags="--compact_growing_at=0 $SERVER_FLAGS" --command="$command" --out="$out" \
    --profiles="$out-profiles"
  echo "wrote $out.md and $out.json" >&2
  last_json=$out.json
  if [ "${KEEP_WORK:-0}" != 1 ]; then rm -rf "$work"; fi
}

size_tag() {  # 1000000 -> 1m, 300000 -> 300k
  local n=$1
  if [ $((n % 1000000)) = 0 ]; then echo "$((n / 1000000))m"
  elif [ $((n % 1000)) = 0 ]; then echo "$((n / 1000))k"
  else echo "$n"; fi
}

start=$(date +%s)
if [ "$catalog_only" = 1 ]; then
  if [ "$mode" = scaling ]; then
    for n in $SCALING_SIZES; do catalog_for "$n" $((n / 10)) >/dev/null; done
  else
    catalog_for "$items" "$users" >/dev/null
  fi
elif [ "$mode" = scaling ]; then
  jsons=()
  for n in $SCALING_SIZES; do
    # The 1M step is the default run, so it writes results/<date>.md.
    tag=$(size_tag "$n")
    [ "$n" = 1000000 ] && tag=""
    run_suite "$n" $((n / 10)) "$tag"
    jsons+=("$last_json")
  done
  # Fixed names, so that the README's links always show the latest curve;
  # the largest size's report gets the table too.
  /usr/bin/python3 bench/suite_report.py scaling --out=bench/results/scaling \
    --append_to="${last_json%.json}.md" "${jsons[@]}"
  echo "wrote bench/results/scaling.md, .json and .png" >&2
else
  if [ -z "$label" ] && [ "$items" != 1000000 ]; then label=$(size_tag "$items"); fi
  run_suite "$items" "$users" "$label"
fi
echo "bench/run.sh: $(($(date +%s) - start)) s" >&2
