#!/usr/bin/env bash
# Downstream consumption tests (meson test suite `integration`, see tests/meson.build).
# The consumer (ping.cpp) uses only the Docker Engine API layer, berth-engine:
#
#   run.sh subproject SOURCE_ROOT          tests/consumer/ copied to a temporary directory,
#                                          subprojects/berth there a symlink to SOURCE_ROOT,
#                                          berth built through dependency('berth-engine',
#                                          fallback: ...) (a small build: no containerd)
#   run.sh pkgconfig SOURCE_ROOT BUILD_DIR the build under test (all layers, containerd
#                                          included) installed into a temporary root
#                                          (meson install --destdir), ping.cpp compiled
#                                          against it with `pkg-config --cflags --libs
#                                          berth-engine`
#
# Either way the program must answer OK from the dockerd of the environment, and what it
# loads (its NEEDED entries, and every library ldd resolves for it) must include no gRPC,
# protobuf, abseil or curl library and no berth layer other than core, config and engine.
# Exit status: 0 on success; 77 (meson: skipped) when dockerd does not answer, unless
# BERTH_REQUIRE_DAEMONS=1 or CI=true, which make that a failure; 1 for anything else.
# Everything is built in a temporary directory (removed afterwards unless
# BERTH_KEEP_CONSUMER=1) with two jobs. CXX picks the compiler.
set -euo pipefail

die() { printf 'consumer: %s\n' "$*" >&2; exit 1; }

mode=${1:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "${2:-$here/../..}" && pwd -P) || die "no source root"
build_dir=${3:-}
[[ -f $root/meson.build && -f $root/tests/consumer/ping.cpp ]] ||
  die "$root is not the berth source root"

case $mode in
  subproject | pkgconfig) ;;
  *) die "usage: run.sh subproject|pkgconfig [SOURCE_ROOT]" ;;
esac

daemons_required() {
  [[ ${BERTH_REQUIRE_DAEMONS:-} == 1 || ${CI:-} == true ]]
}

for tool in meson ninja readelf ldd; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done
read -r -a cxx <<<"${CXX:-c++}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/berth-consumer-$mode.XXXXXX") || die "mktemp failed"
cleanup() {
  if [[ ${BERTH_KEEP_CONSUMER:-} == 1 ]]; then
    printf 'consumer: kept %s\n' "$tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# The subproject build is small: no optimisation, no tests, benchmarks, command, examples,
# fuzz targets or containerd.
berth_off=(tests=false bench=false cli=false examples=false integration_tests=false
  fuzz_targets=false containerd=disabled curl=disabled)

case $mode in
  subproject)
    mkdir -p "$tmp/src/subprojects"
    cp "$here/meson.build" "$here/ping.cpp" "$tmp/src/"
    ln -s "$root" "$tmp/src/subprojects/berth"
    setup=(--wrap-mode=nodownload -Dbuildtype=plain)
    for o in "${berth_off[@]}"; do setup+=("-Dberth:$o"); done
    meson setup "$tmp/build" "$tmp/src" "${setup[@]}" || die "meson setup of the consumer failed"
    ninja -C "$tmp/build" -j2 || die "building the consumer failed"
    program=("$tmp/build/berth-consumer")
    ;;
  pkgconfig)
    command -v pkg-config >/dev/null 2>&1 || die "pkg-config not found"
    [[ -n $build_dir && -f $build_dir/build.ninja ]] || die "usage: run.sh pkgconfig SOURCE_ROOT BUILD_DIR"
    dest=$tmp/root
    meson install -C "$build_dir" --no-rebuild --quiet --destdir "$dest" >/dev/null ||
      die "meson install of $build_dir failed"

    # The .pc files name the configured prefix; PKG_CONFIG_SYSROOT_DIR puts the
    # temporary root in front of the paths they give.
    pc=$(find "$dest" -path '*/pkgconfig/berth-engine.pc' -print -quit)
    [[ -n $pc ]] || die "no berth-engine.pc under $dest"
    for layer in berth-core berth-config berth-engine; do
      [[ -f ${pc%/berth-engine.pc}/$layer.pc ]] || die "no $layer.pc beside $pc"
    done
    export PKG_CONFIG_PATH=${pc%/berth-engine.pc} PKG_CONFIG_SYSROOT_DIR=$dest
    cflags=$(pkg-config --cflags berth-engine) || die "pkg-config --cflags berth-engine failed"
    libs=$(pkg-config --libs berth-engine) || die "pkg-config --libs berth-engine failed"
    libdir=$(pkg-config --variable=libdir berth-engine) || die "pkg-config cannot read $pc"
    # pkgconf puts the sysroot in front of variables too; pkg-config did not always.
    [[ $libdir == "$dest"/* ]] || libdir=$dest$libdir
    printf 'consumer: %s\n  Cflags: %s\n  Libs: %s\n' "$pc" "$cflags" "$libs"
    [[ " $cflags " == *" -DASIO_STANDALONE "* ]] || die "berth-engine.pc Cflags lack -DASIO_STANDALONE"
    [[ -f $libdir/libberth-engine.so ]] || die "no libberth-engine.so in $libdir"

    read -r -a cflag_words <<<"$cflags"
    read -r -a lib_words <<<"$libs"
    "${cxx[@]}" -std=c++20 "${cflag_words[@]}" "$here/ping.cpp" -o "$tmp/ping" "${lib_words[@]}" ||
      die "compiling ping.cpp against the installed berth failed"
    export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    program=("$tmp/ping")
    ;;
esac

# What an Engine-API-only program loads: its own NEEDED entries, then everything the
# dynamic loader resolves for it.
needed=$(readelf -d "${program[0]}" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
printf 'consumer: NEEDED: %s\n' "$(tr '\n' ' ' <<<"$needed")"
grep -q '^libberth-engine\.so' <<<"$needed" || die "the consumer does not link libberth-engine"
loaded=$(ldd "${program[0]}") || die "ldd ${program[0]} failed"
if grep -q 'not found' <<<"$loaded"; then
  die "unresolved libraries: $(grep 'not found' <<<"$loaded" | tr -s ' \t' ' ')"
fi
forbidden=$(grep -oE 'lib(grpc|gpr|protobuf|absl|curl|berth-containerd|berth-kata)[^ ]*' <<<"$loaded" | sort -u || true)
if [[ -n $forbidden ]]; then
  die "an Engine-API-only program loads $(tr '\n' ' ' <<<"$forbidden")"
fi
printf 'consumer: loads %d libraries, none of gRPC, protobuf, abseil or curl\n' "$(wc -l <<<"$loaded")"

set +e
out=$("${program[@]}")
status=$?
set -e
printf '%s\n' "$out"

if ((status == 77)); then
  if daemons_required; then
    die "dockerd does not answer and daemons are required (BERTH_REQUIRE_DAEMONS=1 or CI=true)"
  fi
  printf 'consumer: dockerd does not answer: skipped (BERTH_REQUIRE_DAEMONS=1 fails instead)\n' >&2
  exit 77
fi
((status == 0)) || die "the consumer program exited with status $status"
[[ $out == "OK "* ]] || die "the consumer program printed '$out', not OK <version>"
printf 'consumer (%s): OK\n' "$mode"
