#!/usr/bin/env bash
# Integration tests of the berth command: the built binary against the real dockerd (and
# the loopback registry). One case per invocation: run.sh CASE PATH/TO/berth
#
# Every container carries the label berth.test.cli=<unique>; the case sweeps it at exit.
# Skips (exit 77) when dockerd is not reachable, unless CI=true or BERTH_REQUIRE_DAEMONS=1.
set -uo pipefail

case_name=$1
BERTH=$2
IMAGE=${BERTH_TEST_IMAGE:-berth-test/busybox:latest}
if [[ ${CI:-} == true || ${BERTH_REQUIRE_DAEMONS:-} == 1 ]]; then
  # CI: the engines are found only through what `scripts/engines env` prints.
  : "${DOCKER_HOST:?is not set (scripts/engines env)}" "${BERTH_REGISTRY:?is not set}"
fi
REGISTRY=${BERTH_REGISTRY:-127.0.0.1:5000}
UNIQ="cli-$case_name-$$-$RANDOM"
LABEL="berth.test.cli=$UNIQ"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-cli-$case_name.XXXXXX")
failures=0

cleanup() {
  "$BERTH" sweep --label "$LABEL" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# check_eq WHAT EXPECTED ACTUAL
check_eq() {
  if [[ "$2" == "$3" ]]; then echo "ok: $1"; else fail "$1: expected [$2], got [$3]"; fi
}
# check_contains WHAT NEEDLE HAYSTACK
check_contains() {
  if [[ "$3" == *"$2"* ]]; then echo "ok: $1"; else fail "$1: [$2] not in [$3]"; fi
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
lines() { if [[ -s "$1" ]]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

if ! "$BERTH" version >/dev/null 2>"$WORK/err"; then
  if [[ "${CI:-}" == "true" || "${BERTH_REQUIRE_DAEMONS:-}" == "1" ]]; then
    echo "dockerd unreachable: $(cat "$WORK/err")" >&2
    exit 1
  fi
  echo "SKIP: dockerd unreachable" >&2
  exit 77
fi
if ! "$BERTH" inspect "$IMAGE" >/dev/null 2>&1; then
  echo "the test image $IMAGE is missing (scripts/test imports it with build/tests/berth-prepare)" >&2
  exit 1
fi

# ---- cases ----------------------------------------------------------------------------

case_help() {
  "$BERTH" --help >"$WORK/out" 2>"$WORK/err"
  check_eq "berth --help exits 0" 0 $?
  local commands="version info ps run exec logs start stop restart pause unpause kill rm inspect wait pull push images rmi tag commit build save load events sweep"
  for c in $commands; do
    grep -q "^  $c " "$WORK/out" || fail "berth --help does not list $c"
    "$BERTH" "$c" --help >"$WORK/h" 2>"$WORK/e"
    local rc=$?
    check_eq "berth $c --help exits 0" 0 $rc
    local first
    first=$(head -1 "$WORK/h")
    grep -q "^Usage: berth $c" <<<"$first" || fail "berth $c --help: $first"
    grep -q -- "--help" "$WORK/h" || fail "berth $c --help does not mention --help"
    [[ -s "$WORK/e" ]] && fail "berth $c --help wrote to stderr: $(cat "$WORK/e")"
  done
  "$BERTH" run --network none --help >"$WORK/h"
  for o in --rm --detach --interactive --tty --name --env --volume --label --workdir --user; do
    grep -q -- "$o" "$WORK/h" || fail "run --help lacks $o"
  done
  # A command's --help needs no daemon.
  "$BERTH" --host unix:///nonexistent.sock ps --help >/dev/null
  check_eq "--help without a daemon" 0 $?
}

case_errors() {
  "$BERTH" frobnicate >"$WORK/out" 2>"$WORK/err"
  check_eq "unknown command exit" 2 $?
  check_eq "unknown command: one line" 1 "$(lines "$WORK/err")"
  check_contains "unknown command message" "unknown command 'frobnicate'" "$(cat "$WORK/err")"

  "$BERTH" run --network none --bogus "$IMAGE" true 2>"$WORK/err"
  check_eq "unknown option exit" 2 $?
  check_eq "unknown option message" "berth run: unknown option --bogus" "$(cat "$WORK/err")"

  "$BERTH" inspect "berth-no-such-thing-$UNIQ" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  [[ $rc -ne 0 ]] || fail "inspect of a missing object exits 0"
  check_eq "missing object: one line" 1 "$(lines "$WORK/err")"
  check_contains "missing object message" "berth: " "$(cat "$WORK/err")"

  "$BERTH" rm "berth-no-such-container-$UNIQ" 2>"$WORK/err"
  rc=$?
  check_eq "rm of a missing container exit" 125 $rc
  check_contains "rm: the daemon's words" "berth-no-such-container-$UNIQ" "$(cat "$WORK/err")"

  "$BERTH" --host unix:///nonexistent/berth.sock ps 2>"$WORK/err"
  check_eq "unreachable daemon exit" 125 $?
  check_eq "unreachable daemon: one line" 1 "$(lines "$WORK/err")"
  check_contains "unreachable daemon message" "cannot reach dockerd" "$(cat "$WORK/err")"

  # Without containerd in this build: "not available"; with it: the socket is not there.
  "$BERTH" --engine containerd --address /nonexistent/containerd.sock ps 2>"$WORK/err"
  rc=$?
  [[ $rc -ne 0 ]] || fail "--engine containerd exits 0"
  check_eq "--engine containerd: one line" 1 "$(lines "$WORK/err")"
  check_contains "--engine containerd message" "containerd" "$(cat "$WORK/err")"

  "$BERTH" --engine podman ps 2>"$WORK/err"
  check_eq "unknown engine exit" 2 $?

  "$BERTH" run --network none --rm "$REGISTRY/berth-test/no-such-image-$UNIQ:nope" true >"$WORK/out" 2>"$WORK/err"
  rc=$?
  check_eq "run of a missing image exit" 125 $rc
  check_contains "run of a missing image message" "berth: " "$(tail -1 "$WORK/err")"
}

case_binary() {
  # A fixed host file through a read-only bind mount, out through stdout: same bytes.
  head -c 10485760 /dev/urandom >"$WORK/blob"
  "$BERTH" run --network none --rm --label "$LABEL" -v "$WORK:/data:ro" "$IMAGE" cat /data/blob >"$WORK/got" 2>"$WORK/err"
  check_eq "bind-mounted blob: exit" 0 $?
  check_eq "bind-mounted blob: sha256" "$(sha "$WORK/blob")" "$(sha "$WORK/got")"
  check_eq "bind-mounted blob: stderr empty" "" "$(cat "$WORK/err")"

  # 10 MiB generated inside the container: its own sha256 (stderr) matches what we got.
  "$BERTH" run --network none --rm --label "$LABEL" "$IMAGE" sh -c \
    'head -c 10485760 /dev/urandom >/tmp/r; sha256sum /tmp/r | cut -d" " -f1 >&2; cat /tmp/r' \
    >"$WORK/got2" 2>"$WORK/err2"
  check_eq "generated: exit" 0 $?
  check_eq "generated: size" 10485760 "$(stat -c %s "$WORK/got2")"
  check_eq "generated: sha256 from the container" "$(cat "$WORK/err2")" "$(sha "$WORK/got2")"

  # stdout and stderr apart, interleaved writes.
  "$BERTH" run --network none --rm --label "$LABEL" "$IMAGE" sh -c \
    'for i in 1 2 3; do echo out$i; echo err$i >&2; done; printf "\000\001\377"' >"$WORK/o" 2>"$WORK/e"
  check_eq "separated stdout" "$(printf 'out1\nout2\nout3\n\000\001\377' | sha256sum | cut -d' ' -f1)" "$(sha "$WORK/o")"
  check_eq "separated stderr" "$(printf 'err1\nerr2\nerr3\n')" "$(cat "$WORK/e")"

  # exec: the same bytes back out of a running container.
  local id
  id=$("$BERTH" run --network none -d --label "$LABEL" -v "$WORK:/data:ro" "$IMAGE" sleep 300)
  "$BERTH" exec "$id" cat /data/blob >"$WORK/got3"
  check_eq "exec: sha256" "$(sha "$WORK/blob")" "$(sha "$WORK/got3")"
  "$BERTH" exec "$id" sh -c 'echo e >&2; echo o' >"$WORK/o" 2>"$WORK/e"
  check_eq "exec: stdout" o "$(cat "$WORK/o")"
  check_eq "exec: stderr" e "$(cat "$WORK/e")"
}

case_exit_codes() {
  "$BERTH" run --network none --rm --label "$LABEL" "$IMAGE" true
  check_eq "run true" 0 $?
  "$BERTH" run --network none --rm --label "$LABEL" "$IMAGE" sh -c 'exit 1'
  check_eq "run exit 1" 1 $?
  "$BERTH" run --network none --rm --label "$LABEL" "$IMAGE" sh -c 'exit 42'
  check_eq "run exit 42" 42 $?
  # Killed from outside: 128 + 9.
  "$BERTH" run --network none --rm --label "$LABEL" --name "$UNIQ" "$IMAGE" sleep 300 >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    [[ "$("$BERTH" ps -q --filter "name=$UNIQ" --filter status=running)" != "" ]] && break
    sleep 0.1
  done
  "$BERTH" kill "$UNIQ" >/dev/null
  wait $pid
  check_eq "run killed" 137 $?
  # --rm removed it.
  check_eq "run --rm removed the container" "" "$("$BERTH" ps -a -q --filter "name=$UNIQ")"
  # Without --rm the container stays, exited.
  "$BERTH" run --network none --label "$LABEL" --name "$UNIQ-kept" "$IMAGE" sh -c 'exit 7'
  check_eq "run exit 7" 7 $?
  check_eq "kept container" 1 "$("$BERTH" ps -a -q --filter "name=$UNIQ-kept" | wc -l)"
  check_eq "wait prints the exit code" 7 "$("$BERTH" wait "$UNIQ-kept")"
}

case_stdin() {
  head -c 5242880 /dev/urandom >"$WORK/in"
  "$BERTH" run --network none --rm -i --label "$LABEL" "$IMAGE" cat <"$WORK/in" >"$WORK/out"
  check_eq "run -i cat: exit" 0 $?
  check_eq "run -i cat: sha256" "$(sha "$WORK/in")" "$(sha "$WORK/out")"
  # End of input reaches the container: wc sees it and the run ends.
  check_eq "run -i: half-close" 3 "$(printf 'a\nb\nc\n' | "$BERTH" run --network none --rm -i --label "$LABEL" "$IMAGE" wc -l | tr -d ' ')"
  printf 'x' | "$BERTH" run --network none --rm -i --label "$LABEL" "$IMAGE" sh -c 'cat >/dev/null; exit 9'
  check_eq "run -i: exit code after end of input" 9 $?
  local id
  id=$("$BERTH" run --network none -d --label "$LABEL" "$IMAGE" sleep 300)
  "$BERTH" exec -i "$id" cat <"$WORK/in" >"$WORK/out2"
  check_eq "exec -i cat: sha256" "$(sha "$WORK/in")" "$(sha "$WORK/out2")"
  check_eq "exec -i: half-close" 2 "$(printf 'a\nb\n' | "$BERTH" exec -i "$id" wc -l | tr -d ' ')"
}

case_exec() {
  local id
  id=$("$BERTH" run --network none -d --label "$LABEL" "$IMAGE" sleep 300)
  "$BERTH" exec "$id" sh -c 'exit 3'
  check_eq "exec exit code" 3 $?
  check_eq "exec -e" "v1" "$("$BERTH" exec -e K1=v1 "$id" sh -c 'echo $K1')"
  check_eq "exec --workdir" "/tmp" "$("$BERTH" exec --workdir /tmp "$id" pwd)"
  check_eq "exec --user" "1234" "$("$BERTH" exec --user 1234 "$id" id -u)"
  "$BERTH" exec --timeout 1 "$id" sleep 30 2>"$WORK/err"
  check_eq "exec --timeout exit" 124 $?
  check_contains "exec --timeout message" "timed out" "$(cat "$WORK/err")"
  check_eq "exec --timeout in time" "fine" "$("$BERTH" exec --timeout 20 "$id" echo fine)"
  "$BERTH" exec "berth-no-such-$UNIQ" true 2>"$WORK/err"
  check_eq "exec in a missing container" 125 $?
  check_eq "exec in a missing container: one line" 1 "$(lines "$WORK/err")"
  # run with options
  check_eq "run -e --workdir --user" "v2 /etc 99" \
    "$("$BERTH" run --network none --rm --label "$LABEL" -e K2=v2 --workdir /etc --user 99 "$IMAGE" sh -c 'echo $K2 $(pwd) $(id -u)')"
}

case_ps_filters() {
  local a b
  a=$("$BERTH" run --network none -d --label "$LABEL" --label "berth.test.role=$UNIQ-a" --name "$UNIQ-a" "$IMAGE" sleep 300)
  b=$("$BERTH" run --network none -d --label "$LABEL" --name "$UNIQ-b" "$IMAGE" true)
  "$BERTH" wait "$b" >/dev/null
  check_eq "ps: running only" "${a:0:12}" "$("$BERTH" ps -q --filter "label=$LABEL")"
  check_eq "ps -a: both" 2 "$("$BERTH" ps -a -q --filter "label=$LABEL" | wc -l)"
  check_eq "ps: status=exited" "${b:0:12}" "$("$BERTH" ps -a -q --filter "label=$LABEL" --filter status=exited)"
  check_eq "ps: name=" "${b:0:12}" "$("$BERTH" ps -a -q --filter "name=$UNIQ-b")"
  check_eq "ps: second label" "${a:0:12}" "$("$BERTH" ps -a -q --filter "label=berth.test.role=$UNIQ-a")"
  check_eq "ps: no match" "" "$("$BERTH" ps -a -q --filter "label=berth.test.none=$UNIQ")"
  local table
  table=$("$BERTH" ps -a --filter "label=$LABEL")
  check_contains "ps table header" "CONTAINER ID" "$table"
  check_contains "ps table name" "$UNIQ-a" "$table"
  check_contains "ps table image" "$IMAGE" "$table"
  "$BERTH" ps --filter nonsense 2>/dev/null
  check_eq "ps: malformed filter" 2 $?
}

case_logs() {
  local id
  id=$("$BERTH" run --network none -d --label "$LABEL" "$IMAGE" sh -c 'seq 1 100; sleep 0.5; echo to-stderr >&2')
  "$BERTH" wait "$id" >/dev/null
  # --tail counts the lines of both streams: the last one is stderr's. dockerd copies the
  # two streams into its log apart, so stderr's line comes a little later to be last.
  check_eq "logs --tail 3" "$(printf '99\n100')" "$("$BERTH" logs --tail 3 "$id" 2>/dev/null)"
  check_eq "logs: stderr" "to-stderr" "$("$BERTH" logs "$id" 2>&1 >/dev/null)"
  check_eq "logs: all of stdout" 100 "$("$BERTH" logs "$id" 2>/dev/null | wc -l)"
  check_eq "logs --tail 0" "" "$("$BERTH" logs --tail 0 "$id" 2>&1)"
  local ts
  ts=$("$BERTH" logs --timestamps --tail 2 "$id" 2>/dev/null)  # the last line is stderr's
  [[ "$ts" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*\ 100$ ]] && echo "ok: logs --timestamps" || fail "logs --timestamps: [$ts]"
  check_eq "logs --since the future" "" "$("$BERTH" logs --since $(( $(date +%s) + 3600 )) "$id" 2>&1)"
  # -f follows until the container stops.
  local f
  f=$("$BERTH" run --network none -d --label "$LABEL" "$IMAGE" sh -c 'echo first; sleep 1; echo second')
  check_eq "logs -f" "$(printf 'first\nsecond')" "$(timeout 30 "$BERTH" logs -f "$f")"
}

case_lifecycle() {
  local id
  id=$("$BERTH" run --network none -d --label "$LABEL" --name "$UNIQ" "$IMAGE" sleep 300)
  check_eq "inspect: running" true "$("$BERTH" inspect "$UNIQ" | grep -o '"Running":[a-z]*' | cut -d: -f2)"
  check_eq "stop prints the id" "$UNIQ" "$("$BERTH" stop --time 1 "$UNIQ")"
  check_eq "inspect: stopped" false "$("$BERTH" inspect "$UNIQ" | grep -o '"Running":[a-z]*' | cut -d: -f2)"
  check_eq "start" "$id" "$("$BERTH" start "$id")"
  # restart, pause, unpause.
  local pid1 pid2
  pid1=$("$BERTH" inspect "$UNIQ" | grep -o '"Pid":[0-9]*' | cut -d: -f2)
  check_eq "restart prints the id" "$UNIQ" "$("$BERTH" restart --time 1 "$UNIQ")"
  pid2=$("$BERTH" inspect "$UNIQ" | grep -o '"Pid":[0-9]*' | cut -d: -f2)
  [[ -n $pid2 && $pid2 != "$pid1" && $pid2 != 0 ]] && echo "ok: restart: a new process" || fail "restart: pid $pid1 -> $pid2"
  check_eq "pause" "$UNIQ" "$("$BERTH" pause "$UNIQ")"
  check_eq "pause: status" paused "$("$BERTH" inspect "$UNIQ" | grep -o '"Status":"[a-z]*"' | head -1 | cut -d'"' -f4)"
  check_eq "unpause" "$UNIQ" "$("$BERTH" unpause "$UNIQ")"
  check_eq "unpause: status" running "$("$BERTH" inspect "$UNIQ" | grep -o '"Status":"[a-z]*"' | head -1 | cut -d'"' -f4)"
  # commit: the container's changes as a new image that runs.
  "$BERTH" exec "$UNIQ" sh -c 'echo committed >/greeting'
  local cid
  cid=$("$BERTH" commit -m "berth cli test" "$UNIQ" "berth-test/commit-$UNIQ:1")
  [[ $cid =~ ^sha256:[0-9a-f]{64}$ ]] && echo "ok: commit prints the image id" || fail "commit: [$cid]"
  check_eq "commit: the new image runs" committed \
    "$("$BERTH" run --network none --rm --label "$LABEL" "berth-test/commit-$UNIQ:1" cat /greeting)"
  check_contains "commit: the message" "berth cli test" "$("$BERTH" inspect "berth-test/commit-$UNIQ:1")"
  "$BERTH" rmi "berth-test/commit-$UNIQ:1" >/dev/null
  check_eq "kill --signal" "$id" "$("$BERTH" kill --signal SIGKILL "$id")"
  check_eq "wait after kill" 137 "$("$BERTH" wait "$id")"
  check_eq "rm" "$id" "$("$BERTH" rm "$id")"
  "$BERTH" inspect "$id" >/dev/null 2>&1
  [[ $? -ne 0 ]] && echo "ok: gone after rm" || fail "container still there after rm"
  local r
  r=$("$BERTH" run --network none -d --label "$LABEL" "$IMAGE" sleep 300)
  "$BERTH" rm "$r" >/dev/null 2>&1
  [[ $? -ne 0 ]] && echo "ok: rm of a running container fails" || fail "rm removed a running container"
  check_eq "rm -f" "$r" "$("$BERTH" rm -f "$r")"
  # Several ids, one missing: the others are done, the exit is non-zero.
  local x y
  x=$("$BERTH" run --network none -d --label "$LABEL" "$IMAGE" true)
  y=$("$BERTH" run --network none -d --label "$LABEL" "$IMAGE" true)
  "$BERTH" wait "$x" "$y" >/dev/null
  "$BERTH" rm "$x" "berth-no-such-$UNIQ" "$y" >"$WORK/out" 2>"$WORK/err"
  check_eq "rm with one missing: exit" 125 $?
  check_eq "rm with one missing: removed the others" "$(printf '%s\n%s' "$x" "$y")" "$(cat "$WORK/out")"
  check_eq "rm with one missing: one error line" 1 "$(lines "$WORK/err")"
  # inspect of an image, and of two objects.
  check_eq "inspect image and container" 2 "$("$BERTH" inspect "$IMAGE" "$IMAGE" | grep -c '"Id"')"
  # (Output captured first: with pipefail, grep -q's early exit can fail `cmd | grep -q`.)
  local out
  out=$("$BERTH" version)
  grep -q "^Server: Docker Engine" <<<"$out" && echo "ok: version" || fail "version: $out"
  out=$("$BERTH" info)
  grep -q "^Runtimes: .*runc" <<<"$out" && echo "ok: info" || fail "info: $out"
  "$BERTH" --runtime kata run --network none -d --label "$LABEL" --name "$UNIQ-kata" "$IMAGE" true >/dev/null
  check_contains "--runtime kata" '"Runtime":"kata"' "$("$BERTH" inspect "$UNIQ-kata")"
}

case_registry() {
  local ref="$REGISTRY/berth-cli/busybox:$UNIQ"
  "$BERTH" tag "$IMAGE" "$ref"
  check_eq "tag exit" 0 $?
  "$BERTH" push "$ref" >"$WORK/push" 2>"$WORK/err"
  check_eq "push exit" 0 $?
  check_contains "push: plain progress" "$UNIQ: digest: sha256:" "$(cat "$WORK/push")"
  grep -q $'\x1b' "$WORK/push" && fail "push wrote terminal escapes to a pipe"
  "$BERTH" rmi "$ref" >"$WORK/rmi"
  check_contains "rmi" "Untagged: $ref" "$(cat "$WORK/rmi")"
  "$BERTH" inspect "$ref" >/dev/null 2>&1 && fail "image still there after rmi"
  "$BERTH" pull "$ref" >"$WORK/pull" 2>"$WORK/err"
  check_eq "pull exit" 0 $?
  check_contains "pull: status line" "Status: " "$(cat "$WORK/pull")"
  grep -q $'\x1b' "$WORK/pull" && fail "pull wrote terminal escapes to a pipe"
  check_contains "images lists it" "berth-cli/busybox" "$("$BERTH" images | grep "$UNIQ")"
  check_eq "pulled image runs" hi "$("$BERTH" run --network none --rm --label "$LABEL" "$ref" echo hi)"
  "$BERTH" rmi "$ref" >/dev/null
  "$BERTH" pull "$REGISTRY/berth-cli/busybox:no-such-tag-$UNIQ" >/dev/null 2>"$WORK/err"
  check_eq "pull of a missing tag exit" 125 $?
  check_eq "pull of a missing tag: one line" 1 "$(lines "$WORK/err")"
}

case_build() {
  mkdir -p "$WORK/ctx/sub"
  printf 'FROM %s\nARG GREETING=none\nCOPY . /ctx/\nRUN echo "$GREETING" >/greeting\nLABEL %s\n' \
    "$IMAGE" "$LABEL" >"$WORK/ctx/Dockerfile"
  echo "from the context" >"$WORK/ctx/sub/file"
  head -c 1048576 /dev/urandom >"$WORK/ctx/ignored.bin"
  echo "ignored.bin" >"$WORK/ctx/.dockerignore"
  local tag="berth-test/cli-built:$UNIQ"
  "$BERTH" build --network none -t "$tag" --build-arg GREETING=hello "$WORK/ctx" >"$WORK/out" 2>"$WORK/err"
  check_eq "build exit" 0 $?
  check_eq "built image: ARG" hello "$("$BERTH" run --network none --rm --label "$LABEL" "$tag" cat /greeting)"
  check_eq "built image: COPY" "from the context" "$("$BERTH" run --network none --rm --label "$LABEL" "$tag" cat /ctx/sub/file)"
  "$BERTH" run --network none --rm --label "$LABEL" "$tag" test -e /ctx/ignored.bin
  check_eq ".dockerignore honoured" 1 $?
  # The step's container carries the labels set before it: none may be left behind
  # (the daemon keeps it unless asked; each one also leaves dockerd a sandbox to clean).
  printf 'FROM %s\nLABEL berth.test.build=%s\nRUN exit 3\n' "$IMAGE" "$UNIQ" >"$WORK/ctx/Dockerfile"
  "$BERTH" build --network none "$WORK/ctx" >"$WORK/out" 2>"$WORK/err"
  check_eq "failing build exit" 125 $?
  check_contains "failing build message" "berth: " "$(cat "$WORK/err")"
  check_eq "failing build: no container left" "" "$("$BERTH" ps -a -q --filter "label=berth.test.build=$UNIQ")"
  "$BERTH" build --network none --keep-failed "$WORK/ctx" >"$WORK/out" 2>"$WORK/err"
  check_eq "failing build --keep-failed exit" 125 $?
  local kept
  kept=$("$BERTH" ps -a -q --filter "label=berth.test.build=$UNIQ")
  check_eq "failing build --keep-failed: the step's container kept" 1 "$(printf '%s' "$kept" | grep -c .)"
  [[ -z $kept ]] || "$BERTH" rm -f "$kept" >/dev/null
  "$BERTH" build "$WORK/no-such-dir" 2>/dev/null
  check_eq "build of a missing dir" 125 $?
  "$BERTH" rmi "$tag" >/dev/null
}

case_save_load() {
  local tag="berth-test/cli-saved:$UNIQ"
  "$BERTH" tag "$IMAGE" "$tag"
  local id
  id=$("$BERTH" inspect "$tag" | grep -o '"Id":"sha256:[0-9a-f]*"' | head -1)
  "$BERTH" save "$tag" >"$WORK/img.tar"
  check_eq "save exit" 0 $?
  local entries
  entries=$(tar -tf "$WORK/img.tar")
  grep -q "manifest.json" <<<"$entries" && echo "ok: save wrote a tar" || fail "save: no manifest.json"
  "$BERTH" rmi "$tag" >/dev/null
  "$BERTH" load <"$WORK/img.tar" >"$WORK/out"
  check_eq "load exit" 0 $?
  check_contains "load output" "$tag" "$(cat "$WORK/out")"
  check_eq "loaded image id" "$id" "$("$BERTH" inspect "$tag" | grep -o '"Id":"sha256:[0-9a-f]*"' | head -1)"
  # save -o, load -i, and a pipe straight through.
  "$BERTH" save -o "$WORK/img2.tar" "$tag"
  check_eq "save -o is the same archive" "$(sha "$WORK/img.tar")" "$(sha "$WORK/img2.tar")"
  "$BERTH" rmi "$tag" >/dev/null
  "$BERTH" load -i "$WORK/img2.tar" >/dev/null
  check_eq "load -i" "$id" "$("$BERTH" inspect "$tag" | grep -o '"Id":"sha256:[0-9a-f]*"' | head -1)"
  echo "not a tar" | "$BERTH" load >/dev/null 2>"$WORK/err"
  [[ $? -ne 0 ]] && echo "ok: load of garbage fails" || fail "load of garbage succeeded"
  check_eq "load of garbage: one line" 1 "$(lines "$WORK/err")"
  "$BERTH" rmi "$tag" >/dev/null
}

case_events() {
  local since id
  since=$(date +%s)
  id=$("$BERTH" run --network none -d --label "$LABEL" "$IMAGE" true)
  "$BERTH" wait "$id" >/dev/null
  sleep 1
  "$BERTH" events --since "$since" --until "$(( $(date +%s) + 1 ))" --filter "label=$LABEL" --filter type=container \
    >"$WORK/ev"
  check_eq "events exit" 0 $?
  for action in create start die; do
    grep -q " container $action $id " "$WORK/ev" && echo "ok: event $action" || fail "no $action event in: $(cat "$WORK/ev")"
  done
  grep -q "berth.test.cli=$UNIQ" "$WORK/ev" && echo "ok: event attributes" || fail "no label attribute in events"
  check_eq "events: nothing else" "" "$(grep -v " $id " "$WORK/ev")"
}

case_sweep() {
  local a b keep
  a=$("$BERTH" run --network none -d --label "$LABEL" --label extra=1 "$IMAGE" sleep 300)
  b=$("$BERTH" run --network none -d --label "$LABEL" "$IMAGE" true)
  keep=$("$BERTH" run --network none -d --label "berth.test.cli=$UNIQ-other" "$IMAGE" sleep 300)
  "$BERTH" sweep --label "$LABEL" >"$WORK/out"
  check_eq "sweep exit" 0 $?
  check_eq "sweep: removed both" 2 "$(grep -c '^container ' "$WORK/out")"
  check_eq "sweep: none left" "" "$("$BERTH" ps -a -q --filter "label=$LABEL")"
  check_eq "sweep: other label untouched" "${keep:0:12}" "$("$BERTH" ps -a -q --filter "label=berth.test.cli=$UNIQ-other")"
  "$BERTH" sweep --label "berth.test.cli=$UNIQ-other" >/dev/null
  check_eq "sweep again: idempotent" "" "$("$BERTH" sweep --label "$LABEL")"
  "$BERTH" sweep 2>/dev/null
  check_eq "sweep without a label" 2 $?
}

case_tty() {
  # script(1) gives berth a terminal.
  script -qec "\"$BERTH\" run --network none --rm --label $LABEL -t $IMAGE sh -c 'test -t 1 && echo tty-yes; exit 4'" /dev/null \
    >"$WORK/out" </dev/null
  check_eq "run -t: exit code" 4 $?
  check_contains "run -t: the container has a terminal" "tty-yes" "$(cat "$WORK/out")"
  local ref="$REGISTRY/berth-cli/busybox:$UNIQ"
  "$BERTH" tag "$IMAGE" "$ref" && "$BERTH" push "$ref" >/dev/null && "$BERTH" rmi "$ref" >/dev/null
  script -qec "\"$BERTH\" pull $ref" /dev/null >"$WORK/pull" </dev/null
  check_eq "pull on a terminal: exit" 0 $?
  grep -q $'\x1b\\[[0-9]*A' "$WORK/pull" && echo "ok: progress redrawn in place" || fail "no cursor movement on a terminal"
  "$BERTH" rmi "$ref" >/dev/null
}

if ! declare -F "case_$case_name" >/dev/null; then
  echo "no such case: $case_name" >&2
  exit 1
fi
"case_$case_name"
if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
