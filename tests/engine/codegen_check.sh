#!/bin/sh
# Checks that the committed engine models are what engine/codegen/gen_models.py makes of
# the Docker Engine API specs (engine/spec/): regenerates into a temporary directory and
# compares.
#
# Usage: codegen_check.sh SOURCE_ROOT
# Exit: 0 identical, 1 different (the diff is printed) or when the specs or python3 with
# PyYAML (Debian: python3-yaml, installed by scripts/setup-deps) are missing.
set -u

root=${1:?usage: codegen_check.sh SOURCE_ROOT}
specs="$root/engine/spec"

if [ ! -f "$specs/v1.41.yaml" ] || [ ! -f "$specs/v1.56.yaml" ]; then
  echo "FAIL: no specs in $specs"
  exit 1
fi
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import yaml' >/dev/null 2>&1; then
  echo "FAIL: python3 with PyYAML (python3-yaml) is not available; run scripts/setup-deps"
  exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if ! python3 "$root/engine/codegen/gen_models.py" --spec-dir "$specs" --out-dir "$tmp"; then
  echo "FAIL: the generator failed"
  exit 1
fi

status=0
count=0
for f in $(cd "$tmp" && find . -type f | sort); do
  count=$((count + 1))
  if ! diff -u "$root/$f" "$tmp/$f" >"$tmp/.diff" 2>&1; then
    echo "FAIL: $f differs from the generator's output (run engine/codegen/gen_models.py):"
    head -n 40 "$tmp/.diff"
    status=1
  fi
done
# A generated file the generator no longer writes would be stale.
for f in "$root"/engine/src/models_json_*.cpp; do
  [ -e "$f" ] || continue
  rel=./${f#"$root"/}
  if [ ! -e "$tmp/$rel" ]; then
    echo "FAIL: $rel is no longer generated"
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "ok: $count generated files match"
exit "$status"
