#!/usr/bin/env bash
# Quick start: installs what is missing, builds, generates a demo catalog
# (once) and serves it on localhost:50051 until Ctrl-C.
#   DEMO_DIR   data directory (default ./data/demo)
#   DEMO_ITEMS DEMO_USERS  catalog size (default 50000 items, 5000 users)
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target zhongcao_server zhongcao_demo_catalog_tool zhongcao_cli

dir=${DEMO_DIR:-data/demo}
if [ ! -e "$dir/index/CURRENT" ]; then
  rm -rf "$dir"
  build/tools/demo/zhongcao_demo_catalog --data_dir="$dir" \
    --items="${DEMO_ITEMS:-50000}" --users="${DEMO_USERS:-5000}"
fi

# One OpenMP thread per searching thread; see ../shared/STACK.md.
export OMP_NUM_THREADS=1
echo "serving $dir on localhost:50051; try: build/tools/cli/zhongcao_cli feed --user=u000001" >&2
exec build/service/zhongcao_server --data_dir="$dir" --listen=localhost:50051 \
  --config=deploy/zhongcao.toml
