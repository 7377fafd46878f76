#!/bin/sh
# The demo's first build compiles only the Docker Engine API layers: everything that
# berth-demo and berth-prepare (what scripts/demo builds) are made from, per ninja, must
# come from lib/, config/, engine/, examples/ and tests/support/; no containerd, kata,
# gRPC or protobuf input.
#
# Usage: demo_build_set.sh BUILD_DIR
set -u
build=${1:?usage: demo_build_set.sh BUILD_DIR}
inputs=$(ninja -C "$build" -t inputs examples/berth-demo tests/berth-prepare) || {
  echo "FAIL: ninja -t inputs failed"
  exit 1
}
count=$(printf '%s\n' "$inputs" | grep -c '\.cpp$')
bad=$(printf '%s\n' "$inputs" | grep -E 'containerd|kata/|grpc|protobuf|\.proto|/cli/|/bench/|/fuzz/' || true)
if [ -n "$bad" ]; then
  echo "FAIL: the demo's build set includes:"
  printf '%s\n' "$bad" | head -20
  exit 1
fi
echo "ok: the demo builds $count C++ sources, none of containerd, kata, gRPC or protobuf"
