#!/usr/bin/env bash
# Installs the Debian 12 packages zhongcao builds, runs and tests with, but
# only when one is missing, so a second run costs nothing. Arguments name
# more packages, for a caller with needs of its own (bench/run.sh's plots).
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libfaiss-dev libopenblas0 libeigen3-dev librocksdb-dev libabsl-dev libroaring-dev libxxhash-dev
  libtomlplusplus-dev libgtest-dev libgmock-dev libcsv-dev nlohmann-json3-dev
  libbenchmark-dev libhnswlib-dev libxgboost-dev libgoogle-perftools-dev
  python3 python3-grpcio python3-protobuf python3-numpy
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
