#!/usr/bin/env bash
# Downstream consumption tests (meson test suite `integration`, see tests/meson.build):
#
#   run.sh subproject [SOURCE_ROOT]   tests/consumer/ copied to a temporary directory,
#                                     subprojects/berth there a symlink to SOURCE_ROOT,
#                                     berth built through dependency('berth', fallback: ...)
#   run.sh pkgconfig  [SOURCE_ROOT]   a throwaway build of berth installed into a
#                                     temporary prefix, ping.cpp compiled against it with
#                                     `pkg-config --cflags --libs berth`
#
# Either way the program pings the dockerd of the environment (DOCKER_HOST, else
# /var/run/docker.sock) through berth::http::client and must print OK. Exit status: 0 on
# OK; 77 (meson: skipped) when dockerd does not answer, unless BERTH_REQUIRE_DAEMONS=1 or
# CI=true, which make that a failure; 1 for anything else. Everything is built in a
# temporary directory (removed afterwards unless BERTH_KEEP_CONSUMER=1) with two jobs.
# CXX picks the compiler (tests/meson.build passes the one of the build under test).
set -euo pipefail

die() { printf 'consumer: %s\n' "$*" >&2; exit 1; }

mode=${1:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "${2:-$here/../..}" && pwd -P) || die "no source root"
[[ -f $root/meson.build && -f $root/tests/consumer/ping.cpp ]] ||
  die "$root is not the berth source root"

case $mode in
  subproject | pkgconfig) ;;
  *) die "usage: run.sh subproject|pkgconfig [SOURCE_ROOT]" ;;
esac

daemons_required() {
  [[ ${BERTH_REQUIRE_DAEMONS:-} == 1 || ${CI:-} == true ]]
}

for tool in meson ninja; do
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

# Small builds: no optimisation, no tests, benchmarks, command, examples or fuzz targets.
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
    setup=(--wrap-mode=nodownload -Dbuildtype=plain "--prefix=$tmp/prefix")
    for o in "${berth_off[@]}"; do setup+=("-D$o"); done
    meson setup "$tmp/berth-build" "$root" "${setup[@]}" || die "meson setup of berth failed"
    ninja -C "$tmp/berth-build" -j2 || die "building berth failed"
    meson install -C "$tmp/berth-build" --no-rebuild --quiet || die "meson install failed"

    # The libdir is Meson's default for this system (lib/x86_64-linux-gnu on Debian).
    pc=$(find "$tmp/prefix" -path '*/pkgconfig/berth.pc' -print -quit)
    [[ -n $pc ]] || die "no berth.pc under $tmp/prefix"
    export PKG_CONFIG_PATH=${pc%/berth.pc}
    libdir=$(pkg-config --variable=libdir berth) || die "pkg-config cannot read $pc"
    cflags=$(pkg-config --cflags berth) || die "pkg-config --cflags berth failed"
    libs=$(pkg-config --libs berth) || die "pkg-config --libs berth failed"
    printf 'consumer: %s\n  Cflags: %s\n  Libs: %s\n' "$pc" "$cflags" "$libs"
    [[ " $cflags " == *" -DASIO_STANDALONE "* ]] || die "berth.pc Cflags lack -DASIO_STANDALONE"
    [[ -f $libdir/libberth.so ]] || die "no libberth.so in $libdir"

    read -r -a cflag_words <<<"$cflags"
    read -r -a lib_words <<<"$libs"
    "${cxx[@]}" -std=c++20 "${cflag_words[@]}" "$here/ping.cpp" -o "$tmp/ping" "${lib_words[@]}" ||
      die "compiling ping.cpp against the installed berth failed"
    program=(env "LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/ping")
    ;;
esac

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
[[ $out == OK ]] || die "the consumer program printed '$out', not OK"
printf 'consumer (%s): OK\n' "$mode"
