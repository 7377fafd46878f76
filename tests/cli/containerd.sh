#!/usr/bin/env bash
# Integration tests of the berth command with --engine containerd: the built binary against
# the real containerd of scripts/engines and the loopback registry. One case per
# invocation: containerd.sh CASE PATH/TO/berth
#
# Each case works in namespaces of its own (berth-cli-<case>-<pid>...), which must be empty
# at the end (no container, task, image, snapshot, lease or blob; checked with ctr, which
# then deletes them), and leaves no FIFO directory (TMPDIR) and no log file (XDG_STATE_HOME).
# Skips (exit 77) when containerd is not reachable, unless CI=true or BERTH_REQUIRE_DAEMONS=1.
set -uo pipefail

case_name=$1
BERTH=$2
if [[ ${CI:-} == true || ${BERTH_REQUIRE_DAEMONS:-} == 1 ]]; then
  # CI: the engines are found only through what `scripts/engines env` prints.
  : "${BERTH_CONTAINERD_ADDRESS:?is not set (scripts/engines env)}" "${BERTH_REGISTRY:?is not set}"
  : "${DOCKER_HOST:?is not set (scripts/engines env)}"
fi
ADDR=${BERTH_CONTAINERD_ADDRESS:-/var/tmp/berth/ctrd/containerd.sock}
REGISTRY=${BERTH_REGISTRY:-127.0.0.1:5000}
IMAGE="$REGISTRY/berth-test/busybox:latest"
UNIQ="c$$-$RANDOM"
NS="berth-cli-$case_name-$$"
NAMESPACES=("$NS")
LABEL="berth.test.cli=$UNIQ"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-cli-ctrd-$case_name.XXXXXX")
mkdir -p "$WORK/tmp" "$WORK/state"
export TMPDIR="$WORK/tmp" XDG_STATE_HOME="$WORK/state"
unset CONTAINERD_ADDRESS CONTAINERD_NAMESPACE
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
check_eq() {
  if [[ "$2" == "$3" ]]; then echo "ok: $1"; else fail "$1: expected [$2], got [$3]"; fi
}
check_contains() {
  if [[ "$3" == *"$2"* ]]; then echo "ok: $1"; else fail "$1: [$2] not in [$3]"; fi
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
lines() { if [[ -s "$1" ]]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
# C ARGS...: berth on containerd, in the case's namespace; C_NS NS ARGS...: in another.
C() { "$BERTH" --engine containerd --address "$ADDR" --namespace "$NS" "$@"; }
C_NS() { local ns=$1; shift; "$BERTH" --engine containerd --address "$ADDR" --namespace "$ns" "$@"; }
ctr_ns() { local ns=$1; shift; ctr --address "$ADDR" -n "$ns" "$@"; }

# Empties and deletes the case's namespaces with berth; whatever berth left is a failure
# (and is removed with ctr so that nothing stays behind).
cleanup_done=0
daemon_ok=0
cleanup() {
  [[ $cleanup_done -eq 1 || $daemon_ok -eq 0 ]] && return
  cleanup_done=1
  local ns left
  for ns in "${NAMESPACES[@]}"; do
    C_NS "$ns" sweep --label "$LABEL" >/dev/null 2>&1
    for c in $(C_NS "$ns" ps -a -q 2>/dev/null); do C_NS "$ns" rm -f "$c" >/dev/null 2>&1; done
    for i in $(C_NS "$ns" images -q 2>/dev/null); do C_NS "$ns" rmi "$i" >/dev/null 2>&1; done
    left=""
    [[ -n "$(ctr_ns "$ns" tasks ls -q 2>/dev/null)" ]] && left+=" tasks"
    [[ -n "$(ctr_ns "$ns" containers ls -q 2>/dev/null)" ]] && left+=" containers"
    [[ -n "$(ctr_ns "$ns" images ls -q 2>/dev/null)" ]] && left+=" images"
    [[ -n "$(ctr_ns "$ns" snapshots ls 2>/dev/null | tail -n +2)" ]] && left+=" snapshots"
    [[ -n "$(ctr_ns "$ns" leases ls -q 2>/dev/null)" ]] && left+=" leases"
    [[ -n "$(ctr_ns "$ns" content ls -q 2>/dev/null)" ]] && left+=" blobs"
    [[ -n "$left" ]] && fail "namespace $ns: left behind:$left"
    # Remove anything left so that the namespace can go.
    for t in $(ctr_ns "$ns" tasks ls -q 2>/dev/null); do ctr_ns "$ns" tasks kill -s SIGKILL "$t" >/dev/null 2>&1; sleep 0.2; ctr_ns "$ns" tasks rm -f "$t" >/dev/null 2>&1; done
    for c in $(ctr_ns "$ns" containers ls -q 2>/dev/null); do ctr_ns "$ns" containers rm "$c" >/dev/null 2>&1; done
    for i in $(ctr_ns "$ns" images ls -q 2>/dev/null); do ctr_ns "$ns" images rm --sync "$i" >/dev/null 2>&1; done
    for l in $(ctr_ns "$ns" leases ls -q 2>/dev/null); do ctr_ns "$ns" leases rm "$l" >/dev/null 2>&1; done
    for _ in 1 2 3 4; do
      for s in $(ctr_ns "$ns" snapshots ls 2>/dev/null | tail -n +2 | cut -d' ' -f1); do ctr_ns "$ns" snapshots rm "$s" >/dev/null 2>&1; done
    done
    for b in $(ctr_ns "$ns" content ls -q 2>/dev/null); do ctr_ns "$ns" content rm "$b" >/dev/null 2>&1; done
    # (No `ctr ... | grep -q`: with pipefail, grep's early exit can fail the pipeline.)
    if grep -qx "$ns" <<<"$(ctr --address "$ADDR" namespaces ls -q)"; then
      ctr --address "$ADDR" namespaces rm "$ns" >"$WORK/nserr" 2>&1 || fail "namespace $ns not deleted: $(cat "$WORK/nserr")"
    fi
    grep -qx "$ns" <<<"$(ctr --address "$ADDR" namespaces ls -q)" && fail "namespace $ns is still there: $(cat "$WORK/nserr" 2>/dev/null)"
  done
  local fifos logs
  fifos=$(find "$WORK/tmp" -mindepth 1 -maxdepth 1 -name 'berth-fifo-*' 2>/dev/null)
  [[ -n "$fifos" ]] && fail "FIFO directories left behind: $fifos"
  logs=$(find "$WORK/state" -type f 2>/dev/null)
  [[ -n "$logs" ]] && fail "log files left behind: $logs"
}
trap 'cleanup; rm -rf "$WORK"' EXIT

if ! C version >/dev/null 2>"$WORK/err"; then
  if [[ "${CI:-}" == "true" || "${BERTH_REQUIRE_DAEMONS:-}" == "1" ]]; then
    echo "containerd unreachable at $ADDR: $(cat "$WORK/err")" >&2
    exit 1
  fi
  echo "SKIP: containerd unreachable at $ADDR" >&2
  exit 77
fi
daemon_ok=1
if ! command -v ctr >/dev/null; then
  echo "ctr (containerd's CLI, used to check that nothing is left behind) is missing" >&2
  exit 1
fi
# The test image must be in the loopback registry: scripts/engines and the containerd tests
# push it there; else push it through dockerd with berth itself.
if ! C pull "$IMAGE" >/dev/null 2>"$WORK/err"; then
  "$BERTH" tag berth-test/busybox:latest "$IMAGE" >/dev/null 2>&1 && "$BERTH" push "$IMAGE" >/dev/null 2>&1
  if ! C pull "$IMAGE" >/dev/null 2>"$WORK/err"; then
    fail "cannot pull the test image $IMAGE: $(cat "$WORK/err")"
    exit 1
  fi
fi

# ---- cases ----------------------------------------------------------------------------

case_images() {
  check_contains "images lists the pulled image" "$REGISTRY/berth-test/busybox" "$(C images | grep latest)"
  check_eq "images -q" "$IMAGE" "$(C images -q)"
  check_contains "inspect image" "\"Name\":\"$IMAGE\"" "$(C inspect "$IMAGE")"
  "$BERTH" --engine containerd --address "$ADDR" --namespace "$NS-empty" images -q >"$WORK/out" 2>&1
  NAMESPACES+=("$NS-empty")
  check_eq "--namespace: another namespace has no image" "" "$(cat "$WORK/out")"
  # pull again: plain lines (no escapes) on a pipe.
  C rmi "$IMAGE" >"$WORK/rmi"
  check_eq "rmi" "Untagged: $IMAGE" "$(cat "$WORK/rmi")"
  check_eq "rmi: gone" "" "$(C images -q)"
  C pull "$IMAGE" >"$WORK/pull" 2>"$WORK/err"
  check_eq "pull exit" 0 $?
  check_contains "pull: status line" "Status: Downloaded $IMAGE" "$(cat "$WORK/pull")"
  check_contains "pull: digest line" "Digest: sha256:" "$(cat "$WORK/pull")"
  grep -Eq '^[0-9a-f]{12}: Download complete' "$WORK/pull" && echo "ok: pull: a line per layer" \
    || fail "pull: no layer line: $(cat "$WORK/pull")"
  C pull "$IMAGE" >"$WORK/pull" 2>"$WORK/err"
  grep -Eq '^[0-9a-f]{12}: Already exists' "$WORK/pull" && echo "ok: pull again: the layers exist" \
    || fail "pull again: $(cat "$WORK/pull")"
  C pull "$REGISTRY/berth-test/none:nope" >/dev/null 2>"$WORK/err"
  check_eq "pull of a missing image: exit" 125 $?
  check_contains "pull of a missing image: the registry's answer" "manifest unknown" "$(cat "$WORK/err")"
  grep -q $'\x1b' "$WORK/pull" && fail "pull wrote terminal escapes to a pipe"
  # On a terminal: progress redrawn in place (the bars need a blob still being written, so
  # only the final status lines are certain).
  C rmi "$IMAGE" >/dev/null
  script -qec "\"$BERTH\" --engine containerd --address $ADDR --namespace $NS pull $IMAGE" /dev/null >"$WORK/tpull" </dev/null
  check_eq "pull on a terminal: exit" 0 $?
  check_contains "pull on a terminal: status" "Status: Downloaded" "$(cat "$WORK/tpull")"
  C tag "$IMAGE" "$REGISTRY/berth-cli/tagged:$UNIQ"
  check_eq "tag exit" 0 $?
  check_contains "tag: both names" "berth-cli/tagged" "$(C images)"
  check_eq "tagged image runs" hi "$(C run --rm "$REGISTRY/berth-cli/tagged:$UNIQ" echo hi)"
  C rmi "$REGISTRY/berth-cli/tagged:$UNIQ" >/dev/null
  C pull "$REGISTRY/berth-test/busybox:no-such-tag-$UNIQ" >"$WORK/out" 2>"$WORK/err"
  check_eq "pull of a missing tag exit" 125 $?
  check_eq "pull of a missing tag: one line" 1 "$(lines "$WORK/err")"
  C rmi "$REGISTRY/no/such:image" 2>"$WORK/err"
  check_eq "rmi of a missing image" 125 $?
  for cmd in "push $IMAGE" "build ."; do
    C $cmd </dev/null >/dev/null 2>"$WORK/err"
    check_eq "$cmd: unsupported exit" 125 $?
    check_contains "$cmd: unsupported message" "not supported with --engine containerd" "$(cat "$WORK/err")"
  done
}

# Nothing at all in namespace NS (checked with ctr): no image, blob, lease or snapshot.
check_empty_ns() {
  local ns=$1 what=$2 left=""
  [[ -n "$(ctr_ns "$ns" images ls -q 2>/dev/null)" ]] && left+=" images"
  [[ -n "$(ctr_ns "$ns" content ls -q 2>/dev/null)" ]] && left+=" blobs"
  [[ -n "$(ctr_ns "$ns" leases ls -q 2>/dev/null)" ]] && left+=" leases"
  [[ -n "$(ctr_ns "$ns" snapshots ls 2>/dev/null | tail -n +2)" ]] && left+=" snapshots"
  if [[ -z "$left" ]]; then echo "ok: $what: nothing left"; else fail "$what: left behind:$left"; fi
}

case_load() {
  # An image name that no registry has, so that run can only use the loaded image.
  local name="$REGISTRY/berth-cli/loaded-$UNIQ:v1"
  C tag "$IMAGE" "$name"
  ctr_ns "$NS" images export "$WORK/img.tar" "$name" 2>"$WORK/err"
  check_eq "ctr images export" 0 $?
  local other="$NS-load"
  NAMESPACES+=("$other")
  # From stdin, streamed.
  C_NS "$other" load <"$WORK/img.tar" >"$WORK/out" 2>"$WORK/err"
  check_eq "load < tar: exit" 0 $?
  check_eq "load < tar: output" "Loaded image: $name" "$(cat "$WORK/out")"
  check_eq "load < tar: no stderr" "" "$(cat "$WORK/err")"
  check_eq "load < tar: images" "$name" "$(C_NS "$other" images -q)"
  check_eq "loaded image runs" hi "$(C_NS "$other" run --rm "$name" echo hi 2>"$WORK/err")"
  check_eq "loaded image runs: no pull" "" "$(cat "$WORK/err")"
  # From a file, after rmi; loading again over an existing image works too.
  C_NS "$other" rmi "$name" >/dev/null
  C_NS "$other" load -i "$WORK/img.tar" >"$WORK/out" 2>"$WORK/err"
  check_eq "load -i: exit" 0 $?
  check_eq "load -i: output" "Loaded image: $name" "$(cat "$WORK/out")"
  C_NS "$other" load -i "$WORK/img.tar" >"$WORK/out" 2>"$WORK/err"
  check_eq "load -i again: exit" 0 $?
  check_eq "load -i: image runs" hi "$(C_NS "$other" run --rm "$name" echo hi)"
  C_NS "$other" rmi "$name" >/dev/null
  # A docker-save archive (dockerd's own format), written by berth from dockerd's test image.
  "$BERTH" save -o "$WORK/docker.tar" berth-test/busybox:latest 2>"$WORK/err"
  check_eq "berth save (docker) of the test image: exit" 0 $?
  C_NS "$other" load <"$WORK/docker.tar" >"$WORK/out" 2>"$WORK/err"
  check_eq "load of docker save: exit" 0 $?
  check_eq "load of docker save: output" "Loaded image: docker.io/berth-test/busybox:latest" "$(cat "$WORK/out")"
  check_eq "load of docker save: image runs" hi "$(C_NS "$other" run --rm docker.io/berth-test/busybox:latest echo hi)"
  C_NS "$other" rmi docker.io/berth-test/busybox:latest >/dev/null
  # A truncated archive: one line, 125, and nothing left in a namespace of its own.
  local trunc="$NS-trunc"
  NAMESPACES+=("$trunc")
  head -c $(( $(stat -c %s "$WORK/img.tar") / 2 )) "$WORK/img.tar" >"$WORK/trunc.tar"
  C_NS "$trunc" load <"$WORK/trunc.tar" >"$WORK/out" 2>"$WORK/err"
  check_eq "load of a truncated tar: exit" 125 $?
  check_eq "load of a truncated tar: one line" 1 "$(lines "$WORK/err")"
  check_contains "load of a truncated tar: message" "berth: load: " "$(cat "$WORK/err")"
  check_eq "load of a truncated tar: no output" "" "$(cat "$WORK/out")"
  echo "  ($(cat "$WORK/err"))"
  check_empty_ns "$trunc" "load of a truncated tar"
  C_NS "$trunc" load -i "$WORK/trunc.tar" >"$WORK/out" 2>"$WORK/err"
  check_eq "load -i of a truncated tar: exit" 125 $?
  check_eq "load -i of a truncated tar: one line" 1 "$(lines "$WORK/err")"
  check_empty_ns "$trunc" "load -i of a truncated tar"
  C_NS "$trunc" load -i "$WORK/no-such.tar" >"$WORK/out" 2>"$WORK/err"
  check_eq "load -i of a missing file: exit" 125 $?
  check_contains "load -i of a missing file: message" "no-such.tar" "$(cat "$WORK/err")"
  C_NS "$trunc" load </dev/null >"$WORK/out" 2>"$WORK/err"
  check_eq "load of empty input: exit" 125 $?
  check_eq "load of empty input: one line" 1 "$(lines "$WORK/err")"
  check_empty_ns "$trunc" "load of empty input"
  C rmi "$name" >/dev/null
}

case_run() {
  C run --rm --label "$LABEL" "$IMAGE" true
  check_eq "run true" 0 $?
  C run --rm --label "$LABEL" "$IMAGE" sh -c 'exit 1'
  check_eq "run exit 1" 1 $?
  C run --rm --label "$LABEL" "$IMAGE" sh -c 'exit 42'
  check_eq "run exit 42" 42 $?
  # 4 MiB generated inside the container, written to a file first: its own sha256
  # (stderr) matches what we got on stdout.
  C run --rm --label "$LABEL" "$IMAGE" sh -c \
    'head -c 4194304 /dev/urandom >/tmp/r; sha256sum /tmp/r | cut -d" " -f1 >&2; cat /tmp/r' \
    >"$WORK/got" 2>"$WORK/err"
  check_eq "binary: exit" 0 $?
  check_eq "binary: size" 4194304 "$(stat -c %s "$WORK/got")"
  check_eq "binary: sha256 from the container" "$(cat "$WORK/err")" "$(sha "$WORK/got")"
  # stdout and stderr apart.
  C run --rm --label "$LABEL" "$IMAGE" sh -c \
    'for i in 1 2 3; do echo out$i; echo err$i >&2; done; printf "\000\001\377"' >"$WORK/o" 2>"$WORK/e"
  check_eq "separated stdout" "$(printf 'out1\nout2\nout3\n\000\001\377' | sha256sum | cut -d' ' -f1)" "$(sha "$WORK/o")"
  check_eq "separated stderr" "$(printf 'err1\nerr2\nerr3\n')" "$(cat "$WORK/e")"
  # A host file through a read-only bind mount.
  mkdir -p "$WORK/data"
  head -c 2097152 /dev/urandom >"$WORK/data/blob"
  C run --rm --label "$LABEL" -v "$WORK/data:/data:ro" "$IMAGE" cat /data/blob >"$WORK/got2"
  check_eq "bind mount: sha256" "$(sha "$WORK/data/blob")" "$(sha "$WORK/got2")"
  C run --rm --label "$LABEL" -v "$WORK/data:/data:ro" "$IMAGE" sh -c 'echo x >/data/new' 2>/dev/null
  [[ $? -ne 0 && ! -e "$WORK/data/new" ]] && echo "ok: :ro is read-only" || fail ":ro mount was writable"
  check_eq "run -e --workdir --user" "v2 /etc 99:98" \
    "$(C run --rm --label "$LABEL" -e K2=v2 --workdir /etc --user 99:98 "$IMAGE" sh -c 'echo $K2 $(pwd) $(id -u):$(id -g)')"
  C run --rm --label "$LABEL" --user nobody "$IMAGE" true 2>"$WORK/err"
  check_eq "run --user by name: exit" 125 $?
  check_contains "run --user by name: message" "no such user" "$(cat "$WORK/err")"
  # Without --rm the container stays, exited, until rm.
  C run --label "$LABEL" --name "$UNIQ-kept" "$IMAGE" sh -c 'exit 7'
  check_eq "run exit 7" 7 $?
  check_eq "kept container" "$UNIQ-kept" "$(C ps -a -q --filter "name=$UNIQ-kept")"
  check_eq "kept: status=exited" "$UNIQ-kept" "$(C ps -a -q --filter status=exited)"
  check_contains "kept: ps shows the exit code" "Exited (7)" "$(C ps -a)"
  check_eq "wait prints the exit code" 7 "$(C wait "$UNIQ-kept")"
  C run --name "$UNIQ-kept" "$IMAGE" true 2>"$WORK/err"
  check_eq "a name in use" 125 $?
  check_contains "a name in use: message" "already in use" "$(cat "$WORK/err")"
  C logs "$UNIQ-kept" >/dev/null 2>"$WORK/err"
  check_eq "logs of a foreground container exit" 125 $?
  check_contains "logs of a foreground container: why" "no logs" "$(cat "$WORK/err")"
  check_eq "rm" "$UNIQ-kept" "$(C rm "$UNIQ-kept")"
  # --rm left nothing.
  check_eq "--rm removed its containers" "" "$(C ps -a -q)"
  # An unknown image: one line, 125.
  C run --rm "$REGISTRY/berth-test/no-such-image-$UNIQ:nope" true >"$WORK/out" 2>"$WORK/err"
  check_eq "run of a missing image exit" 125 $?
  check_eq "run of a missing image: one line" 1 "$(lines "$WORK/err")"
  check_contains "run of a missing image message" "berth: " "$(cat "$WORK/err")"
  # A missing image that the registry has is pulled first (quietly on a pipe).
  C rmi "$IMAGE" >/dev/null
  check_eq "run pulls a missing image" pulled "$(C run --rm "$IMAGE" echo pulled 2>"$WORK/err")"
  check_eq "run's pull is quiet on a pipe" "" "$(cat "$WORK/err")"
  # Killed from outside: 128 + 9; --rm still removes it.
  C run --rm --name "$UNIQ-k" "$IMAGE" sleep 300 >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    [[ -n "$(C ps -q --filter "name=$UNIQ-k")" ]] && break
    sleep 0.1
  done
  C kill "$UNIQ-k" >/dev/null
  wait $pid
  check_eq "run killed" 137 $?
  check_eq "killed --rm container removed" "" "$(C ps -a -q --filter "name=$UNIQ-k")"
  C run -d --rm "$IMAGE" true 2>"$WORK/err"
  check_eq "run -d --rm: refused" 2 $?
  check_eq "run -d --rm: nothing created" "" "$(C ps -a -q)"
  # start of a container first run in the foreground: its output is recorded from then on.
  C run --name "$UNIQ-fg" "$IMAGE" echo again >/dev/null
  check_eq "start of a foreground container" "$UNIQ-fg" "$(C start "$UNIQ-fg")"
  check_eq "wait after start" 0 "$(C wait "$UNIQ-fg")"
  check_eq "logs after start" again "$(C logs "$UNIQ-fg")"
  C rm "$UNIQ-fg" >/dev/null
  C run --rm --network bridge "$IMAGE" true 2>"$WORK/err"
  check_eq "--network: refused" 2 $?
  check_eq "--network: one line" 1 "$(lines "$WORK/err")"
}

case_stdin() {
  head -c 5242880 /dev/urandom >"$WORK/in"
  C run --rm -i --label "$LABEL" "$IMAGE" cat <"$WORK/in" >"$WORK/out"
  check_eq "run -i cat: exit" 0 $?
  check_eq "run -i cat: sha256" "$(sha "$WORK/in")" "$(sha "$WORK/out")"
  check_eq "run -i: end of input reaches the container" 3 \
    "$(printf 'a\nb\nc\n' | C run --rm -i --label "$LABEL" "$IMAGE" wc -l | tr -d ' ')"
  printf 'x' | C run --rm -i --label "$LABEL" "$IMAGE" sh -c 'cat >/dev/null; exit 9'
  check_eq "run -i: exit code after end of input" 9 $?
  local id
  id=$(C run -d --label "$LABEL" "$IMAGE" sleep 300)
  C exec -i "$id" cat <"$WORK/in" >"$WORK/out2"
  check_eq "exec -i cat: sha256" "$(sha "$WORK/in")" "$(sha "$WORK/out2")"
  check_eq "exec -i: end of input" 2 "$(printf 'a\nb\n' | C exec -i "$id" wc -l | tr -d ' ')"
  printf 'q' | C exec -i "$id" sh -c 'cat >/dev/null; echo e >&2; exit 5' 2>"$WORK/e"
  check_eq "exec -i: exit code" 5 $?
  check_eq "exec -i: stderr apart" e "$(cat "$WORK/e")"
  C exec -i --timeout 1 "$id" sleep 30 </dev/zero 2>"$WORK/err"
  check_eq "exec -i --timeout exit" 124 $?
  check_contains "exec -i --timeout message" "timed out" "$(cat "$WORK/err")"
  C run -d -i "$IMAGE" cat 2>/dev/null
  check_eq "run -d -i: refused" 2 $?
}

case_exec() {
  local id
  id=$(C run -d --label "$LABEL" "$IMAGE" sleep 300)
  C exec "$id" sh -c 'exit 3'
  check_eq "exec exit code" 3 $?
  check_eq "exec -e" "v1" "$(C exec -e K1=v1 "$id" sh -c 'echo $K1')"
  check_eq "exec --workdir" "/tmp" "$(C exec --workdir /tmp "$id" pwd)"
  check_eq "exec --user" "1234" "$(C exec --user 1234 "$id" id -u)"
  C exec "$id" sh -c 'echo e >&2; printf "o\000"' >"$WORK/o" 2>"$WORK/e"
  check_eq "exec: stdout" "$(printf 'o\000' | sha256sum | cut -d' ' -f1)" "$(sha "$WORK/o")"
  check_eq "exec: stderr" e "$(cat "$WORK/e")"
  C exec --timeout 1 "$id" sleep 30 2>"$WORK/err"
  check_eq "exec --timeout exit" 124 $?
  check_contains "exec --timeout message" "timed out" "$(cat "$WORK/err")"
  check_eq "exec --timeout in time" "fine" "$(C exec --timeout 20 "$id" echo fine)"
  # The output before the timeout is kept; the exec's children die with it; the
  # container lives on.
  C exec --timeout 2 "$id" sh -c 'echo partial; sleep 3001 & sleep 3002' >"$WORK/o" 2>/dev/null
  check_eq "exec --timeout: exit with partial output" 124 $?
  check_eq "exec --timeout: partial output kept" partial "$(cat "$WORK/o")"
  check_eq "exec --timeout: children killed" 0 \
    "$(C exec "$id" sh -c 'for p in /proc/[0-9]*; do tr "\000" " " <$p/cmdline; echo; done | grep -c "^sleep 300[12]"')"
  check_eq "exec --timeout: container still running" "$id" "$(C ps -q --filter "name=$id")"
  C exec "berth-no-such-$UNIQ" true 2>"$WORK/err"
  check_eq "exec in a missing container" 125 $?
  check_eq "exec in a missing container: one line" 1 "$(lines "$WORK/err")"
  C kill "$id" >/dev/null
  C wait "$id" >/dev/null
  C exec "$id" true 2>"$WORK/err"
  check_eq "exec in a stopped container" 125 $?
  check_contains "exec in a stopped container: message" "not running" "$(cat "$WORK/err")"
}

case_ps() {
  local a b
  a=$(C run -d --label "$LABEL" --label "berth.test.role=$UNIQ-a" --name "$UNIQ-a" "$IMAGE" sleep 300)
  b=$(C run -d --label "$LABEL" --name "$UNIQ-b" "$IMAGE" true)
  check_eq "run -d prints the name" "$UNIQ-a" "$a"
  C wait "$b" >/dev/null
  check_eq "ps: running only" "$a" "$(C ps -q --filter "label=$LABEL")"
  check_eq "ps -a: both" 2 "$(C ps -a -q --filter "label=$LABEL" | wc -l)"
  check_eq "ps: status=exited" "$b" "$(C ps -a -q --filter "label=$LABEL" --filter status=exited)"
  check_eq "ps: status=running" "$a" "$(C ps -a -q --filter status=running)"
  check_eq "ps: name=" "$b" "$(C ps -a -q --filter "name=$UNIQ-b")"
  check_eq "ps: second label" "$a" "$(C ps -a -q --filter "label=berth.test.role=$UNIQ-a")"
  check_eq "ps: label key only" "$a" "$(C ps -a -q --filter "label=berth.test.role")"
  check_eq "ps: no match" "" "$(C ps -a -q --filter "label=berth.test.none=$UNIQ")"
  local table
  table=$(C ps -a --filter "label=$LABEL")
  check_contains "ps table header" "CONTAINER ID" "$table"
  check_contains "ps table name" "$UNIQ-a" "$table"
  check_contains "ps table image" "$IMAGE" "$table"
  check_contains "ps table runtime" "io.containerd.runc.v2" "$table"
  C ps --filter nonsense 2>/dev/null
  check_eq "ps: malformed filter" 2 $?
  C ps --filter ancestor=x 2>"$WORK/err"
  check_eq "ps: unsupported filter" 2 $?
  # --namespace isolation: the other namespace sees none of these.
  local other="$NS-other"
  NAMESPACES+=("$other")
  check_eq "other namespace: no container" "" "$(C_NS "$other" ps -a -q)"
  C_NS "$other" pull "$IMAGE" >/dev/null
  local o
  o=$(C_NS "$other" run -d --label "$LABEL" "$IMAGE" sleep 300)
  check_eq "other namespace: its own container" "$o" "$(C_NS "$other" ps -q)"
  check_eq "ours does not see it" "" "$(C ps -a -q --filter "name=$o")"
  C rm "$o" 2>/dev/null
  check_eq "rm from another namespace fails" 125 $?
  C_NS "$other" rm -f "$o" >/dev/null
}

case_lifecycle() {
  local id
  id=$(C run -d --label "$LABEL" --name "$UNIQ" "$IMAGE" sleep 300)
  check_eq "inspect: running" true "$(C inspect "$UNIQ" | grep -o '"Running":[a-z]*' | cut -d: -f2)"
  check_eq "stop prints the id" "$UNIQ" "$(C stop --time 1 "$UNIQ")"
  check_eq "inspect: stopped" false "$(C inspect "$UNIQ" | grep -o '"Running":[a-z]*' | cut -d: -f2)"
  check_eq "start" "$id" "$(C start "$id")"
  check_eq "inspect: running again" true "$(C inspect "$UNIQ" | grep -o '"Running":[a-z]*' | cut -d: -f2)"
  # restart: a new task (a new pid) that runs; pause freezes it, unpause thaws it.
  local pid1 pid2
  pid1=$(C inspect "$UNIQ" | grep -o '"Pid":[0-9]*' | cut -d: -f2)
  check_eq "restart prints the id" "$UNIQ" "$(C restart --time 1 "$UNIQ")"
  pid2=$(C inspect "$UNIQ" | grep -o '"Pid":[0-9]*' | cut -d: -f2)
  [[ -n $pid2 && $pid2 != "$pid1" && $pid2 != 0 ]] && echo "ok: restart: a new task" || fail "restart: pid $pid1 -> $pid2"
  check_eq "restart: running" true "$(C inspect "$UNIQ" | grep -o '"Running":[a-z]*' | cut -d: -f2)"
  check_eq "pause" "$UNIQ" "$(C pause "$UNIQ")"
  check_eq "pause: status" paused "$(C inspect "$UNIQ" | grep -o '"Status":"[a-z]*"' | head -1 | cut -d'"' -f4)"
  check_eq "unpause" "$UNIQ" "$(C unpause "$UNIQ")"
  check_eq "unpause: status" running "$(C inspect "$UNIQ" | grep -o '"Status":"[a-z]*"' | head -1 | cut -d'"' -f4)"
  check_eq "kill --signal" "$id" "$(C kill --signal SIGKILL "$id")"
  check_eq "wait after kill" 137 "$(C wait "$id")"
  check_eq "rm" "$id" "$(C rm "$id")"
  C inspect "$id" >/dev/null 2>&1
  [[ $? -ne 0 ]] && echo "ok: gone after rm" || fail "container still there after rm"
  local r
  r=$(C run -d --label "$LABEL" "$IMAGE" sleep 300)
  C rm "$r" >/dev/null 2>"$WORK/err"
  [[ $? -ne 0 ]] && echo "ok: rm of a running container fails" || fail "rm removed a running container"
  check_eq "rm of a running container: one line" 1 "$(lines "$WORK/err")"
  check_eq "rm -f" "$r" "$(C rm -f "$r")"
  local x y
  x=$(C run -d --label "$LABEL" "$IMAGE" true)
  y=$(C run -d --label "$LABEL" "$IMAGE" sh -c 'exit 5')
  check_eq "wait of two" "$(printf '0\n5')" "$(C wait "$x" "$y")"
  C rm "$x" "berth-no-such-$UNIQ" "$y" >"$WORK/out" 2>"$WORK/err"
  check_eq "rm with one missing: exit" 125 $?
  check_eq "rm with one missing: removed the others" "$(printf '%s\n%s' "$x" "$y")" "$(cat "$WORK/out")"
  check_eq "rm with one missing: one error line" 1 "$(lines "$WORK/err")"
  grep -q "^Server: containerd" <<<"$(C version)" && echo "ok: version" || fail "version: $(C version)"
  grep -q "^Snapshotters: .*overlayfs" <<<"$(C info)" && echo "ok: info" || fail "info: $(C info)"
  # --runtime: an unknown shim fails clearly and leaves nothing.
  C --runtime io.containerd.nosuch.v1 run --rm --label "$LABEL" "$IMAGE" true >/dev/null 2>"$WORK/err"
  [[ $? -ne 0 ]] && echo "ok: unknown runtime fails" || fail "unknown runtime ran"
  check_contains "--runtime recorded" '"Runtime":"io.containerd.runc.v2"' \
    "$(C --runtime runc run -d --label "$LABEL" --name "$UNIQ-rt" "$IMAGE" true >/dev/null; C inspect "$UNIQ-rt")"
  C rm -f "$UNIQ-rt" >/dev/null

  # Logs of detached containers (recorded by berth's logger): byte for byte, apart.
  local l
  l=$(C run -d --label "$LABEL" "$IMAGE" sh -c \
    'head -c 3145728 /dev/urandom >/tmp/r; sha256sum /tmp/r | cut -d" " -f1 >&2; cat /tmp/r')
  C wait "$l" >/dev/null
  C logs "$l" >"$WORK/lo" 2>"$WORK/le"
  check_eq "logs: exit" 0 $?
  check_eq "logs: size" 3145728 "$(stat -c %s "$WORK/lo")"
  check_eq "logs: sha256 from the container" "$(cat "$WORK/le")" "$(sha "$WORK/lo")"
  C rm "$l" >/dev/null
  l=$(C run -d --label "$LABEL" "$IMAGE" sh -c 'seq 1 100; echo to-stderr >&2')
  C wait "$l" >/dev/null
  check_eq "logs --tail 3" "$(printf '99\n100')" "$(C logs --tail 3 "$l" 2>/dev/null)"
  check_eq "logs: stderr" "to-stderr" "$(C logs "$l" 2>&1 >/dev/null)"
  check_eq "logs: all of stdout" 100 "$(C logs "$l" 2>/dev/null | wc -l)"
  local ts
  ts=$(C logs --timestamps --tail 2 "$l" 2>/dev/null)
  [[ "$ts" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*\ 100$ ]] && echo "ok: logs --timestamps" || fail "logs --timestamps: [$ts]"
  check_eq "logs --since the future" "" "$(C logs --since $(( $(date +%s) + 3600 )) "$l" 2>&1)"
  local f
  f=$(C run -d --label "$LABEL" "$IMAGE" sh -c 'echo first; sleep 1; echo second')
  check_eq "logs -f" "$(printf 'first\nsecond')" "$(timeout 30 "$BERTH" --engine containerd --address "$ADDR" --namespace "$NS" logs -f "$f")"
  # start again appends to the same log.
  C start "$f" >/dev/null
  C wait "$f" >/dev/null
  check_eq "logs after start" 4 "$(C logs "$f" | wc -l)"
}

case_commit() {
  # commit: the container's changes as a new image that runs; save: an archive that
  # docker load, ctr import and berth load all read.
  local c ref="berth-test/commit-$UNIQ:1"
  c=$(C run -d --label "$LABEL" "$IMAGE" sh -c 'echo committed >/greeting; sleep 300')
  sleep 0.5
  local digest
  digest=$(C commit -m "berth cli test" "$c" "$ref")
  check_eq "commit: exit" 0 $?
  [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] && echo "ok: commit prints the digest" || fail "commit: [$digest]"
  check_eq "commit: the container still runs" "$c" "$(C ps -q --filter "name=$c")"
  check_eq "commit: the new image runs" committed "$(C run --rm --label "$LABEL" "$ref" cat /greeting)"
  C commit "berth-no-such-$UNIQ" "$ref-x" 2>"$WORK/err"
  check_eq "commit of a missing container" 125 $?
  C rm -f "$c" >/dev/null

  C save -o "$WORK/saved.tar" "$ref"
  check_eq "save -o: exit" 0 $?
  C save "$ref" >"$WORK/saved2.tar"
  check_eq "save to stdout: same bytes" "$(sha "$WORK/saved.tar")" "$(sha "$WORK/saved2.tar")"
  C save "berth-test/none-$UNIQ:1" >/dev/null 2>"$WORK/err"
  check_eq "save of a missing image" 125 $?
  # Loaded elsewhere: berth load into another namespace, ctr import, docker load.
  local other="$NS-save"
  NAMESPACES+=("$other")
  C_NS "$other" load -i "$WORK/saved.tar" >/dev/null
  check_eq "berth load of the saved archive runs" committed "$(C_NS "$other" run --rm --label "$LABEL" "$ref" cat /greeting)"
  ctr_ns "$other-ctr" images import "$WORK/saved.tar" >/dev/null 2>&1
  check_eq "ctr import of the saved archive" 0 $?
  NAMESPACES+=("$other-ctr")
  local docker="docker -H ${DOCKER_HOST:-unix:///var/run/docker.sock}"
  $docker load -i "$WORK/saved.tar" >"$WORK/out" 2>&1
  check_eq "docker load of the saved archive" 0 $?
  check_contains "docker load: the name" "$ref" "$(cat "$WORK/out")"
  check_eq "docker runs it" committed "$($docker run --rm --network none "$ref" cat /greeting 2>&1)"
  $docker rmi "$ref" >/dev/null 2>&1
  C rmi "$ref" >/dev/null
}

case_settings() {
  # stop --time: a process that ignores SIGTERM is killed when the grace period ends.
  local s
  s=$(C run -d --label "$LABEL" "$IMAGE" sh -c "trap '' TERM; while true; do sleep 0.1; done")
  sleep 0.5
  check_eq "stop --time 1 of a TERM-ignoring container" "$s" "$(C stop --time 1 "$s")"
  check_eq "stop --time: killed" 137 "$(C wait "$s")"
  # exec --timeout: the output so far is written, the exec's children die too, the
  # container runs on.
  local e
  e=$(C run -d --label "$LABEL" "$IMAGE" sleep 300)
  C exec --timeout 1 "$e" sh -c 'echo partial; sleep 61 & sleep 60' >"$WORK/out" 2>"$WORK/err"
  check_eq "exec --timeout: exit" 124 $?
  check_eq "exec --timeout: partial output" partial "$(cat "$WORK/out")"
  check_eq "exec --timeout: the background child died too" "" \
    "$(C exec "$e" sh -c 'for p in /proc/[0-9]*; do tr "\000" " " <$p/cmdline 2>/dev/null; echo; done' | grep 'sleep 6[01]')"
  check_eq "exec --timeout: the container runs on" running \
    "$(C inspect "$e" | grep -o '"Status":"[a-z]*"' | head -1 | cut -d'"' -f4)"
  # --ulimit, --init, --privileged.
  check_eq "run --ulimit" "$(printf '2048\n4096')" \
    "$(C run --rm --label "$LABEL" --ulimit nofile=2048:4096 "$IMAGE" sh -c 'ulimit -n; ulimit -Hn')"
  check_eq "run --init: tini is PID 1" "/sbin/docker-init" \
    "$(C run --rm --label "$LABEL" --init "$IMAGE" sh -c "tr '\\000' '\\n' </proc/1/cmdline | head -1")"
  # Privileged: every capability this host allows (as berth itself has them), CAP_SYS_ADMIN
  # among them; unprivileged: Docker's default set.
  check_eq "run --privileged: the host's capabilities" "$(grep CapBnd /proc/self/status | cut -f2)" \
    "$(C run --rm --label "$LABEL" --privileged "$IMAGE" sh -c "grep CapBnd /proc/self/status | cut -f2")"
  check_eq "run without --privileged: the default capabilities" "00000000a80425fb" \
    "$(C run --rm --label "$LABEL" "$IMAGE" sh -c "grep CapBnd /proc/self/status | cut -f2")"
  # -u NAME: resolved in the image's /etc/passwd (an image built and pushed for this).
  local users="$REGISTRY/berth-cli/users:$UNIQ"
  mkdir -p "$WORK/ctx"
  printf 'FROM %s\nRUN mkdir -p /etc && echo "builder:x:1234:2345::/:/bin/sh" >/etc/passwd && echo "builders:x:2345:" >/etc/group\n' \
    "berth-test/busybox:latest" >"$WORK/ctx/Dockerfile"
  "$BERTH" build --network none -t "$users" "$WORK/ctx" >/dev/null 2>"$WORK/err" || fail "building the users image: $(cat "$WORK/err")"
  "$BERTH" push "$users" >/dev/null 2>"$WORK/err" || fail "pushing the users image: $(cat "$WORK/err")"
  "$BERTH" rmi "$users" >/dev/null 2>&1
  check_eq "run -u NAME" "1234:2345" "$(C run --rm --label "$LABEL" -u builder "$users" sh -c 'echo $(id -u):$(id -g)')"
  C run --rm --label "$LABEL" -u nobody-here "$users" true 2>"$WORK/err"
  check_eq "run -u of an unknown user: exit" 125 $?
  check_contains "run -u of an unknown user: message" "no such user" "$(cat "$WORK/err")"
  C rmi "$users" >/dev/null
}

case_events() {
  local until=$(( $(date +%s) + 10 ))
  C events --until "$until" >"$WORK/ev" 2>"$WORK/everr" &
  local evpid=$!
  C events --until "$until" --filter "container=$UNIQ-ev" --filter type=tasks >"$WORK/evf" 2>&1 &
  local fpid=$!
  sleep 1.5
  C run --rm --label "$LABEL" --name "$UNIQ-ev" "$IMAGE" sh -c 'exit 3'
  # Another namespace's events stay out.
  NAMESPACES+=("$NS-other")
  C_NS "$NS-other" pull "$IMAGE" >/dev/null
  C_NS "$NS-other" run --rm --name "$UNIQ-elsewhere" "$IMAGE" true
  wait $evpid
  check_eq "events --until: exit" 0 $?
  wait $fpid
  grep -q " /tasks/start $UNIQ-ev " "$WORK/ev" && echo "ok: task start event" || fail "no /tasks/start in: $(cat "$WORK/ev")"
  grep -q " /tasks/exit $UNIQ-ev .*exitCode=3" "$WORK/ev" && echo "ok: task exit event" || fail "no /tasks/exit in: $(cat "$WORK/ev")"
  grep -q " /containers/create $UNIQ-ev" "$WORK/ev" && echo "ok: container create event" || fail "no /containers/create in: $(cat "$WORK/ev")"
  grep -q "$UNIQ-elsewhere" "$WORK/ev" && fail "events of another namespace shown"
  check_eq "events --filter: tasks of one container only" "" "$(grep -v " /tasks/[a-z-]* $UNIQ-ev " "$WORK/evf")"
  grep -q " /tasks/exit $UNIQ-ev" "$WORK/evf" && echo "ok: filtered exit event" || fail "filtered events: $(cat "$WORK/evf")"
  C events --since 10m 2>/dev/null
  check_eq "events --since: refused" 2 $?
}

case_auto() {
  # --engine auto: the engine the environment names, and why (BERTH_DEBUG).
  local out
  out=$(env -u DOCKER_HOST -u DOCKER_CONTEXT CONTAINERD_ADDRESS="$ADDR" CONTAINERD_NAMESPACE="$NS" BERTH_DEBUG=1 \
    "$BERTH" --engine auto version 2>&1)
  check_eq "auto: exit" 0 $?
  check_contains "auto: containerd when only CONTAINERD_ADDRESS is set" \
    "engine containerd at $ADDR (CONTAINERD_ADDRESS is set)" "$out"
  check_contains "auto: containerd's version" "Server: containerd" "$out"
  if [[ -n ${DOCKER_HOST:-} ]]; then
    out=$(CONTAINERD_ADDRESS="$ADDR" BERTH_DEBUG=1 "$BERTH" --engine auto version 2>&1)
    check_contains "auto: docker when DOCKER_HOST is set" "(DOCKER_HOST is set)" "$out"
  fi
  # A dead DOCKER_HOST is an error naming it, never a switch to containerd.
  out=$(DOCKER_HOST=unix:///nonexistent/docker.sock CONTAINERD_ADDRESS="$ADDR" "$BERTH" --engine auto ps 2>&1)
  check_eq "auto: dead DOCKER_HOST: exit" 125 $?
  check_contains "auto: dead DOCKER_HOST named" "docker at unix:///nonexistent/docker.sock" "$out"
  # --runtime goes through the Kata policy: a bind of the host's /proc under Kata is
  # refused before anything is created.
  C --runtime kata run --rm -v /proc:/hostproc --label "$LABEL" "$IMAGE" true >/dev/null 2>"$WORK/err"
  check_eq "kata + host /proc: exit" 125 $?
  check_contains "kata + host /proc: the policy says why" "/proc" "$(cat "$WORK/err")"
  check_eq "kata + host /proc: nothing created" "" "$(C ps -a -q --filter "label=$LABEL")"
}

case_sweep() {
  local a b keep
  a=$(C run -d --label "$LABEL" --label extra=1 "$IMAGE" sleep 300)
  b=$(C run -d --label "$LABEL" "$IMAGE" true)
  keep=$(C run -d --label "berth.test.cli=$UNIQ-other" "$IMAGE" sleep 300)
  C sweep --label "$LABEL" >"$WORK/out"
  check_eq "sweep exit" 0 $?
  check_eq "sweep: removed both" 2 "$(grep -c '^container ' "$WORK/out")"
  check_eq "sweep: none left" "" "$(C ps -a -q --filter "label=$LABEL")"
  check_eq "sweep: other label untouched" "$keep" "$(C ps -a -q --filter "label=berth.test.cli=$UNIQ-other")"
  C sweep --label "berth.test.cli=$UNIQ-other" >/dev/null
  check_eq "sweep again: idempotent" "" "$(C sweep --label "$LABEL")"
}

case_tty() {
  script -qec "\"$BERTH\" --engine containerd --address $ADDR --namespace $NS run --rm --label $LABEL -t $IMAGE sh -c 'test -t 1 && echo tty-yes; exit 4'" /dev/null \
    >"$WORK/out" </dev/null
  check_eq "run -t: exit code" 4 $?
  check_contains "run -t: the container has a terminal" "tty-yes" "$(cat "$WORK/out")"
  local id
  id=$(C run -d --label "$LABEL" "$IMAGE" sleep 300)
  script -qec "\"$BERTH\" --engine containerd --address $ADDR --namespace $NS exec -t $id sh -c 'test -t 0 && echo exec-tty; exit 6'" /dev/null \
    >"$WORK/out" </dev/null
  check_eq "exec -t: exit code" 6 $?
  check_contains "exec -t: a terminal" "exec-tty" "$(cat "$WORK/out")"
}

case_errors() {
  "$BERTH" --engine containerd --address /nonexistent/containerd.sock ps 2>"$WORK/err"
  check_eq "unreachable containerd exit" 125 $?
  check_eq "unreachable containerd: one line" 1 "$(lines "$WORK/err")"
  check_contains "unreachable containerd message" "cannot reach containerd" "$(cat "$WORK/err")"
  "$BERTH" --engine containerd --host unix:///x ps 2>"$WORK/err"
  check_eq "--host with containerd" 2 $?
  C inspect "berth-no-such-$UNIQ" >/dev/null 2>"$WORK/err"
  check_eq "inspect of a missing object" 125 $?
  check_eq "inspect of a missing object: one line" 1 "$(lines "$WORK/err")"
  C logs "berth-no-such-$UNIQ" 2>"$WORK/err"
  check_eq "logs of a missing container" 125 $?
  C wait "berth-no-such-$UNIQ" 2>"$WORK/err"
  check_eq "wait of a missing container" 125 $?
  C run --help >"$WORK/h"
  check_eq "run --help with containerd" 0 $?
}

if ! declare -F "case_$case_name" >/dev/null; then
  echo "no such case: $case_name" >&2
  exit 1
fi
"case_$case_name"
cleanup
if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
